#pragma once

// SplitMix64's finaliser: spreads every input bit over all output bits.
// The seedable generator of the benchmark tools is built on it, and the id
// filter derives a second hash from the first with it.

#include <cstdint>

namespace corvus {

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

} // namespace corvus
