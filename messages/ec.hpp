#pragma once

// Corvus error codes: the one enum every layer reports failures with. This
// header has no CAF dependency so that pure cores can return these codes;
// messages/error.hpp registers the enum with CAF, and runtime/http/error_body
// maps each code to RavenDB's HTTP status and exception type in one table.

#include <array>
#include <cstdint>
#include <string_view>

namespace corvus {

enum class ec : uint8_t {
  /// Not an error.
  none = 0,
  /// Malformed input: JSON, ids, parameters, headers, change vectors.
  bad_request,
  /// No route matches the request's method and path.
  route_not_found,
  /// The request body exceeds `http.max-body-size`.
  body_too_large,
  /// The named database does not exist on this node.
  database_does_not_exist,
  /// A database with that name already exists.
  database_already_exists,
  /// The database instance is (re)starting and cannot serve yet.
  database_loading,
  /// The database instance or the node is shutting down.
  shutting_down,
  /// Optimistic concurrency check failed (RavenDB ConcurrencyException).
  concurrency_violation,
  /// A PUT would move an existing document to another collection.
  collection_mismatch,
  /// The document is in conflict: its versions wait for a resolution and
  /// it cannot be loaded (RavenDB DocumentConflictException).
  document_conflict,
  /// A storage read or write failed (I/O error, corruption).
  storage_failure,
  /// The data directory or a store has a format this build does not know.
  unsupported_format,
  /// An operation did not finish within its time bound.
  timeout,
  /// The request is understood but not supported by this server.
  not_supported,
  /// The thing asked for (an actor, say) does not exist.
  not_found,
  /// This node is not the cluster's leader (Raft); the failure names the
  /// leader when known.
  not_leader,
  /// No leader could be reached within the operation's time bound.
  no_leader,
  /// The database is disabled: its record stays, no node serves it.
  database_disabled,
  /// The database exists in the cluster but has no copy on this node.
  database_not_relevant,
  /// A broken invariant inside the server; always a bug.
  internal_error,
};

/// Names of the codes, indexed by value; used in logs and error contexts.
inline constexpr std::array<std::string_view, 21> ec_names = {
  "none",
  "bad_request",
  "route_not_found",
  "body_too_large",
  "database_does_not_exist",
  "database_already_exists",
  "database_loading",
  "shutting_down",
  "concurrency_violation",
  "collection_mismatch",
  "document_conflict",
  "storage_failure",
  "unsupported_format",
  "timeout",
  "not_supported",
  "not_found",
  "not_leader",
  "no_leader",
  "database_disabled",
  "database_not_relevant",
  "internal_error",
};
static_assert(ec_names.size() == static_cast<size_t>(ec::internal_error) + 1,
              "every ec needs a name");

/// @returns the name of `code`, e.g. "concurrency_violation".
constexpr std::string_view to_string(ec code) {
  return ec_names[static_cast<size_t>(code)];
}

} // namespace corvus
