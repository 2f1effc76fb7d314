#pragma once

// A member's Raft log in memory (Raft §5.3, §7): the latest snapshot, the
// entries after it, and the marks that move along it — persisted, committed,
// applied. The topology in force is derived from it: the last topology entry
// appended, or the snapshot's (§1.5: a change takes effect when appended and
// is undone when a divergent suffix holding it is truncated).
//
// The entries in memory are contiguous and may reach back before the
// snapshot: compaction keeps some entries the snapshot covers, so that a
// follower slightly behind still gets entries instead of a snapshot.
// Invariants: first_index() <= snapshot.index + 1; applied <= committed <=
// last_index(); snapshot.index <= applied.

#include "runtime/raft/snapshot.hpp"
#include "runtime/raft/topology.hpp"
#include "runtime/raft/types.hpp"

#include <deque>
#include <optional>
#include <vector>

namespace corvus::raft {

class raft_log {
public:
  raft_log() = default;

  /// Restores a log from storage: everything given is persisted.
  /// @pre `entries` are contiguous and start at or before `snap.index + 1`.
  raft_log(snapshot snap, std::vector<entry> entries, index_t committed);

  // -- positions ------------------------------------------------------------

  /// @returns the index of the first entry in memory.
  index_t first_index() const {
    return entries_.empty() ? snap_.index + 1 : entries_.front().index;
  }

  index_t last_index() const {
    return entries_.empty() ? snap_.index : entries_.back().index;
  }

  term_t last_term() const;

  /// @returns the term of the entry at `index`: the snapshot's term at its
  ///          index, 0 at index 0, nullopt when compacted away or past the
  ///          end.
  std::optional<term_t> term_at(index_t index) const;

  /// @returns whether the entry at `index` exists and has term `term`.
  bool matches(index_t index, term_t term) const;

  /// @returns the entry at `index`. @pre first_index() <= index <= last
  const entry& at(index_t index) const;

  /// @returns entries [from, to] (inclusive), stopping once their data
  ///          exceeds `max_bytes` (at least one entry is returned).
  /// @pre first_index() <= from
  std::vector<entry> slice(index_t from, index_t to, size_t max_bytes) const;

  /// @returns the last index at or below `hint` whose term is at most
  ///          `term` (fast back-off, etcd's findConflictByTerm); the
  ///          snapshot index when no entry in memory qualifies.
  index_t last_index_with_term_at_most(index_t hint, term_t term) const;

  // -- changes --------------------------------------------------------------

  /// Appends entries a leader created. @pre they continue the log.
  void append(std::vector<entry> fresh);

  /// Merges entries a leader sent after (prev_index, prev_term): skips those
  /// already present, truncates at the first conflict, appends the rest.
  /// @returns the index of the last entry now known to match the leader's
  ///          log, or nullopt when the log does not hold (prev_index,
  ///          prev_term). Entries at or below the commit index are never
  ///          replaced.
  std::optional<index_t> merge(index_t prev_index, term_t prev_term,
                               const std::vector<entry>& sent);

  /// Advances the commit mark (never backwards).
  void commit_to(index_t index);

  /// Advances the applied mark. @pre index <= committed
  void applied_to(index_t index);

  /// Marks entries up to `index` as persisted; ignored when the entry at
  /// `index` has since been replaced by one of another term.
  void persisted_to(index_t index, term_t term);

  /// Replaces the whole log by `snap` (installed from the leader).
  /// @pre the log does not hold (snap.index, snap.term), and snap.index is
  ///      past the commit index.
  void restore(snapshot snap);

  /// Records the owner's snapshot at `snap.index` and drops the entries
  /// before `keep_from`. @pre keep_from <= snap.index + 1, snap.index <=
  /// applied
  /// @returns the dropped entries, so that the owner decides where their
  ///          memory is freed (half a million entries take tens of
  ///          milliseconds).
  std::deque<entry> compact(snapshot snap, index_t keep_from);

  // -- marks ----------------------------------------------------------------

  index_t committed() const {
    return committed_;
  }

  index_t applied() const {
    return applied_;
  }

  /// @returns whether entries wait to be handed out for persisting.
  bool has_unpersisted() const {
    return unpersisted_from_ <= last_index();
  }

  /// @returns the entries not yet handed out for persisting, and marks
  ///          them as handed out.
  std::vector<entry> take_unpersisted();

  /// @returns the index up to which storage holds the log.
  index_t persisted() const {
    return persisted_;
  }

  /// @returns committed entries not yet applied that storage holds.
  std::vector<entry> to_apply(size_t max_bytes) const;

  const snapshot& latest_snapshot() const {
    return snap_;
  }

  /// @returns the topology in force (the last appended).
  const topology& config() const {
    return config_;
  }

  /// @returns the index of the entry that set config(), or the snapshot's
  ///          index when it comes from the snapshot.
  index_t config_index() const {
    return config_index_;
  }

private:
  void truncate_from(index_t index);
  /// Appends `e` (the next index) and notes it when it is a topology entry.
  void push(entry e);
  void recompute_config();

  snapshot snap_;
  std::deque<entry> entries_;
  /// The indexes of the topology entries in `entries_`, ascending.
  std::vector<index_t> topology_entries_;
  index_t committed_ = 0;
  index_t applied_ = 0;
  index_t persisted_ = 0;
  index_t unpersisted_from_ = 1;
  topology config_;
  index_t config_index_ = 0;
};

} // namespace corvus::raft
