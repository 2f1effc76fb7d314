// RavenDB's timestamp text: UTC, seven fractional digits, Z.

#include "runtime/documents/timestamp.hpp"

#include <doctest/doctest.h>

using namespace corvus;

TEST_CASE("timestamps print with seven fractional digits") {
  CHECK(format_timestamp(0) == "1970-01-01T00:00:00.0000000Z");
  // 2024-05-01T10:20:30Z is 1714558830 s after the epoch.
  auto ticks = int64_t{1714558830} * ticks_per_second + 1234567;
  CHECK(format_timestamp(ticks) == "2024-05-01T10:20:30.1234567Z");
}

TEST_CASE("timestamps round-trip") {
  auto ticks = int64_t{1714558830} * ticks_per_second + 1234567;
  CHECK(parse_timestamp(format_timestamp(ticks)) == ticks);
  CHECK(parse_timestamp("1970-01-01T00:00:00.0000000Z") == 0);
  CHECK(parse_timestamp("2024-05-01T10:20:30Z")
        == int64_t{1714558830} * ticks_per_second);
  CHECK(parse_timestamp("2024-05-01T10:20:30.5")
        == int64_t{1714558830} * ticks_per_second + 5000000);
}

TEST_CASE("malformed timestamps are refused") {
  for (auto bad : {"", "2024-05-01", "2024-13-01T00:00:00Z",
                   "2024-05-01 10:20:30Z", "2024-05-01T10:20:30.Z",
                   "2024-05-01T10:20:30Zjunk", "yesterday"})
    CHECK_FALSE(parse_timestamp(bad).has_value());
}
