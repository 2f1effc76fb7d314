#pragma once

// What a node knows of its cluster, as the HTTP layer and the node actor
// need it: the Raft member's status, the cluster topology and the database
// records. The Raft member publishes a new summary when any of it changes;
// the compare-exchange values stay with the state machine (they can be
// large and are read through the member, linearizably).

#include "runtime/cluster/database_record.hpp"
#include "runtime/raft/topology.hpp"
#include "runtime/raft/types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corvus {

/// One other node as the Raft member sees it.
struct peer_status {
  raft::node_tag tag;
  std::string url;
  /// A live connection to the node.
  bool connected = false;
  /// Why the last connection attempt failed ("" when connected).
  std::string last_error;
  /// Leader only: replication state ("probe", "replicate", "snapshot"),
  /// the highest index known to match, and the time since it last
  /// answered.
  std::string replication;
  raft::index_t match = 0;
  int64_t silent_ms = 0;
  /// A snapshot on its way between this node and that one, from the first
  /// piece until the receiver installed it.
  struct snapshot_transfer {
    /// This node sends it (the leader); otherwise it receives it.
    bool sending = false;
    /// The index the snapshot covers, and its data's size.
    raft::index_t index = 0;
    uint64_t size = 0;
    /// The bytes the receiver holds: acknowledged on the sending side,
    /// written to the snapshot's file on the receiving side.
    uint64_t held = 0;
    /// Receiving side: the snapshot is whole, and being installed.
    bool installing = false;
  };
  std::optional<snapshot_transfer> snapshot;
  /// This node (the leader) takes a fresh snapshot to send that one.
  bool preparing_snapshot = false;
};

/// The Raft member's own state.
struct raft_status {
  /// "?" until the node belongs to a cluster.
  raft::node_tag node_tag = "?";
  /// RavenDB's RachisState: "Passive", "Follower", "Candidate",
  /// "LeaderElect" or "Leader".
  std::string state = "Passive";
  raft::node_tag leader;
  raft::term_t term = 0;
  raft::index_t commit = 0;
  raft::index_t applied = 0;
  raft::index_t last_index = 0;
  /// Milliseconds since this node became leader (0 unless leader).
  int64_t leadership_ms = 0;
  /// Where this node listens for cluster traffic (GET /info/tcp).
  std::string tcp_url;
  std::vector<peer_status> peers;
};

struct cluster_summary {
  raft_status raft;
  raft::topology topology;
  /// The Raft index the state is applied up to (it grows with every
  /// change, topology or not); -1 before the cluster exists.
  int64_t topology_etag = -1;
  /// Case-folded name → record.
  std::map<std::string, database_record> databases;
  /// The last applied index.
  raft::index_t last_index = 0;

  bool bootstrapped() const {
    return !topology.topology_id.empty();
  }

  /// @returns the record of `name` (any casing), or nullptr.
  const database_record* find_database(std::string_view name) const;
};

} // namespace corvus
