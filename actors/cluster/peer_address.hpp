#pragma once

// Where another node takes connections from its peers: its TCP URL, which
// its HTTP URL names (GET /info/tcp, as RavenDB does). Blocking: call it
// from an actor on a thread of its own.

#include "runtime/failure.hpp"
#include "runtime/http/url.hpp"

#include <chrono>
#include <string>

namespace corvus {

/// @returns the TCP address the node at `peer_url` announces.
outcome<url_parts> peer_tcp_address(const std::string& peer_url,
                                    std::chrono::milliseconds timeout);

} // namespace corvus
