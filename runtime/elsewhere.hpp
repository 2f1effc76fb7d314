#pragma once

// Work that would hold up a thread that must answer within an election
// timeout, done on a thread of its own: freeing a large structure (a
// snapshot's text of a gigabyte, half a million log entries, a whole
// cluster state) takes tens of milliseconds, and so does removing a large
// file (its blocks are freed as it goes: 140 ms for half a gigabyte here).

#include <memory>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

namespace corvus {

/// Runs `work` on a thread of its own, which also destroys it; without a
/// thread to spare, here.
template <class F>
void run_elsewhere(F work) {
  // Owned by whichever thread runs it (a thread that cannot start leaves
  // it here).
  auto* job = new F(std::move(work));
  auto run = [](F* owned) {
    std::unique_ptr<F> done{owned};
    (*done)();
  };
  try {
    std::thread{run, job}.detach();
  } catch (const std::system_error&) {
    run(job);
  }
}

/// Drops the last references `xs` hold elsewhere (run_elsewhere).
template <class... Ts>
void free_elsewhere(Ts&&... xs) {
  run_elsewhere([held = std::make_tuple(std::forward<Ts>(xs)...)] {});
}

} // namespace corvus
