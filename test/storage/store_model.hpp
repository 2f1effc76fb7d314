#pragma once

// Helpers of the storage tests: an in-memory Env per test and a model of a
// document store that produces writes the way the transaction core does
// (etags, `replaced`, change vectors) and predicts what the store must hold.

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

/// What a store must hold after a sequence of writes.
struct store_model {
  struct collection_info {
    std::string name;
    int64_t count = 0;
  };

  /// Documents and tombstones by key, with bodies.
  std::map<std::string, document_record> records;
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

  /// Deletes `id` (a tombstone replaces it) when it is live.
  void del(const std::string& id) {
    auto iter = records.find(ascii_lower(id));
    if (iter == records.end() || iter->second.tombstone)
      return;
    document_record rec;
    rec.id = id;
    rec.collection = iter->second.collection;
    rec.tombstone = true;
    write(std::move(rec));
  }

  /// @returns the writes of the current batch and starts a new one.
  std::vector<document_write> take() {
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

  /// @returns documents and tombstones in etag order.
  std::vector<document_record> by_etag() const {
    std::vector<document_record> out;
    for (auto& [key, rec] : records)
      out.push_back(rec);
    std::sort(out.begin(), out.end(),
              [](auto& x, auto& y) { return x.etag < y.etag; });
    return out;
  }

  int64_t tombstone_count() const {
    return static_cast<int64_t>(records.size() - live().size());
  }

private:
  void write(document_record rec) {
    auto key = ascii_lower(rec.id);
    rec.etag = ++state.last_etag;
    rec.change_vector = "A:" + std::to_string(rec.etag) + "-" + state.db_id;
    rec.last_modified = 638000000000000000 + ++clock;
    state.change_vector = rec.change_vector;
    document_write w;
    w.key = key;
    if (auto iter = records.find(key); iter != records.end()) {
      w.replaced = iter->second;
      w.replaced->json.clear();
      if (!iter->second.tombstone)
        count(iter->second.collection, -1);
    }
    if (!rec.tombstone)
      count(rec.collection, 1);
    w.record = rec;
    records[key] = std::move(rec);
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
  auto changes = unwrap(store.changes_since(0, model.records.size() + 10));
  CHECK(changes == model.by_etag());
  for (auto& [key, rec] : model.records) {
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
  std::vector<collection_count> expected;
  for (auto& [folded, info] : model.collections)
    expected.push_back(collection_count{info.name, info.count});
  REQUIRE(stats.collections.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(stats.collections[i].name == expected[i].name);
    CHECK(stats.collections[i].count == expected[i].count);
  }
}

} // namespace corvus::test
