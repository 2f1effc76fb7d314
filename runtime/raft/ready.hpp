#pragma once

// What a Raft core asks its owner to do, collected since the last
// take_ready(). The owner does it in this order (Raft Figure 2's "respond
// after persisting"): persist (one write: hard state, snapshot, discarded
// and appended entries; synced unless needs_sync() says it may wait), then
// send `messages`, then restore the
// state machine from an installed snapshot, apply `committed` and hand out
// `read_states`; finally it calls core::advance(ready).

#include "runtime/raft/message.hpp"
#include "runtime/raft/snapshot.hpp"
#include "runtime/raft/types.hpp"

#include <optional>
#include <vector>

namespace corvus::raft {

/// A linearizable read that may proceed: once the state machine has applied
/// `index`, the read of `context` sees every write acknowledged before it
/// was asked for (Raft §6.4).
struct read_state {
  uint64_t context = 0;
  index_t index = 0;

  friend bool operator==(const read_state& x, const read_state& y) {
    return x.context == y.context && x.index == y.index;
  }
};

struct ready {
  /// Persist when set.
  std::optional<hard_state> new_hard_state;
  /// Persist as the member's latest snapshot when set: one it took
  /// (core::compact) or one the leader sent (`installed` true).
  std::optional<snapshot> new_snapshot;
  /// The snapshot came from the leader: the state machine must be replaced
  /// by its data before `committed` is applied.
  bool installed = false;
  /// Delete every stored entry with an index up to this one (0: none).
  /// Done before `entries` are written.
  index_t discard_through = 0;
  /// Append to the stored log. Every stored entry with an index at or past
  /// `entries.front().index` is deleted first (a divergent suffix).
  std::vector<entry> entries;
  /// Send after persisting; lost messages are fine, Raft resends.
  std::vector<message> messages;
  /// Committed entries to apply, in index order.
  std::vector<entry> committed;
  /// Linearizable reads that may proceed once their index is applied.
  std::vector<read_state> read_states;
  /// Read-index requests that cannot be served (no leader, lost the
  /// leadership); the owner fails them and the client retries.
  std::vector<uint64_t> dropped_reads;

  /// @returns whether the owner must write to storage.
  bool needs_persist() const {
    return new_hard_state || new_snapshot || discard_through > 0
           || !entries.empty();
  }

  /// @returns whether the write must be synced before anything is sent or
  ///          applied, given the hard state saved last: everything but a
  ///          write that only moves the commit index (as in etcd), since a
  ///          commit index lost in a crash is learnt again from the leader,
  ///          while a lost entry, term or vote could break Raft's promises.
  bool needs_sync(const hard_state& saved) const {
    return !entries.empty() || new_snapshot || discard_through > 0
           || (new_hard_state
               && (new_hard_state->term != saved.term
                   || new_hard_state->voted_for != saved.voted_for));
  }

  /// @returns whether there is nothing to do.
  bool empty() const {
    return !needs_persist() && messages.empty() && committed.empty()
           && read_states.empty() && dropped_reads.empty();
  }
};

} // namespace corvus::raft
