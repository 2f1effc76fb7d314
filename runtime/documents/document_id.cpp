#include "runtime/documents/document_id.hpp"

#include "runtime/text/utf8.hpp"

#include <algorithm>
#include <locale>

namespace corvus {

namespace {

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

outcome<done> refuse_identity_request(std::string_view id) {
  if (!id.empty() && id.back() == '|')
    return make_failure(ec::not_supported,
                        "id '" + std::string{id}
                          + "' asks for a cluster-wide identity, which "
                            "Corvus does not support yet");
  return done{};
}

} // namespace corvus
