// Whole-node simulation (cluster_fixture.hpp). Forming a cluster: nodes join by
// URL and refuse a peer of another protocol.

#include "test/actors/cluster/cluster_fixture.hpp"

using namespace corvus;
using namespace corvus::test;
using namespace corvus::test::cluster_sim;

TEST_CASE_FIXTURE(cluster_fixture, "three nodes form a cluster through "
                                   "topology requests by URL") {
  capture_log();
  form(3);
  auto lead = elected(all());
  // Node 0 founded the cluster as A; the others got B and C in the hello
  // of the leader's link.
  CHECK(lead == 0);
  for (auto i : all()) {
    auto s = summary(i);
    CHECK(s->raft.node_tag == std::string(1, static_cast<char>('A' + i)));
    CHECK(nodes[i].directory->current()->node_tag == s->raft.node_tag);
    CHECK(tags_of(s->topology.members)
          == std::vector<std::string>{"A", "B", "C"});
    CHECK(s->topology.promotables.empty());
    CHECK(s->topology.url_of("B") == nodes[1].url);
    CHECK(s->topology == summary(0)->topology);
    CHECK(s->raft.leader == "A");
    REQUIRE(s->raft.peers.size() == 2);
    for (auto& p : s->raft.peers)
      CHECK(p.connected);
  }
  // The leader sees its followers replicating.
  for (auto& p : status(0).peers)
    CHECK(p.replication == std::string{"replicate"});
  CHECK(board->dropped == 0);
  check_converged(all());
  // A joining node's log follows it from Passive (its configuration does
  // not name it yet) to Follower of the same leader.
  auto lines = log_lines.str();
  for (auto tag : {"B", "C"}) {
    auto passive = lines.find(std::string{"raft-member "} + tag
                              + ": Passive in term 1, leader A");
    auto follower = lines.find(std::string{"raft-member "} + tag
                               + ": Follower in term 1, leader A");
    CHECK(passive != std::string::npos);
    CHECK(follower != std::string::npos);
    CHECK(passive < follower);
  }
}

TEST_CASE_FIXTURE(cluster_fixture, "a peer of another cluster protocol is "
                                   "refused at its hello") {
  form(3);
  auto lead = elected(all());
  REQUIRE(lead == 0);
  auto s = summary(1);
  raft_hello h{raft_protocol_version, s->topology.topology_id, "A", "B",
               nodes[0].url, (tick * 30).count()};
  // The same hello is accepted as it is: only the version differs below.
  CHECK(await(request<std::string>(member(1), h)) == "B");
  h.protocol = raft_protocol_version + 1;
  CHECK(await_error(request<std::string>(member(1), h)) == ec::bad_request);
  h.protocol = 0;
  CHECK(await_error(request<std::string>(member(1), h)) == ec::bad_request);
}
