// How long the Raft snapshot of the cluster state takes to copy (on the
// member's thread), write and read with 100k compare-exchange values of
// about 1 KB each. Skipped by default; run with
// `corvus-unit-tests -tc='*100k*' --no-skip`.

#include "runtime/cluster/cluster_state.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>

using namespace corvus;

namespace {

/// A value of about 1 KB shaped like a small document.
std::string sample_value(size_t i) {
  std::string text(900, 'a' + static_cast<char>(i % 26));
  return R"({"Object":{"Name":"user-)" + std::to_string(i)
         + R"(","Age":)" + std::to_string(i % 90)
         + R"(,"Tags":["x","y","z"],"Text":")" + text
         + R"("},"@metadata":{"@collection":"Users"}})";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now()
                                       - start)
    .count();
}

} // namespace

TEST_CASE("snapshot of 100k compare-exchange values" * doctest::skip()) {
  constexpr size_t count = 100'000;
  cluster_state state;
  raft::topology t;
  t.topology_id = "t";
  t.last_node_id = "A";
  t.members.emplace("A", "http://a");
  REQUIRE(state.apply_topology(1, t));
  auto creation = parse_database_creation("", "db", 1);
  REQUIRE(creation);
  REQUIRE(state.apply(2, create_database_command{{}, *creation, 0}));
  size_t bytes = 0;
  for (size_t i = 0; i < count; ++i) {
    auto value = sample_value(i);
    bytes += value.size();
    REQUIRE(state.apply(3 + i, put_compare_exchange_command{
                                 "req-" + std::to_string(i), "db",
                                 "users/" + std::to_string(i), value, 0}));
  }
  auto start = std::chrono::steady_clock::now();
  auto copy = std::make_shared<const cluster_state>(state);
  auto copying = seconds_since(start);
  // The first change of each shard after the copy clones it.
  start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < count; ++i)
    REQUIRE(state.apply(3 + count + i, put_compare_exchange_command{
                                         "again-" + std::to_string(i), "db",
                                         "users/" + std::to_string(i),
                                         sample_value(i),
                                         static_cast<int64_t>(3 + i)}));
  auto changing = seconds_since(start);
  CHECK(!(*copy == state));
  start = std::chrono::steady_clock::now();
  auto data = state.encode();
  auto encode = seconds_since(start);
  start = std::chrono::steady_clock::now();
  auto restored = cluster_state::decode(data);
  auto decode = seconds_since(start);
  REQUIRE(restored);
  CHECK(restored->compare_exchange().size() == count);
  CHECK(*restored == state);
  std::printf("snapshot: %zu values, %.1f MB of values, %.1f MB encoded; "
              "copy %.3f ms, then %zu changes %.3f s; encode %.3f s, decode "
              "%.3f s\n",
              count, bytes / 1e6, data.size() / 1e6, copying * 1e3, count,
              changing, encode, decode);
}
