// Seeded simulations of the Raft core (test/sim/raft_sim.hpp). The number
// of seeds per cluster size comes from CORVUS_SIM_SEEDS (default below),
// CORVUS_SIM_BASE shifts the seeds (for longer sweeps of fresh ones), and
// CORVUS_SIM_SEED=<n> replays one seed, with its event log on failure.

#include "test/sim/raft_sim.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <iostream>
#include <string>

using namespace corvus::sim;

namespace {

uint64_t env_number(const char* name, uint64_t fallback) {
  auto* text = std::getenv(name);
  return text ? std::stoull(text) : fallback;
}

void run_seeds(size_t members, uint64_t seed_base) {
  auto count = env_number("CORVUS_SIM_SEEDS", 700);
  auto only = std::getenv("CORVUS_SIM_SEED");
  seed_base += env_number("CORVUS_SIM_BASE", 0);
  uint64_t first = only ? std::stoull(only) : seed_base;
  uint64_t last = only ? first : seed_base + count - 1;
  size_t elections = 0;
  size_t snapshots = 0;
  size_t changes = 0;
  uint64_t commits = 0;
  for (auto seed = first; seed <= last; ++seed) {
    raft_sim sim{seed, varied_options(members, seed)};
    try {
      sim.run();
    } catch (const std::exception& e) {
      FAIL_CHECK("replay with CORVUS_SIM_SEED=" << seed << "\n" << std::string{e.what()});
      return;
    }
    elections += sim.elections();
    snapshots += sim.snapshots_installed();
    changes += sim.membership_changes();
    commits += sim.max_commit();
  }
  std::cout << members << " members, seeds " << first << ".." << last
            << ": " << elections << " leaders, " << commits
            << " committed entries, " << snapshots << " snapshots installed, "
            << changes << " membership changes\n";
}

} // namespace

TEST_CASE("Raft simulation: 3 members") {
  run_seeds(3, 1'000);
}

TEST_CASE("Raft simulation: 5 members") {
  run_seeds(5, 2'000'000);
}

TEST_CASE("Raft simulation: 7 members") {
  run_seeds(7, 3'000'000);
}
