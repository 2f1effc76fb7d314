#pragma once

// Node URLs: `http://host:port` for the HTTP API, `tcp://host:port` for
// node-to-node traffic.

#include "runtime/failure.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace corvus {

struct url_parts {
  std::string scheme;
  std::string host;
  uint16_t port = 0;
};

/// Parses `scheme://host:port` (an optional trailing '/' is accepted).
/// @returns ec::bad_request naming `what` when the scheme differs from
///          `scheme`, the host is empty or the port is not 0..65535.
outcome<url_parts> parse_url(std::string_view text, std::string_view scheme,
                             std::string_view what);

/// @returns `scheme://host:port`.
std::string format_url(const url_parts& url);

} // namespace corvus
