#pragma once

// The console's side of the HTTP API: the requests behind the cluster
// operations (add or remove a node, create or delete a database, grow a
// database group), what to say when one succeeded, and the one line to say
// when a request failed.

#include "runtime/console/command.hpp"
#include "runtime/console/view.hpp"
#include "runtime/failure.hpp"
#include "runtime/http/client_request.hpp"

#include <string>
#include <string_view>

namespace corvus::console {

/// @returns `s` with every byte outside [A-Za-z0-9-._~] percent-encoded,
///          for query values and path segments.
std::string percent_encode(std::string_view s);

/// @returns whether `cmd` changes the cluster (and plan_operation knows it).
bool is_operation(const command& cmd);

/// @returns the request that performs `cmd`.
/// @pre is_operation(cmd)
/// @returns ec::bad_request with one line for invalid arguments (a URL
///          that is not http://host:port, --rf not a positive number, both
///          --rf and --nodes).
outcome<client_request> plan_operation(const command& cmd);

/// @returns what to show after `cmd` succeeded with `answer`: one sentence
///          for people, with the answer's data for --json.
view operation_view(const command& cmd, const http_answer& answer);

/// @returns one line (without "error: ") for a failed `answer` to a request
///          made while `operation` (a spec's noun phrase, e.g. "creating
///          databases"): a missing route says the node does not support the
///          operation yet, a missing database names it, a missing leader
///          says so, other errors give the server's message.
std::string error_line(const http_answer& answer, std::string_view operation);

} // namespace corvus::console
