#include "runtime/json/json.hpp"

#include "runtime/text/byte_words.hpp"
#include "runtime/text/utf8.hpp"

#include <rapidjson/error/en.h>

namespace corvus {

namespace {

failure not_valid_json(std::string_view what, std::string_view reason,
                       size_t offset) {
  std::string msg{what};
  msg += " is not valid JSON: ";
  msg += reason;
  msg += " (at byte ";
  msg += std::to_string(offset);
  msg += ')';
  return make_failure(ec::bad_request, std::move(msg));
}

} // namespace

size_t unescaped_prefix(const char* s, size_t n) {
  namespace bw = byte_words;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    auto word = bw::load(s + i);
    if (bw::has_byte_below(word, 0x20) || bw::has_byte(word, '"')
        || bw::has_byte(word, '\\'))
      break;
  }
  for (; i < n; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\')
      break;
  }
  return i;
}

namespace detail {

outcome<done> json_input::check(std::string_view what) const {
  auto at = first_invalid_utf8(text_, true);
  if (at == std::string_view::npos)
    return done{};
  return not_valid_json(what,
                        text_[at] == '\0' ? "a NUL byte" : "invalid UTF-8",
                        at);
}

} // namespace detail

outcome<done> parse_json(std::string_view text, rapidjson::Document& doc,
                         std::string_view what) {
  detail::json_input input{text};
  if (auto checked = input.check(what); !checked)
    return checked.error();
  // Full precision keeps 64-bit etags exact; stop-when-done would accept
  // trailing garbage, so it stays off.
  // Populated through a depth guard, so that no later recursion over the
  // value (Accept, copies) can run out of stack.
  rapidjson::Reader reader;
  auto stream = input.stream();
  bool too_deep = false;
  auto generate = [&](rapidjson::Document& handler) {
    depth_guard<rapidjson::Document> guard{handler};
    reader.Parse<rapidjson::kParseFullPrecisionFlag
                 | rapidjson::kParseIterativeFlag>(stream, guard);
    too_deep = guard.too_deep();
    return !reader.HasParseError();
  };
  doc.Populate(generate);
  if (too_deep)
    return json_too_deep_failure(what);
  if (!reader.HasParseError())
    return done{};
  return json_parse_failure(reader.GetParseErrorCode(),
                            reader.GetErrorOffset(), what);
}

failure json_too_deep_failure(std::string_view what) {
  return make_failure(ec::bad_request,
                      std::string{what} + " nests objects or arrays deeper "
                        "than " + std::to_string(max_json_depth)
                        + " levels");
}

failure json_parse_failure(rapidjson::ParseErrorCode code, size_t offset,
                           std::string_view what) {
  return not_valid_json(what, rapidjson::GetParseError_En(code), offset);
}

void append_json_string(std::string& out, std::string_view s) {
  string_sink sink{out};
  json_writer writer{sink};
  writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string to_json_text(const rapidjson::Value& v) {
  return write_json([&](json_writer& w) { v.Accept(w); });
}

const rapidjson::Value* string_member(const rapidjson::Value& obj,
                                      const char* key) {
  if (!obj.IsObject())
    return nullptr;
  auto i = obj.FindMember(key);
  if (i == obj.MemberEnd() || !i->value.IsString())
    return nullptr;
  return &i->value;
}

} // namespace corvus
