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

} // namespace corvus
