// Opening a document store of format version 1 (written here key by key,
// as that version laid it out) migrates it to the current format
// (storage/keys.hpp).

#include "storage/document_store.hpp"

#include "storage/keys.hpp"
#include "storage/leveldb_util.hpp"
#include "storage/record_codec.hpp"
#include "test/storage/store_model.hpp"

#include <doctest/doctest.h>

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <memory>
#include <string>

using namespace corvus;
using namespace corvus::test;

namespace {

namespace dk = document_keys;

std::unique_ptr<leveldb::DB> open_raw(const mem_env& m) {
  leveldb::Options opts;
  opts.env = m.env.get();
  opts.create_if_missing = true;
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(opts, "/db", &raw).ok());
  return std::unique_ptr<leveldb::DB>{raw};
}

// Writes what format version 1 held for the documents and tombstones of
// `model` into "/db" on `m`.
void write_format_1(const mem_env& m, const store_model& model) {
  leveldb::WriteBatch batch;
  std::string key;
  std::string value;
  batch.Put(to_slice(dk::format_key), std::string{"\x01\0\0\0", 4});
  batch.Put(to_slice(dk::db_id_key), model.state.db_id);
  for (auto& [folded, rec] : model.records) {
    dk::record_key(key, folded, rec.tombstone);
    encode_record(value, rec, false);
    batch.Put(key, value);
    // Version 1's etag index value is the record key alone.
    std::string record_key = key;
    dk::etag_key(key, rec.etag);
    batch.Put(key, record_key);
    if (!rec.tombstone) {
      dk::collection_key(key, ascii_lower(rec.collection), rec.etag);
      batch.Put(key, record_key);
    }
  }
  for (auto& [folded, info] : model.collections) {
    dk::collection_count_key(key, folded);
    value.clear();
    dk::append_little_endian(value, static_cast<uint64_t>(info.count));
    value.append(info.name);
    batch.Put(key, value);
  }
  // Last etag, document count, tombstone count, change vector.
  value.clear();
  dk::append_little_endian(value, static_cast<uint64_t>(model.state.last_etag));
  dk::append_little_endian(value, static_cast<uint64_t>(model.live().size()));
  dk::append_little_endian(value,
                           static_cast<uint64_t>(model.tombstone_count()));
  value.append(model.state.change_vector);
  batch.Put(to_slice(dk::state_key), value);
  REQUIRE(open_raw(m)->Write({}, &batch).ok());
}

// @returns the first byte (the encoding version) of the record of
// document `folded` in "/db" on `m`.
int record_version(const mem_env& m, const std::string& folded) {
  std::string key;
  std::string value;
  dk::record_key(key, folded, false);
  REQUIRE(open_raw(m)->Get({}, key, &value).ok());
  return static_cast<uint8_t>(value.at(0));
}

// @returns the value of `m format` in "/db" on `m`.
std::string format_of(const mem_env& m) {
  std::string version;
  REQUIRE(open_raw(m)->Get({}, to_slice(dk::format_key), &version).ok());
  return version;
}

// A model of a version-1 store: documents in two collections, a tombstone
// and a document written again.
store_model format_1_model() {
  store_model model;
  model.state.db_id = "hb0jT0Fq9kS5xJ1wdc7W1g";
  model.put("Users/1", "Users", R"({"name":"Ann"})");
  model.put("users/2", "USERS", "{}");
  model.put("orders/1", "Orders", "{}");
  model.del("users/2");
  model.put("Orders/1", "Orders", R"({"lines":[]})");
  // Version 1 knew no transactions spanning etags: nothing to `take`.
  model.pending.clear();
  return model;
}

} // namespace

TEST_CASE("a format 1 store is migrated on open and stays migrated") {
  mem_env m;
  auto model = format_1_model();
  write_format_1(m, model);
  {
    auto store = open_document_store(m, "/db", false);
    check_store(*store, model);
    for (auto& entry : unwrap(store->changes_since(0, 10)))
      CHECK(entry.transaction_end == entry.record.etag);
    CHECK(unwrap(store->stats()).conflict_count == 0);
  }
  CHECK(format_of(m) == std::string{"\x03\0\0\0", 4});
  auto store = open_document_store(m, "/db", false);
  check_store(*store, model);
  model.conflict("users/1", "Users", "{}");
  model.put("users/3", "Users", "{}");
  commit(*store, model);
}

TEST_CASE("a format 1 store with a broken etag index stays as it was") {
  mem_env m;
  auto model = format_1_model();
  write_format_1(m, model);
  std::string entry;
  dk::etag_key(entry, 1);
  REQUIRE(open_raw(m)->Put({}, entry, "?users/1").ok());
  auto res = document_store::open("/db", m.options(false));
  REQUIRE(!res);
  CHECK(res.error().code == ec::storage_failure);
  CHECK(res.error().message.find("etag 1") != std::string::npos);
  CHECK(format_of(m) == std::string{"\x01\0\0\0", 4});
}

TEST_CASE("a format 2 store is marked format 3 on open and then also holds "
          "compressed bodies") {
  mem_env m;
  store_model model;
  std::string long_body = R"({"Notes":")";
  for (int i = 0; i < 40; ++i)
    long_body += "amber willow ";
  long_body += R"("})";
  {
    // What a format 2 build wrote: plain bodies only.
    auto opts = m.options(true);
    opts.compression = compression::none;
    auto store = unwrap(document_store::open("/db", opts));
    model.state = store->state();
    model.put("notes/1", "Notes", long_body);
    model.put("notes/2", "Notes", "{}");
    commit(*store, model);
  }
  REQUIRE(open_raw(m)
            ->Put({}, to_slice(dk::format_key), std::string{"\x02\0\0\0", 4})
            .ok());
  CHECK(record_version(m, "notes/1") == record_plain_version);
  {
    auto store = open_document_store(m, "/db", false);
    check_store(*store, model);
    model.put("notes/3", "Notes", long_body);
    commit(*store, model);
  }
  CHECK(format_of(m) == std::string{"\x03\0\0\0", 4});
  CHECK(record_version(m, "notes/1") == record_plain_version);
  CHECK(record_version(m, "notes/3") == record_compressed_version);
  auto store = open_document_store(m, "/db", false);
  check_store(*store, model);
}
