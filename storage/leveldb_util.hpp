#pragma once

// Small bridges between LevelDB and the rest of Corvus, shared by every
// store: string views to slices and back, and a LevelDB status to the
// failure callers see (ec::storage_failure naming the store).

#include "runtime/failure.hpp"

#include <leveldb/slice.h>
#include <leveldb/status.h>

#include <string>
#include <string_view>

namespace corvus {

inline leveldb::Slice to_slice(std::string_view s) {
  return {s.data(), s.size()};
}

inline std::string_view to_view(const leveldb::Slice& s) {
  return {s.data(), s.size()};
}

/// @returns ec::storage_failure "<store> <dir>: <what>: <status>" (the
///          status left out when it is ok).
inline failure storage_error(std::string_view store, const std::string& dir,
                             std::string_view what,
                             const leveldb::Status& status) {
  std::string msg{store};
  msg += " " + dir + ": " + std::string{what};
  if (!status.ok())
    msg += ": " + status.ToString();
  return make_failure(ec::storage_failure, std::move(msg));
}

} // namespace corvus
