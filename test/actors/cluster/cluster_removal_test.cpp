// Whole-node simulation (cluster_fixture.hpp). A node removed from the cluster
// while it was down: what it learns, and what it may no longer do.

#include "test/actors/cluster/cluster_fixture.hpp"

using namespace corvus;
using namespace corvus::test;
using namespace corvus::test::cluster_sim;

TEST_CASE_FIXTURE(cluster_fixture, "a node removed while down learns its "
                                   "removal from the snapshot alone when "
                                   "the leader's word is lost, names no "
                                   "leader and takes no cluster command") {
  capture_log();
  form(3);
  // It gets the snapshot, as a watcher.
  auto [gone, gone_tag, leader, removal] = remove_while_down();
  auto rest = all_but(gone);
  board->lose_removal_notices = true;
  auto dropped_before = board->dropped;
  auto log_before = log_lines.str().size();
  start(gone);
  // Asked before it learns its removal, a wait for an index it will never
  // apply ends with the removal, not with its deadline.
  auto early_wait = request<int64_t>(member(gone), atom::wait_v,
                                     static_cast<int64_t>(
                                       status(leader).last_index + 50));
  REQUIRE(wait_for([&] {
    return status(gone).state == "Passive"
           && summary(gone)->topology.members.count(gone_tag) == 0
           && status(gone).applied >= static_cast<raft::index_t>(removal);
  }));
  CHECK(await_error(early_wait, 100ms) == ec::bad_request);
  CHECK(status(gone).leader.empty());
  // Out of the cluster it stays quiet: no campaign disturbs the others.
  pass(1s);
  CHECK(board->dropped > dropped_before);
  CHECK(status(gone).state == "Passive");
  CHECK(status(gone).leader.empty());
  CHECK(leader_of(rest) == leader);
  // It refuses cluster commands, topology changes and reads at once, where
  // it forwarded them to the leader it still knew (which applied them).
  auto leader_log = status(leader).last_index;
  auto refused = put_cx(gone, "after", R"({"n":1})");
  CHECK(await_error(refused, 100ms) == ec::bad_request);
  auto change = change_node(gone, topology_request::kind::demote,
                            status(leader).node_tag);
  CHECK(await_error(change, 100ms) == ec::bad_request);
  auto read = read_cx(gone, "users/0");
  REQUIRE(wait_for([&] { return read->done; }, 100ms));
  REQUIRE(read->error);
  CHECK(read->error->code == ec::bad_request);
  // A wait is refused as it arrives, without a tick.
  auto wait = request<int64_t>(member(gone), atom::wait_v,
                               static_cast<int64_t>(leader_log + 1));
  CHECK(await_error(wait, 0ms) == ec::bad_request);
  // And so are leadership requests, where a reelect went to the old leader
  // (which handed over) and a timeout was answered as done.
  auto leader_term = status(leader).term;
  auto reelect = request<void>(member(gone), atom::reelect_v);
  CHECK(await_error(reelect, 0ms) == ec::bad_request);
  CHECK(to_failure(std::get<caf::error>(**reelect)).message.find(
          "was removed from its cluster")
        != std::string::npos);
  CHECK(await_error(request<void>(member(gone), atom::election_timeout_v),
                    0ms)
        == ec::bad_request);
  // Past the time a transfer stalls in: the leader sent its latest
  // snapshot (no fresh one just for a node that only has to learn its
  // removal) and did not take the node's silence for a failed install.
  pass(3500ms);
  CHECK(status(leader).last_index == leader_log);
  CHECK(summary(leader)->topology.watchers.empty());
  CHECK(leader_of(rest) == leader);
  CHECK(status(leader).term == leader_term);
  auto lines = log_lines.str().substr(log_before);
  CHECK(lines.find("sends node " + gone_tag + " the snapshot")
        != std::string::npos);
  CHECK(lines.find("a fresh one is taken first") == std::string::npos);
  CHECK(lines.find("did not install") == std::string::npos);
}

TEST_CASE_FIXTURE(cluster_fixture, "a node removed while down that hears "
                                   "from the leader before it learns its "
                                   "removal has its forwards and its "
                                   "reelect refused") {
  capture_log();
  form(3);
  create_database(0);
  auto [gone, gone_tag, leader, removal] = remove_while_down();
  auto leader_tag = status(leader).node_tag;
  // The snapshot that would tell it never completes, while the leader's
  // catching up makes it a follower that knows its leader.
  board->lose_snapshot_acks = true;
  start(gone);
  REQUIRE(wait_for([&] { return status(gone).leader == leader_tag; }));
  REQUIRE(status(gone).state == "Follower");
  auto leader_log = read_done(leader, "-")->last_index;
  auto leader_term = status(leader).term;
  CHECK(await_error(request<void>(member(gone), atom::reelect_v), 1s)
        == ec::bad_request);
  auto put = put_cx(gone, "stray", R"({"n":1})");
  CHECK(await_error(put, 1s) == ec::bad_request);
  auto other = all_but(gone).front() == leader ? all_but(gone).back()
                                               : all_but(gone).front();
  auto change = change_node(gone, topology_request::kind::demote,
                            status(other).node_tag);
  CHECK(await_error(change, 1s) == ec::bad_request);
  pass(500ms);
  CHECK(leader_of(all_but(gone)) == leader);
  CHECK(status(leader).term == leader_term);
  auto after = read_done(leader, "stray");
  CHECK(after->entry.index == -1);
  CHECK(after->last_index == leader_log);
  CHECK(summary(leader)->topology.watchers.empty());
  // Once the snapshot gets through, the node learns its removal.
  board->lose_snapshot_acks = false;
  REQUIRE(wait_for([&] {
    return status(gone).state == "Passive"
           && summary(gone)->topology.members.count(gone_tag) == 0;
  }, 10s));
  // Out of the cluster it follows nobody, so the leader's silence since
  // is nothing to report.
  pass(1s);
  auto lines = log_lines.str();
  CHECK(lines.find("raft-member " + gone_tag + ": Passive in term "
                   + std::to_string(leader_term) + ", leader unknown")
        != std::string::npos);
  CHECK(lines.find("raft-member " + gone_tag + ": no word from leader")
        == std::string::npos);
}
