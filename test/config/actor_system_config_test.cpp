// configure_actor_system: node_config's scheduler and logging choices reach
// CAF under the option names CAF 0.17.6 reads.

#include "config/actor_system_config.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/settings.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <thread>

namespace corvus {
namespace {

TEST_CASE("scheduler.threads becomes CAF's worker count") {
  node_config config;
  config.scheduler.threads = 3;
  caf::actor_system_config cfg;
  configure_actor_system(cfg, config);
  CHECK_EQ(caf::get_or(cfg, "scheduler.max-threads", size_t{0}), 3u);
  // The option name is right only if CAF acts on it.
  caf::actor_system sys{cfg};
  CHECK_EQ(sys.scheduler().num_workers(), 3u);
}

TEST_CASE("scheduler.threads = 0 means one worker per hardware thread") {
  caf::actor_system_config cfg;
  configure_actor_system(cfg, node_config{});
  size_t expected = std::max(1u, std::thread::hardware_concurrency());
  CHECK_EQ(caf::get_or(cfg, "scheduler.max-threads", size_t{0}), expected);
}

TEST_CASE("CAF's own logger is silenced") {
  caf::actor_system_config cfg;
  configure_actor_system(cfg, node_config{});
  CHECK_EQ(caf::get_or(cfg, "logger.file-verbosity", caf::atom("")),
           caf::atom("quiet"));
  CHECK_EQ(caf::get_or(cfg, "logger.console", caf::atom("")),
           caf::atom("none"));
}

} // namespace
} // namespace corvus
