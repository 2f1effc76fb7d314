#pragma once

// How a database instance's store compresses what it holds, the setting
// `storage.compression` (config/node.conf says what each choice costs).

#include <optional>
#include <string_view>

namespace corvus {

enum class compression {
  /// Each document body compressed once, when it is written (snappy).
  documents,
  /// LevelDB compresses its blocks each time it writes them (snappy).
  blocks,
  /// Nothing compressed.
  none,
};

/// The words `parse_compression` accepts, for error messages.
inline constexpr std::string_view compression_words = "documents, blocks, none";

/// @returns the choice named `word` (see `compression_words`), or nullopt.
inline std::optional<compression> parse_compression(std::string_view word) {
  if (word == "documents")
    return compression::documents;
  if (word == "blocks")
    return compression::blocks;
  if (word == "none")
    return compression::none;
  return std::nullopt;
}

} // namespace corvus
