// The Raft member's snapshot transfers: a leader sends a follower its
// snapshot in pieces, a window of them ahead of the acknowledgements
// (runtime/raft/snapshot_transfer.hpp), so that a large snapshot never
// holds the connection or the node's network thread for long.
//
// Which of the core's requests start a transfer, and when one is dropped,
// is decided by raft::snapshot_transfers; the member sends the pieces and
// logs what happened.
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
  auto* sender = outgoing_snapshots->start(std::move(msg), now());
  if (sender == nullptr)
    return;
  settings.log->info("raft-member {} sends node {} the snapshot at index {} "
                     "({} bytes)",
                     tag, to, sender->index(), sender->total());
  send_snapshot_pieces(to);
}

void raft_member_state::send_snapshot_pieces(const raft::node_tag& to) {
  auto* sender = outgoing_snapshots->find(to);
  if (sender == nullptr)
    return;
  auto p = peers.find(to);
  if (p == peers.end() || !p->second.handle()) {
    // Raft asks again; a peer we cannot reach yet loses nothing.
    outgoing_snapshots->drop(to);
    return;
  }
  auto& cluster = core->current_topology().topology_id;
  for (auto& piece : sender->take_pieces())
    self->send(p->second.handle(),
               raft_snapshot_piece{cluster, tag, to, sender->id(),
                                   piece.offset, sender->total(),
                                   piece.offset == 0 ? sender->header()
                                                     : raft::message{},
                                   std::move(piece.bytes)});
}

void raft_member_state::on_snapshot_ack(const raft_snapshot_ack& ack) {
  if (!core || ack.to != tag || of_another_cluster(ack.topology_id))
    return;
  auto* sender = outgoing_snapshots->acknowledge(ack.from, ack.transfer,
                                                 ack.received, now());
  if (sender == nullptr)
    return;
  if (sender->delivered()) {
    // Kept until the node installed it (expire_snapshot_transfers).
    settings.log->info("raft-member {}: node {} received the snapshot at "
                       "index {}",
                       tag, ack.from, sender->index());
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
  if (all) {
    fresh_snapshot_for.clear();
    outgoing_snapshots->drop_all();
  }
  auto now = this->now();
  auto followers = core ? core->followers()
                        : std::vector<raft::follower_status>{};
  auto match_of = [&](const raft::node_tag& to)
    -> std::optional<raft::index_t> {
    for (auto& f : followers)
      if (f.tag == to)
        return f.match;
    return std::nullopt;
  };
  for (auto& t : outgoing_snapshots->expire(now, match_of)) {
    if (t.delivered)
      settings.log->info("raft-member {}: node {} did not install the "
                         "snapshot at index {} it received; it is sent "
                         "again when asked for",
                         tag, t.to, t.index);
    else
      settings.log->info("raft-member {}: the snapshot for node {} "
                         "stopped at {} of {} bytes; it is sent again "
                         "when asked for",
                         tag, t.to, t.acknowledged, t.total);
  }
  if (incoming_snapshot.receiving()
      && now - incoming_snapshot_moved > snapshot_stall_timeout())
    drop_incoming_snapshot();
}

} // namespace corvus
