#include "storage/system_store.hpp"

#include "storage/leveldb_util.hpp"

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/write_batch.h>

namespace corvus {

namespace {

constexpr std::string_view store_name = "system store";

} // namespace

outcome<std::unique_ptr<system_store>>
system_store::open(const std::string& dir, leveldb::Env* env) {
  leveldb::Options opts;
  opts.create_if_missing = true;
  // Same reasoning as the document store: refuse a damaged store rather
  // than drop what LevelDB cannot read.
  opts.paranoid_checks = true;
  // A few small keys: a small memtable and LevelDB's default block cache.
  opts.write_buffer_size = 1 << 20;
  if (env != nullptr)
    opts.env = env;
  leveldb::DB* raw = nullptr;
  auto status = leveldb::DB::Open(opts, dir, &raw);
  if (!status.ok())
    return storage_error(store_name, dir, "cannot open", status);
  return std::unique_ptr<system_store>{
    new system_store(std::unique_ptr<leveldb::DB>{raw}, dir)};
}

system_store::system_store(std::unique_ptr<leveldb::DB> db, std::string dir)
  : db_(std::move(db)), dir_(std::move(dir)) {
  // nop
}

system_store::~system_store() {
  // nop
}

outcome<std::optional<std::string>>
system_store::read(std::string_view key) const {
  std::string value;
  auto status = db_->Get(leveldb::ReadOptions{}, to_slice(key), &value);
  if (status.IsNotFound())
    return std::optional<std::string>{};
  if (!status.ok())
    return storage_error(store_name, dir_,
                         "read of '" + std::string{key} + "' failed", status);
  return std::optional<std::string>{std::move(value)};
}

outcome<done> system_store::write(
  const std::vector<std::pair<std::string, std::string>>& pairs) {
  leveldb::WriteBatch batch;
  for (auto& [key, value] : pairs)
    batch.Put(key, value);
  leveldb::WriteOptions opts;
  opts.sync = true;
  auto status = db_->Write(opts, &batch);
  if (!status.ok())
    return storage_error(store_name, dir_, "write failed", status);
  return done{};
}

} // namespace corvus
