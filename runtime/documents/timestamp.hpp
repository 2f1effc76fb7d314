#pragma once

// Timestamps as RavenDB writes them: UTC, seven fractional digits and `Z`,
// e.g. 2024-05-01T10:20:30.1234567Z. Internally: 100 ns ticks since the
// Unix epoch, so that the seventh digit survives round trips.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corvus {

/// Ticks (100 ns units) per second.
inline constexpr int64_t ticks_per_second = 10'000'000;

/// @returns `ticks` in RavenDB's ISO 8601 form.
std::string format_timestamp(int64_t ticks);

/// Parses ISO 8601 UTC text with 0 to 7 fractional digits and an optional
/// trailing `Z`. @returns nullopt when malformed.
std::optional<int64_t> parse_timestamp(std::string_view text);

} // namespace corvus
