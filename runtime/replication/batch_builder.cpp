#include "runtime/replication/batch_builder.hpp"

#include <utility>

namespace corvus {

batch_builder::batch_builder(change_vector destination, batch_limits limits)
  : destination_(std::move(destination)), limits_(limits) {
  // nop
}

bool batch_builder::offer(const replication_item& item) {
  if (!inside_transaction() && last_etag_ != 0) {
    // Between transactions: the only place a batch may end.
    if (closing_ || send_.size() >= limits_.max_items
        || bytes_ >= limits_.max_bytes) {
      closing_ = true;
      return false;
    }
  }
  last_etag_ = item.etag;
  transaction_end_ = item.transaction_end;
  if (!item.always_send
      && compare(item.version, destination_)
           == conflict_status::already_merged) {
    ++skipped_;
    return true;
  }
  send_.push_back(item.etag);
  bytes_ += item.bytes;
  return true;
}

void batch_builder::close() {
  closing_ = true;
}

bool batch_builder::closed() const {
  // A batch takes at least one transaction, closed or not.
  return closing_ && last_etag_ != 0 && !inside_transaction();
}

} // namespace corvus
