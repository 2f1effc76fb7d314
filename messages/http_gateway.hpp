#pragma once

// Interface of the HTTP gateway: the actor side of the HTTP server. Request
// handlers run on the server's I/O threads; when one needs an actor it
// hands the gateway a call to run in actor context (requests to a database
// or the node), whose continuation goes back to the I/O thread.

#include "messages/introspection.hpp"
#include "messages/type_ids.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <functional>

namespace corvus {

struct http_call;

using http_gateway_actor = introspectable_actor::extend<
  // Runs a call from an I/O thread in the gateway's context.
  caf::reacts_to<http_call>,
  // Stops accepting connections; answered once the requests in flight are
  // answered (orderly shutdown: HTTP intake stops first).
  caf::replies_to<atom::stop>::with<void>>;

/// Work an HTTP handler needs done in actor context. Local only: it holds a
/// closure and never leaves the process.
struct http_call {
  std::function<void(http_gateway_actor::pointer)> run;
};

} // namespace corvus

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::http_call)
