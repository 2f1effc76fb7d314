#pragma once

// Wire form of Rachis (ravendb-internals.md §1.4): inspect overloads for
// the Raft core's types, and the structs members exchange around them —
// the envelope of every protocol message, the connection hello, forwarded
// commands and their replies, topology change requests.

#include "runtime/raft/message.hpp"
#include "runtime/raft/snapshot.hpp"
#include "runtime/raft/topology.hpp"
#include "runtime/raft/types.hpp"

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/serializer.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

namespace corvus {

/// The version of what members send each other and read from each other's
/// logs and snapshots. Nodes of different versions do not form a cluster:
/// the hello is refused, with a message saying why. Raised whenever a
/// format changes; 2: compare-exchange log entries are binary
/// (runtime/cluster/cluster_command_codec.hpp) and snapshots are format 2
/// (runtime/cluster/cluster_state_codec.cpp); 3: snapshots travel in
/// pieces (raft_snapshot_piece); 4: a forward to the leader names its
/// sender (raft_peer_actor); 5: so does a reelect passed on to it.
inline constexpr uint32_t raft_protocol_version = 5;

/// A Raft message on its way between two members, labelled with the
/// cluster it belongs to: a member drops traffic of another cluster (a
/// stale peer after a reset, or a mistaken address).
struct raft_envelope {
  std::string topology_id;
  raft::message msg;

  friend bool operator==(const raft_envelope& x, const raft_envelope& y) {
    return x.topology_id == y.topology_id && x.msg == y.msg;
  }
};

/// A piece of a snapshot a leader sends a follower (runtime/raft/
/// snapshot_transfer.hpp): install_snapshot messages travel this way, never
/// whole in an envelope.
struct raft_snapshot_piece {
  std::string topology_id;
  raft::node_tag from;
  raft::node_tag to;
  /// Tells the sender's transfers apart.
  uint64_t transfer = 0;
  /// Where `bytes` go in the snapshot's data, and the data's whole size.
  uint64_t offset = 0;
  uint64_t total = 0;
  /// In the first piece (offset 0): the install_snapshot message without
  /// its data; default in the others.
  raft::message header;
  /// On the leader, a part of its snapshot's text (the mapped file).
  shared_text bytes;

  friend bool operator==(const raft_snapshot_piece& x,
                         const raft_snapshot_piece& y) {
    return x.topology_id == y.topology_id && x.from == y.from
           && x.to == y.to && x.transfer == y.transfer
           && x.offset == y.offset && x.total == y.total
           && x.header == y.header && x.bytes == y.bytes;
  }
};

/// A follower holds the first `received` bytes of a transfer's snapshot.
struct raft_snapshot_ack {
  std::string topology_id;
  raft::node_tag from;
  raft::node_tag to;
  uint64_t transfer = 0;
  uint64_t received = 0;

  friend bool operator==(const raft_snapshot_ack& x,
                         const raft_snapshot_ack& y) {
    return x.topology_id == y.topology_id && x.from == y.from
           && x.to == y.to && x.transfer == y.transfer
           && x.received == y.received;
  }
};

/// The first thing a peer link says on a new connection (RavenDB's
/// RachisHello, §1.4). The receiver refuses another cluster protocol,
/// another cluster's id, its own tag as source (a loopback mistake) and an
/// election timeout more than 10 % off its own; a node that has no tag yet
/// adopts `destination`.
struct raft_hello {
  /// raft_protocol_version of the sender. First on the wire, so that a
  /// build from before the field misreads the hello and refuses it too.
  uint32_t protocol = 0;
  std::string topology_id;
  raft::node_tag source;
  raft::node_tag destination;
  std::string source_url;
  int64_t election_timeout_ms = 0;

  friend bool operator==(const raft_hello& x, const raft_hello& y) {
    return x.protocol == y.protocol && x.topology_id == y.topology_id
           && x.source == y.source
           && x.destination == y.destination && x.source_url == y.source_url
           && x.election_timeout_ms == y.election_timeout_ms;
  }
};

/// The outcome of a cluster command once applied: the raft index of its
/// entry and the apply outcome as JSON (runtime/cluster/
/// cluster_result_json.hpp), the same on every node.
struct command_reply {
  int64_t raft_index = 0;
  std::string outcome;

  friend bool operator==(const command_reply& x, const command_reply& y) {
    return x.raft_index == y.raft_index && x.outcome == y.outcome;
  }
};

/// A change of the cluster's membership (§1.6), decided by the leader.
struct topology_request {
  enum class kind : uint8_t {
    /// Add the node at `url` (as watcher when `watcher`), under `tag` when
    /// given.
    add,
    /// Remove node `tag`.
    remove,
    /// Watcher `tag` becomes promotable (then a member once caught up).
    promote,
    /// Member or promotable `tag` becomes a watcher.
    demote,
  };
  kind what = kind::add;
  std::string url;
  raft::node_tag tag;
  bool watcher = false;
  /// Set when an earlier attempt of this request was forwarded and its
  /// answer lost (leader change, timeout): it may have been carried out
  /// already, so a topology that already is as asked counts as success.
  bool may_be_done = false;

  friend bool operator==(const topology_request& x,
                         const topology_request& y) {
    return x.what == y.what && x.url == y.url && x.tag == y.tag
           && x.watcher == y.watcher && x.may_be_done == y.may_be_done;
  }
};

} // namespace corvus

namespace corvus::raft {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entry& x) {
  return f(caf::meta::type_name("corvus::raft::entry"), x.index, x.term,
           x.kind, x.data);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, topology& x) {
  return f(caf::meta::type_name("corvus::raft::topology"), x.topology_id,
           x.members, x.promotables, x.watchers, x.last_node_id);
}

} // namespace corvus::raft

namespace corvus {

/// Shared text travels as a string does.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shared_text& x) {
  if constexpr (std::is_base_of_v<caf::serializer, Inspector>) {
    // The bytes go out as CAF writes a string (its length, then its bytes)
    // straight from where they are, whoever holds them: a log entry's
    // string, or the mapped file of a snapshot sent in pieces, which a
    // string would have copied a megabyte at a time.
    auto text = x.view();
    auto size = text.size();
    return caf::error::eval([&] { return f.begin_sequence(size); },
                            [&] {
                              return size == 0
                                       ? caf::error{}
                                       : f.apply_raw(size, const_cast<char*>(
                                                             text.data()));
                            },
                            [&] { return f.end_sequence(); });
  } else if constexpr (Inspector::reads_state) {
    std::string copy{x.view()};
    return f(copy);
  } else {
    // The callback runs within this call, once the text is read.
    std::string text;
    return f(text, caf::meta::load_callback([&x, &text]() -> caf::error {
               x = shared_text{std::move(text)};
               return caf::none;
             }));
  }
}

} // namespace corvus

namespace corvus::raft {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot& x) {
  return f(caf::meta::type_name("corvus::raft::snapshot"), x.index, x.term,
           x.config, x.data);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, message& x) {
  return f(caf::meta::type_name("corvus::raft::message"), x.type, x.from,
           x.to, x.term, x.log_term, x.index, x.entries, x.commit, x.reject,
           x.reject_hint, x.force, x.context, x.not_in_topology, x.quiet,
           x.snap);
}

} // namespace corvus::raft

namespace corvus {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, raft_envelope& x) {
  return f(caf::meta::type_name("corvus::raft_envelope"), x.topology_id,
           x.msg);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        raft_snapshot_piece& x) {
  return f(caf::meta::type_name("corvus::raft_snapshot_piece"),
           x.topology_id, x.from, x.to, x.transfer, x.offset, x.total,
           x.header, x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, raft_snapshot_ack& x) {
  return f(caf::meta::type_name("corvus::raft_snapshot_ack"), x.topology_id,
           x.from, x.to, x.transfer, x.received);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, raft_hello& x) {
  return f(caf::meta::type_name("corvus::raft_hello"), x.protocol,
           x.topology_id, x.source, x.destination, x.source_url,
           x.election_timeout_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, command_reply& x) {
  return f(caf::meta::type_name("corvus::command_reply"), x.raft_index,
           x.outcome);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, topology_request& x) {
  return f(caf::meta::type_name("corvus::topology_request"), x.what, x.url,
           x.tag, x.watcher, x.may_be_done);
}

} // namespace corvus
