#pragma once

// The messages Raft members exchange (Raft §5, §6, §7, §9.6; etcd's shape:
// one struct, the type says which fields count). Every message carries the
// sender's term; a higher term makes the receiver follow it (Figure 2).

#include "runtime/raft/snapshot.hpp"
#include "runtime/raft/types.hpp"

#include <cstdint>
#include <vector>

namespace corvus::raft {

enum class message_type : uint8_t {
  /// Trial election (Raft §9.6, RavenDB's trial round): "would you vote
  /// for me at `term`?" with the candidate's last log `index`/`log_term`.
  /// Changes no state at the receiver. `term` is the candidate's term + 1.
  pre_vote = 0,
  pre_vote_response = 1,
  /// Real election: `index`/`log_term` = candidate's last log position;
  /// `force` set by a leadership transfer (skips leader stickiness).
  vote = 2,
  vote_response = 3,
  /// Log replication: `entries` follow the entry at `index` whose term is
  /// `log_term`; `commit` is the leader's commit index. `quiet`: answer
  /// only a rejection (a commit-only append to a follower known to hold
  /// the log up to `index`).
  append = 4,
  /// `reject` false: the follower's log matches up to `index`. `reject`
  /// true: no match at `index`; `reject_hint` is the follower's guess for
  /// the last index that could match and `log_term` its term there.
  append_response = 5,
  /// Leader liveness and commit propagation; `commit` is at most what the
  /// receiver is known to hold; `context` is a read-index round (0: none).
  heartbeat = 6,
  heartbeat_response = 7,
  /// Install `snap` (the receiver's next entry was compacted away).
  install_snapshot = 8,
  /// Leadership transfer: the receiver campaigns at once (forced).
  timeout_now = 9,
  /// Follower → leader: confirm a linearizable read; `context` identifies
  /// the request at the follower.
  read_index = 10,
  /// Leader → follower: the read of `context` may proceed once `index` is
  /// applied; `reject` when the leader could not serve it.
  read_index_response = 11,
};

/// @returns the snake_case name of `type`.
const char* to_string(message_type type);

struct message {
  message_type type = message_type::heartbeat;
  node_tag from;
  node_tag to;
  term_t term = 0;
  term_t log_term = 0;
  index_t index = 0;
  std::vector<entry> entries;
  index_t commit = 0;
  bool reject = false;
  index_t reject_hint = 0;
  /// Vote requests from a leadership transfer (§1.1 step-down).
  bool force = false;
  /// A read-index round (heartbeats) or a follower's request id.
  uint64_t context = 0;
  /// Answers to a vote from a leader that does not know the candidate:
  /// the candidate was removed from the cluster (§1.3, NotInTopology).
  bool not_in_topology = false;
  /// Append: the leader needs no answer when the receiver accepts it.
  bool quiet = false;
  snapshot snap;

  friend bool operator==(const message& x, const message& y) {
    return x.type == y.type && x.from == y.from && x.to == y.to
           && x.term == y.term && x.log_term == y.log_term
           && x.index == y.index && x.entries == y.entries
           && x.commit == y.commit && x.reject == y.reject
           && x.reject_hint == y.reject_hint && x.force == y.force
           && x.context == y.context
           && x.not_in_topology == y.not_in_topology && x.quiet == y.quiet
           && x.snap == y.snap;
  }
};

} // namespace corvus::raft
