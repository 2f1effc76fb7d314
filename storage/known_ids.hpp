#pragma once

// The ids a document store may hold, kept in memory (runtime/documents/
// id_filter.hpp), so that a put of a new id and a read of an absent one do
// not ask LevelDB. A store with documents builds its filter at open on a
// thread of its own from a snapshot, while it already serves; until then
// every read goes to LevelDB. When the filter in use is full, a new one as
// large as all before it together takes the new ids, and a query asks each
// of them: rebuilding one bigger filter would read the whole store again
// each time it doubled, as much as was written since (measured: 2.1 s for a
// million documents, on a busy machine). Each filter adds about 1 % of
// false "maybe" at capacity; the next open builds a single one again.
//
// Threads: one writer (the store's `apply`) calls `add`; any thread calls
// `surely_absent` and `status`; the build runs on its own. Why no id is
// ever missed: the writer adds an id before LevelDB holds it, and the build
// reads a snapshot taken at open, before any write, while the writer adds
// every id to the filter being built as well.

#include "runtime/documents/id_filter.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace leveldb {
class DB;
class Snapshot;
} // namespace leveldb

namespace corvus {

class known_ids {
public:
  /// Fewest ids a filter is sized for (80 KiB of memory).
  static constexpr int64_t min_capacity = 1 << 16;

  /// Tracks the ids of `db` (in `dir`), which holds `ids` of them
  /// (documents, tombstones and conflicted ids); builds the first filter
  /// unless the store is empty. `enabled` false: `surely_absent` is always
  /// false. @pre nothing writes `db` until this returns.
  known_ids(leveldb::DB& db, std::string dir, int64_t ids, bool enabled);

  /// Stops a build in progress and waits for its thread.
  ~known_ids();

  known_ids(const known_ids&) = delete;
  known_ids& operator=(const known_ids&) = delete;

  /// The writer: `id` (case-folded) is about to be written.
  void add(std::string_view id);

  /// @returns true when the store has never held a document or tombstone
  ///          under `id` (case-folded) before this call; false when it may.
  bool surely_absent(std::string_view id) const;

  id_filter_status status() const;

private:
  /// @pre mutex_ held. Some filter of the chain may hold `id`.
  bool chain_may_contain(std::string_view id) const;
  void run_build(std::shared_ptr<id_filter> filter,
                 const leveldb::Snapshot* snapshot);

  leveldb::DB& db_;
  std::string dir_;
  bool enabled_;

  mutable std::mutex mutex_;
  /// The filters answering queries, oldest first; the last one takes new
  /// ids. Empty until the build at open is complete.
  std::vector<std::shared_ptr<id_filter>> chain_;
  /// Ids added to the last filter of the chain.
  int64_t last_count_ = 0;
  /// The filter the build at open fills, which the writer adds to as well,
  /// and the ids the writer added to it; null when no build runs.
  std::shared_ptr<id_filter> building_;
  int64_t building_adds_ = 0;
  std::string failure_;
  int64_t build_ms_ = 0;
  std::chrono::steady_clock::time_point build_started_;

  std::atomic<int64_t> scanned_{0};
  mutable std::atomic<int64_t> spared_{0};
  std::atomic<bool> stopping_{false};
  std::thread builder_;
};

} // namespace corvus
