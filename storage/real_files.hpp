#pragma once

// How Corvus writes the files of its LevelDB stores on real disks.
//
// A synced append that grows a file makes fdatasync commit the file's new
// size through the filesystem's journal as well; a synced overwrite inside
// the file does not. So logs on real files are written into space filled
// with zeros ahead of the writes (a chunk at a time, as PostgreSQL fills
// its WAL segments), and each commit's sync writes the new records only.
// Measured here with 16 writers of 1 KB documents: 475 -> 300 us per group
// commit. Filling writes each byte twice, so a log whose syncs are large
// appends instead. A cleanly closed log is cut back to its records.
//
// Files written in bulk (tables, Raft snapshots) go to disk a megabyte at a
// time as they are written, not all at their final sync, which would hold
// every commit's log sync behind it.
//
// After a crash a log may end in zeros and in the record the crash tore;
// reading hands LevelDB only the records before them (storage/log_tail.hpp).

#include <leveldb/env.h>

#include <string>

namespace corvus {

/// @returns whether `name` is a LevelDB log file ("000123.log").
bool is_leveldb_log(const std::string& name);

/// @returns whether `name` is a LevelDB manifest ("MANIFEST-000005").
bool is_leveldb_manifest(const std::string& name);

/// An Env that forwards everything to another, except that a log opened
/// for recovery reads as its readable part (storage/log_tail.hpp).
class log_tail_env : public leveldb::EnvWrapper {
public:
  /// @param target the Env holding the files; not owned.
  explicit log_tail_env(leveldb::Env* target);

  leveldb::Status NewSequentialFile(const std::string& name,
                                    leveldb::SequentialFile** result) override;
};

/// @returns the Env of stores on real files: LevelDB's default Env, except
///          that logs are written into zero-filled space and read as
///          `log_tail_env` reads them, that other files written in bulk
///          (tables, Raft snapshots) go to disk a megabyte at a time as
///          they are written, and that LevelDB's background
///          thread (flushes, compactions) is named `leveldb-bg`. Lives as
///          long as the process.
leveldb::Env* real_files_env();

} // namespace corvus
