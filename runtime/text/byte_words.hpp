#pragma once

// Scanning text eight bytes at a time: a word of eight bytes is tested for
// bytes of a kind at once, and only a word that holds one is looked at byte
// by byte (UTF-8 checks, JSON string escapes).

#include <cstdint>
#include <cstring>

namespace corvus::byte_words {

inline constexpr uint64_t ones = 0x0101010101010101ull;
inline constexpr uint64_t highs = 0x8080808080808080ull;

/// @returns the eight bytes at `s` (any alignment) as one word.
inline uint64_t load(const char* s) {
  uint64_t word;
  std::memcpy(&word, s, sizeof word);
  return word;
}

/// @returns whether every byte of `word` is ASCII.
inline bool all_ascii(uint64_t word) {
  return (word & highs) == 0;
}

/// @returns whether some byte of `word` is below `limit` (1 to 128).
///          Exact: bytes of 128 and more never count.
inline bool has_byte_below(uint64_t word, uint8_t limit) {
  return ((word - ones * limit) & ~word & highs) != 0;
}

/// @returns whether some byte of `word` is `c`.
inline bool has_byte(uint64_t word, char c) {
  return has_byte_below(word ^ (ones * static_cast<uint8_t>(c)), 1);
}

} // namespace corvus::byte_words
