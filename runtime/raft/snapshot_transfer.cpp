#include "runtime/raft/snapshot_transfer.hpp"

#include <algorithm>
#include <utility>

namespace corvus::raft {

snapshot_sender::snapshot_sender(uint64_t id, message msg, size_t piece_bytes,
                                 size_t window_pieces)
  : id_(id),
    msg_(std::move(msg)),
    piece_bytes_(std::max<size_t>(piece_bytes, 1)),
    window_bytes_(piece_bytes_ * std::max<size_t>(window_pieces, 1)) {
  // nop
}

message snapshot_sender::header() const {
  auto out = msg_;
  out.snap.data = shared_text{};
  return out;
}

std::vector<snapshot_sender::piece> snapshot_sender::take_pieces() {
  std::vector<piece> out;
  auto& data = msg_.snap.data;
  while ((!started_ || next_ < total()) && next_ - acked_ < window_bytes_) {
    auto n = std::min(piece_bytes_, total() - next_);
    out.push_back(piece{next_, data.part(data.view().substr(next_, n))});
    next_ += n;
    started_ = true;
  }
  return out;
}

bool snapshot_sender::acknowledge(uint64_t received) {
  if (!started_ || received < acked_ || received > next_)
    return false;
  acked_ = received;
  return true;
}

bool snapshot_sender::repeats(const message& msg) const {
  return msg.type == message_type::install_snapshot && msg.to == msg_.to
         && msg.term == msg_.term && msg.snap.index == msg_.snap.index
         && msg.snap.term == msg_.snap.term;
}

snapshot_transfers::snapshot_transfers(size_t piece_bytes,
                                       size_t window_pieces,
                                       duration stall_timeout)
  : piece_bytes_(piece_bytes),
    window_pieces_(window_pieces),
    stall_timeout_(stall_timeout) {
  // nop
}

snapshot_sender* snapshot_transfers::start(message msg, time_point now) {
  auto to = msg.to;
  if (auto i = transfers_.find(to);
      i != transfers_.end() && i->second.sender.repeats(msg))
    return nullptr;
  auto [i, added] = transfers_.insert_or_assign(
    to, transfer{snapshot_sender{next_id_++, std::move(msg), piece_bytes_,
                                 window_pieces_},
                 now});
  return &i->second.sender;
}

snapshot_sender* snapshot_transfers::find(const node_tag& to) {
  auto i = transfers_.find(to);
  return i == transfers_.end() ? nullptr : &i->second.sender;
}

const snapshot_sender* snapshot_transfers::find(const node_tag& to) const {
  auto i = transfers_.find(to);
  return i == transfers_.end() ? nullptr : &i->second.sender;
}

snapshot_sender* snapshot_transfers::acknowledge(const node_tag& from,
                                                 uint64_t id,
                                                 uint64_t received,
                                                 time_point now) {
  auto i = transfers_.find(from);
  if (i == transfers_.end() || i->second.sender.id() != id
      || !i->second.sender.acknowledge(received))
    return nullptr;
  i->second.moved = now;
  return &i->second.sender;
}

void snapshot_transfers::drop(const node_tag& to) {
  transfers_.erase(to);
}

void snapshot_transfers::drop_all() {
  transfers_.clear();
}

std::vector<snapshot_transfers::stalled> snapshot_transfers::expire(
  time_point now,
  const std::function<std::optional<index_t>(const node_tag&)>& match_of) {
  std::vector<stalled> out;
  for (auto i = transfers_.begin(); i != transfers_.end();) {
    auto& sender = i->second.sender;
    auto match = match_of(i->first);
    if (!match || (sender.delivered() && *match >= sender.index())) {
      i = transfers_.erase(i);
    } else if (now - i->second.moved > stall_timeout_) {
      out.push_back(stalled{i->first, sender.index(), sender.delivered(),
                            sender.acknowledged(), sender.total()});
      i = transfers_.erase(i);
    } else {
      ++i;
    }
  }
  return out;
}

bool snapshot_receiver::take(const node_tag& from, uint64_t id,
                             uint64_t offset, uint64_t total, uint64_t size,
                             const message& header) {
  if (offset == 0) {
    reset();
    receiving_ = true;
    from_ = from;
    id_ = id;
    total_ = total;
    header_ = header;
  } else if (!receiving_ || from != from_ || id != id_ || total != total_
             || offset != received_) {
    return false;
  }
  if (size > total_ - received_) {
    reset();
    return false;
  }
  received_ += size;
  return true;
}

message snapshot_receiver::finish(shared_text data) {
  auto out = std::move(header_);
  out.snap.data = std::move(data);
  reset();
  return out;
}

void snapshot_receiver::reset() {
  receiving_ = false;
  from_.clear();
  id_ = 0;
  total_ = 0;
  received_ = 0;
  header_ = message{};
}

} // namespace corvus::raft
