#pragma once

// The transaction core of a database instance (RavenDB's transaction merger
// logic, without its threads): given the durable state and a view of what is
// stored, it checks a transaction (optimistic concurrency, collections),
// assigns etags and change vectors, renders the stored JSON and returns the
// writes for the store. It never touches storage itself, so the storage
// writer can run many transactions against one overlay and commit them as
// one synced batch (group commit).

#include "runtime/documents/document.hpp"
#include "runtime/documents/transaction.hpp"
#include "runtime/failure.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace corvus {

/// Read access to the stored documents a transaction depends on.
class document_lookup {
public:
  virtual ~document_lookup() = default;

  /// @returns the document or tombstone under case-folded `key`; the JSON
  ///          body only when `with_body`.
  virtual outcome<std::optional<document_record>>
  find(std::string_view key, bool with_body) = 0;

  /// @returns the conflict versions stored under `key`, with bodies;
  ///          empty when the id is not in conflict.
  virtual outcome<std::vector<document_record>>
  conflicts(std::string_view key) = 0;
};

/// A transaction that passed its checks: the writes to apply, the state
/// after them, and the answer for the client.
template <class Result>
struct executed_transaction {
  std::vector<document_write> writes;
  database_state state;
  Result result;
};

class transaction_executor {
public:
  /// @param node_tag this node's tag, used in new change vectors and ids.
  /// @param seed seeds the generator of GUID document ids.
  transaction_executor(std::string node_tag, uint64_t seed);

  /// Runs a write transaction on top of `before`.
  /// @param now the commit time, ticks since the Unix epoch.
  /// @returns ec::concurrency_violation or ec::collection_mismatch when a
  ///          check fails (nothing of the transaction applies), or the
  ///          lookup's failure.
  outcome<executed_transaction<transaction_result>>
  execute(const write_transaction& tx, const database_state& before,
          document_lookup& lookup, int64_t now);

  /// Hands out the next HiLo range for a tag, persisting the new maximum in
  /// the document `Raven/Hilo/{tag}` (collection `@hilo`).
  outcome<executed_transaction<hilo_range>>
  execute(const hilo_request& req, const database_state& before,
          document_lookup& lookup, int64_t now);

  /// Takes back the unused tail of a HiLo range when it is still the last
  /// range handed out for its tag; otherwise changes nothing.
  outcome<executed_transaction<done>>
  execute(const hilo_return& req, const database_state& before,
          document_lookup& lookup, int64_t now);

  const std::string& node_tag() const {
    return node_tag_;
  }

private:
  std::string node_tag_;
  std::mt19937_64 rng_;
};

/// @returns the id of the HiLo document for `tag`.
std::string hilo_document_id(std::string_view tag);

/// @returns the size of the next HiLo range: it grows while a client asks
///          often and shrinks when it asks rarely. Times in ticks.
int64_t next_hilo_capacity(int64_t last_size, int64_t last_range_at,
                           int64_t now);

} // namespace corvus
