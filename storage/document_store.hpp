#pragma once

// The LevelDB store of one database instance. Reads are thread-safe and each
// call sees one consistent snapshot; writes come from a single writer (the
// database's storage-writer actor) and are applied as one LevelDB write
// batch each. The key layout is documented in storage/keys.hpp.

#include "runtime/documents/compression.hpp"
#include "runtime/documents/document.hpp"
#include "runtime/documents/id_filter.hpp"
#include "runtime/failure.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leveldb {
class DB;
class Env;
class Cache;
class Iterator;
class Snapshot;
} // namespace leveldb

namespace corvus {

struct store_options {
  /// Create the store when `dir` holds none (new database instance).
  bool create_if_missing = false;
  /// fsync every write batch before `apply` returns. Without it a process
  /// crash loses nothing, but a power loss may lose unsynced batches, and
  /// not only the newest: LevelDB does not sync a log file when it moves on
  /// to the next, so a later log can survive an earlier one's tail. The
  /// counters could then disagree with the documents. Each batch still
  /// survives whole or not at all.
  bool sync = true;
  /// What is compressed: each body when written, LevelDB's blocks, or
  /// nothing (runtime/documents/compression.hpp).
  corvus::compression compression = compression::documents;
  /// LevelDB block cache, bytes.
  size_t block_cache_size = 64 << 20;
  /// LevelDB memtable size, bytes.
  size_t write_buffer_size = 64 << 20;
  /// Keep the ids the store holds in an in-memory filter (storage/
  /// known_ids.hpp), so that puts of new ids and reads of absent ones skip
  /// LevelDB (and the compactions its lookups trigger).
  bool id_filter = true;
  /// Environment to run on; nullptr = real files (`real_files_env()`,
  /// storage/real_files.hpp). Tests pass an in-memory or fault-injecting
  /// Env. Not owned.
  leveldb::Env* env = nullptr;
  /// A block cache shared with other stores (see `make_block_cache`), so
  /// that all databases of a node share one memory budget; nullptr = a
  /// cache of `block_cache_size` bytes for this store alone.
  std::shared_ptr<leveldb::Cache> block_cache;
};

/// @returns an LRU block cache of `capacity` bytes for
///          `store_options::block_cache`.
std::shared_ptr<leveldb::Cache> make_block_cache(size_t capacity);

/// The order a listing returns documents in.
enum class listing_order {
  /// By case-folded id, filtered by `key_prefix` and `start_after`.
  by_id,
  /// The most recently written first (by etag, descending).
  newest_first,
  /// By etag, from the document with etag `from_etag` or the next one.
  from_etag,
};

/// Which documents a listing returns.
struct listing_request {
  listing_order order = listing_order::by_id;
  /// Only ids starting with this (case-folded) prefix; empty = all. By id
  /// only.
  std::string key_prefix;
  /// Only ids sorting after this case-folded id (paging by key). By id
  /// only.
  std::string start_after;
  /// Where a listing in etag order starts (inclusive).
  int64_t from_etag = 0;
  /// Skip this many matches.
  size_t start = 0;
  /// Return at most this many.
  size_t page_size = 25;
};

class document_listing;

class document_store : public std::enable_shared_from_this<document_store> {
public:
  /// Opens the store in directory `dir`. A new store gets a fresh database
  /// id and the current format version; an existing one must carry a format
  /// version this build understands (ec::unsupported_format otherwise). A
  /// store of format version 1 is migrated first (storage/keys.hpp).
  static outcome<std::shared_ptr<document_store>>
  open(const std::string& dir, const store_options& opts);

  ~document_store();

  document_store(const document_store&) = delete;
  document_store& operator=(const document_store&) = delete;

  // -- reads: any thread ----------------------------------------------------

  /// @returns the live document stored under case-folded `key`, with body,
  ///          or nullopt when there is none (tombstones count as none).
  outcome<std::optional<document_record>> get(std::string_view key) const;

  /// @returns the documents for `keys` in order, nullopt for missing ones,
  ///          all read from one snapshot.
  outcome<std::vector<std::optional<document_record>>>
  get_many(const std::vector<std::string>& keys) const;

  /// @returns the document or tombstone stored under `key`, without the
  ///          document's body unless `with_body` (the transaction core's
  ///          checks need none; replication compares contents).
  outcome<std::optional<document_record>> find(std::string_view key,
                                               bool with_body = false) const;

  /// @returns live documents in key order, filtered and paged by `req`.
  outcome<std::vector<document_record>>
  list(const listing_request& req) const;

  /// @returns the documents `list(req)` returns, one at a time, all as
  ///          they were when it was called: a listing of the whole store
  ///          never sits in memory. It keeps the store open while it lives.
  std::unique_ptr<document_listing> listing(const listing_request& req) const;

  /// @returns the conflict versions stored under case-folded `key`, with
  ///          bodies, ordered by change vector text; empty when the id is
  ///          not in conflict.
  outcome<std::vector<document_record>> conflicts(std::string_view key) const;

  /// @returns up to `limit` documents, tombstones and conflict versions
  ///          with an etag greater than `after_etag`, in etag order, with
  ///          bodies and the end of the transaction that wrote each.
  outcome<std::vector<etag_entry>>
  changes_since(int64_t after_etag, size_t limit) const;

  /// @returns the state as last written (etag, change vector, accepted
  ///          etags), read from a snapshot: a cheap read, unlike stats().
  outcome<database_state> durable_state() const;

  /// @returns counts, etag, change vector, id and size of the store.
  outcome<database_stats> stats() const;

  // -- writes: the single writer only ---------------------------------------

  /// @returns the durable state as of the last successful `apply` (or open).
  const database_state& state() const;

  /// @returns the number of conflict versions stored, as of the last
  ///          successful `apply` (or open): when 0, no id is in conflict.
  int64_t conflict_count() const;

  /// What the in-memory filter of ids is doing (building, ready, its size,
  /// lookups it spared), for the introspection console.
  id_filter_status id_filter_report() const;

  /// Applies `writes` in order and records `new_state`, as one write batch,
  /// synced when the options say so. Replaced versions and removed conflict
  /// versions lose their index entries (a live version replaced by a
  /// conflict version is removed), and the counters are adjusted from
  /// `writes` alone.
  /// @returns ec::storage_failure with LevelDB's text when the write fails;
  ///          `state()` is then unchanged and every later `apply` fails too,
  ///          because only reopening (LevelDB's log recovery) tells how much
  ///          of a failed batch reached the disk. ec::internal_error when
  ///          `writes` contradict the store or themselves (a counter would
  ///          go negative, an etag is not positive, a transaction ends
  ///          before a write's etag, `new_state` names another database id
  ///          or accepted etags of something that is no database id);
  ///          nothing is written then.
  outcome<done> apply(const std::vector<document_write>& writes,
                      const database_state& new_state);

  /// The same for writes held elsewhere (a committer's batch points into
  /// the transactions it gathered).
  outcome<done> apply(const std::vector<const document_write*>& writes,
                      const database_state& new_state);

private:
  friend class document_listing;
  struct impl;
  explicit document_store(std::unique_ptr<impl> ptr);
  std::unique_ptr<impl> impl_;
};

/// Live documents in the order a `listing_request` asks for, from one
/// moment of a store (`document_store::listing`).
class document_listing {
public:
  ~document_listing();

  document_listing(const document_listing&) = delete;
  document_listing& operator=(const document_listing&) = delete;

  /// @returns the next document, or nullopt after the last one.
  outcome<std::optional<document_record>> next();

private:
  friend class document_store;

  document_listing(std::shared_ptr<const document_store> store,
                   const listing_request& req);

  /// The next live document in id order.
  outcome<std::optional<document_record>> next_by_id();
  /// The next live document the etag index names, going forward or back.
  outcome<std::optional<document_record>> next_by_etag();

  std::shared_ptr<const document_store> store_;
  /// The moment every read of the listing sees: an etag order reads each
  /// document its index names, beside the iterator.
  const leveldb::Snapshot* snapshot_;
  /// Released before the snapshot and the store it reads.
  std::unique_ptr<leveldb::Iterator> iter_;
  listing_order order_;
  std::string prefix_;
  std::string start_after_;
  size_t skip_;
  size_t left_;
};

} // namespace corvus
