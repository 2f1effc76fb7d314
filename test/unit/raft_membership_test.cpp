// Raft core: cluster membership (ravendb-internals.md §1.1, §1.5, §1.6):
// promotables catch up and are promoted, watchers never vote, one change
// at a time, removed nodes go quiet.

#include "runtime/raft/core.hpp"
#include "test/fixtures/raft_network.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace corvus;
using namespace corvus::raft;
using corvus::test::raft_network;

namespace {

/// Adds an empty, passive member `tag` to the network (a fresh node).
void add_fresh_node(raft_network& net, const node_tag& tag) {
  net.members[tag];
  net.restart(tag);
}

topology with_promotable(topology t, const node_tag& tag) {
  t.promotables.emplace(tag, "test://" + tag);
  t.last_node_id = tag;
  return t;
}

/// A leads A, B and C and removes C while C is cut off, then proposes
/// `more` commands; everything commits without C.
/// @returns the removal's index.
index_t remove_c_while_cut_off(raft_network& net,
                               const std::vector<std::string>& more = {}) {
  net.elect("A");
  net.isolated["C"] = true;
  auto next = net["A"].current_topology();
  next.members.erase("C");
  auto removal = net["A"].propose_topology(next);
  REQUIRE(removal);
  for (auto& command : more)
    REQUIRE(net["A"].propose(command));
  net.deliver();
  net.tick_all(3);
  return *removal;
}

/// C is back and campaigns, hearing from A, until A told it what it needs;
/// then C ticks on alone, its messages dropped.
void c_returns(raft_network& net) {
  net.isolated.clear();
  for (int i = 0; i < 15; ++i) {
    net["C"].tick();
    net.deliver([](const message& m) { return m.from == "C" || m.to == "C"; });
  }
  net.in_flight.clear();
  for (int i = 0; i < 50; ++i) {
    net["C"].tick();
    net.drain("C");
  }
}

/// C applied its removal: it stays quiet and follows nobody, A still
/// leads and forgot it.
void check_c_left(raft_network& net) {
  CHECK(net.queued(message_type::pre_vote).empty());
  CHECK(net["A"].current_role() == role::leader);
  CHECK(std::string{net["C"].state_name()} == "Passive");
  CHECK(net["C"].left_cluster());
  CHECK(net["C"].leader().empty());
  for (auto& f : net["A"].followers())
    CHECK(f.tag != "C");
}

} // namespace

TEST_SUITE("raft membership") {

TEST_CASE("a new node joins as promotable and is promoted once caught up") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  for (int i = 0; i < 5; ++i)
    REQUIRE(net["A"].propose("c" + std::to_string(i)));
  net.deliver();
  add_fresh_node(net, "D");
  CHECK(net["D"].passive());
  // Out of the cluster until its configuration arrives, but it never was
  // in one: it has not left a cluster.
  CHECK(net["D"].out_of_cluster());
  CHECK_FALSE(net["D"].left_cluster());
  auto next = with_promotable(net["A"].current_topology(), "D");
  REQUIRE(net["A"].propose_topology(next));
  net.deliver();
  net.tick_all(5);
  // D caught up; the leader promoted it on its own (a second change).
  auto& now = net["A"].current_topology();
  CHECK(now.is_voter("D"));
  CHECK(now.promotables.empty());
  CHECK_FALSE(net["D"].passive());
  CHECK_FALSE(net["D"].out_of_cluster());
  CHECK(net["D"].commit() == net["A"].commit());
  CHECK(net["D"].current_topology() == now);
  // Four voters now: a commit needs three of them.
  CHECK(now.quorum() == 3);
}

TEST_CASE("a promotable that catches up through a snapshot in a quiet "
          "cluster is promoted") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  for (int i = 0; i < 5; ++i)
    REQUIRE(net["A"].propose("c" + std::to_string(i)));
  net.deliver();
  add_fresh_node(net, "D");
  auto next = with_promotable(net["A"].current_topology(), "D");
  REQUIRE(net["A"].propose_topology(next));
  // The change commits while D hears nothing; the leader compacts its
  // whole log, so D can only catch up by the snapshot, and no later entry
  // brings an answer that would promote it.
  net.deliver([](const message& m) { return m.to != "D" && m.from != "D"; });
  auto last = net["A"].applied();
  REQUIRE(last == net["A"].last_index());
  net["A"].compact(last, "state", last + 1);
  net.deliver();
  net.tick_all(30);
  auto& now = net["A"].current_topology();
  CHECK(now.is_voter("D"));
  CHECK(now.promotables.empty());
}

TEST_CASE("a snapshot records the configuration in force at its index") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  for (int i = 0; i < 5; ++i)
    REQUIRE(net["A"].propose("c" + std::to_string(i)));
  net.deliver();
  auto before = net["A"].current_topology();
  auto at = net["A"].applied();
  add_fresh_node(net, "D");
  REQUIRE(net["A"].propose_topology(with_promotable(before, "D")));
  REQUIRE(net["A"].propose("after"));
  net.deliver();
  REQUIRE(net["A"].applied() > at);
  SUBCASE("taken before the change: the older configuration") {
    net["A"].compact(at, "state", at + 1);
    net.drain("A");
    CHECK(net.members.at("A").storage.durable.snap.config == before);
  }
  SUBCASE("taken after it: the newer one") {
    net["A"].compact(net["A"].applied(), "state", at + 1);
    net.drain("A");
    auto& config = net.members.at("A").storage.durable.snap.config;
    CHECK(config != before);
    CHECK(config.promotables.count("D") + config.is_voter("D") == 1);
  }
}

TEST_CASE("a promotable neither votes nor counts for commit") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  add_fresh_node(net, "D");
  // With B and C away the change cannot commit, so D stays promotable
  // (one change at a time): D holds every entry, yet nothing commits.
  net.isolated["B"] = true;
  net.isolated["C"] = true;
  auto next = with_promotable(net["A"].current_topology(), "D");
  REQUIRE(net["A"].propose_topology(next));
  REQUIRE(net["A"].propose("x"));
  net.deliver();
  CHECK(net["D"].last_index() == net["A"].last_index());
  CHECK(net["A"].commit() < net["A"].last_index());
}

TEST_CASE("watchers replicate, never vote, and are not auto-promoted") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  add_fresh_node(net, "W");
  auto next = net["A"].current_topology();
  next.watchers.emplace("W", "test://W");
  next.last_node_id = "W";
  REQUIRE(net["A"].propose_topology(next));
  net.deliver();
  net.tick_all(10);
  CHECK(net["A"].current_topology().watchers.count("W") == 1);
  CHECK(net["W"].commit() == net["A"].commit());
  // W never campaigns, however long it hears nothing.
  net.isolated["A"] = true;
  for (int i = 0; i < 50; ++i) {
    net["W"].tick();
    net.drain("W");
  }
  CHECK(net.queued(message_type::pre_vote).empty());
  CHECK(net["W"].current_role() == role::follower);
  // Nor when told to time out (/admin/cluster/timeout).
  net["W"].election_timeout_now();
  net.drain("W");
  CHECK(net.queued(message_type::pre_vote).empty());
  CHECK(net["W"].current_role() == role::follower);
}

TEST_CASE("one topology change at a time, one node per change") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  auto base = net["A"].current_topology();
  REQUIRE(net["A"].propose_topology(with_promotable(base, "D")));
  // The first is not committed yet.
  auto second = with_promotable(net["A"].current_topology(), "E");
  CHECK(net["A"].propose_topology(second).error().code == ec::bad_request);
  net.deliver();
  // Two nodes in one change are refused.
  auto two = with_promotable(with_promotable(net["A"].current_topology(), "E"),
                             "F");
  CHECK(net["A"].propose_topology(two).error().code == ec::bad_request);
  // No change at all is refused too.
  CHECK(net["A"].propose_topology(net["A"].current_topology()).error().code
        == ec::bad_request);
}

TEST_CASE("the leader cannot remove or demote itself") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  auto without = net["A"].current_topology();
  without.members.erase("A");
  CHECK(net["A"].propose_topology(without).error().code == ec::bad_request);
  auto demoted = net["A"].current_topology();
  demoted.watchers.emplace("A", demoted.members.at("A"));
  demoted.members.erase("A");
  CHECK(net["A"].propose_topology(demoted).error().code == ec::bad_request);
}

TEST_CASE("a topology takes effect when appended and is undone with it") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  net.isolated["B"] = true;
  net.isolated["C"] = true;
  REQUIRE(net["A"].propose_topology(
    with_promotable(net["A"].current_topology(), "D")));
  net.drain("A");
  // In force on A at once, uncommitted.
  CHECK(net["A"].current_topology().promotables.count("D") == 1);
  CHECK(net["A"].topology_change_pending());
  // B and C elect B, whose log overwrites A's uncommitted change.
  net.isolated.clear();
  net.isolated["A"] = true;
  net.in_flight.clear();
  for (int i = 0; i < 80 && net["B"].current_role() != role::leader
                  && net["C"].current_role() != role::leader;
       ++i)
    net.tick_all();
  net.isolated.clear();
  net.tick_all(30);
  CHECK(net["A"].current_topology().promotables.empty());
  CHECK(net["A"].current_role() == role::follower);
}

TEST_CASE("a removed member goes passive and stays quiet") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  auto next = net["A"].current_topology();
  next.members.erase("C");
  auto removal = net["A"].propose_topology(next);
  REQUIRE(removal);
  net.deliver();
  net.tick_all(3);
  CHECK(net["C"].passive());
  CHECK(net["C"].left_cluster());
  // The leader's last word: the removal committed. C applies it and
  // follows nobody.
  CHECK(net["C"].commit() >= *removal);
  CHECK(net["C"].leader().empty());
  for (int i = 0; i < 50; ++i) {
    net["C"].tick();
    net.drain("C");
  }
  CHECK(net.queued(message_type::pre_vote).empty());
  CHECK(net["C"].term() == net["A"].term());
}

TEST_CASE("a member removed while cut off is told so by the leader") {
  raft_network net{{"A", "B", "C"}};
  auto removal = remove_c_while_cut_off(net);
  REQUIRE(net["A"].commit() == net["A"].last_index());
  REQUIRE(net["C"].last_index() < removal);
  // C still believes it is a member and campaigns; the leader answers
  // NotInTopology, sends it the log up to its removal, then says that the
  // removal committed. C applies it and stops.
  c_returns(net);
  check_c_left(net);
  CHECK(net["C"].passive());
  CHECK(net["C"].commit() >= removal);
}

TEST_CASE("a member removed while cut off, behind the leader's compacted "
          "log, gets the snapshot and applies its removal") {
  raft_network net{{"A", "B", "C"}};
  auto removal = remove_c_while_cut_off(net, {"after"});
  auto last = net["A"].applied();
  REQUIRE(last == net["A"].last_index());
  // No entry C lacks is left in A's log: only the snapshot holds them.
  net["A"].compact(last, "state", last + 1);
  REQUIRE(net["C"].last_index() < removal);
  c_returns(net);
  check_c_left(net);
  // C holds the state after its removal, not the one it went away with.
  CHECK(net["C"].current_topology() == net["A"].current_topology());
  CHECK(net["C"].commit() >= last);
}

TEST_CASE("node tags follow RavenDB's sequence") {
  CHECK(next_node_tag("") == "A");
  CHECK(next_node_tag("A") == "B");
  CHECK(next_node_tag("Y") == "Z");
  CHECK(next_node_tag("Z") == "ZA");
  CHECK(next_node_tag("ZA") == "ZB");
  CHECK(next_node_tag("ZZ") == "ZZA");
  CHECK(valid_node_tag("A"));
  CHECK(valid_node_tag("ZZZA"));
  CHECK_FALSE(valid_node_tag(""));
  CHECK_FALSE(valid_node_tag("ABCDE"));
  CHECK_FALSE(valid_node_tag("a"));
  CHECK_FALSE(valid_node_tag("A-B"));
  CHECK_FALSE(valid_node_tag("RAFT"));
}

TEST_CASE("a topology survives its JSON form") {
  topology t;
  t.topology_id = "8c3f";
  t.members = {{"A", "http://127.0.0.1:8080"}, {"B", "http://127.0.0.2:8080"}};
  t.promotables = {{"C", "http://127.0.0.3:8080"}};
  t.watchers = {{"D", "http://127.0.0.4:8080"}};
  t.last_node_id = "D";
  auto back = topology_from_json(to_json(t));
  REQUIRE(back);
  CHECK(*back == t);
  CHECK(t.url_of("C") == "http://127.0.0.3:8080");
  CHECK(t.url_of("Q").empty());
  CHECK(t.all_tags() == std::vector<node_tag>{"A", "B", "C", "D"});
  CHECK_FALSE(topology_from_json("[]"));
  CHECK_FALSE(topology_from_json(R"({"Members":{"a":"x"}})"));
  CHECK_FALSE(topology_from_json(R"({"Members":[]})"));
}

} // TEST_SUITE
