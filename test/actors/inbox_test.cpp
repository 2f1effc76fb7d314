// A replication inbox under the test coordinator, between a stand-in for
// its instance (which answers batches when told) and one for the source's
// link (which records what it hears).

#include "actors/replication/inbox.hpp"

#include "test/fixtures/deterministic_fixture.hpp"

#include <deque>
#include <string>
#include <utility>
#include <vector>

using namespace corvus;
using namespace corvus::test;

namespace {

/// What the link stand-in heard, shared with the test.
struct stand_in_log {
  size_t batches = 0;
  std::vector<int64_t> keep_alives;
  std::vector<int64_t> acks;
};

/// An instance that answers its oldest batch when told to (drain).
using slow_instance_actor
  = replication_applier_actor::extend<caf::reacts_to<atom::drain>>;

struct slow_instance_state {
  std::deque<std::pair<caf::typed_response_promise<replication_ack>,
                       int64_t>>
    unanswered;
};

slow_instance_actor::behavior_type slow_instance(
  slow_instance_actor::stateful_pointer<slow_instance_state> self,
  std::shared_ptr<stand_in_log> seen) {
  return {
    [self, seen](inbox_batch& b) {
      ++seen->batches;
      auto promise = self->make_response_promise<replication_ack>();
      self->state.unanswered.emplace_back(promise, b.batch.last_etag);
      return promise;
    },
    [self](atom::drain) {
      auto& q = self->state.unanswered;
      REQUIRE_FALSE(q.empty());
      auto [promise, etag] = q.front();
      q.pop_front();
      promise.deliver(replication_ack{etag, "A:" + std::to_string(etag)
                                              + "-src"});
    },
  };
}

replication_source_actor::behavior_type
recording_link(std::shared_ptr<stand_in_log> seen) {
  return {
    [seen](replication_ack& ack) { seen->acks.push_back(ack.accepted_etag); },
    [seen](replication_processing& p) {
      seen->keep_alives.push_back(p.pending_batches);
    },
  };
}

struct inbox_fixture : deterministic_fixture {
  std::shared_ptr<stand_in_log> seen = std::make_shared<stand_in_log>();
  slow_instance_actor instance = sys.spawn(slow_instance, seen);

  /// The instance answers its oldest batch.
  void apply_one() {
    self->send(instance, atom::drain_v);
    run();
  }

  inbox_actor spawn_inbox(replication_source_actor link) {
    inbox_settings s;
    s.database = "demo";
    s.source_db_id = "src";
    s.source_tag = "A";
    s.link = std::move(link);
    s.instance = caf::actor_cast<replication_applier_actor>(instance);
    s.keep_alive = std::chrono::milliseconds{1000};
    s.log = log;
    auto box = sys.spawn(inbox, std::move(s));
    run();
    return box;
  }
};

} // namespace

TEST_CASE_FIXTURE(inbox_fixture, "while batches are applied the source hears "
                                 "so every keep-alive period, then no more") {
  auto link = sys.spawn(recording_link, seen);
  auto box = spawn_inbox(link);
  self->send(box, replication_batch{0, 5, {}});
  self->send(box, replication_batch{5, 9, {}});
  run();
  REQUIRE(seen->batches == 2);
  CHECK(seen->keep_alives.empty());
  advance(std::chrono::milliseconds{1000});
  CHECK(seen->keep_alives == std::vector<int64_t>{2});
  apply_one();
  CHECK(seen->acks == std::vector<int64_t>{5});
  advance(std::chrono::milliseconds{1000});
  CHECK(seen->keep_alives == std::vector<int64_t>{2, 1});
  apply_one();
  CHECK(seen->acks == std::vector<int64_t>{5, 9});
  // Nothing pending: the timer stops, and no more keep-alives come.
  advance(std::chrono::milliseconds{1000});
  advance(std::chrono::milliseconds{1000});
  CHECK(seen->keep_alives.size() == 2);
  // The next batch starts it again.
  self->send(box, replication_batch{9, 12, {}});
  run();
  advance(std::chrono::milliseconds{1000});
  CHECK(seen->keep_alives == std::vector<int64_t>{2, 1, 1});
  apply_one();
  self->send_exit(box, caf::exit_reason::user_shutdown);
  self->send_exit(instance, caf::exit_reason::user_shutdown);
  self->send_exit(link, caf::exit_reason::user_shutdown);
}
