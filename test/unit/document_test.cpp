// The document model's helpers (runtime/documents/document.hpp).

#include "runtime/documents/document.hpp"
#include "test/fixtures/full_record.hpp"

#include <doctest/doctest.h>

using namespace corvus;

TEST_CASE("header_of keeps every field of a record but its body") {
  auto r = test::full_record();
  r.tombstone = true;
  auto expected = r;
  expected.json.clear();
  CHECK(header_of(r) == expected);
}
