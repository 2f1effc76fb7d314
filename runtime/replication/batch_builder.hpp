#pragma once

// What goes into the next replication batch to one destination
// (ravendb-internals.md §4.5). The sender reads items in etag order after
// its cursor and offers them one by one; the builder says which to send,
// which to skip (the destination already has them: its change vector
// covers theirs) and where the batch ends. Limits (items, bytes, the
// scanning time the caller measures) are only checked between
// transactions, as reached (a batch may pass them by its last
// transaction), so everything one local transaction wrote travels in one
// batch, and a batch always takes at least one transaction. Skipped items
// still move the cursor: the destination is told it has seen them.
//
// Pure: no storage, no clock. The caller owns both.

#include "runtime/documents/change_vector.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace corvus {

/// One version a source may send (document, tombstone; later revisions,
/// attachments, counters), as the sender sees it in its etag order.
struct replication_item {
  /// Position in the source's etag order.
  int64_t etag = 0;
  /// The etag that ends the local transaction that wrote this item; equal
  /// to `etag` for the last item of its transaction.
  int64_t transaction_end = 0;
  /// Bytes it takes in a batch.
  size_t bytes = 0;
  /// The version's change vector.
  change_vector version;
  /// Always sent, even when the destination's change vector covers it:
  /// versions flagged Resolved must converge everywhere (§6.5).
  bool always_send = false;
};

struct batch_limits {
  /// Items per batch (RavenDB: Replication.MaxItemsCount).
  size_t max_items = 16'384;
  /// Bytes per batch (RavenDB: Replication.MaxSizeToSendInMb, 64 MB).
  size_t max_bytes = size_t{64} << 20;
};

class batch_builder {
public:
  /// @param destination the destination's change vector as last known
  ///        (from the handshake, a reply or a heartbeat).
  batch_builder(change_vector destination, batch_limits limits);

  /// Offers the next item in etag order. @returns false when the batch
  /// ends before it: the item is neither sent nor skipped, and starts the
  /// next batch. @pre items come in increasing etag order
  bool offer(const replication_item& item);

  /// Ends the batch at the next transaction boundary (the caller's
  /// scanning time ran out).
  void close();

  /// @returns whether the batch takes nothing more.
  bool closed() const;

  /// The etags of the items to send, in order.
  const std::vector<int64_t>& to_send() const {
    return send_;
  }

  /// Bytes of the items to send.
  size_t bytes() const {
    return bytes_;
  }

  /// The last etag this batch dealt with (sent or skipped): the cursor once
  /// the destination acknowledges it; 0 when nothing was offered.
  int64_t last_etag() const {
    return last_etag_;
  }

  /// Items skipped because the destination has them.
  size_t skipped() const {
    return skipped_;
  }

private:
  /// True between the items of one transaction.
  bool inside_transaction() const {
    return last_etag_ != 0 && last_etag_ < transaction_end_;
  }

  change_vector destination_;
  batch_limits limits_;
  std::vector<int64_t> send_;
  size_t bytes_ = 0;
  size_t skipped_ = 0;
  int64_t last_etag_ = 0;
  int64_t transaction_end_ = 0;
  bool closing_ = false;
};

} // namespace corvus
