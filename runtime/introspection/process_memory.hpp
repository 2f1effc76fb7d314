#pragma once

// The node process's memory, as an operator asks for it
// (`GET /admin/debug/memory/stats`, `/metrics`, the console's `memory`):
// what the kernel counts for the process (/proc/self/status) and, when the
// process allocates through jemalloc (corvus-node does), what the
// allocator holds. Anonymous memory is the heap: cluster state, log
// entries, memtables. Mapped files are Raft snapshots, LevelDB's tables
// and the binaries; the kernel can drop those pages and read them again.

#include "runtime/failure.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corvus {

/// jemalloc's own counts (its `stats.*` controls), in bytes.
struct allocator_memory {
  std::string name;
  /// Bytes handed out to the program, in whole size classes.
  int64_t allocated = 0;
  /// Pages holding allocations.
  int64_t active = 0;
  /// The allocator's own bookkeeping.
  int64_t metadata = 0;
  /// Pages the allocator touched and still holds, freed or not.
  int64_t resident = 0;
  int64_t mapped = 0;
  /// Address space kept for reuse, holding no memory.
  int64_t retained = 0;
};

/// Bytes, as the kernel counts them for the process.
struct process_memory {
  /// VmRSS: all resident pages.
  int64_t resident = 0;
  /// VmHWM: the most resident at once since the process started.
  int64_t peak_resident = 0;
  /// RssAnon: resident heap and stacks.
  int64_t anonymous = 0;
  /// RssFile: resident pages of mapped files.
  int64_t mapped_files = 0;
  /// VmSize: address space.
  int64_t virtual_size = 0;
  std::optional<allocator_memory> allocator;
};

/// @returns the counts of a /proc/<pid>/status text.
/// @pre the text names VmRSS (the file of a live process does)
outcome<process_memory> parse_proc_status(std::string_view text);

/// @returns this process's memory now; `allocator` when jemalloc is the
///          process's allocator.
outcome<process_memory> read_process_memory();

/// @returns `m` as the JSON of GET /admin/debug/memory/stats.
std::string render_memory(const process_memory& m);

} // namespace corvus
