#pragma once

// Turning a client's document into what Corvus stores, and back.
//
// A client sends a document with `@metadata`. Some metadata keys are computed
// by the server and always replaced (`@id`, `@change-vector`,
// `@last-modified`, `@flags`, and the keys owned by attachments, counters
// and time series); everything else (`@collection`, `Raven-Node-Type`,
// `@nested-object-types`, `@expires`, user keys) is stored verbatim
// (ravendb-http.md §4.1). `prepare_document` splits the client's JSON once,
// on the request thread; `render_document` adds the computed keys when the
// transaction knows them, without parsing again.

#include "runtime/documents/document.hpp"
#include "runtime/failure.hpp"

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace corvus {

/// A client's document, split for storage.
struct incoming_document {
  /// `@metadata.@collection`; empty when absent, null or "@empty".
  std::string collection;
  /// The document without `@metadata`: a compact JSON object text.
  std::string body = "{}";
  /// `@metadata` without `@collection` and the server-computed keys: a
  /// compact JSON object text.
  std::string metadata = "{}";

  friend bool operator==(const incoming_document& x,
                         const incoming_document& y) {
    return x.collection == y.collection && x.body == y.body
           && x.metadata == y.metadata;
  }
};

/// Splits `doc`, a JSON object sent by a client.
/// @returns ec::bad_request when `doc` is not an object, `@metadata` is not
///          an object, or `@collection` is neither a string nor null.
outcome<incoming_document> prepare_document(const rapidjson::Value& doc);

/// What the server computes for a stored version.
struct computed_metadata {
  std::string_view id;
  /// Empty or `empty_collection` for documents without a collection.
  std::string_view collection;
  std::string_view change_vector;
  int64_t last_modified = 0;
  document_flags flags = 0;
};

/// @returns the complete stored JSON: the body with `@metadata` holding the
///          stored keys followed by the computed ones.
std::string render_document(const incoming_document& doc,
                            const computed_metadata& meta);

/// @returns RavenDB's `@flags` text for `flags` (empty when none).
std::string format_flags(document_flags flags);

/// @returns whether `collection` means "no collection".
bool is_empty_collection(std::string_view collection);

} // namespace corvus
