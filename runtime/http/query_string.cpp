#include "runtime/http/query_string.hpp"

#include "runtime/text/ascii_case.hpp"
#include "runtime/text/utf8.hpp"

#include <charconv>

namespace corvus {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

outcome<std::string> percent_decode(std::string_view text,
                                    bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      int lo = hi >= 0 ? hex_value(text[i + 2]) : -1;
      if (lo < 0)
        return make_failure(ec::bad_request,
                            "malformed percent escape in '"
                              + std::string{text.substr(0, 200)} + "'");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  if (!is_valid_utf8(out))
    return make_failure(ec::bad_request,
                        "the URL decodes to invalid UTF-8: '"
                          + std::string{text.substr(0, 200)} + "'");
  return out;
}

outcome<query_string> query_string::parse(std::string_view text) {
  query_string result;
  while (!text.empty()) {
    auto amp = text.find('&');
    auto pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{}
                                         : text.substr(amp + 1);
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (!key)
      return key.error();
    std::string value;
    if (eq != std::string_view::npos) {
      auto decoded = percent_decode(pair.substr(eq + 1), true);
      if (!decoded)
        return decoded.error();
      value = std::move(*decoded);
    }
    result.pairs_.emplace_back(std::move(*key), std::move(value));
  }
  return result;
}

std::optional<std::string_view> query_string::get(std::string_view key) const {
  for (auto& [k, v] : pairs_)
    if (equals_ignoring_case(k, key))
      return std::string_view{v};
  return std::nullopt;
}

std::vector<std::string_view> query_string::all(std::string_view key) const {
  std::vector<std::string_view> values;
  for (auto& [k, v] : pairs_)
    if (equals_ignoring_case(k, key))
      values.emplace_back(v);
  return values;
}

outcome<int64_t> query_string::get_int(std::string_view key,
                                       int64_t fallback) const {
  auto value = get(key);
  if (!value || value->empty())
    return fallback;
  int64_t result = 0;
  auto [end, err] = std::from_chars(value->data(),
                                    value->data() + value->size(), result);
  if (err != std::errc{} || end != value->data() + value->size())
    return make_failure(ec::bad_request,
                        "query parameter '" + std::string{key}
                          + "' must be an integer, got '"
                          + std::string{value->substr(0, 100)} + "'");
  return result;
}

outcome<bool> query_string::get_bool(std::string_view key,
                                     bool fallback) const {
  auto value = get(key);
  if (!value || value->empty())
    return fallback;
  if (equals_ignoring_case(*value, "true"))
    return true;
  if (equals_ignoring_case(*value, "false"))
    return false;
  return make_failure(ec::bad_request,
                      "query parameter '" + std::string{key}
                        + "' must be true or false, got '"
                        + std::string{value->substr(0, 100)} + "'");
}

} // namespace corvus
