#pragma once

// The one source of benchmark documents. corvus-http-load sends them, and
// leveldb-anchor stores them, and the PostgreSQL anchor inserts the one
// `corvus-http-load --print-document` prints, so that every figure of
// scripts/bench/single-node moves the same bytes. The values of
// scripts/bench/raft (make_text) come from here too, the same for Corvus
// and etcd.
//
// A document looks like an order a business application would keep: a few
// scalars, a nested object, an array of small objects, free text, and the
// metadata the npm client adds for a class stored in collection "Bench".
// The free text pads it to the requested size. Values hold only letters,
// digits, spaces and `@.-/`, so a document can be embedded in a shell
// argument or an SQL literal without escaping.

#include "runtime/mix64.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace corvus::bench {

/// SplitMix64: a small, fast, seedable generator. Deterministic output keeps
/// runs comparable; quality beyond "looks varied" is not needed.
class splitmix64 {
public:
  explicit splitmix64(uint64_t seed) : state_{seed} {
    // nop
  }

  /// @returns the next pseudo-random 64-bit value.
  uint64_t next() {
    return mix64(state_ += 0x9e3779b97f4a7c15ull);
  }

  /// @returns a value in [0, bound); bound must be positive.
  uint64_t below(uint64_t bound) { return next() % bound; }

private:
  uint64_t state_;
};

namespace detail {

inline const char* const words[] = {
  "amber",  "basalt", "cedar",  "delta",  "ember",  "fjord",  "granite",
  "harbor", "indigo", "juniper", "kelp",  "lantern", "meadow", "nickel",
  "orchard", "pebble", "quartz", "ridge", "saffron", "timber", "umber",
  "valley", "willow", "yarrow", "zephyr", "copper", "marble", "thistle",
  "beacon", "cobalt", "drift",  "falcon",
};
constexpr size_t word_count = sizeof(words) / sizeof(words[0]);

inline const char* pick(splitmix64& rng) {
  return words[rng.below(word_count)];
}

inline std::string capitalized(const char* word) {
  std::string result{word};
  if (!result.empty() && result[0] >= 'a' && result[0] <= 'z')
    result[0] = static_cast<char>(result[0] - 'a' + 'A');
  return result;
}

} // namespace detail

/// Metadata the npm client sends for an object of a class mapped to
/// collection "Bench" (Raven-Node-Type is null for plain objects).
inline constexpr const char* document_metadata
  = R"("@metadata":{"@collection":"Bench","Raven-Node-Type":null})";

/// Builds one document: a compact JSON object of exactly `size` bytes when
/// `size` is at least its fixed part (about 400 bytes), else just the fixed
/// part. Distinct `variant`s give documents of different content.
/// @param size target length of the JSON text in bytes, `@metadata`
///        included.
/// @param variant selects the content; equal variants give equal documents.
/// @returns the JSON text of the document.
inline std::string make_document(size_t size, uint64_t variant) {
  using detail::capitalized;
  using detail::pick;
  splitmix64 rng{variant * 0x2545f4914f6cdd1dull + 17};
  auto number = [&](uint64_t bound) {
    return std::to_string(rng.below(bound));
  };
  std::string doc;
  doc.reserve(size + 64);
  auto first = capitalized(pick(rng));
  auto last = capitalized(pick(rng));
  doc += R"({"Customer":{"Name":")" + first + " " + last + R"(","Email":")"
         + first + "." + last + R"(@example.com","Age":)" + number(80)
         + R"(,"Vip":)" + (rng.below(2) ? "true" : "false") + "},";
  doc += R"("Address":{"Street":")" + number(900) + " "
         + capitalized(pick(rng)) + R"( Road","City":")"
         + capitalized(pick(rng)) + R"(","Zip":")" + number(90000)
         + R"(","Country":")" + capitalized(pick(rng)) + R"("},)";
  doc += R"("Lines":[)";
  for (int i = 0; i < 3; ++i) {
    if (i > 0)
      doc += ',';
    doc += R"({"Product":"products/)" + number(10000) + R"(","Quantity":)"
           + std::to_string(1 + rng.below(20)) + R"(,"Price":)"
           + number(1000) + "." + std::to_string(10 + rng.below(90)) + "}";
  }
  doc += R"(],"Status":")" + capitalized(pick(rng)) + R"(","Tags":[")"
         + pick(rng) + R"(",")" + pick(rng) + R"("],"Notes":")";
  // Pad with free text so that the closing part lands exactly on `size`.
  const std::string tail = std::string{"\","} + document_metadata + "}";
  bool first_word = true;
  for (;;) {
    std::string word = pick(rng);
    size_t extra = word.size() + (first_word ? 0 : 1);
    if (doc.size() + extra + tail.size() > size)
      break;
    if (!first_word)
      doc += ' ';
    doc += word;
    first_word = false;
  }
  while (doc.size() + tail.size() < size)
    doc += '.';
  doc += tail;
  return doc;
}

/// @returns `count` documents of `size` bytes (variants 0..count-1), to be
///          cycled through so that per-request work excludes generation.
inline std::vector<std::string> make_documents(size_t size, size_t count) {
  std::vector<std::string> result;
  result.reserve(count);
  for (size_t i = 0; i < count; ++i)
    result.push_back(make_document(size, i));
  return result;
}

/// Builds a value of free text for the key-value modes of corvus-http-load
/// (compare-exchange values, etcd values): words and spaces, exactly `size`
/// bytes, with no character that JSON or a shell would need to escape.
/// Distinct `variant`s give different texts.
inline std::string make_text(size_t size, uint64_t variant) {
  splitmix64 rng{variant * 0x9e3779b97f4a7c15ull + 101};
  std::string text;
  text.reserve(size + 16);
  while (text.size() < size) {
    if (!text.empty())
      text += ' ';
    text += detail::pick(rng);
  }
  text.resize(size);
  if (!text.empty() && text.back() == ' ')
    text.back() = '.';
  return text;
}

/// How many distinct documents the tools cycle through.
inline constexpr size_t document_pool_size = 64;

} // namespace corvus::bench
