#pragma once

// The wall clock for actors (cores take the time as input), in RavenDB's
// 100 ns ticks since the Unix epoch (runtime/documents/timestamp.hpp).

#include <chrono>
#include <cstdint>

namespace corvus {

/// @returns the current time in ticks.
inline int64_t now_ticks() {
  using namespace std::chrono;
  auto since_epoch = system_clock::now().time_since_epoch();
  return duration_cast<nanoseconds>(since_epoch).count() / 100;
}

} // namespace corvus
