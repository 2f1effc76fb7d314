#pragma once

// Turning a client's document into what Corvus stores, and back.
//
// A client sends a document with `@metadata`. Some metadata keys are computed
// by the server and always replaced (`@id`, `@change-vector`,
// `@last-modified`, `@flags`, and the keys owned by attachments, counters
// and time series); everything else (`@collection`, `Raven-Node-Type`,
// `@nested-object-types`, `@expires`, user keys) is stored verbatim
// (ravendb-http.md §4.1). `document_splitter` splits the client's JSON
// once, while it is parsed on the request thread; `render_document` adds
// the computed keys when the transaction knows them, without parsing again.

#include "runtime/documents/document.hpp"
#include "runtime/failure.hpp"
#include "runtime/json/json.hpp"

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

/// Splits a client's document while it is parsed: a RapidJSON SAX handler
/// for the events of one JSON object (from a Reader, or from
/// `Value::Accept`). Body and metadata are written out as the events
/// arrive, so a document is read once and numbers keep the exact text the
/// client sent (parse with kParseNumbersAsStringsFlag).
class document_splitter {
public:
  document_splitter();

  document_splitter(const document_splitter&) = delete;
  document_splitter& operator=(const document_splitter&) = delete;

  // RapidJSON handler interface; `false` stops the parse (see `finish`).
  bool Null();
  bool Bool(bool b);
  bool Int(int i);
  bool Uint(unsigned u);
  bool Int64(int64_t i);
  bool Uint64(uint64_t u);
  bool Double(double d);
  bool RawNumber(const char* str, rapidjson::SizeType length, bool copy);
  bool String(const char* str, rapidjson::SizeType length, bool copy);
  bool StartObject();
  bool Key(const char* str, rapidjson::SizeType length, bool copy);
  bool EndObject(rapidjson::SizeType members);
  bool StartArray();
  bool EndArray(rapidjson::SizeType elements);

  /// @returns whether the document's closing brace was seen.
  bool done() const {
    return done_;
  }

  /// @returns the split document, or why it could not be split: not an
  ///          object, `@metadata` not an object, `@collection` neither a
  ///          string nor null. @pre done(), or an event returned false.
  outcome<incoming_document> finish();

private:
  enum class pending { none, metadata, collection };

  // Handles a scalar that is not a string or null.
  template <class Write>
  bool scalar(Write write);
  // The writer the next value goes to.
  json_writer& out() {
    return meta_depth_ > 0 ? meta_writer_ : body_writer_;
  }
  bool fail(const char* why);

  incoming_document doc_;
  string_sink body_sink_;
  string_sink meta_sink_;
  json_writer body_writer_;
  json_writer meta_writer_;
  /// Open containers of the document; 1 = its own members.
  int body_depth_ = 0;
  /// Open containers inside `@metadata`; 0 = not in it.
  int meta_depth_ = 0;
  /// A value being dropped (a server-computed key).
  value_skipper skip_;
  pending pending_ = pending::none;
  bool done_ = false;
  const char* error_ = nullptr;
};

/// Splits `json`, the text of a document sent by a client.
/// @returns ec::bad_request for invalid JSON and for what
///          document_splitter refuses.
outcome<incoming_document> prepare_document(std::string_view json);

/// What the server computes for a stored version.
struct computed_metadata {
  std::string_view id;
  /// Empty or `empty_collection` for documents without a collection.
  std::string_view collection;
  std::string_view change_vector;
  /// The modification time as RavenDB's text (format_timestamp); a
  /// transaction formats its commit time once for all its documents.
  std::string_view last_modified;
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
