#pragma once

// Requests of the compare-exchange routes, as the npm client (7.2.2,
// dist/esm/Documents/Operations/CompareExchange/) sends them:
//
// * PutCompareExchangeValueOperation:
//   PUT /databases/{db}/cmpxchg?key={enc(key)}&index={n}&raft-request-id=..
//   body {"Object": value} plus "@metadata" when the value has metadata.
// * DeleteCompareExchangeValueOperation:
//   DELETE /databases/{db}/cmpxchg?key={enc(key)}&index={n}&raft-request-id=..
//   (no body).
// * GetCompareExchangeValueOperation: GET /databases/{db}/cmpxchg?key=..
// * GetCompareExchangeValuesOperation: GET .../cmpxchg?&key=a&key=b, or
//   GET .../cmpxchg?&startsWith=p[&start=n][&pageSize=n] (start and
//   pageSize only when not 0).
//
// The server (ravendb/ravendb src/Raven.Server/Web/System/Processors/
// CompareExchange/) requires `key` and `index` on PUT and DELETE; GET with
// any `key` looks the keys up, otherwise it lists by `startsWith` (default
// "", i.e. every value), `start` (default 0) and `pageSize` (default all).

#include "runtime/cluster/cluster_command.hpp"
#include "runtime/failure.hpp"
#include "runtime/http/query_string.hpp"

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace corvus {

/// What a GET of compare-exchange values asks for.
struct compare_exchange_query {
  /// The `key` parameters in order; when there are any, the listing
  /// parameters below are ignored.
  std::vector<std::string> keys;
  std::string starts_with;
  size_t start = 0;
  size_t page_size = std::numeric_limits<size_t>::max();

  friend bool operator==(const compare_exchange_query& x,
                         const compare_exchange_query& y) {
    return x.keys == y.keys && x.starts_with == y.starts_with
           && x.start == y.start && x.page_size == y.page_size;
  }
};

/// Parses the query of `GET /databases/{db}/cmpxchg`. A `pageSize` of 0 or
/// less means all (RavenDB's paging loop never stops on it).
/// @returns ec::bad_request for a non-numeric or negative `start` or a
///          non-numeric `pageSize`.
outcome<compare_exchange_query>
parse_compare_exchange_get(const query_string& query);

/// Parses `PUT /databases/{db}/cmpxchg` into the command to propose. The
/// body must be a JSON object; it is kept as compact text with numbers
/// spelled as the client sent them.
/// @returns ec::bad_request for a missing, empty or too long key, a missing
///          or negative index, or a body that is not a JSON object.
outcome<put_compare_exchange_command>
parse_compare_exchange_put(const query_string& query, std::string_view body,
                           std::string_view database);

/// Parses `DELETE /databases/{db}/cmpxchg` into the command to propose.
/// @returns ec::bad_request for a missing key or a missing or negative
///          index.
outcome<remove_compare_exchange_command>
parse_compare_exchange_delete(const query_string& query,
                              std::string_view database);

} // namespace corvus
