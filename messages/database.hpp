#pragma once

// Interface of a database instance actor: one per database hosted on this
// node. It owns the instance's storage writer and is the entry point for
// every write; reads go to the store directly (see actors/node/directory).

#include "messages/storage_writer.hpp"
#include "messages/type_ids.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace corvus {

using database_actor = caf::typed_actor<
  // A write transaction (bulk_docs, single PUT or DELETE). Answered once
  // durable; errors as storage_writer_actor, plus ec::shutting_down while
  // the instance stops (nothing applied, safe to retry elsewhere).
  caf::replies_to<write_transaction>::with<transaction_result>,
  // Next HiLo range of a tag.
  caf::replies_to<hilo_request>::with<hilo_range>,
  // Return of an unused HiLo range tail.
  caf::replies_to<hilo_return>::with<void>,
  // The instance's store, once open; reads use it directly from any thread.
  // Fails (and the instance quits) when the store cannot be opened.
  caf::replies_to<atom::open_store>::with<std::shared_ptr<document_store>>>;

} // namespace corvus
