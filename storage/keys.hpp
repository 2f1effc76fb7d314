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
//   e <etag: 8 bytes BE>          -> d <key> | t <key>
//   c <coll> <etag: 8 bytes BE>   -> d <key>
//   m format                      -> u32 LE   store format version
//   m db_id                       -> 22 characters of unpadded base64
//   m state                       -> see "state value" below
//   m collection/<folded name>    -> i64 LE count, then the name as written
//
// `d`/`t`: a key is either a document or a tombstone, never both; replacing
//   one by the other deletes the old key in the same batch. Records use the
//   encoding in storage/record_codec.hpp.
// `e`: the etag index over documents and tombstones. Its value is the full
//   record key, so "everything changed after etag N, in etag order" (stats,
//   replication) is one range scan plus one point read per entry. Etags are
//   positive, so big-endian bytes sort in numeric order. An entry exists only
//   for the current version of a key; the batch that replaces a version
//   deletes its entry.
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
//   count, then the global change vector text up to the end of the value.
//   All four change together in nearly every batch and are read together at
//   open, hence one key.
//
// collection counts: only collections with at least one live document have
//   a key; the name as written is the casing of the document that created
//   the entry.
//
// SYSTEM STORE (one LevelDB per node, storage/system_store)
//
// Plain string keys, listed in `system_keys`; each value's format belongs to
// the component that writes it and is documented at that key.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace corvus {

namespace document_keys {

/// The layout version written under `m format`. Bump it whenever a key or
/// value format in this file changes incompatibly.
inline constexpr uint32_t format_version = 1;

/// Prefix of live documents.
inline constexpr char document_prefix = 'd';
/// Prefix of tombstones.
inline constexpr char tombstone_prefix = 't';
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
inline constexpr size_t state_fixed_size = 24;

/// Appends `x` as 8 bytes big-endian.
inline void append_big_endian(std::string& out, uint64_t x) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((x >> shift) & 0xff));
}

/// @returns the 8 big-endian bytes at `p` as a number.
inline uint64_t read_big_endian(const char* p) {
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i)
    x = (x << 8) | static_cast<unsigned char>(p[i]);
  return x;
}

/// Appends `x` as 8 bytes little-endian.
inline void append_little_endian(std::string& out, uint64_t x) {
  for (int shift = 0; shift < 64; shift += 8)
    out.push_back(static_cast<char>((x >> shift) & 0xff));
}

/// @returns the 8 little-endian bytes at `p` as a number.
inline uint64_t read_little_endian(const char* p) {
  uint64_t x = 0;
  for (int i = 7; i >= 0; --i)
    x = (x << 8) | static_cast<unsigned char>(p[i]);
  return x;
}

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
  for (auto c : folded) {
    out.push_back(c);
    if (c == '\0')
      out.push_back('\1');
  }
  out.push_back('\0');
  out.push_back('\0');
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

/// This node's tag ("A", "B", ...), chosen when it joins or founds a
/// cluster; empty or missing while the node is passive.
inline constexpr std::string_view node_tag = "node/tag";

/// The cluster state machine's last applied state, serialized by its owner
/// (runtime/cluster) together with the Raft index it reflects.
inline constexpr std::string_view cluster_state = "cluster/state";

} // namespace system_keys

} // namespace corvus
