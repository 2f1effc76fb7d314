#pragma once

// A Bloom filter over document ids: "certainly not there" or "maybe there".
//
// It lets a document store answer for an id it never held without asking
// LevelDB. That matters beyond the lookup itself: every LevelDB read that
// misses the memtables and passes more than one table file charges a "seek"
// to the first, and a file out of seeks gets compacted. Checking new ids on
// every put spends those seeks at a high rate (each lookup costs a table
// 16 KiB of its allowance), and the compactions it triggers rewrote about
// 60 % more data than the writes alone (scripts/bench/where-the-time-goes.md).
//
// Blocked layout: the bits of one id all lie in one 64-byte block, so a
// query touches one cache line. Bits are set with atomic or, so one thread
// may add while others add and query; what a query sees of an add follows
// the usual happens-before of the program (here, LevelDB's mutex and the
// actors' mailboxes order every add before any read that could find the
// id).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace corvus {

class id_filter {
public:
  /// Bits per id at capacity: about 1 % false positives there, fewer below.
  static constexpr size_t bits_per_id = 10;

  /// A filter with room for `capacity` ids (at least one block).
  explicit id_filter(size_t capacity);

  id_filter(const id_filter&) = delete;
  id_filter& operator=(const id_filter&) = delete;

  void add(std::string_view id);

  /// @returns false only when `id` was never added.
  bool may_contain(std::string_view id) const;

  /// The number of ids the filter was sized for.
  size_t capacity() const {
    return capacity_;
  }

  size_t memory_bytes() const {
    return blocks_ * block_words * sizeof(uint64_t);
  }

private:
  static constexpr size_t block_words = 8;

  /// The block of `hash` and its bit mask in each of the block's words.
  struct placement {
    size_t block;
    uint64_t masks[block_words];
  };
  placement place(std::string_view id) const;

  size_t capacity_;
  size_t blocks_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
};

/// What a store's filter of ids is doing (storage/known_ids.hpp), for the
/// introspection console.
struct id_filter_status {
  /// "off" (configured so), "building" (reading the store's ids after the
  /// open; reads go to LevelDB meanwhile), "ready", or "failed" (the build
  /// could not read the store; reads go to LevelDB).
  std::string state;
  /// Filters in use: one after the open, one more each time the store has
  /// doubled since.
  int64_t filters = 0;
  /// Ids they have room for together, and their memory.
  int64_t capacity = 0;
  int64_t memory_bytes = 0;
  /// Ids the build at open has read so far, and how long it took.
  int64_t scanned = 0;
  int64_t build_ms = 0;
  /// Reads of an id (a load, or the check a put makes) the filter answered
  /// without LevelDB.
  int64_t lookups_spared = 0;
  /// Why the build failed, or empty.
  std::string failure;
};

} // namespace corvus
