#pragma once

// Interface of the storage writer: the one actor that writes a database
// instance's store. It runs detached (its own thread), so a slow disk never
// stalls the scheduler, and group-commits the transactions that queued up
// while the previous batch was syncing.

#include "messages/type_ids.hpp"
#include "storage/document_store.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <memory>

// A store handle stays inside one process: it is never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<corvus::document_store>)

namespace corvus {

using storage_writer_actor = caf::typed_actor<
  // Commits a write transaction; answered once durable with the results, or
  // with ec::concurrency_violation / ec::collection_mismatch (nothing
  // applied), ec::storage_failure (the writer then quits).
  caf::replies_to<write_transaction>::with<transaction_result>,
  // Hands out the next HiLo range of a tag, durably.
  caf::replies_to<hilo_request>::with<hilo_range>,
  // Takes back the unused tail of a HiLo range.
  caf::replies_to<hilo_return>::with<void>,
  // Answers the opened store (reads go to it directly, on any thread).
  caf::replies_to<atom::open_store>::with<std::shared_ptr<document_store>>,
  // Self-message: commit every transaction gathered since the last drain.
  caf::reacts_to<atom::drain>>;

} // namespace corvus
