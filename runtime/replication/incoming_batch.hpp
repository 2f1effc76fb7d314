#pragma once

// What a destination writes for one replication batch from one source
// (ravendb-internals.md §4.6): every item is compared with what the
// destination holds (decide_arrival) and becomes a write (applied as it
// is, merged, resolved or stored as a conflict) or nothing; the whole
// batch is one local transaction, whose state records the source's etag
// the batch ends at, so that a restarted link resumes after it.
//
// Pure: the destination's store is behind a document_lookup.

#include "runtime/documents/document.hpp"
#include "runtime/documents/transaction_executor.hpp"
#include "runtime/failure.hpp"
#include "runtime/replication/arrival.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace corvus {

/// One batch from a source instance.
struct incoming_batch {
  /// The source instance's database id.
  std::string source_db_id;
  /// The source's etag the batch starts after. Batches come pipelined,
  /// each after the previous one: a batch starting beyond what the
  /// destination accepted follows one that never arrived or failed.
  int64_t after_etag = 0;
  /// The source's etag this batch brings the destination up to: the last
  /// item's, or further when the source skipped items the destination
  /// already had (a batch without items only moves this cursor).
  int64_t last_etag = 0;
  /// Versions in the source's etag order, as the source stores them
  /// (`etag` is the source's; conflict versions are flagged conflicted).
  std::vector<document_record> items;
};

/// What a batch did, besides its writes. Resolved and merged versions
/// are made here and flagged Resolved: the instance's senders must look
/// for them at once (what only arrived does not wake them, §4.5).
struct incoming_counts {
  size_t applied = 0;
  size_t ignored = 0;
  size_t merged = 0;
  size_t resolved = 0;
  size_t conflicts = 0;
};

struct applied_batch {
  std::vector<document_write> writes;
  database_state state;
  incoming_counts counts;
  /// The merge of the items' change vectors: the source holds these (or
  /// newer versions), so the sender back to it need not send them.
  change_vector source_holds;
};

/// Applies `batch` on top of `before`.
/// @param node_tag this instance's tag, for the new etag entry of versions
///        resolved here.
/// @returns ec::bad_request for a batch that does not follow what was
///          accepted from its source, or with an item whose change vector
///          or id is unreadable (nothing of the batch applies); or the
///          lookup's failure.
outcome<applied_batch> apply_incoming(incoming_batch batch,
                                      const database_state& before,
                                      document_lookup& lookup,
                                      const conflict_policy& policy,
                                      const std::string& node_tag);

} // namespace corvus
