#include "runtime/documents/id_filter.hpp"

#include "runtime/mix64.hpp"

#include <functional>

namespace corvus {

namespace {

constexpr size_t block_bits = 512;
/// Bits set per id: the best count for 10 bits per id is about 7.
constexpr int bits_per_add = 7;

} // namespace

id_filter::id_filter(size_t capacity)
  : capacity_(capacity),
    blocks_((capacity * bits_per_id + block_bits - 1) / block_bits),
    words_() {
  if (blocks_ == 0)
    blocks_ = 1;
  words_.reset(new std::atomic<uint64_t>[blocks_ * block_words]);
  for (size_t i = 0; i < blocks_ * block_words; ++i)
    words_[i].store(0, std::memory_order_relaxed);
}

id_filter::placement id_filter::place(std::string_view id) const {
  static_assert(sizeof(size_t) == 8, "the filter hashes ids to 64 bits");
  uint64_t h = std::hash<std::string_view>{}(id);
  placement p{};
  // Maps the hash onto [0, blocks_) by its high bits, without a division.
  p.block = static_cast<size_t>(
    (static_cast<unsigned __int128>(h) * blocks_) >> 64);
  // A second hash from the first, so that the block and the bits within it
  // do not correlate.
  uint64_t bits = mix64(h);
  for (int i = 0; i < bits_per_add; ++i, bits >>= 9) {
    auto bit = bits & (block_bits - 1);
    p.masks[bit / 64] |= uint64_t{1} << (bit % 64);
  }
  return p;
}

void id_filter::add(std::string_view id) {
  auto p = place(id);
  auto* block = &words_[p.block * block_words];
  for (size_t w = 0; w < block_words; ++w) {
    auto mask = p.masks[w];
    // Re-adding an id (every update of a document) only reads.
    if (mask != 0 && (block[w].load(std::memory_order_relaxed) & mask) != mask)
      block[w].fetch_or(mask, std::memory_order_relaxed);
  }
}

bool id_filter::may_contain(std::string_view id) const {
  auto p = place(id);
  const auto* block = &words_[p.block * block_words];
  for (size_t w = 0; w < block_words; ++w)
    if ((block[w].load(std::memory_order_relaxed) & p.masks[w]) != p.masks[w])
      return false;
  return true;
}

} // namespace corvus
