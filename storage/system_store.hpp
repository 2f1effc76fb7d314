#pragma once

// The node's system store: a small LevelDB holding what a node must remember
// about itself and its cluster. Keys are listed in storage/keys.hpp
// (`system_keys`). Every write is one synced batch.

#include "runtime/failure.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace leveldb {
class DB;
class Env;
} // namespace leveldb

namespace corvus {

class system_store {
public:
  /// Opens (creating when missing) the system store in `dir`. `env` is
  /// nullptr for real files; tests pass an in-memory Env (not owned).
  static outcome<std::unique_ptr<system_store>>
  open(const std::string& dir, leveldb::Env* env = nullptr);

  ~system_store();

  system_store(const system_store&) = delete;
  system_store& operator=(const system_store&) = delete;

  /// @returns the value under `key`, or nullopt.
  outcome<std::optional<std::string>> read(std::string_view key) const;

  /// Writes all pairs as one synced batch.
  outcome<done>
  write(const std::vector<std::pair<std::string, std::string>>& pairs);

private:
  system_store(std::unique_ptr<leveldb::DB> db, std::string dir);
  std::unique_ptr<leveldb::DB> db_;
  std::string dir_;
};

} // namespace corvus
