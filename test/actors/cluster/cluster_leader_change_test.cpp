// Whole-node simulation (cluster_fixture.hpp). Leaders lost and replaced:
// partitions, a leader that cannot send, restarts, a follower's record of its
// leader's silence, five nodes split.

#include "test/actors/cluster/cluster_fixture.hpp"

using namespace corvus;
using namespace corvus::test;
using namespace corvus::test::cluster_sim;

TEST_CASE_FIXTURE(cluster_fixture, "a leader partitioned away steps down; "
                                   "the majority goes on, the minority "
                                   "fails; after healing all converge") {
  form(3);
  create_database(0);
  auto old = elected(all());
  auto old_term = status(old).term;
  auto majority = all_but(old);
  partition({old});
  // Proposed on the old leader just after the cut: it can never commit.
  auto stranded = put_cx(old, "stranded", R"({"n":0})");
  auto fresh = elected(majority);
  CHECK(fresh != old);
  CHECK(status(fresh).term > old_term);
  // Without a majority answering within T, the old leader steps down.
  REQUIRE(wait_for([&] { return status(old).state != "Leader"; }, 1s));
  // The majority commits, through its leader and its follower.
  auto w1 = await(put_cx(fresh, "majority/1", R"({"n":1})"));
  auto w2 = await(put_cx(majority[0] == fresh ? majority[1] : majority[0],
                         "majority/2", R"({"n":2})"));
  CHECK(w2.raft_index > w1.raft_index);
  // The minority finds no leader within the operation timeout.
  auto lost = put_cx(old, "minority", R"({"n":3})");
  pass(operation_timeout - 200ms);
  CHECK_FALSE(lost->has_value());
  CHECK(await_error(lost, 1s) == ec::no_leader);
  // Heal: the old leader follows the new one; its uncommitted entry is
  // replaced by the new leader's log.
  heal();
  REQUIRE(wait_for([&] { return leader_of(all()) == fresh; }));
  CHECK(await_error(stranded) == ec::not_leader);
  CHECK(read_done(old, "majority/2")->entry.index == w2.raft_index);
  CHECK(read_done(old, "stranded")->entry.index == -1);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a command whose entry a new leader "
                                   "replaces is submitted again and applies "
                                   "once") {
  form(3);
  create_database(0);
  auto old = elected(all());
  auto majority = all_but(old);
  partition({old});
  // Accepted by the old leader, which can no longer reach anyone.
  auto stranded = put_cx(old, "stranded", R"({"n":0})");
  auto fresh = elected(majority);
  CHECK(fresh != old);
  // Healed well within the operation timeout: the new leader's log
  // replaces the entry, and the old leader submits the command again.
  heal();
  auto reply = await(stranded);
  CHECK(reply.raft_index > 0);
  CHECK(leader_of(all()) == fresh);
  auto read = read_done(fresh, "stranded");
  CHECK(read->entry.index == reply.raft_index);
  CHECK(read->entry.value == R"({"Object":{"n":0}})");
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a leader that cannot send is replaced; "
                                   "it still follows what it hears") {
  form(3);
  create_database(0);
  auto old = elected(all());
  std::vector<size_t> others;
  for (auto i : all())
    if (i != old) {
      others.push_back(i);
      board->cuts.insert({old, i});
    }
  auto fresh = elected(others);
  CHECK(fresh != old);
  // The new leader's higher term reaches the old one, which follows it.
  REQUIRE(wait_for([&] {
    auto st = status(old);
    return st.state != "Leader" && st.leader == status(fresh).node_tag;
  }));
  // The majority commits without it. (The old leader may not apply this:
  // a leader only tells a follower about commits up to the follower's
  // acknowledged match, and its acknowledgements are lost.)
  auto w = await(put_cx(fresh, "one-way", R"({"n":1})"));
  CHECK(cx_result(w).successful);
  // What it forwards is lost on the way: no leader within the timeout.
  CHECK(await_error(put_cx(old, "one-way/2", R"({"n":2})"),
                    operation_timeout + 1s)
        == ec::no_leader);
  heal();
  CHECK(read_done(old, "one-way")->entry.index == w.raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a node restarted on its stores catches "
                                   "up with what it missed") {
  form(3);
  create_database(0);
  auto before = await(put_cx(1, "users/1", R"({"n":1})"));
  stop(2);
  // A and B go on without C.
  auto while_down = await(put_cx(1, "users/2", R"({"n":2})"));
  auto overwrite = await(put_cx(0, "users/1", R"({"n":3})",
                                before.raft_index));
  CHECK(cx_result(overwrite).successful);
  CHECK(while_down.raft_index > before.raft_index);
  start(2);
  // It comes back as C, with its database, and catches up.
  CHECK(status(2).node_tag == "C");
  auto inst = nodes[2].directory->current()->databases.find("orders");
  REQUIRE(inst != nodes[2].directory->current()->databases.end());
  CHECK(inst->second->ready());
  REQUIRE(applies(2, overwrite.raft_index));
  auto seen = read_done(2, "users/1");
  CHECK(seen->entry.index == overwrite.raft_index);
  CHECK(read_done(2, "users/2")->entry.index == while_down.raft_index);
  // The leader's links reconnected to the new incarnation.
  REQUIRE(wait_for([&] {
    for (auto& p : status(0).peers)
      if (!p.connected)
        return false;
    return true;
  }));
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a follower logs how long its leader "
                                   "was silent") {
  capture_log();
  form(3);
  auto leader = elected(all());
  auto follower = leader == 0 ? 1 : 0;
  auto lead = status(leader);
  auto tag = status(follower).node_tag;
  pass(1s);
  CHECK(log_lines.str().find("no word from leader") == std::string::npos);
  // Longer than one and a half heartbeat periods, shorter than a
  // follower's election timeout.
  board->cuts.insert({leader, follower});
  REQUIRE(wait_for(
    [&] {
      return log_lines.str().find("raft-member " + tag
                                  + ": no word from leader " + lead.node_tag
                                  + " for 1")
             != std::string::npos;
    },
    190ms));
  heal();
  pass(200ms);
  CHECK(status(leader).term == lead.term);
  CHECK(log_lines.str().find("raft-member " + tag + ": heard from leader "
                             + lead.node_tag + " again after ")
        != std::string::npos);
}

TEST_CASE_FIXTURE(cluster_fixture, "a restarted leader hands over and "
                                   "rejoins as follower") {
  form(3);
  create_database(1);
  auto old = elected(all());
  auto w1 = await(put_cx(old, "k", R"({"n":1})"));
  stop(old);
  std::vector<size_t> rest;
  for (auto i : all())
    if (i != old)
      rest.push_back(i);
  auto fresh = elected(rest);
  auto w2 = await(put_cx(fresh, "k", R"({"n":2})", w1.raft_index));
  CHECK(cx_result(w2).successful);
  start(old);
  REQUIRE(wait_for([&] { return leader_of(all()) == fresh; }));
  CHECK(read_done(old, "k")->entry.index == w2.raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "five nodes: a minority with the leader "
                                   "loses it, the majority elects, healing "
                                   "converges") {
  form(5);
  create_database(3);
  auto old = elected(all());
  // The leader and one follower on one side, three nodes on the other.
  auto buddy = (old + 1) % 5;
  partition({old, buddy});
  std::vector<size_t> majority;
  for (auto i : all())
    if (i != old && i != buddy)
      majority.push_back(i);
  auto fresh = elected(majority);
  auto w = await(put_cx(majority[0], "five", R"({"n":5})"));
  CHECK(cx_result(w).successful);
  CHECK(await_error(put_cx(buddy, "nope", R"({"n":0})"),
                    operation_timeout + 1s)
        == ec::no_leader);
  heal();
  REQUIRE(wait_for([&] { return leader_of(all()) == fresh; }));
  CHECK(read_done(buddy, "five")->entry.index == w.raft_index);
  check_converged(all());
}
