#pragma once

// Latency percentiles and number formatting shared by the benchmark tools,
// so that their one-line reports read alike.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace corvus::bench {

/// Percentiles of a set of latencies, in microseconds.
struct latency_summary {
  uint64_t p50_us = 0;
  uint64_t p90_us = 0;
  uint64_t p99_us = 0;
  uint64_t max_us = 0;
};

/// @returns the percentiles of `samples`; sorts it in place.
inline latency_summary summarize(std::vector<uint32_t>& samples) {
  latency_summary result;
  if (samples.empty())
    return result;
  std::sort(samples.begin(), samples.end());
  // Nearest-rank percentile: the smallest sample with at least p% of all
  // samples at or below it.
  auto rank = [&](double p) {
    auto n = samples.size();
    auto index = static_cast<size_t>(p / 100.0 * static_cast<double>(n));
    return samples[std::min(index, n - 1)];
  };
  result.p50_us = rank(50);
  result.p90_us = rank(90);
  result.p99_us = rank(99);
  result.max_us = samples.back();
  return result;
}

/// @returns `value` with one decimal, as the reports print rates.
inline std::string fixed1(double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f", value);
  return buf;
}

/// @returns the report fields for `s`, e.g. "p50_us=120 p90_us=... ".
inline std::string latency_fields(const latency_summary& s) {
  return "p50_us=" + std::to_string(s.p50_us)
         + " p90_us=" + std::to_string(s.p90_us)
         + " p99_us=" + std::to_string(s.p99_us)
         + " max_us=" + std::to_string(s.max_us);
}

} // namespace corvus::bench
