// Raft core: leader election (Raft §5.2, §9.6 pre-vote, §6 leader
// stickiness and check-quorum; ravendb-internals.md §1.1-§1.3).

#include "runtime/raft/core.hpp"
#include "test/fixtures/raft_network.hpp"

#include <doctest/doctest.h>

using namespace corvus;
using namespace corvus::raft;
using corvus::test::raft_network;

TEST_SUITE("raft §5.2 leader election") {

TEST_CASE("a member that hears from no leader campaigns and wins a majority") {
  raft_network net{{"A", "B", "C"}};
  // A's timer fires first: pre-vote, then the real vote at term 2.
  net.tick("A", 10);
  CHECK(net["A"].current_role() == role::pre_candidate);
  CHECK(net["A"].term() == 1); // a trial round changes no term
  net.deliver();
  CHECK(net["A"].current_role() == role::leader);
  CHECK(net["A"].term() == 2);
  CHECK(net["B"].leader() == "A");
  CHECK(net["C"].leader() == "A");
  CHECK(net["B"].persisted_state().voted_for == "A");
  // The leader's no-op commits once a majority holds it.
  CHECK(net["A"].commit() == 2);
  CHECK(std::string{net["A"].state_name()} == "Leader");
}

TEST_CASE("election timers are drawn from [2/3 T, T)") {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    raft_network net{{"A", "B", "C"}};
    auto cfg = raft_network::config_for("A");
    cfg.election_ticks = 30;
    cfg.seed = seed;
    net.restart("A", cfg);
    int ticks = 0;
    while (net["A"].current_role() == role::follower && ticks < 100) {
      net["A"].tick();
      ++ticks;
    }
    CHECK(ticks >= 20);
    CHECK(ticks < 30);
  }
}

TEST_CASE("a member votes once per term, for a log at least as up to date") {
  raft_network net{{"A", "B", "C"}};
  net["A"].campaign(); // real vote at term 2, no trial round
  net.drain("A");
  auto requests = net.queued(message_type::vote);
  REQUIRE(requests.size() == 2);
  net.in_flight.clear();
  // B grants A's request, then refuses C's request for the same term.
  net["B"].step(requests[0].to == "B" ? requests[0] : requests[1]);
  net.drain("B");
  auto grant = net.queued(message_type::vote_response);
  REQUIRE(grant.size() == 1);
  CHECK_FALSE(grant[0].reject);
  net.in_flight.clear();
  message rival;
  rival.type = message_type::vote;
  rival.from = "C";
  rival.to = "B";
  rival.term = 2;
  rival.index = 5;
  rival.log_term = 1;
  net["B"].step(rival);
  net.drain("B");
  auto refusal = net.queued(message_type::vote_response);
  REQUIRE(refusal.size() == 1);
  CHECK(refusal[0].reject);
}

TEST_CASE("a candidate with a shorter log is refused") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  REQUIRE(net["A"].propose("x"));
  net.deliver([](const message& m) { return m.to != "C"; });
  CHECK(net["B"].last_index() == 3);
  CHECK(net["C"].last_index() == 2);
  // Without A, C cannot win: B refuses it (B's log is longer). B wins.
  net.isolated["A"] = true;
  for (int i = 0; i < 60; ++i) {
    net.tick_all();
    CHECK(net["C"].current_role() != role::leader);
  }
  CHECK(net["B"].current_role() == role::leader);
}

TEST_CASE("pre-vote: an isolated member does not raise its term") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  auto term = net["A"].term();
  net.isolated["C"] = true;
  net.tick_all(100);
  CHECK(net["C"].term() == term);
  CHECK(net["C"].current_role() == role::pre_candidate);
  // Back in the cluster, it follows the leader; nobody changed terms.
  net.isolated.clear();
  net.tick_all(10);
  CHECK(net["A"].current_role() == role::leader);
  CHECK(net["A"].term() == term);
  CHECK(net["C"].leader() == "A");
}

namespace {

/// Ticks `tag` alone until it starts a trial vote; what it sends waits.
void tick_until_trial(raft_network& net, const node_tag& tag) {
  while (net[tag].current_role() != role::pre_candidate)
    net.tick(tag);
}

/// A three-member cluster whose leader A is elected, then gone.
/// @returns A's term.
term_t lose_leader(raft_network& net) {
  net.elect("A");
  net.isolated["A"] = true;
  return net["A"].term();
}

} // namespace

TEST_CASE("pre-vote: two members whose trials start together do not split") {
  raft_network net{{"A", "B", "C"}};
  auto term = lose_leader(net);
  // B and C start their trials in the same tick, neither having heard the
  // other's: each would grant the other's, and both would stand for the
  // same term. The tie goes to the smaller tag, and one round elects it.
  tick_until_trial(net, "B");
  tick_until_trial(net, "C");
  net.deliver();
  CHECK(net["B"].current_role() == role::leader);
  CHECK(net["B"].term() == term + 1);
  CHECK(net["C"].leader() == "B");
  CHECK(net["C"].term() == term + 1);
}

TEST_CASE("pre-vote: a trial past its first tick grants a rival with the same "
          "log") {
  raft_network net{{"A", "B", "C"}};
  auto term = lose_leader(net);
  // B's trial has gone on for a tick (its own requests lost) when C's
  // starts: B grants C's as any member would, so a member that cannot win
  // does not hold others back.
  tick_until_trial(net, "B");
  net.tick("B");
  REQUIRE(net["B"].current_role() == role::pre_candidate);
  net.in_flight.clear();
  tick_until_trial(net, "C");
  net.deliver();
  CHECK(net["C"].current_role() == role::leader);
  CHECK(net["C"].term() == term + 1);
  CHECK(net["B"].leader() == "C");
}

TEST_CASE("leader stickiness: votes are refused while the leader is heard") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  auto term = net["A"].term();
  // C stops hearing A (its inbound link fails) and campaigns; A and B
  // still hear from a live leader and refuse even the trial round, so
  // nobody's term moves.
  for (int i = 0; i < 40; ++i) {
    for (auto& t : {"A", "B", "C"})
      net[t].tick();
    net.deliver([](const message& m) { return m.to != "C"; });
  }
  CHECK(net["C"].current_role() == role::pre_candidate);
  CHECK(net["A"].current_role() == role::leader);
  CHECK(net["A"].term() == term);
  CHECK(net["B"].term() == term);
  CHECK(net["C"].term() == term);
}

TEST_CASE("a timeout asked for: refused while the leader is heard, an "
          "election at once once it is silent") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  auto term = net["A"].term();
  // The leader and the non-leaders hearing it are not moved.
  net["A"].election_timeout_now();
  CHECK(net["A"].current_role() == role::leader);
  net["C"].election_timeout_now();
  CHECK(net["C"].current_role() == role::pre_candidate);
  net.deliver();
  CHECK(net["A"].current_role() == role::leader);
  CHECK(net["B"].term() == term);
  CHECK(net["C"].term() == term);
  // The next heartbeat brings C back.
  net.tick("A", 3);
  net.deliver();
  CHECK(net["C"].current_role() == role::follower);
  CHECK(net["C"].leader() == "A");
  // A falls silent. Half an election timeout later B no longer holds to
  // it, though neither B's nor C's own timer has run out yet (2/3 T at the
  // earliest): C, told to time out, wins at once.
  net.isolated["A"] = true;
  for (auto& t : {"B", "C"})
    net.tick(t, 5);
  CHECK(net["B"].current_role() == role::follower);
  CHECK(net["C"].current_role() == role::follower);
  net["C"].election_timeout_now();
  net.deliver();
  CHECK(net["C"].current_role() == role::leader);
  CHECK(net["C"].term() == term + 1);
  CHECK(net["B"].leader() == "C");
}

TEST_CASE("a timeout asked for does not move a passive node") {
  raft::config cfg;
  cfg.id = "A";
  core passive{cfg, {}};
  passive.election_timeout_now();
  CHECK(passive.passive());
  CHECK_FALSE(passive.has_ready());
}

TEST_CASE("check-quorum: a leader that hears from no majority steps down") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  net.isolated["A"] = true;
  net.tick("A", 25);
  CHECK(net["A"].current_role() == role::follower);
  CHECK(net["A"].leader().empty());
  // Meanwhile the others elected a new leader at a higher term.
  net.tick_all(30);
  auto leaders = 0;
  for (auto& t : {"B", "C"})
    leaders += net[t].current_role() == role::leader ? 1 : 0;
  CHECK(leaders == 1);
}

TEST_CASE("a leader hands leadership to the member with the most log") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  REQUIRE(net["A"].propose("x"));
  net.deliver([](const message& m) { return m.to != "C"; });
  REQUIRE(net["A"].transfer_leadership());
  // Proposals are refused while the transfer runs.
  CHECK(net["A"].propose("y").error().code == ec::not_leader);
  net.deliver();
  CHECK(net["B"].current_role() == role::leader);
  CHECK(net["A"].current_role() == role::follower);
  CHECK(net["A"].leader() == "B");
}

TEST_CASE("leadership transfer needs another member") {
  raft_network net{{"A"}};
  net.elect("A");
  CHECK(net["A"].transfer_leadership().error().code == ec::bad_request);
  CHECK(net["A"].transfer_leadership("Q").error().code == ec::bad_request);
}

TEST_CASE("bootstrap: one member founds a cluster and leads at once") {
  raft::config cfg;
  cfg.id = "A";
  core c{cfg, {}};
  CHECK(c.passive());
  CHECK(std::string{c.state_name()} == "Passive");
  topology founding;
  founding.topology_id = "t";
  founding.members.emplace("A", "http://a");
  REQUIRE(c.bootstrap(founding));
  CHECK(c.current_role() == role::leader);
  auto r = c.take_ready();
  CHECK(r.entries.size() == 2); // topology, then the no-op
  CHECK(r.new_hard_state->term == 1);
  c.advance(r);
  CHECK(c.commit() == 2);
  CHECK(std::string{c.state_name()} == "Leader");
  // A second bootstrap is refused.
  CHECK(c.bootstrap(founding).error().code == ec::bad_request);
}

TEST_CASE("bootstrap refuses a topology that is not just this node") {
  raft::config cfg;
  cfg.id = "A";
  core c{cfg, {}};
  topology two;
  two.topology_id = "t";
  two.members = {{"A", "a"}, {"B", "b"}};
  CHECK(c.bootstrap(two).error().code == ec::bad_request);
  topology other;
  other.topology_id = "t";
  other.members = {{"B", "b"}};
  CHECK(c.bootstrap(other).error().code == ec::bad_request);
}

TEST_CASE("a proposal at a follower names the leader") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  auto refused = net["B"].propose("x");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ec::not_leader);
  REQUIRE(refused.error().fields.size() == 1);
  CHECK(refused.error().fields[0].second == "A");
}

} // TEST_SUITE
