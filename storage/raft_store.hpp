#pragma once

// The node's raft store: a LevelDB holding what its Raft member must not
// forget (Raft §5.1 Figure 2, §7): the log, the hard state, the latest
// snapshot and the node's own tag. The key layout is documented in
// storage/keys.hpp ("RAFT STORE").
//
// One owner (the Raft member) calls it; it is not thread-safe, but for
// writing and reading snapshot data files. Every save is one LevelDB
// batch, synced unless it only moves the commit index
// (ready::needs_sync), so after a crash the store holds what the saves
// that returned success left, but maybe for the latest commit indexes,
// never part of a save.

#include "runtime/failure.hpp"
#include "runtime/raft/ready.hpp"
#include "runtime/raft/snapshot.hpp"
#include "runtime/raft/types.hpp"

#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace leveldb {
class DB;
class Env;
class WritableFile;
class WriteBatch;
} // namespace leveldb

namespace corvus {

struct leveldb_settings;

class raft_store {
public:
  /// Everything the store holds, as a restarting member needs it.
  struct contents {
    /// The node's own tag; empty until `save_tag` stored one.
    raft::node_tag tag;
    /// The last hard state saved; all zero/empty before the first.
    raft::hard_state state;
    /// The latest snapshot; `snap.empty()` when there is none.
    raft::snapshot snap;
    /// Every stored entry, in index order, starting at or before
    /// `snap.index + 1` (compaction may keep entries the snapshot covers)
    /// and, when any, ending at or after `snap.index`.
    std::vector<raft::entry> entries;
  };

  /// Opens (creating when missing) the raft store in `dir`. A new store gets
  /// the current format version; an existing one must carry a version this
  /// build understands (ec::unsupported_format otherwise, also for a LevelDB
  /// that holds data but no version). ec::storage_failure when LevelDB
  /// cannot open `dir`.
  /// @param env nullptr for real files; tests pass an in-memory or
  ///        fault-injecting Env (not owned, must outlive the store).
  static outcome<std::unique_ptr<raft_store>>
  open(const std::string& dir, leveldb::Env* env = nullptr);

  ~raft_store();

  raft_store(const raft_store&) = delete;
  raft_store& operator=(const raft_store&) = delete;

  /// Reads the whole store from one consistent view.
  /// @returns ec::storage_failure when LevelDB fails to read or when the
  ///          store is corrupt: an unknown key, a malformed value, or a log
  ///          that is not contiguous, leaves a gap before the snapshot's
  ///          end or ends before it, or whose terms decrease.
  outcome<contents> load() const;

  /// Reads the node's own tag alone (empty until `save_tag` stored one),
  /// without loading the log: what start-up shows before the member loads
  /// everything.
  outcome<raft::node_tag> tag() const;

  /// Persists what `r` asks for as one batch, synced unless it only moves
  /// the commit index (a later sync makes that durable), whose effect is, in
  /// this order: `new_hard_state` (when set); `new_snapshot` (when set),
  /// replacing the stored one; deleting every entry with an index up to
  /// `discard_through` (all at once when that is the whole log, else at
  /// most `max_discards_per_save` per save, oldest first, continuing in the
  /// saves that follow); deleting every entry with an index at or past
  /// `r.entries.front().index` and storing `r.entries`. Other fields of `r`
  /// are ignored.
  /// @returns ec::internal_error, writing nothing, when the result would be
  ///          a store `load` rejects (entries not contiguous or with
  ///          decreasing terms, a gap after the stored log, a log that
  ///          starts after the snapshot's next index or ends before the
  ///          snapshot, a snapshot older than the
  ///          stored one). ec::storage_failure with LevelDB's text when the
  ///          write fails; then `first_index()`/`last_index()` are unchanged
  ///          and every later save fails too, since only reopening (LevelDB's
  ///          log recovery) tells how much of the failed batch reached the
  ///          disk.
  outcome<done> save(const raft::ready& r);

  /// The data file of one snapshot while it is written, a part at a time
  /// (a snapshot received in pieces goes to disk as it arrives). It is
  /// written under a name of its own and takes the snapshot's name only
  /// when finished; one dropped unfinished is removed. The first failed
  /// append fails every later one, and finish_snapshot_data.
  class snapshot_file {
  public:
    snapshot_file(const snapshot_file&) = delete;
    snapshot_file& operator=(const snapshot_file&) = delete;
    ~snapshot_file();

    /// Appends the next `bytes` of the data.
    outcome<done> append(std::string_view bytes);

  private:
    friend class raft_store;
    snapshot_file() = default;

    leveldb::Env* env_ = nullptr;
    std::unique_ptr<leveldb::WritableFile> file_;
    std::string partial_path_;
    std::string path_;
    uint32_t crc_ = 0;
    std::optional<failure> failed_;
    bool finished_ = false;
  };

  /// Starts writing the data file of the snapshot at `index`/`term`, ahead
  /// of the save that records it. Safe to call from another thread than
  /// the one saving, as are the calls below: a member writes its own large
  /// snapshots on a worker while it goes on committing.
  outcome<std::unique_ptr<snapshot_file>>
  begin_snapshot_data(raft::index_t index, raft::term_t term) const;

  /// Syncs `file` and gives it its snapshot's name, durably; the save that
  /// records the snapshot then does not write its data again.
  /// @returns the data's CRC-32.
  outcome<uint32_t> finish_snapshot_data(snapshot_file& file) const;

  /// Writes the whole data of the snapshot at `index`/`term` to its file,
  /// as begin_snapshot_data, append and finish_snapshot_data do.
  /// @returns the data's CRC-32.
  outcome<uint32_t> write_snapshot_data(raft::index_t index,
                                        raft::term_t term,
                                        std::string_view data) const;

  /// @returns the data file of the snapshot at `index`/`term`, written
  ///          here, as text to keep: mapped into memory on real files, so
  ///          that the kernel may drop its pages and read them again
  ///          instead of the process holding a copy; read into memory on
  ///          other Envs, or when the file cannot be mapped. Not checked
  ///          against its CRC (load does that).
  outcome<shared_text> snapshot_data(raft::index_t index,
                                     raft::term_t term) const;

  /// Stores the node's own tag as one synced write. Fails as `save` does
  /// on a write error.
  outcome<done> save_tag(const raft::node_tag& tag);

  /// @returns the index of the first stored entry; 0 when there is none.
  raft::index_t first_index() const {
    return first_;
  }

  /// @returns the index of the last stored entry; 0 when there is none.
  raft::index_t last_index() const {
    return last_;
  }

private:
  raft_store(std::string dir, std::unique_ptr<leveldb_settings> settings,
             std::unique_ptr<leveldb::DB> db);

  /// Reads first/last index and term and the snapshot position at open.
  outcome<done> read_bounds();

  /// Creates a new store's format key, or checks an existing one's;
  /// moves an inline snapshot of format version 1 to its file.
  outcome<done> check_format();
  outcome<done> migrate_inline_snapshot();

  leveldb::Env* env() const;
  std::string snapshot_path(raft::index_t index, raft::term_t term) const;
  /// Reads and checks the data file of the snapshot `meta` describes.
  outcome<done> read_snapshot_data(std::string_view meta,
                                   raft::snapshot& snap) const;
  /// @returns the paths of the store's files whose names start with
  ///          `prefix`, but `keep`, and forgets them as fresh snapshots.
  std::vector<std::string> files_starting(std::string_view prefix,
                                          const std::string& keep) const;
  /// Removes the store's files whose names start with `prefix`, at once
  /// (at open; failures only cost space).
  void remove_files(std::string_view prefix) const;
  /// Removes every snapshot file but the one at path `keep`, renamed at
  /// once and removed on a thread of its own on real files (a save must
  /// not wait for it).
  void discard_snapshot_files(const std::string& keep) const;

  /// @returns the term of the stored entry at `index`.
  /// @pre `first_ <= index && index <= last_`
  outcome<raft::term_t> term_at(raft::index_t index) const;

  /// @returns why saving `r` would leave a store `load` rejects, if it
  ///          would.
  outcome<done> check_ready(const raft::ready& r) const;

  /// @returns a failure when an earlier write failed.
  outcome<done> writable() const;

  /// Writes `batch`, synced to disk when `sync`; on failure the store
  /// refuses further writes.
  /// @param what says what failed, for the error message.
  outcome<done> write(leveldb::WriteBatch& batch, std::string_view what,
                      bool sync);

  std::string dir_;
  std::unique_ptr<leveldb_settings> settings_;
  // Declared after the settings it uses, so that it closes first.
  std::unique_ptr<leveldb::DB> db_;

  // The stored log and snapshot position, as of open or the last
  // successful save: deletes walk known keys instead of scanning.
  raft::index_t first_ = 0;
  raft::index_t last_ = 0;
  raft::term_t last_term_ = 0;
  /// Stored entries through this index are covered by a snapshot and being
  /// deleted, `max_discards_per_save` per save.
  raft::index_t discard_to_ = 0;
  static constexpr raft::index_t max_discards_per_save = 10000;
  raft::index_t snapshot_index_ = 0;
  raft::term_t snapshot_term_ = 0;
  /// The hard state as of open or the last successful save.
  raft::hard_state saved_state_;

  /// Snapshot files written by write_snapshot_data in this process, with
  /// their CRC-32: a save finds them there (and trusts them; a file from
  /// before a crash may be torn).
  mutable std::mutex fresh_mutex_;
  mutable std::map<std::string, uint32_t> fresh_snapshots_;
  /// Tells apart the partial files of snapshots written at once.
  mutable uint64_t next_partial_ = 0;

  /// LevelDB's text of the first failed write; empty while writes work.
  std::string write_failure_;
};

} // namespace corvus
