#pragma once

// Interface of the node actor: the root of a node's supervision tree. It
// owns the cluster state, the registry of database instances (restarting
// failed ones with back-off) and the HTTP gateway.

#include "messages/introspection.hpp"
#include "messages/type_ids.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <memory>
#include <string>

namespace corvus {

using node_actor = introspectable_actor::extend<
  // Creates a database through the cluster state; answered when the local
  // instance (if this node hosts it) can serve. Errors:
  // ec::database_already_exists, ec::bad_request.
  caf::replies_to<database_creation>::with<database_created>,
  // Deletes databases (or copies of them); answered when the local
  // instances are stopped and, for a hard delete, their files removed.
  caf::replies_to<delete_databases_command>::with<databases_deleted>,
  // Answered once this node's instance of a database (any casing) can
  // serve: at once when it can, later while it loads. Errors:
  // ec::database_does_not_exist (not hosted here), ec::database_loading
  // (it failed and waits for a restart).
  caf::replies_to<atom::ready, std::string>::with<void>,
  // Timer: restart the failed instance of a database (case-folded name).
  caf::reacts_to<atom::restart, std::string>>;

} // namespace corvus
