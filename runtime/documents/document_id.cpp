#include "runtime/documents/document_id.hpp"

#include <algorithm>
#include <locale>

namespace corvus {

namespace {

// Decodes one UTF-8 sequence at `pos`; returns the code point and advances
// `pos`, or returns -1 on a malformed sequence.
long decode_utf8(std::string_view s, size_t& pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = byte(pos);
  size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3
               : (lead >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || pos + len > s.size())
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

// glibc's C.UTF-8 locale carries the Unicode simple case mapping. The locale
// object is immutable once built, so sharing it is safe.
const std::ctype<wchar_t>* unicode_ctype() {
  static const std::locale utf8 = [] {
    try {
      return std::locale("C.UTF-8");
    } catch (const std::runtime_error&) {
      return std::locale::classic();
    }
  }();
  return &std::use_facet<std::ctype<wchar_t>>(utf8);
}

} // namespace

bool is_valid_utf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size())
    if (decode_utf8(text, pos) < 0)
      return false;
  return true;
}

std::string fold_case(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool ascii = std::all_of(text.begin(), text.end(),
                           [](char c) { return (c & 0x80) == 0; });
  if (ascii) {
    for (char c : text)
      out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
    return out;
  }
  auto* ctype = unicode_ctype();
  size_t pos = 0;
  while (pos < text.size()) {
    auto start = pos;
    long cp = decode_utf8(text, pos);
    if (cp < 0) { // not UTF-8: keep the byte as is
      out.push_back(text[start]);
      pos = start + 1;
      continue;
    }
    encode_utf8(out, static_cast<long>(ctype->tolower(static_cast<wchar_t>(cp))));
  }
  return out;
}

outcome<done> validate_document_id(std::string_view id) {
  auto invalid = [&](const std::string& why) {
    return make_failure(ec::bad_request, "invalid document id '"
                                           + std::string{id.substr(0, 100)}
                                           + "': " + why);
  };
  if (id.empty())
    return invalid("the id is empty");
  if (id.size() > max_document_id_bytes)
    return invalid("longer than " + std::to_string(max_document_id_bytes)
                   + " bytes");
  if (!is_valid_utf8(id))
    return invalid("not valid UTF-8");
  if (std::any_of(id.begin(), id.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
      }))
    return invalid("contains a control character");
  if (id.front() == '/')
    return invalid("starts with '/'");
  return done{};
}

} // namespace corvus
