#pragma once

// Reaching another node: its TCP URL, which its HTTP URL names (GET
// /info/tcp, as RavenDB does), and the actor it publishes there, through
// CAF's middleman. Blocking: call it from an actor on a thread of its own.

#include "messages/raft_member.hpp"
#include "runtime/failure.hpp"
#include "runtime/http/url.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <string>

namespace corvus {

/// @returns the TCP address the node at `peer_url` announces.
outcome<url_parts> peer_tcp_address(const std::string& peer_url,
                                    std::chrono::milliseconds timeout);

/// A connection to another node's published actor.
struct reached_peer {
  raft_peer_actor handle;
  /// The TCP URL it was reached at.
  std::string tcp_url;
};

/// Connects to the actor the node at `peer_url` publishes. On failure,
/// `tcp_url` (when learned) is set for the caller's messages.
outcome<reached_peer> reach_peer(caf::actor_system& sys,
                                 const std::string& peer_url,
                                 std::chrono::milliseconds timeout,
                                 std::string& tcp_url);

} // namespace corvus
