// Whole-node simulation (cluster_fixture.hpp). Snapshots between nodes:
// transfers, fresh snapshots for a node far behind, decoding on a worker,
// damaged and interrupted transfers.

#include "test/actors/cluster/cluster_fixture.hpp"

using namespace corvus;
using namespace corvus::test;
using namespace corvus::test::cluster_sim;

TEST_CASE_FIXTURE(cluster_fixture, "a snapshot reaches a node that fell "
                                   "behind in pieces, never whole, and "
                                   "shows its progress on the way") {
  form(3);
  create_database(0);
  auto pieces_before = board->snapshot_pieces;
  // First the transfer stalls with the window sent and nothing
  // acknowledged: both sides show how far it got.
  auto writes = stall_snapshot_to(2);
  auto leader = elected(all());
  auto leader_tag = status(leader).node_tag;
  auto c_tag = status(2).node_tag;
  // Each node publishes its status now and then.
  REQUIRE(wait_for([&] {
    auto received = transfer(2, leader_tag);
    return received && received->held == 2 * snapshot_piece_bytes
           && transfer(leader, c_tag);
  }));
  auto sent = transfer(leader, c_tag);
  CHECK(sent->sending);
  CHECK_EQ(sent->held, 0u);
  CHECK(sent->size > 2 * snapshot_piece_bytes);
  auto received = transfer(2, leader_tag);
  CHECK_FALSE(received->sending);
  CHECK_EQ(received->size, sent->size);
  CHECK_EQ(received->index, sent->index);
  // The console's raft view shows the same.
  auto c_state = value_of(ask<std::string>(member(2), atom::snapshot_v));
  CHECK(c_state.find("\"SnapshotTransfers\":\"from " + leader_tag + ": "
                     + std::to_string(2 * snapshot_piece_bytes) + " of "
                     + std::to_string(sent->size) + " bytes\"")
        != std::string::npos);
  // Then it is dropped as stalled, sent again, and delivered.
  board->lose_snapshot_acks = false;
  REQUIRE(applies(2, writes.back().raft_index, 30s));
  CHECK(wait_for([&] {
    return !transfer(leader, c_tag) && !transfer(2, leader_tag);
  }));
  CHECK(board->snapshot_pieces - pieces_before > 2);
  CHECK(board->largest_snapshot_piece == snapshot_piece_bytes);
  CHECK(board->whole_snapshots == 0);
  CHECK(read_done(2, "users/0")->entry.index == writes.front().raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a snapshot transfer cut short by a "
                                   "leader change gives way to the new "
                                   "leader's snapshot") {
  form(3);
  create_database(0);
  auto writes = stall_snapshot_to(2);
  auto old = elected(all());
  REQUIRE(old != 2);
  auto old_tag = status(old).node_tag;
  REQUIRE(wait_for([&] {
    auto received = transfer(2, old_tag);
    return received && received->held == 2 * snapshot_piece_bytes;
  }));
  // The leader is cut off with its transfer half way: node 2 cannot win
  // without the entries it lacks, so the other follower leads.
  partition({old});
  board->lose_snapshot_acks = false;
  auto fresh = elected(all_but(old));
  REQUIRE(fresh != 2);
  // A write commits only once node 2 holds it, so this one waits for the
  // new leader's snapshot to arrive and be installed.
  auto after = await(put_cx(fresh, "after", R"({"n":1})"), 30s);
  REQUIRE(applies(2, after.raft_index));
  CHECK_FALSE(transfer(2, old_tag));
  CHECK(read_done(2, "users/0")->entry.index == writes.front().raft_index);
  heal();
  REQUIRE(wait_for([&] { return leader_of(all()) == fresh; }));
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a node sent a snapshot gets a fresh "
                                   "one when the latest is far behind") {
  form(3);
  create_database(0);
  stop(2);
  // Node 2 misses entries that its peers' snapshots then compact away.
  write_values(0, 0, 12);
  // From now on the periodic snapshots never come, so the latest one
  // stays where it is while as much again is written.
  snapshot_every = 1'000'000;
  stop(0);
  stop(1);
  start(0);
  start(1);
  auto leader = elected({0, 1});
  auto old_snapshot = latest_snapshot(leader);
  REQUIRE(old_snapshot > 0);
  auto writes = write_values(leader, 12, 24);
  // While node 2 is down nobody takes a fresh snapshot for it: the core
  // asks for a node's snapshot when the node rejects an append, or when a
  // new snapshot compacted away the entries it needs next (a fresh one
  // then), never as the latest ages.
  pass(2s);
  CHECK_EQ(latest_snapshot(leader), old_snapshot);
  start(2);
  // Once the fresh snapshot is taken, the leader sends it at once, rather
  // than when its core would ask again (an election timeout, 300 ms, on).
  REQUIRE(applies(2, writes.back().raft_index, 400ms));
  // The snapshot it got was taken for it, past every write.
  CHECK(latest_snapshot(leader) >= writes.back().raft_index);
  CHECK(latest_snapshot(2) >= writes.back().raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a node decoding a snapshot answers its "
                                   "leader meanwhile and is not sent it "
                                   "again") {
  form(3);
  create_database(0);
  auto leader = elected(all());
  auto follower = leader == 0 ? 1 : 0;
  auto behind = 3 - leader - follower;
  stop(behind);
  auto writes = write_values(leader, 0, 12);
  // The snapshot arrives whole; its decoder waits.
  held = is_snapshot_decoder;
  start(behind);
  REQUIRE(wait_for([&] { return waiting(is_snapshot_decoder); }));
  auto pieces = board->snapshot_pieces;
  auto lead = status(leader);
  // Now the leader's only majority is with the node decoding: it keeps
  // hearing from it, three election timeouts long, and sends nothing again.
  stop(follower);
  pass(1s);
  CHECK(status(leader).state == "Leader");
  CHECK(status(leader).term == lead.term);
  CHECK(board->snapshot_pieces == pieces);
  CHECK(status(behind).applied < writes.back().raft_index);
  auto behind_tag = status(behind).node_tag;
  auto sent = transfer(leader, behind_tag);
  REQUIRE(sent);
  CHECK(sent->held == sent->size);
  auto received = transfer(behind, lead.node_tag);
  REQUIRE(received);
  CHECK(received->installing);
  CHECK(received->held == received->size);
  CHECK(value_of(ask<std::string>(member(behind), atom::snapshot_v))
          .find(std::to_string(sent->size) + " bytes, installing")
        != std::string::npos);
  held = nullptr;
  REQUIRE(applies(behind, writes.back().raft_index));
  CHECK(read_done(behind, "users/0")->entry.index
        == writes.front().raft_index);
  // The two commit together.
  auto after = await(put_cx(leader, "after", R"({"n":1})"));
  CHECK(after.raft_index > writes.back().raft_index);
  CHECK(wait_for([&] {
    return !transfer(leader, behind_tag) && !transfer(behind, lead.node_tag);
  }));
  start(follower);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a node's own snapshot finished while it "
                                   "decodes a newer one leaves that one's "
                                   "file") {
  // Node 2 takes no snapshot of its own until it restarts.
  snapshot_every_of[2] = 1'000'000;
  form(3);
  create_database(0);
  auto leader = elected(all());
  REQUIRE(leader != 2);
  write_values(leader, 0, 6);
  stop(2);
  auto writes = write_values(leader, 6, 18);
  // It restarts with a snapshot of what it holds due at once, whose writer
  // waits; then the leader's snapshot arrives, and its decoder waits.
  snapshot_every_of[2] = 4;
  held = [](caf::resumable& job) {
    return is_snapshot_writer(job) || is_snapshot_decoder(job);
  };
  start(2);
  REQUIRE(wait_for([&] {
    return waiting(is_snapshot_writer) && waiting(is_snapshot_decoder);
  }));
  // Its own snapshot is written first. Recording it would remove the file
  // of the one being decoded (a store keeps its latest snapshot's only),
  // which the install would then write again from memory: a gigabyte, on
  // the member's thread.
  held = is_snapshot_decoder;
  run();
  CHECK_FALSE(waiting(is_snapshot_writer));
  pass(1s); // a status is published
  auto decoding = transfer(2, status(leader).node_tag);
  REQUIRE(decoding);
  REQUIRE(decoding->installing);
  CHECK_EQ(raft_files(2, "snapshot-" + std::to_string(decoding->index) + "-")
             .size(),
           1u);
  held = nullptr;
  REQUIRE(applies(2, writes.back().raft_index));
  // The node starts again from what it installed.
  stop(2);
  start(2);
  CHECK(status(2).applied >= static_cast<raft::index_t>(
                                writes.back().raft_index));
  CHECK(read_done(2, "users/17")->entry.index == writes.back().raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a snapshot that arrives unreadable is "
                                   "dropped, and sent again") {
  form(3);
  create_database(0);
  auto leader = elected(all());
  auto behind = leader == 2 ? 1 : 2;
  stop(behind);
  auto writes = write_values(leader, 0, 12);
  board->damage_snapshots = true;
  start(behind);
  auto node = member(behind);
  REQUIRE(wait_for([&] { return board->damaged_snapshots > 0; }));
  pass(1s);
  CHECK_EQ(board->damaged_snapshots, 1u);
  CHECK(status(behind).applied < writes.back().raft_index);
  // The leader holds it as delivered until it stalls (ten election
  // timeouts), then sends it again when its core asks.
  board->damage_snapshots = false;
  REQUIRE(applies(behind, writes.back().raft_index, 5s));
  // The node's member carried on throughout.
  CHECK(member(behind) == node);
  CHECK(read_done(behind, "users/11")->entry.index
        == writes.back().raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a node stopped while a snapshot comes "
                                   "in keeps no part of it and gets it "
                                   "whole later") {
  form(3);
  create_database(0);
  auto writes = stall_snapshot_to(2);
  auto leader_tag = status(elected(all())).node_tag;
  REQUIRE(wait_for([&] {
    auto received = transfer(2, leader_tag);
    return received && received->held > 0;
  }));
  // The pieces so far are in a file of their own, not yet the snapshot's.
  CHECK_EQ(raft_files(2, "partial-").size(), 1u);
  stop(2);
  CHECK(raft_files(2, "partial-").empty());
  board->lose_snapshot_acks = false;
  start(2);
  REQUIRE(applies(2, writes.back().raft_index, 30s));
  CHECK(raft_files(2, "partial-").empty());
  CHECK_FALSE(raft_files(2, "snapshot-").empty());
  CHECK(read_done(2, "users/11")->entry.index == writes.back().raft_index);
  check_converged(all());
}
