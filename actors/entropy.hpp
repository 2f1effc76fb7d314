#pragma once

// Randomness for actors (cores take it as input): seeds for per-database
// and per-member generators, and GUIDs.

#include "runtime/cluster/guid.hpp"

#include <cstdint>
#include <random>
#include <string>

namespace corvus {

/// @returns 64 bits from the operating system's entropy source.
inline uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) | rd();
}

/// @returns a fresh random GUID.
inline std::string random_guid() {
  return format_guid(random_seed(), random_seed());
}

} // namespace corvus
