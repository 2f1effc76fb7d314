#pragma once

// GUID text (RFC 4122 version 4 layout) from 128 random bits the caller
// draws: cluster topology ids, database ids.

#include <cstdint>
#include <string>

namespace corvus {

/// @returns "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" built from `hi`, `lo`.
std::string format_guid(uint64_t hi, uint64_t lo);

} // namespace corvus
