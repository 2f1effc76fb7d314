#pragma once

// The document model shared by the transaction core (runtime/documents) and
// the document store (storage/): one stored version of a document or of a
// tombstone, the writes a transaction produces, and the durable per-database
// counters (etag, change vector, database id).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace corvus {

/// The collection of documents stored without `@collection`.
inline constexpr const char* empty_collection = "@empty";

/// Flags of a document version, rendered as RavenDB's `@flags` text (the
/// bit positions are Corvus's own; only the names reach clients).
using document_flags = uint32_t;

/// The flags Corvus sets (see format_flags for every name).
namespace document_flag {
/// A version stored in the conflicts table of its id.
inline constexpr document_flags conflicted = 1u << 6;
/// The winner of a conflict resolution: always replicated (§6.5).
inline constexpr document_flags resolved = 1u << 7;
} // namespace document_flag

/// One version of a document, or a tombstone, as stored.
struct document_record {
  /// The id with the casing it was written with.
  std::string id;
  /// The collection name as written; `empty_collection` when none.
  std::string collection;
  /// Position in the database's etag order; unique per database instance.
  int64_t etag = 0;
  /// RavenDB change vector text, e.g. "A:7-hb0jT0Fq9kS5xJ1wdc7W1g".
  std::string change_vector;
  /// Last modification, in 100 ns ticks since the Unix epoch (UTC).
  int64_t last_modified = 0;
  document_flags flags = 0;
  /// True for a tombstone (the document was deleted).
  bool tombstone = false;
  /// The complete document JSON, `@metadata` included; empty for tombstones
  /// and for records read without their body.
  std::string json;

  friend bool operator==(const document_record& x, const document_record& y) {
    return x.id == y.id && x.collection == y.collection && x.etag == y.etag
           && x.change_vector == y.change_vector
           && x.last_modified == y.last_modified && x.flags == y.flags
           && x.tombstone == y.tombstone && x.json == y.json;
  }
};

/// @returns `r` without its body: what a write needs of a version it
///          replaces, and what a reader asking for no body gets.
inline document_record header_of(const document_record& r) {
  return {r.id,           r.collection, r.etag,      r.change_vector,
          r.last_modified, r.flags,     r.tombstone, {}};
}

/// One write of a transaction: the new version of a document (a live
/// document, a tombstone, or a conflict version: `record.flags` has
/// document_flag::conflicted), the live version it replaces, and the
/// conflict versions it removes; the store removes their index entries.
struct document_write {
  /// The case-folded id: the storage key of the document.
  std::string key;
  document_record record;
  /// What was stored under `key` before (document or tombstone, no body).
  /// A conflict version replacing it removes it: the id leaves its
  /// collection.
  std::optional<document_record> replaced;
  /// Conflict versions of `key` this write removes (no bodies needed: the
  /// etag and change vector identify them).
  std::vector<document_record> removed_conflicts;
  /// The last etag of the local transaction that made this write (all
  /// writes of one transaction carry the same), so that replication sends
  /// a transaction whole. 0 = `record.etag`.
  int64_t transaction_end = 0;
};

/// One entry of the etag order: a version (document, tombstone or conflict
/// version) and the last etag of the local transaction that wrote it.
struct etag_entry {
  document_record record;
  int64_t transaction_end = 0;
};

/// The durable state of a database instance besides its documents. The
/// transaction core advances it; the store persists it in the same write
/// batch as the documents.
struct database_state {
  /// The database instance id: 22 characters of unpadded base64.
  std::string db_id;
  /// The highest etag handed out.
  int64_t last_etag = 0;
  /// The database's global change vector (merge of everything stored).
  std::string change_vector;
  /// Per source database id: the last etag of that source whose batch this
  /// instance applied (replication resumes after it).
  std::map<std::string, int64_t> accepted_etags;

  friend bool operator==(const database_state& x, const database_state& y) {
    return x.db_id == y.db_id && x.last_etag == y.last_etag
           && x.change_vector == y.change_vector
           && x.accepted_etags == y.accepted_etags;
  }
};

/// Number of documents in one collection.
struct collection_count {
  std::string name;
  int64_t count = 0;
};

/// What `GET /databases/{db}/stats` reports, read from one snapshot.
struct database_stats {
  database_state state;
  int64_t document_count = 0;
  int64_t tombstone_count = 0;
  /// Conflict versions stored (of all ids in conflict).
  int64_t conflict_count = 0;
  /// Ids in conflict.
  int64_t conflicted_documents = 0;
  std::vector<collection_count> collections;
  /// Approximate size of the store's files in bytes.
  int64_t size_on_disk = 0;
};

} // namespace corvus
