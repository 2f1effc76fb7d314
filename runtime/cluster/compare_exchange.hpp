#pragma once

// Compare-exchange values (ravendb-internals.md §1.9): cluster-wide
// key → (JSON value, raft index of the last write), one namespace per
// database, changed only through the Raft log.
//
// RavenDB's semantics, as read in ravendb/ravendb:
// * Keys are case-insensitive: the storage key is `<db>/<key>` lower-cased
//   (src/Raven.Server/ServerWide/CompareExchangeKey.cs, GetStorageKey), so
//   listings return keys lower-cased, while a lookup by key echoes the key
//   as asked. A key is 1..512 UTF-8 bytes (AddOrUpdateCompareExchangeCommand
//   .MaxNumberOfCompareExchangeKeyBytes, checked on put only, before the
//   command is proposed); the index must not be negative.
// * Put (src/Raven.Server/ServerWide/Commands/CompareExchangeCommands.cs,
//   AddOrUpdateCompareExchangeCommand.ExecuteInternal): an existing value
//   is replaced only when the command's index equals its index, and then
//   the result is (applied index, new value); otherwise (current index,
//   current value). An absent key is created only with index 0; any other
//   index gives (0, null) and creates nothing (RavenDB-22230,
//   test/SlowTests/Issues/RavenDB_22230.cs).
// * Delete (RemoveCompareExchangeCommand.ExecuteInternal): removed when the
//   index matches, result (applied index, removed value); a mismatch gives
//   (current index, current value); an absent key gives (applied index,
//   null), i.e. a delete of nothing succeeds.
// * "Successful" is computed by the HTTP handler as result index == applied
//   index (src/Raven.Server/Web/System/Processors/CompareExchange/
//   CompareExchangeHandlerProcessorForPutCompareExchangeValue.cs).
// * Listing by prefix (ClusterStateMachine.GetCompareExchangeValuesStartsWith)
//   walks the lower-cased keys in byte order, skips `start` matches and
//   returns at most `pageSize` (no pageSize = all; a count that starts at
//   zero or below never stops the loop, so it returns all too).
// * Deleting a database record deletes its values
//   (ClusterStateMachine.CleanupDatabaseRelatedValues).
// Not reproduced: tombstones (kept by RavenDB for cluster transactions,
// indexing and backups) and expiration via `@metadata.@expires`.

#include "runtime/cluster/cluster_command.hpp"
#include "runtime/cluster/compare_exchange_values.hpp"
#include "runtime/failure.hpp"
#include "runtime/text/shared_text.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corvus {

/// Longest compare-exchange key, in UTF-8 bytes.
inline constexpr size_t max_compare_exchange_key_bytes = 512;

/// One value as read back: a lookup by key (missing: index -1, value "") or
/// a listing entry.
struct compare_exchange_item {
  std::string key;
  int64_t index = -1;
  /// JSON object text, shared with the store's entry (a listing copies no
  /// values); "" = null (the key does not exist).
  shared_text value;

  friend bool operator==(const compare_exchange_item& x,
                         const compare_exchange_item& y) {
    return x.key == y.key && x.index == y.index && x.value == y.value;
  }
};

/// Checks a key given by a client: not empty, at most 512 UTF-8 bytes.
/// @returns ec::bad_request naming the problem.
outcome<done> validate_compare_exchange_key(std::string_view key);

/// All compare-exchange values of the cluster, per database.
class compare_exchange_store {
public:
  /// Case-folded key → entry; copies share what neither changed.
  using values = compare_exchange_values;

  /// Applies a put at raft index `index` (see the file comment).
  /// @pre the key and the index are valid.
  compare_exchange_result put(const put_compare_exchange_command& cmd,
                              int64_t index);

  /// Applies a delete at raft index `index`.
  compare_exchange_result remove(const remove_compare_exchange_command& cmd,
                                 int64_t index);

  /// Drops every value of `database` (any casing). They wait in
  /// take_dropped() to be freed: freeing 775,000 values takes 600 ms,
  /// longer than an election timeout, and the Raft member must not.
  void drop_database(std::string_view database);

  /// @returns the values dropped since the last call, to be freed on a
  ///          thread that has the time.
  std::vector<values> take_dropped() {
    return std::exchange(dropped_, {});
  }

  /// @returns the entry of `key` in `database` (any casing), or nullptr.
  const compare_exchange_entry* find(std::string_view database,
                                     std::string_view key) const;

  /// @returns one item per key, in order, each named as asked; missing
  ///          keys have index -1 and no value.
  std::vector<compare_exchange_item>
  get(std::string_view database, const std::vector<std::string>& keys) const;

  /// @returns the values of `database` (any casing; none when it has
  ///          none) as a copy that shares them: cheap to take, and safe to
  ///          read on another thread while this store goes on changing.
  values values_of(std::string_view database) const;

  /// Case-folded database name → its values (databases without values
  /// are absent).
  const std::map<std::string, values>& databases() const {
    return databases_;
  }

  /// Inserts an entry as read from a snapshot. @pre folded names
  void restore(std::string folded_database, std::string folded_key,
               compare_exchange_entry entry);

  /// @returns the number of values across all databases.
  size_t size() const;

  friend bool operator==(const compare_exchange_store& x,
                         const compare_exchange_store& y) {
    return x.databases_ == y.databases_;
  }

private:
  std::map<std::string, values> databases_;
  std::vector<values> dropped_;
};

/// A listing by prefix: the entries of one database's values whose key
/// starts with the case-folded prefix, in key order, past the first `start`
/// and at most `page_size`, one at a time, so that a listing of the whole
/// state is never gathered at once. Keys come back case-folded, as
/// RavenDB's do; values share the stored bytes.
class compare_exchange_listing {
public:
  /// @param values a copy of the database's values (values_of), which the
  ///        listing keeps: it stays valid while the store changes.
  compare_exchange_listing(compare_exchange_values values,
                           std::string_view prefix, size_t start,
                           size_t page_size);

  compare_exchange_listing(const compare_exchange_listing&) = delete;
  compare_exchange_listing& operator=(const compare_exchange_listing&)
    = delete;

  /// @returns the next item, or nothing past the last.
  std::optional<compare_exchange_item> next();

private:
  compare_exchange_values values_;
  compare_exchange_values::ordered_walk walk_;
  size_t left_;
};

} // namespace corvus
