#pragma once

// Key layout of Corvus's LevelDB stores, documented once, here.
//
// DOCUMENT STORE (one LevelDB per database instance, storage/document_store)
//
// Every key starts with a one-byte prefix naming its kind. Document keys are
// the case-folded ids the callers hand in; LevelDB compares keys bytewise, so
// all orders below are byte orders.
//
//   d <key>                       -> record   live document
//   t <key>                       -> record   tombstone
//   x <esc key> <change vector>   -> record   conflict version
//   e <etag: 8 bytes BE>          -> <transaction end: 8 bytes BE>,
//                                    then d <key> | t <key> | x ...
//   c <coll> <etag: 8 bytes BE>   -> d <key>
//   m format                      -> u32 LE   store format version
//   m db_id                       -> 22 characters of unpadded base64
//   m state                       -> see "state value" below
//   m collection/<folded name>    -> i64 LE count, then the name as written
//
// `d`/`t`: a key is either a document or a tombstone, never both; replacing
//   one by the other deletes the old key in the same batch. Records use the
//   encoding in storage/record_codec.hpp.
// `x`: the conflicts table (ravendb-internals §6.4): the versions of an id in
//   conflict, one per change vector, with their bodies and
//   document_flag::conflicted; a version may be a tombstone. <esc key> is
//   the key escaped and terminated as <coll> below, so that one range scan
//   lists the versions of exactly one key, in change vector byte order,
//   whatever bytes keys hold (local writes reject control characters, but
//   the store does not rely on its callers for that). An id in conflict has
//   no `d`/`t` key and no collection entry (the version that puts it in
//   conflict removes them); the version that resolves it removes its `x`
//   keys. Conflict versions are neither documents nor tombstones in the
//   counts.
// `e`: the etag index over documents, tombstones and conflict versions. Its
//   value names the record key, so "everything changed after etag N, in
//   etag order" (stats, replication) is one range scan plus one point read
//   per entry; it starts with the last etag of the local transaction that
//   wrote the version, so that replication can tell where a transaction
//   ends and send it whole. Etags are positive, so big-endian bytes sort in
//   numeric order. An entry exists only for the current version of a key
//   (or a conflict version still stored); the batch that replaces or
//   removes a version deletes its entry.
// `c`: membership of live documents in collections, in etag order per
//   collection. <coll> is the collection name with ASCII letters folded to
//   lower case (collection names are case-insensitive), each 0x00 byte
//   escaped as 00 01, and terminated by 00 00. The escape keeps every
//   collection's range disjoint from those of names it is a prefix of,
//   whatever bytes a name holds.
// `m`: metadata. `format` and `db_id` are written once, in the batch that
//   creates the store; the other `m` keys change in the batch of every write
//   that changes them, so they always agree with the documents.
//
// state value: i64 LE last etag, i64 LE document count, i64 LE tombstone
//   count, i64 LE conflict version count, u32 LE length n, n bytes of global
//   change vector text, then for each source database whose replication
//   batches this instance accepted (database_state::accepted_etags, in id
//   order; ravendb-internals §4.6) its 22-character id and the i64 LE last etag accepted, up to the
//   end of the value. All of it changes together in nearly every batch and
//   is read together at open, hence one key.
//
// collection counts: only collections with at least one live document have
//   a key; the name as written is the casing of the document that created
//   the entry.
//
// Format version 1 had no `x` keys, `e` values without the transaction end
//   and a state value of last etag, document count, tombstone count and the
//   change vector up to its end. Opening such a store migrates it in one
//   synced batch (so a crash leaves it wholly version 1 or wholly the
//   current version): every `e` value gets its own etag as transaction end
//   (version 1 knew no transactions spanning etags), the state value gets
//   conflict count 0 and no sources, and `m format` becomes the current
//   version.
//
// Format version 2 differs from 3 only in its records: all of them have
//   plain bodies (record encoding 1), while version 3 may hold compressed
//   ones (encoding 2) as well. Opening a version-2 store rewrites `m format`
//   to 3 in one synced write and nothing else, since this build reads both
//   encodings; the bump is there so that a build knowing only plain bodies
//   refuses a store that may hold compressed ones when it opens it, instead
//   of failing on the first compressed record it reads.
//
// SYSTEM STORE (one LevelDB per node, storage/system_store)
//
// Plain string keys, listed in `system_keys`; each value's format belongs to
// the component that writes it and is documented at that key.
//
// RAFT STORE (one LevelDB per node, storage/raft_store)
//
// The durable half of the node's Raft member: its log, hard state, latest
// snapshot and own tag. One-byte prefixes again; every `l` key sorts before
// every `m` key, so one pass from `l` reads the whole store in order.
//
//   l <index: 8 bytes BE>         -> u64 LE term, u8 kind, data
//   m format                      -> u32 LE   store format version
//   m tag                         -> the node's tag; absent until known
//   m hard                        -> u64 LE term, u64 LE commit, voted_for
//   m snapshot                    -> u64 LE index, u64 LE term,
//                                    u32 LE n, n bytes topology JSON,
//                                    u64 LE data size, u32 LE data CRC-32
//   file snapshot-<index>-<term>  -> the snapshot's data
//   file partial-<n>-snapshot-<index>-<term> -> the same, while written
//
// `l`: one key per log entry. Indices are positive, so big-endian bytes sort
//   in index order. <kind> is raft::entry_kind's value; <data> runs to the
//   end of the value. The stored entries are always contiguous; they start
//   at or before the snapshot's index + 1 (compaction keeps a few entries
//   the snapshot covers, for followers slightly behind) and end at or after
//   it, with terms that never decrease; the entry at the snapshot's index,
//   if kept, has the snapshot's term.
// `m hard`: raft::hard_state; <voted_for> (a tag, or nothing) runs to the
//   end of the value.
// `m snapshot`: the latest snapshot only; each new one replaces it. The
//   topology JSON is raft::to_json's. The data (the state machine's own
//   encoding, possibly hundreds of megabytes) lives in a file of its own
//   next to LevelDB's, named after the snapshot's index and term (decimal)
//   and synced before the key that names it is written, so that a large
//   snapshot never passes through LevelDB and can be written while the
//   member goes on; it is written as partial-<n>-snapshot-... (n tells
//   apart files written at once) and renamed once whole, so a snapshot's
//   name never holds part of it (a received snapshot is written as its
//   pieces arrive). Files of older snapshots are removed once a newer one
//   is recorded, partial ones when the store opens. Absent while the member has none. (Format version 1 kept
//   the data inline, after the topology JSON; opening such a store moves
//   it to a file.)
// `m format`: written in the synced batch that creates the store (and
//   rewritten by the one that moves a version-1 snapshot to its file).

#include "runtime/text/byte_order.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace corvus {

namespace document_keys {

/// The layout version written under `m format`. Bump it whenever a key or
/// value format in this file changes incompatibly.
inline constexpr uint32_t format_version = 3;
/// The version whose records all have plain bodies (record_codec.hpp),
/// which opening migrates to `format_version` by rewriting `m format` alone.
inline constexpr uint32_t plain_records_format_version = 2;
/// The version before replication (no conflicts, transaction ends or
/// sources), which opening migrates to `format_version`.
inline constexpr uint32_t pre_replication_format_version = 1;

/// Prefix of live documents.
inline constexpr char document_prefix = 'd';
/// Prefix of tombstones.
inline constexpr char tombstone_prefix = 't';
/// Prefix of the conflicts table.
inline constexpr char conflict_prefix = 'x';
/// Prefix of the etag index.
inline constexpr char etag_prefix = 'e';
/// Prefix of the collection index.
inline constexpr char collection_prefix = 'c';
/// Prefix of metadata.
inline constexpr char meta_prefix = 'm';

/// Key of the store format version.
inline constexpr std::string_view format_key = "mformat";
/// Key of the database id.
inline constexpr std::string_view db_id_key = "mdb_id";
/// Key of the state value (etag, counters, change vector).
inline constexpr std::string_view state_key = "mstate";
/// Prefix of the per-collection document counts.
inline constexpr std::string_view collection_count_prefix = "mcollection/";

/// Size of the state value before the change vector text.
inline constexpr size_t state_fixed_size = 36;
/// Size of the state value before the change vector text in
/// `pre_replication_format_version` (last etag and two counts).
inline constexpr size_t pre_replication_state_fixed_size = 24;
/// Size of a database id.
inline constexpr size_t db_id_size = 22;
/// Size of one accepted source in the state value (id, etag).
inline constexpr size_t accepted_source_size = db_id_size + 8;
/// Size of an etag index key.
inline constexpr size_t etag_key_size = 9;
/// Size of an etag index value before the record key (transaction end).
inline constexpr size_t etag_value_fixed_size = 8;

/// The shared byte helpers, under the names document-store code uses.
using byte_order::append_big_endian;
using byte_order::append_little_endian;
using byte_order::read_big_endian;
using byte_order::read_little_endian;
using byte_order::append_little_endian32;
using byte_order::read_little_endian32;

/// Sets `out` to the record key of a document (`tombstone` false) or of a
/// tombstone under case-folded `key`.
inline void record_key(std::string& out, std::string_view key,
                       bool tombstone) {
  out.clear();
  out.push_back(tombstone ? tombstone_prefix : document_prefix);
  out.append(key);
}

/// Sets `out` to the etag index key of `etag`.
/// @pre `etag >= 0`
inline void etag_key(std::string& out, int64_t etag) {
  out.clear();
  out.push_back(etag_prefix);
  append_big_endian(out, static_cast<uint64_t>(etag));
}

/// Sets `out` to the etag index value naming `record_key`, written by the
/// transaction whose last etag is `transaction_end`.
inline void etag_value(std::string& out, int64_t transaction_end,
                       std::string_view record_key) {
  out.clear();
  append_big_endian(out, static_cast<uint64_t>(transaction_end));
  out.append(record_key);
}

/// Appends `text` with each 0x00 byte escaped as 00 01, then 00 00: no
/// escaped text is a prefix of another.
inline void append_escaped(std::string& out, std::string_view text) {
  for (auto c : text) {
    out.push_back(c);
    if (c == '\0')
      out.push_back('\1');
  }
  out.push_back('\0');
  out.push_back('\0');
}

/// Sets `out` to the prefix shared by the conflict versions of case-folded
/// `key`.
inline void conflict_range(std::string& out, std::string_view key) {
  out.clear();
  out.push_back(conflict_prefix);
  append_escaped(out, key);
}

/// Sets `out` to the key of the conflict version of case-folded `key` with
/// `change_vector`.
inline void conflict_key(std::string& out, std::string_view key,
                         std::string_view change_vector) {
  conflict_range(out, key);
  out.append(change_vector);
}

/// Sets `out` to `name` with ASCII letters folded to lower case: the
/// identity of a collection.
inline void fold_collection(std::string& out, std::string_view name) {
  out.assign(name.data(), name.size());
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
}

/// Sets `out` to the prefix shared by all collection index keys of the
/// collection whose folded name is `folded`.
inline void collection_range(std::string& out, std::string_view folded) {
  out.clear();
  out.push_back(collection_prefix);
  append_escaped(out, folded);
}

/// Sets `out` to the collection index key of `etag` in the collection whose
/// folded name is `folded`.
inline void collection_key(std::string& out, std::string_view folded,
                           int64_t etag) {
  collection_range(out, folded);
  append_big_endian(out, static_cast<uint64_t>(etag));
}

/// Sets `out` to the key of the document count of collection `folded`.
inline void collection_count_key(std::string& out, std::string_view folded) {
  out.assign(collection_count_prefix.data(), collection_count_prefix.size());
  out.append(folded);
}

} // namespace document_keys

/// Keys of the system store. Values are UTF-8 text unless stated otherwise.
namespace system_keys {

/// The raft index up to which the node carried out the database removals
/// the cluster state asked for (decimal text). Removals replayed after a
/// restart at or below it are skipped, so that a database deleted and
/// created again keeps its new files.
inline constexpr std::string_view reconciled_index = "cluster/reconciled";

} // namespace system_keys

namespace raft_keys {

/// The layout version written under `m format`. Bump it whenever a key or
/// value format of the raft store changes incompatibly.
inline constexpr uint32_t format_version = 2;
/// The version whose snapshots kept their data inline.
inline constexpr uint32_t inline_snapshot_format_version = 1;
/// Name prefix of snapshot data files.
inline constexpr std::string_view snapshot_file_prefix = "snapshot-";
/// Name prefix of snapshot data files being written; a file gets its
/// snapshot name once whole and synced, and leftovers of a crash go at open.
inline constexpr std::string_view partial_snapshot_prefix = "partial-";
/// Name prefix of snapshot data files on their way out (renamed at once,
/// removed on a thread of their own); leftovers of a crash go at open.
inline constexpr std::string_view removed_snapshot_prefix = "removed-";

/// Prefix of log entries.
inline constexpr char entry_prefix = 'l';
/// Prefix of metadata.
inline constexpr char meta_prefix = 'm';

/// Key of the store format version.
inline constexpr std::string_view format_key = "mformat";
/// Key of the node's own tag.
inline constexpr std::string_view tag_key = "mtag";
/// Key of the hard state.
inline constexpr std::string_view hard_state_key = "mhard";
/// Key of the latest snapshot.
inline constexpr std::string_view snapshot_key = "msnapshot";

/// Size of an entry key.
inline constexpr size_t entry_key_size = 9;
/// Size of an entry value before its data (term, kind).
inline constexpr size_t entry_fixed_size = 9;
/// Size of the hard state value before `voted_for` (term, commit).
inline constexpr size_t hard_state_fixed_size = 16;
/// Size of the snapshot value before the topology JSON (index, term,
/// JSON length).
inline constexpr size_t snapshot_fixed_size = 20;
/// Size of the snapshot value after the topology JSON (data size, CRC).
inline constexpr size_t snapshot_trailer_size = 12;

/// Sets `out` to the key of the log entry at `index`.
/// @pre `index > 0`
inline void entry_key(std::string& out, uint64_t index) {
  out.clear();
  out.push_back(entry_prefix);
  byte_order::append_big_endian(out, index);
}

} // namespace raft_keys

} // namespace corvus
