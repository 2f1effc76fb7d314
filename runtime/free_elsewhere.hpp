#pragma once

// Freeing a large structure (a snapshot's text of a gigabyte, half a
// million log entries, a whole cluster state) takes tens of milliseconds;
// on a thread that must answer within an election timeout, that is time
// it cannot spare.

#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

namespace corvus {

/// Drops the last references `xs` hold on a thread of its own; without a
/// thread to spare, here.
template <class... Ts>
void free_elsewhere(Ts&&... xs) {
  try {
    std::thread{[held = std::make_tuple(std::forward<Ts>(xs)...)] {}}
      .detach();
  } catch (const std::system_error&) {
    // The lambda, and what it holds, was dropped here.
  }
}

} // namespace corvus
