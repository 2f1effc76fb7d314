#include "runtime/text/base64.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace corvus;

TEST_CASE("base64 encodes the RFC 4648 test vectors") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("unpadded base64 of 16 bytes is a 22-character database id") {
  std::string bytes(16, '\xff');
  CHECK(base64_encode(bytes, base64_padding::without)
        == "/////////////////////w");
  CHECK(base64_encode(std::string(16, '\0'), base64_padding::without)
        == "AAAAAAAAAAAAAAAAAAAAAA");
  CHECK(base64_encode("\xfb\xff", base64_padding::without) == "+/8");
}
