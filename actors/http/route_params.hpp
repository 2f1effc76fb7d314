#pragma once

// What several server routes read or check the same way: the database
// named in the query or the path, the client's raft request id, and a body
// that is a JSON object.

#include "actors/http/request.hpp"
#include "runtime/failure.hpp"

#include <rapidjson/document.h>

#include <optional>
#include <string>

namespace corvus {

/// @returns the query's non-empty `name`; otherwise answers 400 and
///          returns nothing.
std::optional<std::string> required_name(const request_ptr& r);

/// Checks that the database of path parameter 0 exists in the cluster
/// (for what is cluster-wide, such as compare-exchange values: no local
/// copy is needed) and is not disabled (RavenDB serves a disabled
/// database's routes no more); otherwise answers and returns false.
bool database_exists(const request_ptr& r);

/// @returns the client's id of a cluster command ("" when it sent none): a
///          retry carries the same one, and the command applies once.
std::string raft_request_id(const request_ptr& r);

/// Parses the request body into `body`.
/// @returns ec::bad_request unless it is a JSON object.
outcome<done> json_object_body(const request_ptr& r,
                               rapidjson::Document& body);

/// How errors name the request body's members ("the request body: 'X'
/// must be ...").
inline constexpr std::string_view request_body = "the request body";

} // namespace corvus
