#include "runtime/text/utf8.hpp"

#include "runtime/text/byte_words.hpp"

namespace corvus {

long decode_utf8(std::string_view text, size_t& pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(pos);
  size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3
               : (lead >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || pos + len > text.size())
    return -1;
  long cp = len == 1 ? lead : len == 2 ? (lead & 0x1F)
            : len == 3 ? (lead & 0x0F) : (lead & 0x07);
  for (size_t i = 1; i < len; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80)
      return -1;
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  // Reject overlong forms, surrogates and values beyond Unicode.
  static constexpr long min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return -1;
  pos += len;
  return cp;
}

void encode_utf8(std::string& out, long cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t first_invalid_utf8(std::string_view text, bool nul_is_invalid) {
  namespace bw = byte_words;
  size_t pos = 0;
  while (pos < text.size()) {
    if (pos + 8 <= text.size()) {
      // Eight ASCII bytes, none of them NUL when NUL counts.
      auto word = bw::load(text.data() + pos);
      if (bw::all_ascii(word)
          && !(nul_is_invalid && bw::has_byte_below(word, 1))) {
        pos += 8;
        continue;
      }
    }
    if (nul_is_invalid && text[pos] == '\0')
      return pos;
    auto at = pos;
    if (decode_utf8(text, pos) < 0)
      return at;
  }
  return std::string_view::npos;
}

} // namespace corvus
