#pragma once

// Introspection: every supervised actor answers `snapshot` with a small
// JSON object about its live state, and announces itself at spawn to its
// node's introspection registry, which serves the node's actors to
// /admin/actors, the console and /metrics.

#include "messages/type_ids.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace corvus {

/// The piece every introspectable actor's interface includes.
using introspectable_actor = caf::typed_actor<
  // The actor's live state as a JSON object, answered within one message
  // turn (the registry marks an actor that does not answer in time as
  // unresponsive).
  caf::replies_to<atom::snapshot>::with<std::string>>;

/// An actor announcing itself to its node's registry. It never leaves the
/// process (it carries the actor's handle).
struct actor_registration {
  /// "node", "http-gateway", "database", "storage-committer", ...
  std::string kind;
  std::string name;
  /// The supervising actor's id; 0 for the root.
  uint64_t parent = 0;
  introspectable_actor handle;
};

} // namespace corvus

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::actor_registration)

namespace corvus {

using introspection_actor = introspectable_actor::extend<
  // An actor announces (or renames) itself; the registry watches it and
  // forgets it when it ends.
  caf::reacts_to<actor_registration>,
  // A supervisor records a restart of one of its children.
  caf::reacts_to<restart_view>,
  // Every registered actor with a fresh snapshot, in spawn order.
  caf::replies_to<atom::list>::with<std::vector<actor_view>>,
  // One actor by id; ec::not_found when there is none.
  caf::replies_to<atom::show, uint64_t>::with<actor_view>,
  // The restarts recorded so far, oldest first.
  caf::replies_to<atom::restarts>::with<std::vector<restart_view>>>;

} // namespace corvus
