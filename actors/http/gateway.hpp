#pragma once

// The HTTP gateway actor (messages/http_gateway.hpp): owns the HTTP server,
// starts it with the router, and runs the actor calls of request handlers.

#include "actors/http/http_server.hpp"
#include "actors/node/directory.hpp"
#include "messages/http_gateway.hpp"
#include "messages/introspection.hpp"
#include "messages/node.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <memory>

namespace corvus {

struct gateway_settings {
  std::shared_ptr<node_directory> directory;
  node_actor node;
  introspection_actor registry;
  /// The node's URL: the gateway's name in introspection.
  std::string url;
  /// The node actor's id (the gateway's supervisor).
  uint64_t parent = 0;
  /// Bound on a request waiting for an actor.
  std::chrono::milliseconds request_timeout{60'000};
  std::shared_ptr<spdlog::logger> log;
};

struct gateway_state {
  explicit gateway_state(http_gateway_actor::pointer self) : self(self) {
    // nop
  }

  http_gateway_actor::pointer self;
  std::shared_ptr<http_server> server;
  static inline const char* name = "http-gateway";
};

http_gateway_actor::behavior_type
http_gateway(http_gateway_actor::stateful_pointer<gateway_state> self,
             std::shared_ptr<http_server> server, gateway_settings settings);

} // namespace corvus
