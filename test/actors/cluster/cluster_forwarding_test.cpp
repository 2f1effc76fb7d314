// Whole-node simulation (cluster_fixture.hpp). What a follower passes on to the
// leader: database creations, compare-exchange commands and reads, topology
// changes, and what happens when the leader's answer is lost.

#include "test/actors/cluster/cluster_fixture.hpp"

using namespace corvus;
using namespace corvus::test;
using namespace corvus::test::cluster_sim;

TEST_CASE_FIXTURE(cluster_fixture, "a database created through a follower "
                                   "starts on all three nodes") {
  form(3);
  auto created = create_database(2, "first-try");
  CHECK(created.record.topology.members.size() == 3);
  CHECK(created.node_urls.size() == 3);
  for (auto i : all()) {
    auto snapshot = nodes[i].directory->current();
    CHECK(snapshot->cluster->find_database("orders") != nullptr);
    auto inst = snapshot->databases.find("orders");
    REQUIRE(inst != snapshot->databases.end());
    CHECK(inst->second->ready());
    CHECK(inst->second->name == "Orders");
  }
  // A client that lost the answer sends the same request again, perhaps
  // to another node: it gets the first answer.
  auto retried = create_database(0, "first-try");
  CHECK(retried.index == created.index);
  CHECK(retried.record.topology.members == created.record.topology.members);
  // A second creation of the same name fails, wherever it is asked.
  CHECK(await_error(request<database_created>(
          nodes[1].actor, creation_of("ORDERS", "second")))
        == ec::database_already_exists);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "compare-exchange through a follower is "
                                   "forwarded; a follower's linearizable "
                                   "read sees the leader's latest write") {
  form(3);
  create_database(0);
  auto lead = elected(all());
  REQUIRE(lead == 0);
  // Proposed on follower B: forwarded to A, answered once applied on B.
  auto first = await(put_cx(1, "users/1", R"({"n":1})"));
  auto r1 = cx_result(first);
  CHECK(r1.successful);
  CHECK(r1.index == first.raft_index);
  // A stale index loses, wherever it comes from.
  auto stale = cx_result(await(put_cx(2, "users/1", R"({"n":9})", 1)));
  CHECK_FALSE(stale.successful);
  CHECK(stale.index == first.raft_index);
  // C hears nothing from A while A commits the next write with B.
  board->cuts.insert({0, 2});
  auto second = await(put_cx(0, "users/1", R"({"n":2})", first.raft_index));
  CHECK(cx_result(second).successful);
  CHECK(read_done(0, "users/1")->entry.index == second.raft_index);
  // C's own state is behind; a linearizable read on C still sees the
  // write once the link is back.
  auto c_state = value_of(ask<std::string>(member(2), atom::snapshot_v));
  CHECK(c_state.find("\"Applied\":" + std::to_string(second.raft_index))
        == std::string::npos);
  board->cuts.clear();
  auto seen = read_cx(2, "users/1");
  REQUIRE(wait_for([&] { return seen->done; }));
  REQUIRE_FALSE(seen->error);
  CHECK(seen->entry.index == second.raft_index);
  CHECK(seen->entry.value == R"({"Object":{"n":2}})");
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a command forwarded by a follower "
                                   "whose answer is lost is asked again "
                                   "and applies once") {
  form(3);
  create_database(0);
  auto lead = elected(all());
  auto via = (lead + 1) % 3;
  auto dropped = board->dropped;
  board->lose_forward_answers = 1;
  auto put = put_cx(via, "once", R"({"n":1})");
  // The leader applies the command; its answer is lost on the way back.
  REQUIRE(wait_for([&] { return board->lose_forward_answers == 0; }));
  CHECK(board->dropped == dropped + 1);
  auto first = read_done(lead, "once")->entry.index;
  CHECK(first > 0);
  // The follower asks again after an attempt's time (three election
  // timeouts); the leader answers from its request history.
  pass(500ms);
  CHECK_FALSE(put->has_value());
  auto reply = await(put);
  auto result = cx_result(reply);
  // Applied a second time, the put (expecting no value) would have failed.
  CHECK(result.successful);
  CHECK(result.index == first);
  CHECK(read_done(via, "once")->entry.index == first);
  CHECK(board->dropped == dropped + 1);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a topology change forwarded by a "
                                   "follower whose answer is lost is found "
                                   "done when asked again") {
  form(3);
  auto lead = elected(all());
  auto via = (lead + 1) % 3;
  auto demoted_tag = status((lead + 2) % 3).node_tag;
  board->lose_forward_answers = 1;
  auto demoted = change_node(via, topology_request::kind::demote,
                             demoted_tag);
  REQUIRE(wait_for([&] { return board->lose_forward_answers == 0; }));
  REQUIRE(wait_for([&] {
    return summary(lead)->topology.watchers.count(demoted_tag) > 0;
  }));
  auto changed_at = status(lead).last_index;
  pass(500ms);
  CHECK_FALSE(demoted->has_value());
  // Asked again, the leader finds the node a watcher already: the change
  // is answered as done, not refused ("node C is a watcher"), and made
  // once.
  CHECK(await(demoted) == static_cast<int64_t>(changed_at));
  CHECK(status(lead).last_index == changed_at);
  check_converged(all());
}
