#pragma once

// The node's data directory: a format marker plus one folder per store.
//
//   <data-dir>/corvus-format.json   {"Product":"corvus","FormatVersion":1}
//   <data-dir>/system/              LevelDB: node identity, cluster state
//   <data-dir>/raft/                LevelDB: the Raft log, hard state and
//                                   latest snapshot (storage/raft_store)
//   <data-dir>/databases/<name>/    LevelDB: one database instance each
//   <data-dir>/trash/               stores being removed; emptied at start
//
// <name> is the case-folded database name. A node never writes into a data
// directory whose marker it does not understand, nor into a non-empty
// directory without a marker.
//
// The marker is written to `corvus-format.json.tmp`, synced and renamed, so
// a crash leaves either no marker or a complete one; a directory holding
// only that temporary file counts as empty. A store is removed by renaming
// its folder into trash/ first: a crash in the middle of deleting its files
// can then never leave a half store under databases/ (LevelDB would replay
// a stray log of the old database into a new one of the same name).

#include "runtime/failure.hpp"

#include <string>
#include <string_view>

namespace corvus {

/// The data-dir format this build writes and understands.
inline constexpr int data_dir_format_version = 1;

/// Checks `path` without writing anything: fine when it does not exist, is
/// empty, or carries a marker with a known version. Otherwise fails with
/// ec::unsupported_format and a message naming the path and the problem.
outcome<done> check_data_dir(const std::string& path);

/// Creates `path`, its marker and its sub-folders where missing, and empties
/// trash/. Checks `path` first and fails as check_data_dir does.
/// @pre check_data_dir(path) succeeded.
outcome<done> prepare_data_dir(const std::string& path);

/// @returns the folder of the system store inside `data_dir`.
std::string system_store_dir(const std::string& data_dir);

/// @returns the folder of the raft store inside `data_dir`.
std::string raft_store_dir(const std::string& data_dir);

/// @returns the folder of the database `folded_name` inside `data_dir`.
std::string database_store_dir(const std::string& data_dir,
                               std::string_view folded_name);

/// Removes a database's folder and everything in it; fine when there is
/// none. Fails with ec::bad_request when `folded_name` is not a plain folder
/// name (empty, ".", "..", or holding a path separator or NUL).
/// @pre the store is closed.
outcome<done> remove_database_store(const std::string& data_dir,
                                    std::string_view folded_name);

} // namespace corvus
