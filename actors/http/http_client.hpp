#pragma once

// A blocking HTTP/1.1 client: one connection per request, bounded in time
// (connect, write and read together). Used where blocking is fine: the
// console, and detached actors that ask other nodes (a peer's TCP address,
// a joining node's identity). A node that is down or stuck costs one
// failure, never a hang.

#include "runtime/failure.hpp"
#include "runtime/http/client_request.hpp"
#include "runtime/http/url.hpp"

#include <chrono>
#include <string_view>

namespace corvus {

/// Sends `call` to `node` and reads the whole answer within `timeout`.
/// @param user_agent the User-Agent header, e.g. "corvus-console/1.0".
/// @returns the answer, whatever its status; ec::timeout ("http://... did
///          not answer within 5 s"); ec::internal_error for a transport
///          failure ("cannot reach http://...: Connection refused").
outcome<http_answer> send_request(const url_parts& node, const client_request& call,
                                  std::chrono::milliseconds timeout,
                                  std::string_view user_agent);

} // namespace corvus
