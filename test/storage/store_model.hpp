#pragma once

// Helpers of the storage tests: an in-memory Env per test and a model of a
// document store that produces writes the way the transaction core does
// (etags, `replaced`, conflict versions and their removal, change vectors,
// transaction ends) and predicts what the store must hold.

#include "storage/document_store.hpp"

#include <doctest/doctest.h>

#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace corvus::test {

/// LevelDB's in-memory Env, freed at the end of the test.
struct mem_env {
  std::unique_ptr<leveldb::Env> env{
    leveldb::NewMemEnv(leveldb::Env::Default())};

  /// @returns options for a store on this Env.
  store_options options(bool create = true) const {
    store_options opts;
    opts.create_if_missing = create;
    opts.env = env.get();
    opts.block_cache_size = 1 << 20;
    return opts;
  }
};

/// @returns `str` with ASCII letters in lower case.
inline std::string ascii_lower(std::string str) {
  for (auto& c : str)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return str;
}

/// @returns the value of `x`; fails the test when `x` holds a failure.
template <class T>
T unwrap(outcome<T>&& x) {
  if (!x)
    FAIL("unexpected failure: " << x.error().message);
  return std::move(*x);
}

/// The database id conflict versions of the model come from.
inline constexpr const char* replication_source = "8YlB6x2uO0i9qAy6rjaR1w";

/// What a store must hold after a sequence of writes.
struct store_model {
  struct collection_info {
    std::string name;
    int64_t count = 0;
  };

  /// Documents and tombstones by key, with bodies.
  std::map<std::string, document_record> records;
  /// Conflict versions by key, then change vector, with bodies.
  std::map<std::string, std::map<std::string, document_record>> conflicts;
  /// Transaction ends of the versions written in batches of several
  /// writes, by etag; a version missing here ends its own transaction.
  std::map<int64_t, int64_t> transaction_ends;
  /// Live documents per folded collection name.
  std::map<std::string, collection_info> collections;
  database_state state;
  /// Writes of the batch being built.
  std::vector<document_write> pending;
  int64_t clock = 0;

  explicit store_model(database_state initial = {})
    : state(std::move(initial)) {
    // nop
  }

  /// Stores a new version of `id` in `collection`.
  void put(const std::string& id, const std::string& collection,
           const std::string& json) {
    document_record rec;
    rec.id = id;
    rec.collection = collection;
    rec.json = json;
    write(std::move(rec));
  }

  /// Deletes `id` (a tombstone replaces it) when it is live or in
  /// conflict.
  void del(const std::string& id) {
    auto key = ascii_lower(id);
    document_record rec;
    if (auto iter = records.find(key);
        iter != records.end() && !iter->second.tombstone)
      rec.collection = iter->second.collection;
    else if (auto versions = conflicts.find(key); versions != conflicts.end())
      rec.collection = versions->second.begin()->second.collection;
    else
      return;
    rec.id = id;
    rec.tombstone = true;
    write(std::move(rec));
  }

  /// Stores a conflict version of `id` arriving from `replication_source`
  /// (a tombstone when `json` is empty). A live document or tombstone of
  /// `id` becomes a conflict version first, in the same batch, as the
  /// transaction core does when a conflict begins.
  void conflict(const std::string& id, const std::string& collection,
                const std::string& json) {
    if (auto iter = records.find(ascii_lower(id)); iter != records.end()) {
      auto local = iter->second;
      local.flags |= document_flag::conflicted;
      write(std::move(local));
    }
    document_record rec;
    rec.id = id;
    rec.collection = collection;
    rec.json = json;
    rec.tombstone = json.empty();
    rec.flags = document_flag::conflicted;
    auto accepted = ++state.accepted_etags[replication_source];
    rec.change_vector = "B:" + std::to_string(accepted) + "-"
                        + replication_source;
    write(std::move(rec));
  }

  /// @returns the writes of the current batch and starts a new one. A
  ///          batch of several writes is one transaction; a lone write
  ///          leaves its end to the store (0 = its own etag).
  std::vector<document_write> take() {
    if (pending.size() > 1)
      for (auto& w : pending) {
        w.transaction_end = state.last_etag;
        transaction_ends[w.record.etag] = state.last_etag;
      }
    return std::move(pending);
  }

  /// @returns the live documents in key order.
  std::vector<document_record> live() const {
    std::vector<document_record> out;
    for (auto& [key, rec] : records)
      if (!rec.tombstone)
        out.push_back(rec);
    return out;
  }

  /// @returns documents, tombstones and conflict versions in etag order.
  std::vector<etag_entry> by_etag() const {
    std::vector<etag_entry> out;
    auto add = [&](const document_record& rec) {
      auto end = transaction_ends.find(rec.etag);
      out.push_back(etag_entry{
        rec, end != transaction_ends.end() ? end->second : rec.etag});
    };
    for (auto& [key, rec] : records)
      add(rec);
    for (auto& [key, versions] : conflicts)
      for (auto& [change_vector, rec] : versions)
        add(rec);
    std::sort(out.begin(), out.end(), [](auto& x, auto& y) {
      return x.record.etag < y.record.etag;
    });
    return out;
  }

  int64_t tombstone_count() const {
    return static_cast<int64_t>(records.size() - live().size());
  }

  int64_t conflict_count() const {
    int64_t n = 0;
    for (auto& [key, versions] : conflicts)
      n += static_cast<int64_t>(versions.size());
    return n;
  }

private:
  // Stores `rec` as the transaction core would: a conflict version joins
  // the conflicts of its id and takes the id out of `records`; any other
  // version replaces the id's record and resolves its conflicts.
  void write(document_record rec) {
    auto key = ascii_lower(rec.id);
    rec.etag = ++state.last_etag;
    if ((rec.flags & document_flag::conflicted) == 0) {
      rec.change_vector = "A:" + std::to_string(rec.etag) + "-" + state.db_id;
      state.change_vector = rec.change_vector;
    }
    rec.last_modified = 638000000000000000 + ++clock;
    document_write w;
    w.key = key;
    if (auto iter = records.find(key); iter != records.end()) {
      w.replaced = iter->second;
      w.replaced->json.clear();
      if (!iter->second.tombstone)
        count(iter->second.collection, -1);
      records.erase(iter);
    }
    w.record = rec;
    if ((rec.flags & document_flag::conflicted) != 0) {
      conflicts[key][rec.change_vector] = std::move(rec);
    } else {
      if (auto versions = conflicts.find(key); versions != conflicts.end()) {
        for (auto& [change_vector, old] : versions->second) {
          w.removed_conflicts.push_back(old);
          w.removed_conflicts.back().json.clear();
        }
        conflicts.erase(versions);
      }
      if (!rec.tombstone)
        count(rec.collection, 1);
      records[key] = std::move(rec);
    }
    pending.push_back(std::move(w));
  }

  void count(const std::string& collection, int64_t delta) {
    auto folded = ascii_lower(collection);
    auto& info = collections[folded];
    if (info.count == 0)
      info.name = collection;
    info.count += delta;
    if (info.count == 0)
      collections.erase(folded);
  }
};

/// Checks every read path of `store` against `model`.
inline void check_store(const document_store& store, const store_model& model) {
  CHECK(store.state() == model.state);
  auto live = model.live();
  listing_request all;
  all.page_size = live.size() + 10;
  CHECK(unwrap(store.list(all)) == live);
  auto expected_changes = model.by_etag();
  auto changes = unwrap(store.changes_since(0, expected_changes.size() + 10));
  REQUIRE(changes.size() == expected_changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    CHECK(changes[i].record == expected_changes[i].record);
    CHECK(changes[i].transaction_end == expected_changes[i].transaction_end);
  }
  for (auto& [key, versions] : model.conflicts) {
    std::vector<document_record> expected;
    for (auto& [change_vector, rec] : versions)
      expected.push_back(rec);
    CHECK(unwrap(store.conflicts(key)) == expected);
    CHECK(!unwrap(store.find(key)));
  }
  for (auto& [key, rec] : model.records) {
    CHECK(unwrap(store.conflicts(key)).empty());
    auto found = unwrap(store.find(key));
    REQUIRE(found);
    auto header = rec;
    header.json.clear();
    CHECK(*found == header);
    auto got = unwrap(store.get(key));
    if (rec.tombstone)
      CHECK(!got);
    else
      CHECK(got == std::optional<document_record>{rec});
  }
  auto stats = unwrap(store.stats());
  CHECK(stats.state == model.state);
  CHECK(stats.document_count == static_cast<int64_t>(live.size()));
  CHECK(stats.tombstone_count == model.tombstone_count());
  CHECK(stats.conflict_count == model.conflict_count());
  CHECK(store.conflict_count() == model.conflict_count());
  std::vector<collection_count> expected;
  for (auto& [folded, info] : model.collections)
    expected.push_back(collection_count{info.name, info.count});
  REQUIRE(stats.collections.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(stats.collections[i].name == expected[i].name);
    CHECK(stats.collections[i].count == expected[i].count);
  }
}

/// @returns the store in `dir` on `m`; fails the test when it cannot open.
inline std::shared_ptr<document_store>
open_document_store(const mem_env& m, const std::string& dir = "/db",
                    bool create = true) {
  return unwrap(document_store::open(dir, m.options(create)));
}

/// Applies the model's pending writes and checks the store against it.
inline void commit(document_store& store, store_model& model) {
  auto writes = model.take();
  unwrap(store.apply(writes, model.state));
  check_store(store, model);
}

} // namespace corvus::test
