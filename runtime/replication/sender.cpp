#include "runtime/replication/sender.hpp"

#include <algorithm>
#include <utility>

namespace corvus {

namespace {

size_t batch_bytes(const document_record& r) {
  return r.id.size() + r.change_vector.size() + r.collection.size()
         + r.json.size() + 32;
}

} // namespace

replication_sender::replication_sender(batch_limits limits,
                                       size_t read_chunk, size_t window)
  : limits_(limits),
    read_chunk_(std::max<size_t>(read_chunk, 1)),
    window_(std::max<size_t>(window, 1)) {
  // nop
}

void replication_sender::connected(int64_t accepted_etag,
                                   change_vector destination) {
  connected_ = true;
  cursor_ = accepted_etag;
  sent_ = accepted_etag;
  last_full_ = false;
  destination_ = std::move(destination);
  in_flight_.clear();
}

void replication_sender::disconnected() {
  connected_ = false;
  in_flight_.clear();
}

outcome<std::optional<outgoing_batch>>
replication_sender::next(const entry_reader& read) {
  if (!can_send())
    return std::optional<outgoing_batch>{};
  batch_builder builder{destination_, limits_};
  outgoing_batch batch;
  batch.after_etag = sent_;
  auto after = sent_;
  while (!builder.closed()) {
    auto entries = read(after, read_chunk_);
    if (!entries)
      return entries.error();
    auto ended = false;
    for (auto& e : *entries) {
      replication_item item;
      item.etag = e.record.etag;
      item.transaction_end = e.transaction_end;
      item.bytes = batch_bytes(e.record);
      auto cv = change_vector::parse(e.record.change_vector);
      if (!cv)
        return cv.error();
      item.version = std::move(*cv);
      // Resolved versions must converge everywhere (§6.5). A conflict
      // version may be the live version moved into the conflicts: stored
      // again under a new etag, after versions that were written over it,
      // so the destination's vector can cover it although the
      // destination never got it.
      item.always_send = (e.record.flags
                          & (document_flag::resolved
                             | document_flag::conflicted))
                         != 0;
      if (!builder.offer(item)) {
        ended = true;
        break;
      }
      after = e.record.etag;
      if (!builder.to_send().empty()
          && builder.to_send().back() == e.record.etag)
        batch.items.push_back(std::move(e.record));
    }
    if (ended || entries->size() < read_chunk_)
      break;
  }
  if (builder.last_etag() == 0)
    return std::optional<outgoing_batch>{};
  batch.last_etag = builder.last_etag();
  batch.skipped = builder.skipped();
  batch.more = builder.closed();
  in_flight_.push_back(batch.last_etag);
  sent_ = batch.last_etag;
  last_full_ = batch.more;
  return std::optional<outgoing_batch>{std::move(batch)};
}

outgoing_batch replication_sender::heartbeat() {
  in_flight_.push_back(cursor_);
  return outgoing_batch{cursor_, cursor_, {}, 0, false};
}

void replication_sender::acknowledged(int64_t accepted_etag,
                                      const change_vector& destination) {
  destination_.merge(destination);
  cursor_ = std::max(cursor_, accepted_etag);
  sent_ = std::max(sent_, cursor_);
  while (!in_flight_.empty() && in_flight_.front() <= accepted_etag)
    in_flight_.pop_front();
}

void replication_sender::destination_holds(const change_vector& version) {
  destination_.merge(version);
}

} // namespace corvus
