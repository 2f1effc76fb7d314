#pragma once

// The sending side of one replication link (ravendb-internals.md §4.5):
// where the destination stands (the cursor it acknowledged, its change
// vector as last reported) and what to send next. Up to a window of
// batches are in flight, each starting where the previous one ended, so
// that reading and sending overlap the destination's applying; each names
// where it starts, and the destination refuses one that does not follow
// what it accepted (a lost batch), which ends the connection. A batch whose items the
// destination already has is sent empty: it only moves the destination's
// cursor. A reconnect starts from what the handshake reports.
//
// Pure: the caller reads the store (entry_reader), sends, and reports the
// destination's answers.

#include "runtime/documents/change_vector.hpp"
#include "runtime/documents/document.hpp"
#include "runtime/failure.hpp"
#include "runtime/replication/batch_builder.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

namespace corvus {

/// A batch to send: the versions, and the etag it brings the destination
/// up to.
struct outgoing_batch {
  /// The etag the batch starts after: the previous batch's last one.
  int64_t after_etag = 0;
  int64_t last_etag = 0;
  std::vector<document_record> items;
  /// Items left out because the destination has them.
  size_t skipped = 0;
  /// The batch ended at a limit: more follows.
  bool more = false;
};

/// Reads up to `limit` entries after an etag, in etag order.
using entry_reader = std::function<outcome<std::vector<etag_entry>>(
  int64_t after, size_t limit)>;

class replication_sender {
public:
  /// @param window how many batches may wait for their acknowledgement.
  explicit replication_sender(batch_limits limits = {},
                              size_t read_chunk = 1024, size_t window = 1);

  /// A handshake succeeded: the destination accepted everything up to
  /// `accepted_etag` from this source and holds `destination`.
  void connected(int64_t accepted_etag, change_vector destination);

  /// The connection is gone; what was in flight is sent again after the
  /// next handshake.
  void disconnected();

  bool is_connected() const {
    return connected_;
  }

  /// @returns whether a batch waits for its acknowledgement.
  bool in_flight() const {
    return !in_flight_.empty();
  }

  /// @returns whether another batch may be sent now. With batches in
  ///          flight already, only one that will be full joins them (the
  ///          last one sent was full, or enough local writes are known to
  ///          fill one): a small batch waits for the acknowledgements and
  ///          then takes everything written meanwhile. Under a stream of
  ///          small writes the destination then applies fewer, larger
  ///          batches, each one transaction and one synced write; a
  ///          backlog still goes with the whole window in flight.
  bool can_send() const {
    if (!connected_)
      return false;
    if (in_flight_.empty())
      return true;
    return in_flight_.size() < window_
           && (last_full_
               || newest_ - sent_ >= static_cast<int64_t>(limits_.max_items));
  }

  /// This instance wrote locally up to `etag` (what wakes the link).
  void wrote(int64_t etag) {
    newest_ = std::max(newest_, etag);
  }

  /// The newest local etag known (see wrote).
  int64_t newest() const {
    return newest_;
  }

  /// @returns the next batch, after the last one sent, marked in flight;
  ///          nothing when it cannot send (see can_send) or when nothing
  ///          follows. Versions flagged Resolved (§6.5) or Conflicted are
  ///          always sent.
  outcome<std::optional<outgoing_batch>> next(const entry_reader& read);

  /// @returns an empty batch at the cursor, marked in flight, so that the
  ///          destination reports its change vector (an idle heartbeat).
  ///          @pre is_connected() && !in_flight()
  outgoing_batch heartbeat();

  /// The destination reports `accepted_etag` and its change vector (the
  /// answer to a batch, or unasked, after it applied someone else's).
  void acknowledged(int64_t accepted_etag, const change_vector& destination);

  /// The destination holds `version` (or a newer one): it sent that
  /// version to this instance itself. What the sender knows of the
  /// destination's vector takes it, so that it is not sent back. (The
  /// destination's own writes reach this sender otherwise only with its
  /// next answer or notify, and a local write here would send them back
  /// before that.)
  void destination_holds(const change_vector& version);

  /// The last etag the destination acknowledged.
  int64_t cursor() const {
    return cursor_;
  }

  /// The destination's change vector as last reported.
  const change_vector& destination() const {
    return destination_;
  }

private:
  batch_limits limits_;
  size_t read_chunk_;
  bool connected_ = false;
  int64_t cursor_ = 0;
  change_vector destination_;
  size_t window_;
  /// The last etag of the batches sent (the next one starts after it).
  int64_t sent_ = 0;
  /// The last batch sent ended at a limit: more follows.
  bool last_full_ = false;
  int64_t newest_ = 0;
  /// The last etags of the batches waiting for their acknowledgement.
  std::deque<int64_t> in_flight_;
};

} // namespace corvus
