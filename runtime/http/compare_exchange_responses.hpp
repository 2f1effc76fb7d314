#pragma once

// Responses of the compare-exchange routes, in the shapes the npm client
// (7.2.2) parses:
//
// * PUT and DELETE: 200 {"Index": n, "Value": stored object or null,
//   "Successful": bool} (CompareExchangeResult.parseFromObject; it throws
//   "Index is missing" when Index is 0, which is what RavenDB answers to a
//   put with a non-zero index on an absent key, so that case fails in the
//   npm client against RavenDB too). The value is the whole stored object,
//   `{"Object": ...}`; the client unwraps "Object".
// * GET: 200 {"Results": [{"Key", "Value", "Index"}, ...]}; a lookup of a
//   single key that does not exist answers 404 with no body (the client
//   then returns null); a missing key among several is
//   {"Key": key, "Value": null, "Index": -1}. Keys of a listing come back
//   lower-cased (RavenDB stores them so), keys looked up come back as asked.

#include "runtime/cluster/cluster_command.hpp"
#include "runtime/cluster/compare_exchange.hpp"
#include "runtime/http/compare_exchange_requests.hpp"
#include "runtime/http/results_in_pieces.hpp"
#include "runtime/json/json.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corvus {

/// The body answering a compare-exchange PUT or DELETE.
std::string render_compare_exchange_result(const compare_exchange_result& r);

/// `{"Results":[...]}` for a GET, as one text.
std::string
render_compare_exchange_values(std::vector<compare_exchange_item> items);

/// Answers a GET that names keys (`query.keys` not empty) from the
/// cluster state's values of `database`.
/// @returns the 200 body, or nullopt for a 404 (one key, not found).
std::optional<std::string>
answer_compare_exchange_lookup(const compare_exchange_store& store,
                               std::string_view database,
                               const compare_exchange_query& query);

/// Answers a GET that lists by prefix (no keys) from one database's values:
/// a page of any size, so callers run it off the Raft member's thread on a
/// copy (compare_exchange_store::values_of), which the answer keeps, and
/// send it in pieces. Its items share the stored values' bytes.
std::unique_ptr<results_in_pieces>
answer_compare_exchange_listing(compare_exchange_values values,
                                const compare_exchange_query& query);

} // namespace corvus
