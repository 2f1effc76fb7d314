#pragma once

// One database's compare-exchange values, split by key hash into shards
// that copies share until one of them changes a shard (copy on write).
//
// Why: the Raft member copies the cluster state to snapshot it on another
// thread. With the values in one map that copy allocated a node per value
// on the member's thread: 260-335 ms at about 500,000 values, long enough
// for followers to miss the leader's heartbeats and elect another. Now a
// copy takes one pointer per shard, and the member clones a shard (a
// thousandth of the values) only when it first changes one that a
// snapshot still holds.

#include "runtime/text/shared_text.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corvus {

/// One stored value.
struct compare_exchange_entry {
  /// JSON object text as the client sent it (`{"Object": ...}`), shared
  /// by copies of the state.
  shared_text value;
  /// Raft index of the last write.
  int64_t index = 0;

  friend bool operator==(const compare_exchange_entry& x,
                         const compare_exchange_entry& y) {
    return x.value == y.value && x.index == y.index;
  }
};

class compare_exchange_values {
public:
  static constexpr size_t shard_count = 1024;

  /// Case-folded key and its entry.
  using value_type = std::pair<const std::string, compare_exchange_entry>;

  /// @returns the entry of case-folded `key`, or nullptr.
  const compare_exchange_entry* find(const std::string& key) const;

  /// Sets the entry of case-folded `key`, adding the key when missing.
  void assign(std::string key, compare_exchange_entry entry);

  /// Removes case-folded `key`; nothing when missing.
  void erase(const std::string& key);

  size_t size() const {
    return size_;
  }

  bool empty() const {
    return size_ == 0;
  }

  /// Calls `f(key, entry)` for every entry, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (auto& s : shards_)
      if (s)
        for (auto& [key, entry] : *s)
          f(key, entry);
  }

  /// @returns the entries whose key starts with `prefix` (all when empty),
  ///          in key order; valid until the next change.
  std::vector<const value_type*> sorted(std::string_view prefix = {}) const;

  /// The entries whose key starts with a prefix, in key order, one at a
  /// time (below).
  class ordered_walk;

  friend bool operator==(const compare_exchange_values& x,
                         const compare_exchange_values& y);

private:
  using shard = std::map<std::string, compare_exchange_entry>;

  static size_t shard_of(const std::string& key);
  /// @returns shard `i`, cloned first when a copy of this store shares it.
  shard& writable(size_t i);

  /// Empty until the first value arrives; a null shard is an empty one.
  std::vector<std::shared_ptr<shard>> shards_;
  size_t size_ = 0;
};

/// Each shard is ordered, and their runs that match the prefix are merged
/// only as far as the walk goes, so a page costs what it skips and returns,
/// not what the prefix matches. Valid while the values it walks do not
/// change (a copy of them does not).
class compare_exchange_values::ordered_walk {
public:
  ordered_walk(const compare_exchange_values& values, std::string_view prefix);

  /// @returns the next entry, or null past the last.
  const value_type* next();

  /// Passes over the next `n` entries (fewer when the walk ends first).
  void skip(size_t n);

private:
  struct run {
    shard::const_iterator at, end;
  };

  bool matches(const std::string& key) const;
  /// Orders the heap: a run is later when its next key is larger.
  static bool later(const run& x, const run& y);

  std::string prefix_;
  /// A heap whose top is the run with the smallest next key.
  std::vector<run> runs_;
};

} // namespace corvus
