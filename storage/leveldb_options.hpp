#pragma once

// The LevelDB settings every Corvus document store is opened with, in one
// place: the store uses them, and so does the raw-LevelDB benchmark anchor,
// so that the anchor differs from Corvus only by what Corvus adds on top.

#include "storage/document_store.hpp"

#include <leveldb/cache.h>
#include <leveldb/filter_policy.h>
#include <leveldb/options.h>

#include <memory>

namespace corvus {

/// LevelDB options and the objects they point to, which must outlive the
/// database opened with them.
struct leveldb_settings {
  leveldb::Options options;
  std::shared_ptr<leveldb::Cache> cache;
  std::unique_ptr<const leveldb::FilterPolicy> filter;
};

/// @returns the settings for a store opened with `opts` (create_if_missing,
///          cache, write buffer, bloom filter, paranoid checks, env).
std::unique_ptr<leveldb_settings> make_leveldb_settings(
  const store_options& opts);

} // namespace corvus
