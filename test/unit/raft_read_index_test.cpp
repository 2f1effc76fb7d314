// Raft core: linearizable reads by read index (Raft §6.4).

#include "runtime/raft/core.hpp"
#include "test/fixtures/raft_network.hpp"

#include <doctest/doctest.h>

using namespace corvus;
using namespace corvus::raft;
using corvus::test::raft_network;

TEST_SUITE("raft §6.4 linearizable reads") {

TEST_CASE("a leader's read waits for a majority to confirm it leads") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  REQUIRE(net["A"].propose("x"));
  net.deliver();
  net["A"].read_index(7);
  net.drain("A");
  CHECK(net.members.at("A").reads.empty());
  CHECK(net.queued(message_type::heartbeat).size() == 2);
  net.deliver();
  REQUIRE(net.members.at("A").reads.size() == 1);
  CHECK(net.members.at("A").reads[0]
        == read_state{7, net["A"].commit()});
}

TEST_CASE("reads of one turn share a heartbeat round") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  for (uint64_t id = 1; id <= 5; ++id)
    net["A"].read_index(id);
  net.drain("A");
  CHECK(net.queued(message_type::heartbeat).size() == 2);
  net.deliver();
  CHECK(net.members.at("A").reads.size() == 5);
}

TEST_CASE("a deposed leader that cannot reach a majority serves no read") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  net.isolated["A"] = true;
  net["A"].read_index(1);
  net.tick("A", 30);
  net.deliver();
  CHECK(net.members.at("A").reads.empty());
  // It steps down (check-quorum) and fails the read so the client retries.
  CHECK(net.members.at("A").dropped_reads == std::vector<uint64_t>{1});
}

TEST_CASE("a follower's read is confirmed through the leader") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  REQUIRE(net["A"].propose("x"));
  net.deliver([](const message& m) { return m.to != "C"; });
  // C lags behind, but its read index is the leader's commit: C answers
  // only once it applied that far.
  net["C"].read_index(42);
  net.deliver();
  REQUIRE(net.members.at("C").reads.size() == 1);
  CHECK(net.members.at("C").reads[0].index == net["A"].commit());
}

TEST_CASE("a follower that becomes leader drops the reads it forwarded") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  net["B"].read_index(5);
  // The leader's answer is lost, and leadership moves to B.
  net.deliver([](const message& m) {
    return m.type != message_type::read_index_response;
  });
  CHECK(net.members.at("B").dropped_reads.empty());
  REQUIRE(net["A"].transfer_leadership("B"));
  net.deliver();
  REQUIRE(net["B"].current_role() == role::leader);
  CHECK(net.members.at("B").dropped_reads == std::vector<uint64_t>{5});
  CHECK(net.members.at("B").reads.empty());
}

TEST_CASE("a read without any leader is dropped at once") {
  raft_network net{{"A", "B", "C"}};
  net["B"].read_index(3);
  net.drain("B");
  CHECK(net.members.at("B").dropped_reads == std::vector<uint64_t>{3});
}

TEST_CASE("a new leader defers reads until its no-op commits") {
  raft_network net{{"A", "B", "C"}};
  net["A"].campaign();
  net.deliver([](const message& m) {
    return m.type == message_type::vote
           || m.type == message_type::vote_response;
  });
  REQUIRE(net["A"].current_role() == role::leader);
  CHECK(std::string{net["A"].state_name()} == "LeaderElect");
  net["A"].read_index(9);
  net.drain("A");
  CHECK(net.members.at("A").reads.empty());
  net.tick_all(4); // the appends were dropped; the heartbeat recovers
  REQUIRE(net.members.at("A").reads.size() == 1);
  CHECK(net.members.at("A").reads[0].index == 2);
}

} // TEST_SUITE
