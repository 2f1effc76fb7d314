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
  auto data = std::string_view{msg_.snap.data.str()};
  while ((!started_ || next_ < total()) && next_ - acked_ < window_bytes_) {
    auto n = std::min(piece_bytes_, total() - next_);
    out.push_back(piece{next_, data.substr(next_, n)});
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

uint64_t snapshot_receiver::take(const node_tag& from, uint64_t id,
                                 uint64_t offset, uint64_t total,
                                 std::string_view bytes,
                                 const message& header) {
  if (offset == 0) {
    reset();
    receiving_ = true;
    from_ = from;
    id_ = id;
    total_ = total;
    header_ = header;
    // The size comes from a peer of the same cluster; still, a damaged
    // one must not allocate at once what it claims.
    constexpr uint64_t max_reserve = uint64_t{1} << 30;
    data_.reserve(std::min(total, max_reserve));
  } else if (!receiving_ || from != from_ || id != id_ || total != total_
             || offset != data_.size()) {
    return 0;
  }
  if (bytes.size() > total_ - data_.size()) {
    reset();
    return 0;
  }
  data_.append(bytes);
  return data_.size();
}

message snapshot_receiver::finish() {
  auto out = std::move(header_);
  out.snap.data = shared_text{std::move(data_)};
  reset();
  return out;
}

void snapshot_receiver::reset() {
  receiving_ = false;
  from_.clear();
  id_ = 0;
  total_ = 0;
  header_ = message{};
  data_ = std::string{};
}

} // namespace corvus::raft
