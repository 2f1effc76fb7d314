#pragma once

// What a leader knows about one follower's log (Raft §5.3; etcd's
// Progress): the highest index known to match (`match`) and the next one to
// send (`next`), in one of three states:
//   probe     - the match point is unknown; one append per heartbeat until
//               the follower accepts one;
//   replicate - the follower keeps up; appends are pipelined, at most
//               `max_inflight` unacknowledged and about `max_bytes` of
//               entries in them;
//   snapshot  - the follower needs entries the leader compacted away; a
//               snapshot is on its way, nothing else is sent.

#include "runtime/raft/topology.hpp"
#include "runtime/raft/types.hpp"

#include <cstddef>
#include <deque>

namespace corvus::raft {

enum class progress_state : uint8_t { probe, replicate, snapshot };

/// @returns "probe", "replicate" or "snapshot".
const char* to_string(progress_state state);

struct progress {
  membership type = membership::member;
  index_t match = 0;
  index_t next = 1;
  progress_state state = progress_state::probe;
  /// Probe: an append is out and unanswered; cleared by an answer or by
  /// the next heartbeat period.
  bool probe_sent = false;
  /// A heartbeat answer of this heartbeat period already released an
  /// append. A follower that stalled answers all the heartbeats it missed
  /// at once; each releasing another append (up to max_append_bytes each)
  /// queued a burst for it ahead of every other follower's heartbeat.
  bool heartbeat_released = false;
  /// An unacknowledged append: its last index and its entries' bytes.
  struct sent_append {
    index_t last = 0;
    size_t bytes = 0;
  };
  /// Replicate: the unacknowledged appends, oldest first, and their bytes.
  std::deque<sent_append> inflight;
  size_t inflight_bytes = 0;
  /// Snapshot: index of the snapshot being sent.
  index_t pending_snapshot = 0;
  /// Answered since the leader last checked for a quorum.
  bool recent_active = false;
  /// Ticks since the follower last answered.
  int silent_ticks = 0;
  /// Ticks since the progress entered its state.
  int state_ticks = 0;

  /// Records that the follower holds the log up to `index`.
  /// @returns whether `match` advanced.
  bool update(index_t index);

  /// Handles a rejected append at `rejected`, whose answer suggests
  /// `hint` as the last index that might match.
  /// @returns false when the rejection is stale (already superseded).
  bool decrease(index_t rejected, index_t hint);

  void become_probe();
  void become_replicate();
  void become_snapshot(index_t snapshot_index);

  /// @returns whether nothing more may be sent now: in replicate, once
  ///          `max_inflight` appends or `max_bytes` of entries are
  ///          unacknowledged (one append always may go).
  bool paused(size_t max_inflight, size_t max_bytes) const;

  /// Records an append whose last entry is `last` (`last` < next for an
  /// append without entries), carrying `bytes` of entries.
  void sent(index_t last, size_t bytes);

  /// Drops inflight appends up to `index` (they were acknowledged).
  void acknowledge(index_t index);

  /// Forgets the oldest unacknowledged append (it may have been lost).
  void forget_oldest();

  /// Forgets every unacknowledged append (the state changes).
  void forget_inflight();
};

} // namespace corvus::raft
