// JSON text in and out. Parsing: strings copied by the sixteen-byte path
// come out exactly as written, and what that path cannot check (UTF-8, NUL
// bytes) is refused before it runs. Writing: strings copied in runs come
// out escaped where they must be, wherever the escape falls.

#include "runtime/json/json.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace corvus;

namespace {

std::string error_of(std::string_view text) {
  rapidjson::Document doc;
  auto parsed = parse_json(text, doc, "the body");
  return parsed ? "" : parsed.error().message;
}

// Collects the strings a SAX parse reports.
struct string_collector : rapidjson::BaseReaderHandler<rapidjson::UTF8<>,
                                                        string_collector> {
  bool String(const char* s, rapidjson::SizeType n, bool) {
    seen.emplace_back(s, n);
    return true;
  }
  std::vector<std::string> seen;
};

} // namespace

TEST_CASE("long strings with escapes anywhere parse exactly") {
  // Escapes and multi-byte characters at every offset around the
  // sixteen-byte blocks the fast copy works in.
  for (size_t at = 0; at < 40; ++at) {
    for (std::string special : {"\\\"", "\\\\", "\\n", "\\u00e9", "é", "日"}) {
      std::string raw(48, 'x');
      std::string json = "{\"v\":\"" + raw.substr(0, at) + special
                         + raw.substr(at) + "\"}";
      std::string expected = special == "\\\"" ? "\""
                             : special == "\\\\" ? "\\"
                             : special == "\\n"  ? "\n"
                             : special == "\\u00e9" ? "é"
                                                    : special;
      rapidjson::Document doc;
      REQUIRE(parse_json(json, doc, "t"));
      CHECK(doc["v"].GetString()
            == raw.substr(0, at) + expected + raw.substr(at));
      string_collector sax;
      REQUIRE(parse_sax(json, sax, "t"));
      CHECK(sax.seen.back() == raw.substr(0, at) + expected + raw.substr(at));
    }
  }
}

TEST_CASE("a view into a longer text parses only its own bytes") {
  std::string text = R"({"a":"b"} trailing)";
  rapidjson::Document doc;
  CHECK(parse_json(std::string_view{text}.substr(0, 9), doc, "t"));
  CHECK_FALSE(parse_json(text, doc, "t"));
}

TEST_CASE("invalid UTF-8 and NUL bytes are refused where they are") {
  CHECK(error_of("{\"a\":\"\xff\"}")
        == "the body is not valid JSON: invalid UTF-8 (at byte 6)");
  CHECK(error_of("{\"a\xc3\":1}")
        == "the body is not valid JSON: invalid UTF-8 (at byte 3)");
  // A NUL would end the terminated copy early: inside a string, and after
  // a complete value, where it would hide what follows.
  CHECK(error_of(std::string{"{\"a\":\"x\0y\"}", 11})
        == "the body is not valid JSON: a NUL byte (at byte 7)");
  CHECK(error_of(std::string{"{}\0{", 4})
        == "the body is not valid JSON: a NUL byte (at byte 2)");
  string_collector sax;
  CHECK_FALSE(parse_sax(std::string{"[\"a\"]\0]", 7}, sax, "t"));
  CHECK_FALSE(parse_sax("[\"\xed\xa0\x80\"]", sax, "t")); // a surrogate
  // Escaped, both are fine.
  rapidjson::Document doc;
  REQUIRE(parse_json(R"({"a":"x\u0000y"})", doc, "t"));
  CHECK(doc["a"].GetStringLength() == 3);
}

TEST_CASE("syntax errors keep RapidJSON's reason and offset") {
  CHECK(error_of("") == "the body is not valid JSON: The document is empty. "
                        "(at byte 0)");
  CHECK(error_of(R"({"a":1} {})")
        == "the body is not valid JSON: The document root must not be "
           "followed by other values. (at byte 8)");
}

TEST_CASE("written strings escape what they must, wherever it falls") {
  for (size_t at = 0; at < 40; ++at) {
    for (std::string special :
         {std::string{"\""}, std::string{"\\"}, std::string{"\n"},
          std::string{"\x1f"}, std::string{"\0", 1}, std::string{"é"},
          std::string{"\x7f"}}) {
      std::string raw(48, 'y');
      auto value = raw.substr(0, at) + special + raw.substr(at);
      auto text = write_json([&](json_writer& w) { write_string(w, value); });
      std::string escaped = special == "\"" ? "\\\""
                            : special == "\\" ? "\\\\"
                            : special == "\n" ? "\\n"
                            : special == "\x1f" ? "\\u001F"
                            : special == std::string{"\0", 1} ? "\\u0000"
                                                             : special;
      CHECK(text == "\"" + raw.substr(0, at) + escaped + raw.substr(at) + "\"");
      rapidjson::Document doc;
      REQUIRE(parse_json(text, doc, "t"));
      CHECK(std::string(doc.GetString(), doc.GetStringLength()) == value);
    }
  }
  CHECK(write_json([](json_writer& w) { write_string(w, ""); }) == "\"\"");
  CHECK(unescaped_prefix("abcdefgh\"", 9) == 8);
  CHECK(unescaped_prefix("abc", 2) == 2);
}
