#pragma once

// A peer link (messages/raft_member.hpp): owns the connection from this
// node's Raft member to one other node. It learns the peer's TCP address
// from its HTTP URL (GET /info/tcp, as RavenDB does), connects through
// CAF's middleman, says hello, and reports the peer's handle to the member;
// when the connection drops it reports that and reconnects with a growing
// back-off. Losing a peer never blocks anything else: each link runs on a
// thread of its own (spawn it detached), since connecting blocks. With a
// resolver (simulations) nothing blocks and the link runs like any actor.

#include "messages/raft_member.hpp"
#include "runtime/net/reconnect_schedule.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace corvus {

/// Finds a peer's handle without the network: given the peer's tag and HTTP
/// URL, returns the handle to talk to it through (null: unreachable). A
/// seam for whole-node simulations in one actor system
/// (test/actors/cluster/switchboard.hpp), which route peers through relays.
using peer_resolver = std::function<raft_peer_actor(const raft::node_tag&,
                                                    const std::string& url)>;

struct peer_link_settings {
  /// The peer.
  raft::node_tag peer_tag;
  std::string peer_url;
  /// What the hello says about this node.
  raft_hello hello;
  raft_member_actor member;
  /// Bound on the HTTP look-up, the connection and the hello together.
  std::chrono::milliseconds connect_timeout{2000};
  backoff_policy reconnect{std::chrono::milliseconds{150}, 2,
                           std::chrono::milliseconds{2000}};
  /// Tests only: when set, it replaces the HTTP look-up and the middleman
  /// connection; the hello, the monitoring and the back-off stay the same.
  peer_resolver resolve;
  introspection_actor registry;
  uint64_t parent = 0;
  std::shared_ptr<spdlog::logger> log;
};

struct peer_link_state {
  explicit peer_link_state(peer_link_actor::pointer self) : self(self) {
    // nop
  }

  /// One connection attempt; reports the outcome to the member.
  void connect();

  /// Gives up the current attempt or connection and schedules the next.
  void failed(const std::string& reason);

  peer_link_actor::pointer self;
  peer_link_settings settings;
  raft_peer_actor remote;
  std::string tcp_url;
  reconnect_schedule reconnect{backoff_policy{}};
  static inline const char* name = "peer-link";
};

peer_link_actor::behavior_type
peer_link(peer_link_actor::stateful_pointer<peer_link_state> self,
          peer_link_settings settings);

} // namespace corvus
