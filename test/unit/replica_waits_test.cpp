#include "runtime/replication/replica_waits.hpp"

#include "test/fixtures/change_vectors.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace corvus;
using corvus::test::cv;

namespace {

const std::string& a = test::db_a;
const std::string& b = test::db_b;

} // namespace

TEST_CASE("a write waits until enough destinations cover it") {
  replica_waits w;
  auto id = w.add(cv("A:10-" + a), 2, 1000);
  REQUIRE(id);
  // Behind, then covering: one replica is not two.
  CHECK(w.acknowledged("B", cv("A:9-" + a)).empty());
  CHECK(w.acknowledged("B", cv("A:10-" + a + ", B:4-" + b)).empty());
  CHECK(w.covering(cv("A:10-" + a)) == 1);
  // A second destination ahead of it completes the wait.
  CHECK(w.acknowledged("C", cv("A:12-" + a)) == std::vector{*id});
  CHECK(w.pending() == 0);
  // Already covered twice: nothing to wait for.
  CHECK_FALSE(w.add(cv("A:10-" + a), 2, 2000));
}

TEST_CASE("acknowledgements only add up; a destination that leaves no "
          "longer counts") {
  replica_waits w;
  w.acknowledged("B", cv("A:10-" + a));
  // A late reply with an older vector does not take it back.
  w.acknowledged("B", cv("A:5-" + a));
  CHECK(w.covering(cv("A:10-" + a)) == 1);
  w.forget("B");
  CHECK(w.covering(cv("A:10-" + a)) == 0);
  // A pending wait loses B's count too.
  w.acknowledged("B", cv("A:10-" + a));
  auto id = w.add(cv("A:10-" + a), 2, 1000);
  REQUIRE(id);
  w.forget("B");
  CHECK(w.acknowledged("C", cv("A:10-" + a)).empty());
  CHECK(w.acknowledged("D", cv("A:10-" + a)) == std::vector{*id});
}

TEST_CASE("waits past their deadline expire with what they reached") {
  replica_waits w;
  auto early = w.add(cv("A:3-" + a), 2, 100);
  auto late = w.add(cv("A:4-" + a), 1, 500);
  REQUIRE(early);
  REQUIRE(late);
  w.acknowledged("B", cv("A:3-" + a));
  CHECK(w.expire(99).empty());
  auto expired = w.expire(100);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0] == std::pair<replica_waits::wait_id, size_t>{*early, 1});
  CHECK(w.acknowledged("C", cv("A:4-" + a)) == std::vector{*late});
  CHECK(w.expire(1000).empty());
}
