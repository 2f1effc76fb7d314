// Case folding and validation of document ids.

#include "runtime/documents/document_id.hpp"

#include <doctest/doctest.h>

using namespace corvus;

TEST_CASE("ids fold ASCII and non-ASCII letters") {
  CHECK(fold_case("Users/1-A") == "users/1-a");
  CHECK(fold_case("ÄÖÜ/Straße") == "äöü/straße");
  CHECK(fold_case("ΑΒΓ") == "αβγ");
  CHECK(fold_case("Кирилл") == "кирилл");
  CHECK(fold_case("") == "");
}

TEST_CASE("folding keeps bytes that are not UTF-8") {
  std::string bad{"A\xff" "B"};
  CHECK(fold_case(bad) == std::string{"a\xff" "b"});
}

TEST_CASE("document ids are validated") {
  CHECK(validate_document_id("users/1"));
  CHECK(validate_document_id("ünïcödé"));
  CHECK(validate_document_id(std::string(max_document_id_bytes, 'x')));
  for (auto bad : {std::string{}, std::string{"/users/1"},
                   std::string{"a\x01" "b"}, std::string{"\xff"},
                   std::string(max_document_id_bytes + 1, 'x')}) {
    auto checked = validate_document_id(bad);
    REQUIRE_FALSE(checked);
    CHECK(checked.error().code == ec::bad_request);
  }
}
