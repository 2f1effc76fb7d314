#pragma once

// .NET TimeSpan text as RavenDB clients send it (ravendb-http.md §1.1):
// `[-][d.]hh:mm:ss[.fffffff]`, e.g. `00:00:15.500000` or `1.02:00:00`.

#include "runtime/failure.hpp"

#include <chrono>
#include <string_view>

namespace corvus {

/// Parses TimeSpan text, or a plain number of milliseconds.
/// @returns ec::bad_request naming `what` when malformed or negative.
outcome<std::chrono::milliseconds> parse_timespan(std::string_view text,
                                                  std::string_view what);

} // namespace corvus
