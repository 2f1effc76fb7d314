#pragma once

// Carries the parts of node_config that concern CAF into CAF's own
// configuration. CAF never sees our command line: every option it uses is
// set here explicitly.

#include "config/node_config.hpp"

#include <caf/actor_system_config.hpp>

namespace corvus {

/// Sets CAF's scheduler and logger options of `cfg` from `config`: worker
/// threads from `scheduler.threads` (0 becomes one per hardware thread), and
/// CAF's own logger silenced (we log with spdlog).
/// @pre `cfg` has not yet been used to start an actor system.
void configure_actor_system(caf::actor_system_config& cfg,
                            const node_config& config);

} // namespace corvus
