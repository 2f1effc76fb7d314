// The Raft member's snapshot transfers: a leader sends a follower its
// snapshot in pieces, a window of them ahead of the acknowledgements
// (runtime/raft/snapshot_transfer.hpp), so that a large snapshot never
// holds the connection or the node's network thread for long.
//
// The core asks for the snapshot again once a follower has not answered
// for an election timeout, which a large snapshot outlasts; while the same
// snapshot is still moving towards that follower, the request is dropped.
// A transfer that stopped moving (a lost piece, a follower gone) is dropped
// after snapshot_stall_timeout(), and the core's next request starts over.
// A delivered one is kept until the follower's answers show it installed
// (or, failing that, as long as a stalled one): the follower decodes it
// first and answers the leader meanwhile, and on each of those answers the
// core asks for the snapshot again.
//
// The follower writes each piece to the snapshot's file as it arrives
// (raft_store::snapshot_file) and keeps the finished file mapped, so that
// neither the transfer nor the install holds the snapshot in memory. A
// worker decodes the file before the core installs it
// (raft_member_snapshots.cpp).

#include "actors/cluster/raft_member.hpp"

#include <caf/all.hpp>

namespace corvus {

raft_member_state::clock::duration
raft_member_state::snapshot_stall_timeout() const {
  return 10 * settings.election_ticks * settings.tick_interval;
}

void raft_member_state::send_snapshot(raft::message msg) {
  auto to = msg.to;
  // The core asks again once it is taken (finish_snapshot).
  if (fresher_snapshot_first(msg.snap, to))
    return;
  fresh_snapshot_for.erase(to);
  if (auto i = outgoing_snapshots.find(to);
      i != outgoing_snapshots.end() && i->second.sender.repeats(msg))
    return;
  settings.log->info("raft-member {} sends node {} the snapshot at index {} "
                     "({} bytes)",
                     tag, to, msg.snap.index, msg.snap.data.size());
  raft::snapshot_sender sender{next_snapshot_transfer++, std::move(msg),
                               settings.snapshot_piece_bytes,
                               settings.snapshot_window_pieces};
  outgoing_snapshots.insert_or_assign(
    to, outgoing_snapshot{std::move(sender), now()});
  send_snapshot_pieces(to);
}

void raft_member_state::send_snapshot_pieces(const raft::node_tag& to) {
  auto i = outgoing_snapshots.find(to);
  if (i == outgoing_snapshots.end())
    return;
  auto p = peers.find(to);
  if (p == peers.end() || !p->second.handle()) {
    // Raft asks again; a peer we cannot reach yet loses nothing.
    outgoing_snapshots.erase(i);
    return;
  }
  auto& sender = i->second.sender;
  auto& cluster = core->current_topology().topology_id;
  for (auto& piece : sender.take_pieces())
    self->send(p->second.handle(),
               raft_snapshot_piece{cluster, tag, to, sender.id(),
                                   piece.offset, sender.total(),
                                   piece.offset == 0 ? sender.header()
                                                     : raft::message{},
                                   std::move(piece.bytes)});
}

void raft_member_state::on_snapshot_ack(const raft_snapshot_ack& ack) {
  if (!core || ack.to != tag || of_another_cluster(ack.topology_id))
    return;
  auto i = outgoing_snapshots.find(ack.from);
  if (i == outgoing_snapshots.end()
      || i->second.sender.id() != ack.transfer
      || !i->second.sender.acknowledge(ack.received))
    return;
  i->second.moved = now();
  if (i->second.sender.delivered()) {
    // Kept until the node installed it (expire_snapshot_transfers).
    settings.log->info("raft-member {}: node {} received the snapshot at "
                       "index {}",
                       tag, ack.from, i->second.sender.header().snap.index);
    return;
  }
  send_snapshot_pieces(ack.from);
}

void raft_member_state::on_snapshot_piece(raft_snapshot_piece& piece) {
  if (!core || piece.to != tag || of_another_cluster(piece.topology_id)
      || decoding_snapshot)
    return;
  auto& from = peers[piece.from];
  if (auto sender = self->current_sender())
    from.inbound = caf::actor_cast<raft_peer_actor>(sender);
  auto taken = incoming_snapshot.take(piece.from, piece.transfer, piece.offset,
                                      piece.total, piece.bytes.size(),
                                      piece.header);
  if (!incoming_snapshot.receiving()) {
    drop_incoming_snapshot();
    return;
  }
  if (!taken)
    return;
  incoming_snapshot_moved = now();
  // Each piece goes to the snapshot's file as it arrives; only what is
  // written is acknowledged.
  auto failed = [&](const failure& why) {
    settings.log->error("raft-member {} cannot write the snapshot node {} "
                        "sends: {}; it is sent again when asked for",
                        tag, piece.from, why.message);
    drop_incoming_snapshot();
  };
  if (piece.offset == 0) {
    auto& snap = incoming_snapshot.header().snap;
    auto file = settings.store->begin_snapshot_data(snap.index, snap.term);
    if (!file)
      return failed(file.error());
    incoming_snapshot_file = std::move(*file);
  }
  if (auto written = incoming_snapshot_file->append(piece.bytes.view()); !written)
    return failed(written.error());
  if (incoming_snapshot.received() > 0 && from.handle())
    self->send(from.handle(),
               raft_snapshot_ack{piece.topology_id, tag, piece.from,
                                 piece.transfer, incoming_snapshot.received()});
  if (!incoming_snapshot.complete())
    return;
  auto& snap = incoming_snapshot.header().snap;
  if (auto synced = settings.store->finish_snapshot_data(
        *incoming_snapshot_file);
      !synced)
    return failed(synced.error());
  auto data = settings.store->snapshot_data(snap.index, snap.term);
  if (!data)
    return failed(data.error());
  incoming_snapshot_file.reset();
  decode_then_install(incoming_snapshot.finish(std::move(*data)));
}

void raft_member_state::drop_incoming_snapshot() {
  incoming_snapshot.reset();
  incoming_snapshot_file.reset();
}

void raft_member_state::expire_snapshot_transfers(bool all) {
  if (all)
    fresh_snapshot_for.clear();
  auto now = this->now();
  auto followers = core ? core->followers()
                        : std::vector<raft::follower_status>{};
  auto installed = [&](const raft::node_tag& to, raft::index_t index) {
    for (auto& f : followers)
      if (f.tag == to)
        return f.match >= index;
    return false;
  };
  for (auto i = outgoing_snapshots.begin(); i != outgoing_snapshots.end();) {
    auto& sender = i->second.sender;
    auto stalled = now - i->second.moved > snapshot_stall_timeout();
    if (all || (sender.delivered() && installed(i->first, sender.index()))) {
      i = outgoing_snapshots.erase(i);
    } else if (stalled) {
      if (sender.delivered())
        settings.log->info("raft-member {}: node {} did not install the "
                           "snapshot at index {} it received; it is sent "
                           "again when asked for",
                           tag, i->first, sender.index());
      else
        settings.log->info("raft-member {}: the snapshot for node {} "
                           "stopped at {} of {} bytes; it is sent again "
                           "when asked for",
                           tag, i->first, sender.acknowledged(),
                           sender.total());
      i = outgoing_snapshots.erase(i);
    } else {
      ++i;
    }
  }
  if (incoming_snapshot.receiving()
      && now - incoming_snapshot_moved > snapshot_stall_timeout())
    drop_incoming_snapshot();
}

} // namespace corvus
