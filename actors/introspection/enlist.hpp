#pragma once

// How an actor announces itself to its node's introspection registry at
// spawn (and again when its name changes). A null registry (tests that do
// not need one) is fine.

#include "messages/introspection.hpp"

#include <caf/actor_cast.hpp>

#include <cstdint>
#include <string>

namespace corvus {

/// Registers `self` as `kind`/`name` under the actor with id `parent`.
template <class Self>
void enlist(Self* self, const introspection_actor& registry, std::string kind,
            std::string name, uint64_t parent) {
  if (registry)
    self->send(registry,
               actor_registration{std::move(kind), std::move(name), parent,
                                  caf::actor_cast<introspectable_actor>(self)});
}

} // namespace corvus
