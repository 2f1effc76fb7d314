#pragma once

// One HTTP request and its answer, as data: what the blocking client
// (actors/http/http_client.hpp) sends and returns, and what the console's
// pure parts plan and interpret.

#include "runtime/text/ascii_case.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corvus {

/// One HTTP request.
struct client_request {
  std::string method;
  /// Path and query, e.g. "/admin/databases?name=demo&replicationFactor=1".
  std::string target;
  /// Empty for no body.
  std::string body;

  friend bool operator==(const client_request& x, const client_request& y) {
    return x.method == y.method && x.target == y.target && x.body == y.body;
  }
};

/// An HTTP answer as received.
struct http_answer {
  unsigned status = 0;
  std::string body;
  /// Response headers, in order.
  std::vector<std::pair<std::string, std::string>> headers;

  /// @returns the value of header `name` (any casing), "" when absent.
  std::string header(std::string_view name) const {
    for (auto& [key, value] : headers)
      if (equals_ignoring_case(key, name))
        return value;
    return {};
  }
};

} // namespace corvus
