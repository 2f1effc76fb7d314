// UTF-8 checks of whole texts, including the eight-byte ASCII fast path.

#include "runtime/text/byte_words.hpp"
#include "runtime/text/utf8.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace corvus;

namespace {

constexpr auto none = std::string_view::npos;

} // namespace

TEST_CASE("UTF-8 validation rejects malformed sequences") {
  CHECK(is_valid_utf8("plain"));
  CHECK(is_valid_utf8("日本語"));
  CHECK(is_valid_utf8(""));
  CHECK_FALSE(is_valid_utf8("\xc3"));             // truncated
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate
  CHECK_FALSE(is_valid_utf8("\xf5\x80\x80\x80")); // beyond U+10FFFF
  CHECK_FALSE(is_valid_utf8("\x80"));             // continuation alone
}

TEST_CASE("the first invalid byte is found wherever it is") {
  // Every position relative to the eight-byte words, in long ASCII runs.
  for (size_t at = 0; at < 40; ++at) {
    std::string text(40, 'a');
    text[at] = '\xff';
    CHECK_EQ(first_invalid_utf8(text), at);
    text[at] = '\xc3'; // a lead byte whose continuation is missing
    CHECK_EQ(first_invalid_utf8(text), at);
  }
  // A sequence split across two words is fine.
  std::string split = "1234567\xc3\xa9" "abcdefgh";
  CHECK_EQ(first_invalid_utf8(split), none);
  CHECK_EQ(first_invalid_utf8(split.substr(0, 8)), 7u); // cut in the middle
}

TEST_CASE("NUL bytes count only when asked") {
  for (size_t at = 0; at < 24; ++at) {
    std::string text(24, 'x');
    text[at] = '\0';
    CHECK_EQ(first_invalid_utf8(text), none);
    CHECK_EQ(first_invalid_utf8(text, true), at);
  }
  // Bytes of 0x01 after a zero make the word test fire: the slow path
  // still finds the zero where it is.
  std::string ones(16, '\x01');
  ones[9] = '\0';
  CHECK_EQ(first_invalid_utf8(ones, true), 9u);
  CHECK_EQ(first_invalid_utf8(std::string(16, '\x01'), true), none);
}

TEST_CASE("word tests find a byte wherever it is, and only then") {
  namespace bw = byte_words;
  // Every byte value at every position, among neighbours that could
  // borrow (0x00, 0x01) or look negative (0x80 and up).
  for (int filler : {0x01, 0x20, 0x7f, 0x80, 0xff}) {
    for (int b = 0; b < 256; ++b) {
      for (int at = 0; at < 8; ++at) {
        std::string bytes(8, static_cast<char>(filler));
        bytes[at] = static_cast<char>(b);
        auto word = bw::load(bytes.data());
        auto below = [&](int limit) {
          for (unsigned char c : bytes)
            if (c < limit)
              return true;
          return false;
        };
        CHECK_EQ(bw::has_byte_below(word, 1), below(1));
        CHECK_EQ(bw::has_byte_below(word, 0x20), below(0x20));
        CHECK_EQ(bw::has_byte(word, '"'), bytes.find('"') != std::string::npos);
        CHECK_EQ(bw::all_ascii(word), b < 0x80 && filler < 0x80);
      }
    }
  }
}
