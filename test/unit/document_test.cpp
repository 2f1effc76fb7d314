// The document model's helpers (runtime/documents/document.hpp).

#include "runtime/documents/document.hpp"

#include <doctest/doctest.h>

using namespace corvus;

TEST_CASE("header_of keeps every field of a record but its body") {
  document_record r;
  r.id = "Users/1-A";
  r.collection = "Users";
  r.etag = 42;
  r.change_vector = "A:42-hb0jT0Fq9kS5xJ1wdc7W1g";
  r.last_modified = 638000000000000000;
  r.flags = document_flag::resolved;
  r.tombstone = true;
  r.json = R"({"name":"Ann"})";
  auto expected = r;
  expected.json.clear();
  CHECK(header_of(r) == expected);
}
