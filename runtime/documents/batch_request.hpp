#pragma once

// Parsing the body of `POST /databases/{db}/bulk_docs` (ravendb-http §4.3).

#include "runtime/documents/transaction.hpp"
#include "runtime/failure.hpp"

#include <string_view>

namespace corvus {

/// Parses a bulk_docs JSON body into a write transaction.
/// @returns ec::bad_request for malformed input (naming the command index
///          and field), ec::not_supported for command types Corvus does not
///          implement yet (PATCH, attachments, counters, ...).
outcome<write_transaction> parse_batch_request(std::string_view body);

/// Parses a `ChangeVector` / `If-Match` value into an expectation: null or
/// absent = none, "" = must be new, otherwise must match (canonicalized).
/// `has_value` is false for absent/null.
outcome<cv_expectation> parse_expectation(bool has_value,
                                          std::string_view change_vector);

} // namespace corvus
