// The reconnect schedule of the peer and replication links: growing
// back-off with a cap, one queued attempt, quick retries, and one log line
// per reason of an outage.

#include "runtime/net/reconnect_schedule.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace corvus;
using std::chrono::milliseconds;

namespace {

backoff_policy policy() {
  return backoff_policy{milliseconds{500}, 4, milliseconds{10'000}};
}

} // namespace

TEST_SUITE("reconnect schedule") {

TEST_CASE("the back-off grows by the factor up to the cap") {
  reconnect_schedule s{policy()};
  std::vector<int64_t> delays;
  for (int i = 0; i < 5; ++i) {
    s.due();
    s.attempt();
    delays.push_back(s.failed("refused").delay.count());
  }
  CHECK(delays == std::vector<int64_t>{500, 2000, 8000, 10'000, 10'000});
  CHECK(s.attempts() == 5);
}

TEST_CASE("a connection starts the back-off over and ends the outage") {
  reconnect_schedule s{policy()};
  s.due();
  s.attempt();
  CHECK_FALSE(s.connected()); // the first connection ends no outage
  s.failed("lost");
  s.due();
  s.failed("refused");
  CHECK(s.backoff() == milliseconds{8000});
  CHECK(s.last_error() == "refused");
  s.due();
  CHECK(s.connected());
  CHECK(s.backoff() == milliseconds{500});
  CHECK(s.last_error().empty());
  CHECK(s.connections() == 2);
}

TEST_CASE("one timer at a time: failures while one is queued start none") {
  reconnect_schedule s{policy()};
  // The owner queues the first attempt itself.
  CHECK_FALSE(s.failed("refused").start_timer);
  s.due();
  CHECK(s.failed("refused").start_timer);
  CHECK_FALSE(s.failed("lost").start_timer);
}

TEST_CASE("a reason is new only when it changes") {
  reconnect_schedule s{policy()};
  s.due();
  CHECK(s.failed("refused").new_reason);
  s.due();
  CHECK_FALSE(s.failed("refused").new_reason);
  s.due();
  CHECK(s.failed("timed out").new_reason);
}

TEST_CASE("a quick retry waits its own delay and keeps the back-off") {
  reconnect_schedule s{policy()};
  s.due();
  auto next = s.failed("still opening", milliseconds{50});
  CHECK(next.delay == milliseconds{50});
  CHECK(next.start_timer);
  CHECK(s.backoff() == milliseconds{500});
  s.due();
  CHECK(s.failed("refused").delay == milliseconds{500});
}

} // TEST_SUITE
