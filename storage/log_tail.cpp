#include "storage/log_tail.hpp"

#include <boost/crc.hpp>

namespace corvus {

namespace {

constexpr uint64_t block_size = 32768;
constexpr uint64_t header_size = 7;
/// Physical record types: full, first, middle and last fragment (0 marks
/// zero-filled space, never a record).
constexpr unsigned max_record_type = 4;
/// LevelDB stores CRCs rotated and offset, so that a CRC of data holding
/// CRCs does not degenerate.
constexpr uint32_t crc_mask_delta = 0xa282ead8u;

uint32_t unmask(uint32_t masked) {
  auto rotated = masked - crc_mask_delta;
  return (rotated >> 17) | (rotated << 15);
}

uint32_t crc32c(const char* data, size_t size) {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(data, size);
  return crc.checksum();
}

/// @returns the size of the intact physical record at `at` (header and
///          payload), or 0 when there is none: zeros, a cut header or
///          payload, an unknown type, a wrong checksum.
uint64_t intact_record_at(std::string_view log, uint64_t at) {
  auto left_in_block = block_size - at % block_size;
  if (left_in_block < header_size || log.size() - at < header_size)
    return 0;
  auto* h = reinterpret_cast<const unsigned char*>(log.data() + at);
  uint64_t length = h[4] | (uint64_t{h[5]} << 8);
  unsigned type = h[6];
  if (type == 0 || type > max_record_type
      || header_size + length > left_in_block
      || header_size + length > log.size() - at)
    return 0;
  uint32_t stored = h[0] | (uint32_t{h[1]} << 8) | (uint32_t{h[2]} << 16)
                    | (uint32_t{h[3]} << 24);
  if (unmask(stored) != crc32c(log.data() + at + 6, 1 + length))
    return 0;
  return header_size + length;
}

} // namespace

uint64_t readable_log_length(std::string_view log) {
  uint64_t at = 0;
  while (at < log.size()) {
    auto left_in_block = block_size - at % block_size;
    if (left_in_block < header_size) {
      at += left_in_block; // the block's zero trailer
      continue;
    }
    auto size = intact_record_at(log, at);
    if (size == 0)
      break;
    at += size;
  }
  if (at >= log.size())
    return log.size();
  // A crash can only tear what was never synced, and all of that comes
  // after every record that was: an intact record past the bad spot means
  // damage to durable data, which LevelDB must see and report. The writer
  // starts a record at every block's start, so past this block, looking
  // there is enough (and keeps the search linear in the file's size).
  auto block_end = at - at % block_size + block_size;
  for (auto later = at + 1; later < block_end && later < log.size(); ++later)
    if (intact_record_at(log, later) != 0)
      return log.size();
  for (auto later = block_end; later < log.size(); later += block_size)
    if (intact_record_at(log, later) != 0)
      return log.size();
  return at;
}

} // namespace corvus
