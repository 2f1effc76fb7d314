#pragma once

// Document ids and collection names are case-insensitive and keep the casing
// they were written with. Storage keys are the case-folded form.

#include "runtime/failure.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace corvus {

/// Largest accepted document id, in UTF-8 bytes.
inline constexpr size_t max_document_id_bytes = 2048;

/// @returns `text` with every letter lower-cased (Unicode simple case
///          mapping; ASCII takes a fast path). @pre valid UTF-8
std::string fold_case(std::string_view text);

/// Checks a document id given by a client.
/// @returns ec::bad_request naming the problem: empty, too long, invalid
///          UTF-8, control characters, or a leading '/'.
outcome<done> validate_document_id(std::string_view id);

/// Checks that a client's id asks for nothing Corvus lacks: one ending in
/// '|' asks for a cluster-wide identity (RavenDB replaces it with the next
/// number of a counter the cluster keeps).
/// @returns ec::not_supported for such an id.
outcome<done> refuse_identity_request(std::string_view id);

} // namespace corvus
