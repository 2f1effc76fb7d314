#pragma once

// Fixed-width numbers and size-prefixed byte strings, written one after
// another and read back in the same order. The binary encodings of the
// cluster state's snapshot and of compare-exchange log entries use them.

#include "runtime/text/byte_order.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace corvus {

/// Appends the size of `bytes` (4 bytes, little-endian), then `bytes`.
/// @pre `bytes` is shorter than 4 GiB.
inline void append_sized(std::string& out, std::string_view bytes) {
  byte_order::append_little_endian32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

/// Reads from the front of a buffer it does not own. Each read returns false
/// when the buffer ends inside what it reads; the reader is then spent.
class byte_reader {
public:
  explicit byte_reader(std::string_view bytes) : rest_(bytes) {
    // nop
  }

  bool fixed32(uint32_t& x) {
    if (rest_.size() < 4)
      return false;
    x = byte_order::read_little_endian32(rest_.data());
    rest_.remove_prefix(4);
    return true;
  }

  bool fixed64(uint64_t& x) {
    if (rest_.size() < 8)
      return false;
    x = byte_order::read_little_endian(rest_.data());
    rest_.remove_prefix(8);
    return true;
  }

  /// Reads what append_sized wrote; `out` views the buffer.
  bool sized(std::string_view& out) {
    uint32_t size = 0;
    if (!fixed32(size) || rest_.size() < size)
      return false;
    out = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return true;
  }

  bool at_end() const {
    return rest_.empty();
  }

private:
  std::string_view rest_;
};

} // namespace corvus
