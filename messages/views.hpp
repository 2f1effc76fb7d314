#pragma once

// Wire form of the introspection views (runtime/introspection/views.hpp):
// what a node's registry answers about its actors.

#include "runtime/introspection/views.hpp"

#include <caf/meta/type_name.hpp>

namespace corvus {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, actor_view& x) {
  return f(caf::meta::type_name("corvus::actor_view"), x.id, x.kind, x.name,
           x.parent, x.responsive, x.restarts, x.state);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, restart_view& x) {
  return f(caf::meta::type_name("corvus::restart_view"), x.kind, x.name,
           x.reason, x.at, x.next_attempt_ms);
}

} // namespace corvus
