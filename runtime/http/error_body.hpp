#pragma once

// RavenDB's error responses (ravendb-http.md §1.7): every failure maps, in
// one table, to an HTTP status and an exception type the clients know, and
// is rendered as {"Url","Type","Message","Error", extra fields}.

#include "runtime/failure.hpp"

#include <string>
#include <string_view>

namespace corvus {

/// How a failure looks on the wire.
struct error_mapping {
  unsigned status;
  /// Full exception type, e.g. "Raven.Client.Exceptions.ConcurrencyException".
  std::string_view type;
};

/// @returns the status and exception type for `code`.
error_mapping map_error(ec code);

/// @returns the JSON error body for `err` raised while serving `url`.
std::string render_error_body(const failure& err, std::string_view url);

} // namespace corvus
