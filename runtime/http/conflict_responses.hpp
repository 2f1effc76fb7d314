#pragma once

// Answers about documents in conflict (ravendb-http.md §6.2; the versions
// are stored as ravendb-internals.md §6.4 describes):
//
// * GET /databases/{db}/replication/conflicts?docId=: 200 {"Id",
//   "LargestEtag", "Results": [{"ChangeVector", "Doc", "LastModified"}]},
//   `Doc` being the version's JSON with its `@metadata` (null for a
//   deletion in conflict); `Results` is empty when the id is not in
//   conflict.
// * A load of an id in conflict: 409 DocumentConflictException with
//   `DocId` and `LargestEtag`, which the clients turn into their
//   DocumentConflictException.

#include "runtime/documents/document.hpp"
#include "runtime/failure.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corvus {

/// @returns the largest etag among `versions`; 0 when there are none.
int64_t largest_etag(const std::vector<document_record>& versions);

/// @returns the body answering a conflicts query for `id`.
/// @param id the id as the client asked for it.
/// @param versions the conflict versions stored for it, with bodies.
std::string render_conflicts(std::string_view id,
                             const std::vector<document_record>& versions);

/// @returns the failure refusing to load `id` while `versions` (not empty)
///          wait for a resolution: ec::document_conflict with the fields
///          DocId and LargestEtag.
failure document_conflict(std::string_view id,
                          const std::vector<document_record>& versions);

} // namespace corvus
