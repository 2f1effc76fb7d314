// Raft core: log compaction and snapshots (Raft §7; ravendb-internals.md
// §1.7).

#include "runtime/raft/core.hpp"
#include "test/fixtures/raft_network.hpp"

#include <doctest/doctest.h>

using namespace corvus;
using namespace corvus::raft;
using corvus::test::raft_network;

namespace {

/// A leads A, B and C; C missed 20 commands, which A's snapshot `state`
/// then compacted away; C is back on the network.
void compacted_past_c(raft_network& net, const std::string& state) {
  net.elect("A");
  net.isolated["C"] = true;
  for (int i = 0; i < 20; ++i)
    REQUIRE(net["A"].propose("c" + std::to_string(i)));
  net.deliver();
  net["A"].compact(net["A"].applied(), state, net["A"].applied() + 1);
  net.drain("A");
  net.isolated.clear();
}

} // namespace

TEST_SUITE("raft §7 log compaction") {

TEST_CASE("compaction keeps a snapshot and the entries after the slack") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  for (int i = 0; i < 20; ++i)
    REQUIRE(net["A"].propose("c" + std::to_string(i)));
  net.deliver();
  auto applied = net["A"].applied();
  REQUIRE(applied == 22);
  // The dropped entries come back whole and in order, for the owner to
  // free where it likes: fewer than are kept (moved out) and more (the
  // kept ones are moved instead).
  auto dropped = net["A"].compact(10, "state@10", 5);
  REQUIRE(dropped.size() == 4);
  CHECK(dropped.back().index == 4);
  CHECK(net["A"].log().first_index() == 5);
  CHECK(net["A"].log().at(5).data == "c2");
  dropped = net["A"].compact(applied, "state@22", 16);
  REQUIRE(dropped.size() == 11);
  for (size_t i = 0; i < dropped.size(); ++i)
    CHECK(dropped[i].index == i + 5);
  CHECK(dropped.back().data == "c12");
  CHECK(net["A"].log().at(16).data == "c13");
  CHECK(net["A"].log().last_index() == 22);
  net.drain("A");
  auto& stored = net.members.at("A").storage.durable;
  CHECK(stored.snap.index == 22);
  CHECK(stored.snap.data == "state@22");
  CHECK(stored.snap.config == net["A"].current_topology());
  CHECK(stored.entries.front().index == 16);
  CHECK(net["A"].log().first_index() == 16);
  // An older snapshot request changes nothing.
  CHECK(net["A"].compact(12, "old", 5).empty());
  CHECK_FALSE(net["A"].has_ready());
}

TEST_CASE("a follower behind the compacted log receives the snapshot") {
  raft_network net{{"A", "B", "C"}};
  compacted_past_c(net, "state");
  bool snapshot_sent = false;
  for (int i = 0; i < 10; ++i) {
    for (auto& t : {"A", "B", "C"})
      net[t].tick();
    net.deliver([&](const message& m) {
      snapshot_sent |= m.type == message_type::install_snapshot;
      return true;
    });
  }
  CHECK(snapshot_sent);
  auto& c = net.members.at("C").storage.durable;
  CHECK(c.snap.index == 22);
  CHECK(c.snap.data == "state");
  CHECK(net["C"].commit() == net["A"].commit());
  CHECK(net["C"].applied() == net["A"].applied());
  // Proposals after the snapshot flow as entries again.
  REQUIRE(net["A"].propose("after"));
  net.deliver();
  CHECK(net.members.at("C").applied.back().data == "after");
}

TEST_CASE("a snapshot held back is asked for again, the latest by then") {
  raft_network net{{"A", "B", "C"}};
  compacted_past_c(net, "old");
  // The leader asks for C's snapshot; its owner holds it back.
  std::vector<message> held;
  auto hold = [&](const message& m) {
    if (m.type != message_type::install_snapshot)
      return true;
    held.push_back(m);
    return false;
  };
  for (int i = 0; i < 10 && held.empty(); ++i) {
    for (auto& t : {"A", "B", "C"})
      net[t].tick();
    net.deliver(hold);
  }
  REQUIRE(held.size() == 1);
  CHECK(held[0].snap.data == "old");
  // Meanwhile more commits, and the owner takes a fresh snapshot.
  for (int i = 0; i < 5; ++i)
    REQUIRE(net["A"].propose("d" + std::to_string(i)));
  net.deliver(hold);
  net["A"].compact(net["A"].applied(), "fresh", net["A"].applied() + 1);
  net.drain("A");
  net["A"].snapshot_not_sent("C");
  net.drain("A");
  auto asked = net.queued(message_type::install_snapshot);
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].to == "C");
  CHECK(asked[0].snap.data == "fresh");
  net.deliver();
  CHECK(net["C"].applied() == net["A"].applied());
  // A follower that waits for no snapshot is left alone.
  net["A"].snapshot_not_sent("B");
  CHECK_FALSE(net["A"].has_ready());
}

TEST_CASE("a follower within the slack gets entries, not a snapshot") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  net.isolated["C"] = true;
  for (int i = 0; i < 5; ++i)
    REQUIRE(net["A"].propose("c"));
  net.deliver();
  net["A"].compact(net["A"].applied(), "state", 2); // C holds 1..2
  net.drain("A");
  net.isolated.clear();
  bool snapshot_sent = false;
  for (int i = 0; i < 10; ++i) {
    for (auto& t : {"A", "B", "C"})
      net[t].tick();
    net.deliver([&](const message& m) {
      snapshot_sent |= m.type == message_type::install_snapshot;
      return true;
    });
  }
  CHECK_FALSE(snapshot_sent);
  CHECK(net["C"].commit() == net["A"].commit());
}

TEST_CASE("a restart resumes from the snapshot and replays the log") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  for (int i = 0; i < 6; ++i)
    REQUIRE(net["A"].propose("c" + std::to_string(i)));
  net.deliver();
  net["B"].compact(5, "state@5", 6);
  net.drain("B");
  net.restart("B");
  net.drain("B");
  // The core hands out the committed entries after the snapshot again.
  auto& applied = net.members.at("B").applied;
  REQUIRE_FALSE(applied.empty());
  CHECK(applied.front().index == 6);
  CHECK(applied.back().index == 8);
  CHECK(net["B"].log().latest_snapshot().data == "state@5");
}

TEST_CASE("a new node joins by snapshot when the log was compacted") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  for (int i = 0; i < 8; ++i)
    REQUIRE(net["A"].propose("c"));
  net.deliver();
  net["A"].compact(net["A"].applied(), "state", net["A"].applied() + 1);
  net.drain("A");
  net.members["D"];
  net.restart("D");
  auto next = net["A"].current_topology();
  next.promotables.emplace("D", "test://D");
  next.last_node_id = "D";
  REQUIRE(net["A"].propose_topology(next));
  net.deliver();
  net.tick_all(10);
  CHECK(net.members.at("D").storage.durable.snap.data == "state");
  CHECK(net["A"].current_topology().is_voter("D"));
  CHECK(net["D"].current_topology().is_voter("D"));
}

} // TEST_SUITE
