#pragma once

// corvus-console's HTTP client: blocking, one connection per request, and
// bounded in time, so that a node that is down or stuck costs the operator
// one error line and never a hung console.

#include "runtime/console/operations.hpp"
#include "runtime/failure.hpp"
#include "runtime/http/url.hpp"

#include <chrono>

namespace corvus::console {

/// Sends `call` to `node` and reads the whole answer within `timeout`.
/// @returns the answer, whatever its status; or a failure whose message is
///          the one line to show ("cannot reach http://...: Connection
///          refused", "... did not answer within 5 s").
outcome<http_answer> send_request(const url_parts& node, const http_call& call,
                                  std::chrono::milliseconds timeout);

} // namespace corvus::console
