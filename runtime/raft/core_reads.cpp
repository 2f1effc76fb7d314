// raft::core, linearizable reads: read-index rounds confirmed by a
// majority of heartbeat answers (core.hpp).

#include "runtime/raft/core.hpp"

#include <algorithm>

namespace corvus::raft {

void core::start_read(pending_read read) {
  if (!committed_in_term()) {
    // No entry of this term is committed yet: the commit index may lag
    // behind what earlier leaders committed (§6.4). Wait for the no-op.
    deferred_reads_.push_back(std::move(read));
    return;
  }
  read.index = log_.committed();
  if (log_.config().quorum() <= 1) {
    resolve_read(read);
    return;
  }
  if (!read_round_open_) {
    read_rounds_.push_back(read_round{next_read_round_++, {}, {}});
    read_round_open_ = true;
  }
  // Reads asked in the same turn share one heartbeat round.
  read_rounds_.back().reads.push_back(std::move(read));
}

void core::confirm_reads(const node_tag& from, uint64_t round) {
  if (!is_member(from))
    return;
  // An answer to round r confirms leadership after every read of rounds up
  // to r arrived.
  for (auto& r : read_rounds_)
    if (r.id <= round
        && std::find(r.acks.begin(), r.acks.end(), from) == r.acks.end())
      r.acks.push_back(from);
  auto quorum = log_.config().quorum();
  auto self = is_member(cfg_.id) ? size_t{1} : size_t{0};
  while (!read_rounds_.empty()
         && read_rounds_.front().acks.size() + self >= quorum) {
    for (auto& r : read_rounds_.front().reads)
      resolve_read(r);
    read_rounds_.pop_front();
  }
}

void core::resolve_read(const pending_read& read) {
  if (read.requester == cfg_.id) {
    pending_.read_states.push_back(read_state{read.context, read.index});
    return;
  }
  message msg;
  msg.type = message_type::read_index_response;
  msg.to = read.requester;
  msg.context = read.context;
  msg.index = read.index;
  send(std::move(msg));
}

void core::handle_read_index(const message& msg) {
  if (role_ != role::leader)
    return refuse_read(msg.from, msg.context);
  start_read(pending_read{msg.from, msg.context, 0});
}

void core::refuse_read(const node_tag& requester, uint64_t context) {
  message msg;
  msg.type = message_type::read_index_response;
  msg.to = requester;
  msg.context = context;
  msg.reject = true;
  send(std::move(msg));
}

void core::handle_read_index_response(const message& msg) {
  auto i = forwarded_reads_.find(msg.context);
  if (i == forwarded_reads_.end())
    return;
  forwarded_reads_.erase(i);
  if (msg.reject)
    pending_.dropped_reads.push_back(msg.context);
  else
    pending_.read_states.push_back(read_state{msg.context, msg.index});
}

void core::drop_pending_reads() {
  auto fail = [this](const pending_read& r) {
    if (r.requester == cfg_.id)
      pending_.dropped_reads.push_back(r.context);
    else
      refuse_read(r.requester, r.context);
  };
  for (auto& round : read_rounds_)
    for (auto& r : round.reads)
      fail(r);
  for (auto& r : deferred_reads_)
    fail(r);
  read_rounds_.clear();
  deferred_reads_.clear();
  read_round_open_ = false;
}

} // namespace corvus::raft
