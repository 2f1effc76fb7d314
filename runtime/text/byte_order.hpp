#pragma once

// Fixed-width integers as bytes: big-endian where keys must sort by number,
// little-endian elsewhere. Shared by the stores' keys and values
// (storage/keys.hpp) and the cluster state's snapshot encoding.

#include <cstdint>
#include <string>

namespace corvus::byte_order {

/// Appends `x` as 8 bytes big-endian.
inline void append_big_endian(std::string& out, uint64_t x) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((x >> shift) & 0xff));
}

/// @returns the 8 big-endian bytes at `p` as a number.
inline uint64_t read_big_endian(const char* p) {
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i)
    x = (x << 8) | static_cast<unsigned char>(p[i]);
  return x;
}

/// Appends `x` as 8 bytes little-endian.
inline void append_little_endian(std::string& out, uint64_t x) {
  for (int shift = 0; shift < 64; shift += 8)
    out.push_back(static_cast<char>((x >> shift) & 0xff));
}

/// @returns the 8 little-endian bytes at `p` as a number.
inline uint64_t read_little_endian(const char* p) {
  uint64_t x = 0;
  for (int i = 7; i >= 0; --i)
    x = (x << 8) | static_cast<unsigned char>(p[i]);
  return x;
}

/// Appends `x` as 4 bytes little-endian.
inline void append_little_endian32(std::string& out, uint32_t x) {
  for (int shift = 0; shift < 32; shift += 8)
    out.push_back(static_cast<char>((x >> shift) & 0xff));
}

/// @returns the 4 little-endian bytes at `p` as a number.
inline uint32_t read_little_endian32(const char* p) {
  uint32_t x = 0;
  for (int i = 3; i >= 0; --i)
    x = (x << 8) | static_cast<unsigned char>(p[i]);
  return x;
}

} // namespace corvus::byte_order
