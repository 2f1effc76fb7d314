#pragma once

// Where the records of a LevelDB log file end (LevelDB's doc/log_format.md:
// 32 KiB blocks of physical records, each a 7-byte header of masked
// CRC-32C, length and type, then the payload).
//
// Corvus writes logs into zero-filled space (storage/real_files.hpp), so a
// log left by a crash ends in zeros, and the record the crash interrupted
// is a torn one: its header or payload is cut short by zeros. LevelDB skips
// zeros, but with paranoid checks it refuses a torn record as corruption,
// while a torn record at the very end of an appended file is not. The
// reading side hands LevelDB only the bytes this function keeps, so both
// kinds of file recover alike.

#include <cstdint>
#include <string_view>

namespace corvus {

/// @returns how many leading bytes of `log` LevelDB should read: the whole
///          file when it is sound or damaged in its middle (LevelDB then
///          reports the damage), or the end of the last intact record when
///          nothing intact follows the first bad or zero header (a torn or
///          zero tail, which a crash leaves and which held nothing durable).
uint64_t readable_log_length(std::string_view log);

} // namespace corvus
