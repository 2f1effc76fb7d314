// raft::core, replication: appends, heartbeats and snapshots to followers
// and their answers, commitment, promotion, and word to removed nodes
// (core.hpp).

#include "runtime/raft/core.hpp"

#include "runtime/raft/assert.hpp"

#include <algorithm>
#include <functional>
#include <limits>

namespace corvus::raft {

void core::handle_append(const message& msg) {
  message reply;
  reply.type = message_type::append_response;
  reply.to = msg.from;
  if (auto matched = log_.merge(msg.index, msg.log_term, msg.entries)) {
    log_.commit_to(std::min(msg.commit, *matched));
    if (msg.quiet && msg.entries.empty())
      return;
    reply.index = *matched;
  } else {
    auto hint = log_.last_index_with_term_at_most(
      std::min(msg.index, log_.last_index()), msg.log_term);
    reply.reject = true;
    reply.index = msg.index;
    reply.reject_hint = hint;
    reply.log_term = log_.term_at(hint).value_or(0);
  }
  send(std::move(reply));
}

void core::handle_heartbeat(const message& msg) {
  log_.commit_to(std::min(msg.commit, log_.last_index()));
  message reply;
  reply.type = message_type::heartbeat_response;
  reply.to = msg.from;
  reply.context = msg.context;
  send(std::move(reply));
}

void core::handle_snapshot(const message& msg) {
  message reply;
  reply.type = message_type::append_response;
  reply.to = msg.from;
  auto& snap = msg.snap;
  if (snap.index <= log_.committed()) {
    reply.index = log_.committed();
  } else if (log_.matches(snap.index, snap.term)) {
    // The log already holds the snapshot's last entry: only the commit
    // index moves.
    log_.commit_to(snap.index);
    reply.index = snap.index;
  } else {
    pending_.discard_through = std::numeric_limits<index_t>::max();
    log_.restore(snap);
    pending_.new_snapshot = snap;
    pending_.installed = true;
    reply.index = snap.index;
  }
  send(std::move(reply));
}

void core::handle_append_response(const message& msg) {
  auto i = progress_.find(msg.from);
  if (i == progress_.end()) {
    // A node whose removal committed before its answer to the removal
    // came: it holds the removal now, so it can apply it.
    if (!msg.reject && removal_committed_for(msg.from)
        && msg.index >= log_.config_index())
      tell_removed(msg.from);
    return;
  }
  auto& pr = i->second;
  pr.recent_active = true;
  pr.silent_ticks = 0;
  if (msg.reject) {
    // Fast back-off (Raft §5.3, etcd): skip every entry of the follower's
    // conflicting term at once.
    auto hint = msg.reject_hint;
    if (msg.log_term > 0)
      hint = log_.last_index_with_term_at_most(hint, msg.log_term);
    if (pr.decrease(msg.index, hint)) {
      if (pr.state == progress_state::replicate)
        pr.become_probe();
      send_append(msg.from, true);
    }
    return;
  }
  if (!pr.update(msg.index))
    return;
  // A removed node that came back (catch_up_removed) holds its removal
  // now. Such a node is followed as a watcher, so members skip the check.
  if (pr.type == membership::watcher && pr.match >= log_.config_index()
      && removal_committed_for(msg.from)) {
    tell_removed(msg.from);
    progress_.erase(i);
    return;
  }
  switch (pr.state) {
    case progress_state::probe:
      pr.become_replicate();
      break;
    case progress_state::snapshot:
      if (pr.match >= pr.pending_snapshot)
        pr.become_probe();
      break;
    case progress_state::replicate:
      pr.acknowledge(msg.index);
      break;
  }
  if (maybe_commit())
    commit_changed_ = true;
  while (send_append(msg.from, false)) {
    // Fill the pipeline.
  }
  maybe_promote();
  if (msg.from == transfer_target_ && pr.match == log_.last_index())
    send_timeout_now(msg.from);
}

void core::handle_heartbeat_response(const message& msg) {
  auto i = progress_.find(msg.from);
  if (i == progress_.end())
    return;
  auto& pr = i->second;
  pr.recent_active = true;
  pr.silent_ticks = 0;
  // Behind: an append, even an empty one, makes a follower whose appends
  // were lost reject it and so reveal where it stands. Once per heartbeat
  // period: an unanswered probe may go again, and a full pipeline frees one
  // slot (its appends may have been lost; if the follower misses entries
  // it rejects the next one and the leader probes back to the match point).
  if (pr.match < log_.last_index() && !pr.heartbeat_released) {
    pr.heartbeat_released = true;
    pr.probe_sent = false;
    if (pr.state == progress_state::replicate
        && pr.paused(cfg_.max_inflight, cfg_.max_inflight_bytes))
      pr.forget_oldest();
    send_append(msg.from, true);
  }
  if (msg.context != 0)
    confirm_reads(msg.from, msg.context);
}

bool core::send_append(const node_tag& to, bool allow_empty) {
  auto& pr = progress_.at(to);
  if (pr.paused(cfg_.max_inflight, cfg_.max_inflight_bytes))
    return false;
  auto prev_term = pr.next > 0 ? log_.term_at(pr.next - 1) : std::nullopt;
  if (pr.next < log_.first_index() || !prev_term) {
    auto& snap = log_.latest_snapshot();
    RAFT_ASSERT(!snap.empty());
    message msg;
    msg.type = message_type::install_snapshot;
    msg.to = to;
    msg.snap = snap;
    pr.become_snapshot(snap.index);
    send(std::move(msg));
    return true;
  }
  message msg;
  msg.type = message_type::append;
  msg.to = to;
  msg.index = pr.next - 1;
  msg.log_term = *prev_term;
  if (pr.next <= log_.last_index())
    msg.entries = log_.slice(pr.next, log_.last_index(),
                             cfg_.max_append_bytes);
  if (msg.entries.empty() && !allow_empty)
    return false;
  msg.commit = log_.committed();
  auto carries_entries = !msg.entries.empty();
  // A commit-only append to a follower known to hold the log up to its
  // index needs no answer when accepted: the answer would only repeat that
  // match. Under a stream of single writes those answers were a quarter of
  // the messages per write. A rejection is still answered, and so is every
  // append that could teach the leader something (a probe, or one sent
  // because answers may have been lost).
  msg.quiet = !carries_entries && pr.state == progress_state::replicate
              && msg.index <= pr.match;
  size_t bytes = 0;
  for (auto& e : msg.entries)
    bytes += e.data.size();
  pr.sent(carries_entries ? msg.entries.back().index : msg.index, bytes);
  send(std::move(msg));
  return carries_entries;
}

void core::broadcast_append() {
  for (auto& [tag, pr] : progress_) {
    auto sent = false;
    while (send_append(tag, false))
      sent = true;
    if (!sent && commit_changed_)
      send_append(tag, true);
  }
}

void core::broadcast_heartbeat(uint64_t context) {
  for (auto& [tag, pr] : progress_) {
    message msg;
    msg.type = message_type::heartbeat;
    msg.to = tag;
    // Never beyond what the follower is known to hold.
    msg.commit = std::min(pr.match, log_.committed());
    msg.context = context;
    send(std::move(msg));
  }
}

bool core::maybe_commit() {
  // The highest index a majority of members holds (§5.3), committed only
  // if it belongs to this term (§5.4.2).
  std::vector<index_t> matches;
  if (is_member(cfg_.id))
    matches.push_back(log_.persisted());
  for (auto& [tag, pr] : progress_)
    if (pr.type == membership::member)
      matches.push_back(pr.match);
  auto quorum = log_.config().quorum();
  if (matches.size() < quorum)
    return false;
  std::sort(matches.begin(), matches.end(), std::greater<>{});
  auto candidate = matches[quorum - 1];
  if (candidate <= log_.committed() || log_.term_at(candidate) != term_)
    return false;
  auto pending_before = topology_change_pending();
  log_.commit_to(candidate);
  if (pending_before && !topology_change_pending()) {
    tell_removed_nodes();
    sync_progress(); // drops the progress of nodes whose removal committed
  }
  if (!deferred_reads_.empty()) {
    auto deferred = std::move(deferred_reads_);
    deferred_reads_.clear();
    for (auto& r : deferred)
      start_read(std::move(r));
  }
  return true;
}

void core::tell_removed_nodes() {
  // Nothing goes to a node once its removal committed, so without this
  // last word it would never apply its removal: it would keep its copies
  // of the cluster's databases and show the old topology. A node that does
  // not hold the removal yet hears it once its answer to the removal comes
  // (handle_append_response), or when it campaigns (NotInTopology).
  for (auto& [tag, pr] : progress_)
    if (removal_committed_for(tag) && pr.match >= log_.config_index())
      tell_removed(tag);
}

void core::catch_up_removed(const node_tag& tag) {
  // A node removed while it was away (down, or cut off) does not hold its
  // removal and campaigns when it is back. Besides NotInTopology it gets
  // the log up to its removal, as a watcher, and then the last word that
  // the removal committed (handle_append_response), so that it applies
  // the removal as a node that was there does. One behind the compacted
  // log gets the snapshot, which holds the state after its removal.
  if (!removal_committed_for(tag) || progress_.count(tag) > 0)
    return;
  auto& pr = progress_[tag];
  pr.type = membership::watcher;
  pr.next = log_.last_index() + 1;
  pr.recent_active = true;
  send_append(tag, true);
}

bool core::removal_committed_for(const node_tag& tag) const {
  return !log_.config().contains(tag) && !topology_change_pending();
}

void core::tell_removed(const node_tag& tag) {
  message msg;
  msg.type = message_type::heartbeat;
  msg.to = tag;
  msg.commit = log_.config_index();
  msg.not_in_topology = true;
  send(std::move(msg));
}

void core::maybe_promote() {
  // Auto-promotion (§1.6 step 4): a promotable that holds everything
  // committed becomes a member, one change at a time.
  if (!topology_change_allowed())
    return;
  for (auto& [tag, pr] : progress_) {
    if (pr.type != membership::promotable || pr.match < log_.committed())
      continue;
    auto next = log_.config();
    auto url = next.promotables.at(tag);
    next.promotables.erase(tag);
    next.members.emplace(tag, url);
    append_topology(next);
    return;
  }
}

void core::send_timeout_now(const node_tag& to) {
  message msg;
  msg.type = message_type::timeout_now;
  msg.to = to;
  send(std::move(msg));
}

} // namespace corvus::raft
