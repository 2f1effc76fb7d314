#pragma once

// Interfaces of Rachis's actors: the Raft member (one per node, wrapping the
// pure core of runtime/raft and the cluster state machine) and the peer
// link (one per other node, owning the connection to it).

#include "messages/introspection.hpp"
#include "messages/raft.hpp"
#include "messages/replication.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_state.hpp"
#include "runtime/cluster/cluster_summary.hpp"
#include "runtime/failure.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace corvus {

/// What a member offers other nodes; this is what a node publishes on its
/// TCP port.
using raft_peer_actor = caf::typed_actor<
  // Raft protocol traffic, one-way in both directions.
  caf::reacts_to<raft_envelope>,
  // Snapshots a leader sends, in pieces, and the follower's
  // acknowledgements of them.
  caf::reacts_to<raft_snapshot_piece>, caf::reacts_to<raft_snapshot_ack>,
  // A peer link's hello on a new connection; answered with this node's
  // tag. Errors: ec::bad_request (another cluster, the wrong tag, an
  // election timeout more than 10 % off).
  caf::replies_to<raft_hello>::with<std::string>,
  // A follower (its tag first) forwards a cluster command (its log-entry
  // JSON) to the leader; answered once applied on the leader. Errors:
  // ec::not_leader (the command was not appended; retry elsewhere),
  // ec::no_leader, ec::shutting_down, ec::bad_request (the sender is not in
  // the leader's topology: it was removed).
  caf::replies_to<atom::forward, raft::node_tag, std::string>::with<
    command_reply>,
  // A follower (its tag first) forwards a topology change to the leader;
  // answered with the raft index of the change once applied on the leader.
  // Errors as for a command.
  caf::replies_to<atom::forward, raft::node_tag, topology_request>::with<
    int64_t>,
  // Answered with the applied index once it reaches the given index
  // (RavenDB's /rachis/waitfor). Error: ec::timeout.
  caf::replies_to<atom::wait, int64_t>::with<int64_t>,
  // A follower (its tag) passes on a reelect asked of it: the leader hands
  // leadership to another member. Errors: ec::not_leader (no longer the
  // leader), ec::bad_request (the sender is not in the leader's topology,
  // or there is no other member).
  caf::replies_to<atom::reelect, raft::node_tag>::with<void>,
  // A replication link of another node asks this node's instance of a
  // database to accept its batches (messages/replication.hpp); the member
  // hands it to its node. Errors: ec::database_does_not_exist (not hosted
  // here, or not yet), ec::database_loading, ec::bad_request (an unknown
  // protocol version, or the instance itself).
  caf::replies_to<replication_hello>::with<replication_welcome>>;

/// A peer link reports a working connection to node `tag`.
struct peer_up {
  raft::node_tag tag;
  raft_peer_actor handle;
};

/// A peer link reports that node `tag` cannot be reached.
struct peer_down {
  raft::node_tag tag;
  std::string reason;
};

/// A command applied: the raft index of its entry and what applying it
/// gave. Handed over in-process as it is; command_reply is its form for
/// other nodes and actors.
struct applied_command {
  int64_t raft_index = 0;
  /// Empty for a topology change, which has no outcome of its own.
  std::optional<apply_outcome> result;
};

/// A cluster command submitted from an HTTP thread (no gateway hop, no
/// request timer): `done` gets the outcome once applied on this node, or
/// the failure; it runs in the member's thread and must only hand the
/// result on.
struct cluster_submit {
  std::string command;
  std::function<void(outcome<applied_command>)> done;
};

/// Work that ran elsewhere (a blocking probe of a joining node) and comes
/// back to finish in the member's context. Local only: a closure.
struct member_task {
  std::function<void()> run;
};

/// The nodes that did not confirm an index they were waited for: those the
/// member has no connection to (a failed attempt or a lost connection:
/// down, or cut off), and those it reached that did not apply it in time.
/// RavenDB's waits skip the first kind too: a node that is down applies
/// the index when it is back.
struct unconfirmed_nodes {
  std::vector<std::string> unreachable;
  std::vector<std::string> late;

  /// @returns the nodes of both kinds.
  std::vector<std::string> all() const {
    auto nodes = unreachable;
    nodes.insert(nodes.end(), late.begin(), late.end());
    return nodes;
  }
};

/// A linearizable read of the cluster state: `run` gets the state once the
/// member has applied everything committed before the read was asked
/// (Raft §6.4), or the failure that prevented it. It runs in the member's
/// thread and must not keep the pointer.
struct cluster_read {
  std::function<void(outcome<const cluster_state*>)> run;
};

} // namespace corvus

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::peer_up)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::peer_down)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::cluster_read)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::member_task)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::cluster_submit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::unconfirmed_nodes)

namespace corvus {

using raft_member_actor = raft_peer_actor::extend_with<introspectable_actor>::
  extend<
    // Submits a cluster command (its log-entry JSON) from this node:
    // proposed here when leading, forwarded to the leader otherwise (and
    // retried until `cluster.operation-timeout`); answered once applied on
    // this node. A node in no cluster founds one first (§1.6). Errors:
    // ec::no_leader, ec::shutting_down.
    caf::replies_to<atom::propose, std::string>::with<command_reply>,
    // Changes the cluster's membership (through the leader); answered with
    // the raft index of the change once applied here. Errors:
    // ec::bad_request (unknown node, unreachable URL, a node of another
    // cluster, the leader demoting itself), ec::no_leader.
    caf::replies_to<atom::topology, topology_request>::with<int64_t>,
    // Waits until every node in the list applied the index (parallel
    // /rachis/waitfor), at most the given time; answered with the nodes
    // that did not confirm it.
    caf::replies_to<atom::wait, int64_t, std::vector<std::string>,
                    caf::timespan>::with<unconfirmed_nodes>,
    // The leader hands leadership to another member (POST
    // /admin/cluster/reelect); a follower passes the request on to its
    // leader. Errors: ec::no_leader, ec::not_leader (in no cluster),
    // ec::bad_request (this node was removed, or there is no other member).
    caf::replies_to<atom::reelect>::with<void>,
    // Founds a cluster of one (POST /admin/cluster/bootstrap); a node in a
    // cluster answers at once.
    caf::replies_to<atom::bootstrap>::with<void>,
    // Acts as if the election timer ran out now (POST
    // /admin/cluster/timeout): a voter that does not lead starts a trial
    // election, which fails while the others still hear a live leader;
    // nothing on a leader, a watcher or a promotable. Errors: ec::not_leader
    // on a node in no cluster, ec::bad_request on one that was removed.
    caf::replies_to<atom::election_timeout>::with<void>,
    // The same as `propose`, from an HTTP thread.
    caf::reacts_to<cluster_submit>,
    // A linearizable read of the cluster state.
    caf::reacts_to<cluster_read>,
    // Work finishing in the member's context.
    caf::reacts_to<member_task>,
    // Peer links report their connections.
    caf::reacts_to<peer_up>, caf::reacts_to<peer_down>,
    // The logical clock: one timer period, one tick of the core.
    caf::reacts_to<atom::tick>,
    // Executes what the core has ready, after the messages already queued
    // (so that many of them share one synced write).
    caf::reacts_to<atom::drain>>;

/// A peer link: connects to one other node and keeps reconnecting.
using peer_link_actor = introspectable_actor::extend<
  // Timer: try to connect (again).
  caf::reacts_to<atom::connect>>;

} // namespace corvus
