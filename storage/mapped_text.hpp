#pragma once

// A file's bytes as shared text (runtime/text/shared_text.hpp), mapped into
// memory read-only rather than read: the pages are the kernel's file cache,
// which it may drop and read again, instead of memory the process holds.
// For files written once and then only read whole now and then (a Raft
// snapshot's data: hundreds of megabytes that a member keeps to send).
//
// The file must not change while mapped: removing it or renaming another
// over it is safe, writing into it is not.

#include "runtime/failure.hpp"
#include "runtime/text/shared_text.hpp"

#include <string>

namespace corvus {

/// @returns the file at `path`, mapped read-only until the last copy of the
///          text goes; an empty file gives empty text. ec::storage_failure
///          when it cannot be opened or mapped.
outcome<shared_text> map_file_text(const std::string& path);

/// Makes a mapped file that cannot be read (a disk error, or the file cut
/// short underneath) stop the process with a message on stderr saying so,
/// instead of a bare "Bus error": the kernel signals SIGBUS on such a read,
/// and nothing can go on from it. Snapshots and LevelDB's tables are both
/// read through mappings. Call once, early in main.
void report_unreadable_mappings();

} // namespace corvus
