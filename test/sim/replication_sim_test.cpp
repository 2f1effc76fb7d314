// Seeded simulations of multi-master replication (test/sim/
// replication_sim.hpp). The number of seeds per configuration comes from
// CORVUS_SIM_SEEDS (default below), CORVUS_SIM_BASE shifts the seeds (for
// longer sweeps of fresh ones), and CORVUS_SIM_SEED=<n> replays one seed,
// with its event log on failure (CORVUS_SIM_TRACE=1: all events, with the
// versions sent and stored, on standard error).

#include "test/sim/replication_sim.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

using namespace corvus::sim;

namespace {

uint64_t env_number(const char* name, uint64_t fallback) {
  auto* text = std::getenv(name);
  return text ? std::stoull(text) : fallback;
}

void run_seeds(size_t instances, bool resolve_to_latest, uint64_t seed_base) {
  // The test case's name, for the replay hint.
  auto name = "replication simulation: " + std::to_string(instances)
              + " instances, "
              + (resolve_to_latest ? "resolve to latest" : "conflicts stored");
  auto count = env_number("CORVUS_SIM_SEEDS", 200);
  auto only = std::getenv("CORVUS_SIM_SEED");
  seed_base += env_number("CORVUS_SIM_BASE", 0);
  uint64_t first = only ? std::stoull(only) : seed_base;
  uint64_t last = only ? first : seed_base + count - 1;
  replication_figures total;
  auto started = std::chrono::steady_clock::now();
  for (auto seed = first; seed <= last; ++seed) {
    // Assertions of the in-memory store name the seed too.
    INFO("replay with CORVUS_SIM_SEED=" << seed << " corvus-sim-tests -tc='"
                                        << name << "'");
    auto opts = varied_replication_options(instances, resolve_to_latest,
                                           seed);
    opts.trace = only && std::getenv("CORVUS_SIM_TRACE");
    replication_sim sim{seed, opts};
    try {
      sim.run();
    } catch (const std::exception& e) {
      FAIL_CHECK("replay with CORVUS_SIM_SEED="
                 << seed << " corvus-sim-tests -tc='" << name
                 << "' (CORVUS_SIM_TRACE=1 prints every event)\n"
                 << std::string{e.what()});
      return;
    }
    total.add(sim.figures());
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - started)
              .count();
  auto& a = total.arrivals;
  std::cout << instances << " instances, resolve to latest "
            << (resolve_to_latest ? "on" : "off") << ", seeds " << first
            << ".." << last << " (" << ms << " ms): " << total.writes
            << " writes, " << total.crashes << " crashes, "
            << total.partitions << " partitions, " << total.cuts
            << " cuts; " << total.versions << " versions made, "
            << total.items_sent << " items in "
            << total.batches << " batches (+" << total.empty_batches
            << " empty, " << total.heartbeats << " heartbeats); arrivals "
            << a.applied << " applied, " << a.ignored << " ignored, "
            << a.merged << " merged, " << a.resolved << " resolved, "
            << a.conflicts << " conflicts; " << total.local_resolutions
            << " resolved by a write, " << total.final_conflicts
            << " conflict versions left; settled within "
            << total.settle_steps << " steps\n";
}

} // namespace

TEST_CASE("replication simulation: 3 instances, resolve to latest") {
  run_seeds(3, true, 1'000);
}

TEST_CASE("replication simulation: 3 instances, conflicts stored") {
  run_seeds(3, false, 2'000'000);
}

TEST_CASE("replication simulation: 5 instances, resolve to latest") {
  run_seeds(5, true, 3'000'000);
}

TEST_CASE("replication simulation: 5 instances, conflicts stored") {
  run_seeds(5, false, 4'000'000);
}

// Without faults, with writes on one instance at a time and notifies
// arriving promptly, every version crosses every link out of its origin
// once, and no other: instances that received it by replication skip it,
// because what the destinations' change vectors are known to contain
// (from answers, notifies, and what the destination sent itself) covers
// it (§4.3, §4.5).
TEST_CASE("replication simulation: each write reaches each other instance "
          "once") {
  for (size_t instances : {3, 5}) {
    for (size_t burst : {1, 6}) {
      CAPTURE(instances);
      CAPTURE(burst);
      replication_options opts;
      opts.instances = instances;
      opts.faults = false;
      opts.max_delay = 1;
      opts.heartbeat_steps = 10;
      opts.settle_steps = 2'000;
      opts.trace = std::getenv("CORVUS_SIM_TRACE") != nullptr;
      replication_sim sim{42, opts};
      const size_t writes = 60;
      for (size_t w = 0; w < writes / burst; ++w)
        sim.write_and_settle(w % 7 % instances, burst);
      sim.check_converged();
      auto& f = sim.figures();
      std::cout << instances << " instances, " << writes
                << " writes in bursts of " << burst
                << " on one instance at a time: " << f.items_sent
                << " items sent, " << f.heartbeats << " heartbeats, "
                << f.empty_batches << " empty batches\n";
      CHECK(f.writes == writes);
      CHECK(f.items_sent == writes * (instances - 1));
      CHECK(f.arrivals.applied == writes * (instances - 1));
      CHECK(f.arrivals.ignored == 0);
    }
  }
}
