#pragma once

// Write transactions: what a client asks a database to do atomically
// (a `bulk_docs` call, a single PUT or DELETE, a HiLo range request) and
// what comes back. Executed by transaction_executor.

#include "runtime/documents/document.hpp"
#include "runtime/documents/document_json.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace corvus {

/// The optimistic-concurrency expectation of a command (ravendb-http §4.5).
struct cv_expectation {
  enum class mode : uint8_t {
    /// `ChangeVector` absent or null: no check.
    none,
    /// `ChangeVector: ""`: the document must not exist.
    must_be_new,
    /// The document must exist with exactly `change_vector`.
    must_match,
  };

  mode kind = mode::none;
  /// Canonical text; set for must_match only.
  std::string change_vector;

  friend bool operator==(const cv_expectation& x, const cv_expectation& y) {
    return x.kind == y.kind && x.change_vector == y.change_vector;
  }
};

enum class command_kind : uint8_t { put, del };

/// One command of a write transaction.
struct write_command {
  command_kind kind = command_kind::put;
  /// The id as sent. For a PUT: empty = generate a GUID id; ending in '/' =
  /// append the document's etag and the node tag (`users/000…042-A`).
  std::string id;
  cv_expectation expected;
  /// The document, for a PUT.
  incoming_document document;

  friend bool operator==(const write_command& x, const write_command& y) {
    return x.kind == y.kind && x.id == y.id && x.expected == y.expected
           && x.document == y.document;
  }
};

/// Commands applied all or nothing.
struct write_transaction {
  std::vector<write_command> commands;

  friend bool operator==(const write_transaction& x,
                         const write_transaction& y) {
    return x.commands == y.commands;
  }
};

/// What one command did.
struct command_result {
  command_kind kind = command_kind::put;
  /// The id as stored (generated ids filled in).
  std::string id;
  /// The collection; `empty_collection` when none. PUT only.
  std::string collection;
  /// The new version's change vector (PUT); the tombstone's (DELETE, empty
  /// when nothing was deleted).
  std::string change_vector;
  int64_t last_modified = 0;
  document_flags flags = 0;
  /// DELETE: whether a live document was deleted.
  bool deleted = false;

  friend bool operator==(const command_result& x, const command_result& y) {
    return x.kind == y.kind && x.id == y.id && x.collection == y.collection
           && x.change_vector == y.change_vector
           && x.last_modified == y.last_modified && x.flags == y.flags
           && x.deleted == y.deleted;
  }
};

/// The results of a committed transaction, one per command, in order.
struct transaction_result {
  std::vector<command_result> results;

  friend bool operator==(const transaction_result& x,
                         const transaction_result& y) {
    return x.results == y.results;
  }
};

/// `GET /hilo/next`: a request for a new range of ids for one tag.
struct hilo_request {
  std::string tag;
  /// Size of the previous range this client got (0 on the first call).
  int64_t last_size = 0;
  /// When the client got its previous range, in ticks (0 = never).
  int64_t last_range_at = 0;
  /// The separator between tag and number, usually "/".
  std::string separator = "/";
  /// The highest value of the previous range; the new one starts above it.
  int64_t last_max = 0;

  friend bool operator==(const hilo_request& x, const hilo_request& y) {
    return x.tag == y.tag && x.last_size == y.last_size
           && x.last_range_at == y.last_range_at
           && x.separator == y.separator && x.last_max == y.last_max;
  }
};

/// The range handed out: ids `prefix + n + "-" + server_tag`, low <= n <= high.
struct hilo_range {
  std::string prefix;
  int64_t low = 0;
  int64_t high = 0;
  int64_t last_size = 0;
  std::string server_tag;
  int64_t last_range_at = 0;

  friend bool operator==(const hilo_range& x, const hilo_range& y) {
    return x.prefix == y.prefix && x.low == y.low && x.high == y.high
           && x.last_size == y.last_size && x.server_tag == y.server_tag
           && x.last_range_at == y.last_range_at;
  }
};

/// `PUT /hilo/return`: gives back the unused tail `last+1..end` of a range.
struct hilo_return {
  std::string tag;
  int64_t end = 0;
  int64_t last = 0;

  friend bool operator==(const hilo_return& x, const hilo_return& y) {
    return x.tag == y.tag && x.end == y.end && x.last == y.last;
  }
};

} // namespace corvus
