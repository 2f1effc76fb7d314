// Change vectors (ravendb-internals.md §5): parsing, canonical text,
// comparison and merge.

#include "runtime/documents/change_vector.hpp"

#include <doctest/doctest.h>

using namespace corvus;

namespace {

constexpr const char* id_a = "hb0jT0Fq9kS5xJ1wdc7W1g";
constexpr const char* id_b = "8YlB6x2uO0i9qAy6rjaR1w";

change_vector cv(const std::string& text) {
  auto parsed = change_vector::parse(text);
  REQUIRE(parsed);
  return *parsed;
}

} // namespace

TEST_CASE("a change vector parses and prints in canonical order") {
  auto v = cv(std::string{"A:7-"} + id_a + ", B:3-" + id_b);
  REQUIRE(v.entries().size() == 2);
  // Sorted by database id, ignoring case: '8' sorts before 'h'.
  CHECK(v.to_string() == std::string{"B:3-"} + id_b + ", A:7-" + id_a);
  CHECK(v.etag_of(id_a) == 7);
  CHECK(v.etag_of(id_b) == 3);
  CHECK(v.etag_of("unknownunknownunknown1") == 0);
}

TEST_CASE("the empty string is the empty vector") {
  auto v = cv("");
  CHECK(v.empty());
  CHECK(v.to_string().empty());
  CHECK(cv("   ").empty());
}

TEST_CASE("whitespace around entries is tolerated") {
  CHECK(cv(std::string{" A:1-"} + id_a + " ,B:2-" + id_b + " ").to_string()
        == std::string{"B:2-"} + id_b + ", A:1-" + id_a);
}

TEST_CASE("malformed change vectors are refused with the entry named") {
  for (auto bad : {"A", "A:", "A:x-hb0jT0Fq9kS5xJ1wdc7W1g",
                   "A:-1-hb0jT0Fq9kS5xJ1wdc7W1g", "A:1hb0jT0Fq9kS5xJ1wdc7W1g",
                   "A:1-short", "a:1-hb0jT0Fq9kS5xJ1wdc7W1g",
                   ":1-hb0jT0Fq9kS5xJ1wdc7W1g", "A:1-hb0jT0Fq9kS5xJ1wdc7W1g,",
                   "A:1-hb0jT0Fq9kS5xJ1wdc7W1!"}) {
    CAPTURE(bad);
    auto parsed = change_vector::parse(bad);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == ec::bad_request);
  }
}

TEST_CASE("update keeps the larger etag per database id") {
  change_vector v;
  v.update("A", id_a, 5);
  v.update("A", id_a, 3);
  CHECK(v.etag_of(id_a) == 5);
  v.update("A", id_a, 9);
  CHECK(v.etag_of(id_a) == 9);
  v.update("B", id_b, 1);
  CHECK(v.entries().size() == 2);
}

TEST_CASE("merge takes the maximum of each entry") {
  auto x = cv(std::string{"A:5-"} + id_a + ", B:1-" + id_b);
  auto y = cv(std::string{"A:2-"} + id_a + ", B:4-" + id_b);
  x.merge(y);
  CHECK(x.etag_of(id_a) == 5);
  CHECK(x.etag_of(id_b) == 4);
}

TEST_CASE("compare follows GetConflictStatus") {
  auto a5 = cv(std::string{"A:5-"} + id_a);
  auto a7 = cv(std::string{"A:7-"} + id_a);
  auto a5b1 = cv(std::string{"A:5-"} + id_a + ", B:1-" + id_b);
  auto b2 = cv(std::string{"B:2-"} + id_b);
  change_vector empty;
  CHECK(compare(a7, a5) == conflict_status::update);
  CHECK(compare(a5, a7) == conflict_status::already_merged);
  CHECK(compare(a5, a5) == conflict_status::already_merged);
  CHECK(compare(a5b1, a5) == conflict_status::update);
  CHECK(compare(b2, a5) == conflict_status::conflict);
  CHECK(compare(a7, a5b1) == conflict_status::conflict);
  CHECK(compare(empty, a5) == conflict_status::already_merged);
  CHECK(compare(a5, empty) == conflict_status::update);
}

TEST_CASE("canonical_change_vector normalizes text") {
  auto canonical = canonical_change_vector(std::string{"A:7-"} + id_a
                                           + ",B:3-" + id_b);
  REQUIRE(canonical);
  CHECK(*canonical == std::string{"B:3-"} + id_b + ", A:7-" + id_a);
}
