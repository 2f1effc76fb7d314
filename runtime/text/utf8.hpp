#pragma once

// UTF-8: decoding one code point, encoding one, and checking whole texts
// (ids, query strings, JSON before it is parsed).

#include <cstddef>
#include <string>
#include <string_view>

namespace corvus {

/// Decodes the UTF-8 sequence at `pos` and moves `pos` past it.
/// @returns the code point, or -1 for a malformed, overlong or surrogate
///          sequence or one beyond U+10FFFF (`pos` then stays).
long decode_utf8(std::string_view text, size_t& pos);

/// Appends code point `cp` (at most U+10FFFF) to `out` as UTF-8.
void encode_utf8(std::string& out, long cp);

/// @returns the offset of the first byte of `text` that does not start a
///          well-formed UTF-8 sequence, or of its first NUL byte when
///          `nul_is_invalid`; std::string_view::npos when there is none.
///          ASCII runs are checked eight bytes at a time.
size_t first_invalid_utf8(std::string_view text, bool nul_is_invalid = false);

/// @returns whether `text` is well-formed UTF-8.
inline bool is_valid_utf8(std::string_view text) {
  return first_invalid_utf8(text) == std::string_view::npos;
}

} // namespace corvus
