#include "storage/raft_store.hpp"

#include "runtime/elsewhere.hpp"
#include "storage/keys.hpp"
#include "storage/leveldb_util.hpp"
#include "storage/leveldb_options.hpp"
#include "storage/mapped_text.hpp"
#include "storage/real_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

namespace corvus {

namespace {

namespace kb = byte_order;
namespace rk = raft_keys;

/// Removes `paths`, on real files on a thread of its own: a file's blocks
/// are freed as it goes unless it is still mapped, 140 ms for half a
/// gigabyte here, on the caller's thread (the Raft member's, which then
/// sent no heartbeats, and a follower called an election), with other
/// threads' syncs held up to 50 ms. In memory (the simulations) at once.
void remove_elsewhere(leveldb::Env* env, std::vector<std::string> paths) {
  if (env != real_files_env()) {
    for (auto& path : paths)
      env->RemoveFile(path);
    return;
  }
  if (!paths.empty())
    run_elsewhere([env, paths = std::move(paths)] {
      for (auto& path : paths)
        env->RemoveFile(path);
    });
}

failure corrupt(const std::string& dir, const std::string& what) {
  return make_failure(ec::storage_failure,
                      "raft store " + dir + " is corrupt: " + what);
}

// A save whose result `load` would reject is a bug of the caller (the Raft
// core); refusing it keeps the disk loadable for the restart that follows.
failure refused(const std::string& dir, const std::string& what) {
  return make_failure(ec::internal_error,
                      "raft store " + dir + " refuses a save: " + what);
}

std::string str(uint64_t x) {
  return std::to_string(x);
}

// Renders a key for an error message: bytes outside printable ASCII as \xNN.
std::string printable(std::string_view key) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto c : key) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(digits[u >> 4]);
      out.push_back(digits[u & 0xf]);
    }
  }
  return out;
}

void encode_entry(std::string& out, const raft::entry& e) {
  out.clear();
  kb::append_little_endian(out, e.term);
  out.push_back(static_cast<char>(e.kind));
  out.append(e.data);
}

// Fills all fields of `e` but the index, which is in the key.
bool decode_entry(std::string_view value, raft::entry& e) {
  if (value.size() < rk::entry_fixed_size)
    return false;
  auto kind = static_cast<uint8_t>(value[8]);
  if (kind > static_cast<uint8_t>(raft::entry_kind::topology))
    return false;
  e.term = kb::read_little_endian(value.data());
  e.kind = static_cast<raft::entry_kind>(kind);
  e.data = shared_text{std::string{value.substr(rk::entry_fixed_size)}};
  return true;
}

void encode_hard_state(std::string& out, const raft::hard_state& hs) {
  out.clear();
  kb::append_little_endian(out, hs.term);
  kb::append_little_endian(out, hs.commit);
  out.append(hs.voted_for);
}

bool decode_hard_state(std::string_view value, raft::hard_state& hs) {
  if (value.size() < rk::hard_state_fixed_size)
    return false;
  hs.term = kb::read_little_endian(value.data());
  hs.commit = kb::read_little_endian(value.data() + 8);
  hs.voted_for.assign(value.substr(rk::hard_state_fixed_size));
  return true;
}

/// CRC-32 (IEEE), as Boost.CRC's crc_32_type computed it for earlier
/// stores; zlib's is about seven times faster, which counts for snapshots
/// of a hundred megabytes taken while the cluster is busy.
/// @returns the CRC of the bytes `crc` covered (0 for none) and `data`.
uint32_t extend_checksum(uLong crc, std::string_view data) {
  // zlib takes lengths as uInt: feed large data in slices.
  constexpr size_t slice = 1u << 30;
  for (size_t at = 0; at < data.size(); at += slice) {
    auto n = std::min(slice, data.size() - at);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + at),
                static_cast<uInt>(n));
  }
  return static_cast<uint32_t>(crc);
}

uint32_t checksum(std::string_view data) {
  return extend_checksum(0, data);
}

/// The snapshot's key value: everything but the data, which has a file.
void encode_snapshot(std::string& out, const raft::snapshot& snap,
                     uint64_t data_size, uint32_t crc) {
  auto config = raft::to_json(snap.config);
  out.clear();
  out.reserve(rk::snapshot_fixed_size + config.size()
              + rk::snapshot_trailer_size);
  kb::append_little_endian(out, snap.index);
  kb::append_little_endian(out, snap.term);
  kb::append_little_endian32(out, static_cast<uint32_t>(config.size()));
  out.append(config);
  kb::append_little_endian(out, data_size);
  kb::append_little_endian32(out, crc);
}

/// Reads index, term and topology; `rest` is what follows the topology
/// JSON (format 2: data size and CRC; format 1: the data itself).
bool decode_snapshot_head(std::string_view value, raft::snapshot& snap,
                          std::string_view& rest) {
  if (value.size() < rk::snapshot_fixed_size)
    return false;
  auto config_size = kb::read_little_endian32(value.data() + 16);
  if (value.size() - rk::snapshot_fixed_size < config_size)
    return false;
  auto config = raft::topology_from_json(
    value.substr(rk::snapshot_fixed_size, config_size));
  if (!config)
    return false;
  snap.index = kb::read_little_endian(value.data());
  snap.term = kb::read_little_endian(value.data() + 8);
  snap.config = std::move(*config);
  rest = value.substr(rk::snapshot_fixed_size + config_size);
  return true;
}

} // namespace

raft_store::raft_store(std::string dir,
                       std::unique_ptr<leveldb_settings> settings,
                       std::unique_ptr<leveldb::DB> db)
  : dir_(std::move(dir)), settings_(std::move(settings)), db_(std::move(db)) {
  // nop
}

raft_store::~raft_store() {
  // nop
}

outcome<std::unique_ptr<raft_store>>
raft_store::open(const std::string& dir, leveldb::Env* env) {
  store_options opts;
  opts.create_if_missing = true;
  opts.env = env;
  // The log is read whole once, at open, and otherwise only written: a
  // block cache would hold nothing worth keeping. Entries live until the
  // next snapshot, a few seconds under load, and every memtable flush
  // writes them to disk a second time (puts and the deletes that follow
  // alike). LevelDB's default of 4 MiB flushed several times a second under
  // 64 writers with 1 KB values; 32 MiB, a few seconds of such a load,
  // gave about 10% more compare-exchange writes per second (alternating
  // runs of scripts/bench/raft's c=64 load), for at most 32 MiB of memory
  // and of LevelDB log replayed at open.
  opts.block_cache_size = 1 << 20;
  opts.write_buffer_size = 32 << 20;
  auto settings = make_leveldb_settings(opts);
  leveldb::DB* raw = nullptr;
  auto status = leveldb::DB::Open(settings->options, dir, &raw);
  if (!status.ok())
    return storage_error("raft store", dir, "cannot open", status);
  std::unique_ptr<leveldb::DB> db{raw};
  std::unique_ptr<raft_store> store{
    new raft_store(dir, std::move(settings), std::move(db))};
  if (auto ok = store->check_format(); !ok)
    return std::move(ok.error());
  if (auto ok = store->read_bounds(); !ok)
    return std::move(ok.error());
  // Leftovers of snapshot files a crash interrupted (at once: new partial
  // files of this process may take their names).
  store->remove_files(rk::partial_snapshot_prefix);
  store->remove_files(rk::removed_snapshot_prefix);
  return store;
}

outcome<done> raft_store::check_format() {
  std::string v;
  auto status = db_->Get(leveldb::ReadOptions{}, to_slice(rk::format_key),
                         &v);
  if (status.IsNotFound()) {
    std::unique_ptr<leveldb::Iterator> iter{
      db_->NewIterator(leveldb::ReadOptions{})};
    iter->SeekToFirst();
    if (iter->Valid())
      return make_failure(ec::unsupported_format,
                          "raft store " + dir_
                            + " holds data but no format version");
    if (!iter->status().ok())
      return storage_error("raft store", dir_, "cannot read", iter->status());
    leveldb::WriteBatch init;
    std::string version;
    kb::append_little_endian32(version, rk::format_version);
    init.Put(to_slice(rk::format_key), version);
    return write(init, "cannot initialize", true);
  }
  if (!status.ok())
    return storage_error("raft store", dir_, "cannot read the format version", status);
  if (v.size() != 4)
    return make_failure(ec::unsupported_format,
                        "raft store " + dir_
                          + " has an unreadable format version");
  auto version = kb::read_little_endian32(v.data());
  if (version == rk::inline_snapshot_format_version)
    return migrate_inline_snapshot();
  if (version != rk::format_version)
    return make_failure(ec::unsupported_format,
                        "raft store " + dir_ + " has format version "
                          + str(version) + "; this build understands version "
                          + str(rk::format_version));
  return done{};
}

outcome<done> raft_store::read_bounds() {
  // Two seeks find the ends of the log without reading what lies between;
  // `load` checks the rest.
  std::unique_ptr<leveldb::Iterator> iter{
    db_->NewIterator(leveldb::ReadOptions{})};
  auto entry_at = [&](raft::index_t& index) -> bool {
    auto key = to_view(iter->key());
    if (key.size() != rk::entry_key_size || key[0] != rk::entry_prefix)
      return false;
    index = kb::read_big_endian(key.data() + 1);
    return true;
  };
  iter->Seek(to_slice(std::string_view{&rk::entry_prefix, 1}));
  if (iter->Valid() && iter->key().starts_with(
                         to_slice(std::string_view{&rk::entry_prefix, 1}))) {
    if (!entry_at(first_))
      return corrupt(dir_, "a log key is malformed: '"
                             + printable(to_view(iter->key())) + "'");
    // Every `m` key sorts after every `l` key; the log ends right before.
    iter->Seek(to_slice(std::string_view{&rk::meta_prefix, 1}));
    if (iter->Valid())
      iter->Prev();
    else
      iter->SeekToLast();
    if (!iter->Valid())
      return storage_error("raft store", dir_, "cannot find the end of the log",
                           iter->status());
    if (!entry_at(last_))
      return corrupt(dir_, "a log key is malformed: '"
                             + printable(to_view(iter->key())) + "'");
    if (iter->value().size() < rk::entry_fixed_size)
      return corrupt(dir_, "the entry at index " + str(last_)
                             + " is malformed");
    last_term_ = kb::read_little_endian(iter->value().data());
  }
  if (!iter->status().ok())
    return storage_error("raft store", dir_, "cannot read the log bounds", iter->status());
  iter->Seek(to_slice(rk::hard_state_key));
  if (iter->Valid() && to_view(iter->key()) == rk::hard_state_key
      && !decode_hard_state(to_view(iter->value()), saved_state_))
    return corrupt(dir_, "the hard state is malformed");
  iter->Seek(to_slice(rk::snapshot_key));
  if (iter->Valid() && to_view(iter->key()) == rk::snapshot_key) {
    auto value = to_view(iter->value());
    if (value.size() < rk::snapshot_fixed_size)
      return corrupt(dir_, "the snapshot is malformed");
    snapshot_index_ = kb::read_little_endian(value.data());
    snapshot_term_ = kb::read_little_endian(value.data() + 8);
  }
  if (!iter->status().ok())
    return storage_error("raft store", dir_, "cannot read the snapshot", iter->status());
  return done{};
}

outcome<raft_store::contents> raft_store::load() const {
  contents result;
  // An iterator reads from an implicit LevelDB snapshot: one view.
  std::unique_ptr<leveldb::Iterator> iter{
    db_->NewIterator(leveldb::ReadOptions{})};
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    auto key = to_view(iter->key());
    auto value = to_view(iter->value());
    if (!key.empty() && key[0] == rk::entry_prefix) {
      if (key.size() != rk::entry_key_size)
        return corrupt(dir_,
                       "a log key is malformed: '" + printable(key) + "'");
      raft::entry e;
      e.index = kb::read_big_endian(key.data() + 1);
      if (!decode_entry(value, e))
        return corrupt(dir_, "the entry at index " + str(e.index)
                               + " is malformed");
      result.entries.push_back(std::move(e));
    } else if (key == rk::tag_key) {
      result.tag.assign(value);
    } else if (key == rk::hard_state_key) {
      if (!decode_hard_state(value, result.state))
        return corrupt(dir_, "the hard state is malformed");
    } else if (key == rk::snapshot_key) {
      if (auto read = read_snapshot_data(value, result.snap); !read)
        return read.error();
    } else if (key != rk::format_key) { // checked at open
      return corrupt(dir_, "unknown key '" + printable(key) + "'");
    }
  }
  if (!iter->status().ok())
    return storage_error("raft store", dir_, "cannot read", iter->status());
  // The log must reach the snapshot (Raft §7; compaction may keep entries
  // the snapshot covers) and match what the core wrote: no gaps, terms
  // never going back (§5.3 Log Matching), the snapshot's term at its index.
  auto& snap = result.snap;
  auto& es = result.entries;
  if (!es.empty() && es.front().index > snap.index + 1)
    return corrupt(dir_, "the log starts at index " + str(es.front().index)
                           + " but the snapshot ends at index "
                           + str(snap.index));
  if (!es.empty() && es.back().index < snap.index)
    return corrupt(dir_, "the log ends at index " + str(es.back().index)
                           + " before the snapshot's index "
                           + str(snap.index));
  for (size_t i = 0; i < es.size(); ++i) {
    auto& e = es[i];
    if (i > 0 && e.index != es[i - 1].index + 1)
      return corrupt(dir_, "the log skips from index " + str(es[i - 1].index)
                             + " to " + str(e.index));
    auto floor = i > 0 ? es[i - 1].term : 0;
    if (e.index == snap.index + 1)
      floor = std::max(floor, snap.term);
    if (e.term < floor)
      return corrupt(dir_, "the entry at index " + str(e.index)
                             + " has term " + str(e.term)
                             + ", below the term " + str(floor)
                             + " before it");
    if (e.index == snap.index && e.term != snap.term)
      return corrupt(dir_, "the entry at index " + str(e.index)
                             + " has term " + str(e.term)
                             + " but the snapshot says " + str(snap.term));
  }
  return result;
}

outcome<raft::node_tag> raft_store::tag() const {
  std::string value;
  auto status = db_->Get(leveldb::ReadOptions{}, to_slice(rk::tag_key),
                         &value);
  if (status.IsNotFound())
    return raft::node_tag{};
  if (!status.ok())
    return storage_error("raft store", dir_, "cannot read the node tag",
                         status);
  return raft::node_tag{std::move(value)};
}

outcome<raft::term_t> raft_store::term_at(raft::index_t index) const {
  if (index == last_)
    return last_term_;
  std::string key;
  rk::entry_key(key, index);
  std::string value;
  auto status = db_->Get(leveldb::ReadOptions{}, to_slice(key), &value);
  if (status.IsNotFound())
    return corrupt(dir_, "the entry at index " + str(index) + " is missing");
  if (!status.ok())
    return storage_error("raft store", dir_, "cannot read the entry at index " + str(index),
                         status);
  if (value.size() < rk::entry_fixed_size)
    return corrupt(dir_, "the entry at index " + str(index)
                           + " is malformed");
  return kb::read_little_endian(value.data());
}

outcome<done> raft_store::check_ready(const raft::ready& r) const {
  auto snap_index = snapshot_index_;
  auto snap_term = snapshot_term_;
  if (r.new_snapshot) {
    if (r.new_snapshot->index < snapshot_index_)
      return refused(dir_, "the snapshot at index "
                             + str(r.new_snapshot->index)
                             + " is older than the stored one at index "
                             + str(snapshot_index_));
    snap_index = r.new_snapshot->index;
    snap_term = r.new_snapshot->term;
  }
  // The stored log once `discard_through` is done; 0, 0 when empty.
  auto first = first_;
  auto last = last_;
  if (r.discard_through >= last)
    first = last = 0;
  else if (r.discard_through >= first)
    first = r.discard_through + 1;
  auto new_first = first;
  auto new_last = last;
  // Whether the log's first entry after the save is one already stored.
  auto kept_first = first != 0;
  if (!r.entries.empty()) {
    auto& es = r.entries;
    auto start = es.front().index;
    if (start == 0)
      return refused(dir_, "an entry has index 0");
    for (size_t i = 1; i < es.size(); ++i) {
      if (es[i].index != es[i - 1].index + 1)
        return refused(dir_, "entry " + str(es[i].index) + " follows entry "
                               + str(es[i - 1].index));
      if (es[i].term < es[i - 1].term)
        return refused(dir_, "the term falls from " + str(es[i - 1].term)
                               + " to " + str(es[i].term) + " at index "
                               + str(es[i].index));
    }
    if (last != 0 && start > last + 1)
      return refused(dir_, "entries start at index " + str(start)
                             + ", leaving a gap after the last stored one "
                               "at index "
                             + str(last));
    if (last != 0 && start > first) {
      // Appending behind a kept stored entry.
      auto prev = term_at(start - 1);
      if (!prev)
        return std::move(prev.error());
      if (es.front().term < *prev)
        return refused(dir_, "the entry at index " + str(start) + " has term "
                               + str(es.front().term) + ", below the term "
                               + str(*prev) + " before it");
    } else {
      new_first = start;
      kept_first = false;
      if (start > snap_index && es.front().term < snap_term)
        return refused(dir_, "the entry at index " + str(start) + " has term "
                               + str(es.front().term)
                               + ", below the snapshot's term "
                               + str(snap_term));
    }
    new_last = es.back().index;
  }
  if (new_last == 0)
    return done{};
  if (new_first > snap_index + 1)
    return refused(dir_, "the log would start at index " + str(new_first)
                           + " but the snapshot ends at index "
                           + str(snap_index));
  if (new_last < snap_index)
    return refused(dir_, "the log would end at index " + str(new_last)
                           + " before the snapshot's index "
                           + str(snap_index));
  if (r.new_snapshot && kept_first && first > snap_index) {
    // A kept stored entry now follows a new snapshot.
    auto term = term_at(first);
    if (!term)
      return std::move(term.error());
    if (*term < snap_term)
      return refused(dir_, "the entry at index " + str(first) + " has term "
                             + str(*term) + ", below the snapshot's term "
                             + str(snap_term));
  }
  return done{};
}

outcome<done> raft_store::save(const raft::ready& r) {
  if (auto ok = writable(); !ok)
    return ok;
  if (!r.needs_persist())
    return done{};
  if (auto ok = check_ready(r); !ok)
    return ok;
  leveldb::WriteBatch batch;
  std::string key;
  std::string value;
  if (r.new_hard_state) {
    encode_hard_state(value, *r.new_hard_state);
    batch.Put(to_slice(rk::hard_state_key), value);
  }
  if (r.new_snapshot) {
    // The data goes to its file first (unless it was written ahead), so
    // that the key never names a file that is not durable.
    auto& snap = *r.new_snapshot;
    auto path = snapshot_path(snap.index, snap.term);
    std::optional<uint32_t> crc;
    {
      std::lock_guard<std::mutex> guard{fresh_mutex_};
      if (auto i = fresh_snapshots_.find(path); i != fresh_snapshots_.end())
        crc = i->second;
    }
    if (!crc) {
      auto written
        = write_snapshot_data(snap.index, snap.term, snap.data.view());
      if (!written) {
        write_failure_ = written.error().message;
        return written.error();
      }
      crc = *written;
    }
    encode_snapshot(value, snap, snap.data.size(), *crc);
    batch.Put(to_slice(rk::snapshot_key), value);
  }
  auto first = first_;
  auto last = last_;
  auto last_term = last_term_;
  auto discard_to = discard_to_;
  if (last != 0 && r.discard_through >= last) {
    // The whole log goes (a snapshot installed past it): at once, since
    // what came after the snapshot would otherwise follow a gap.
    for (auto i = first; i <= last; ++i) {
      rk::entry_key(key, i);
      batch.Delete(to_slice(key));
    }
    first = last = last_term = 0;
    discard_to = 0;
  } else if (last != 0) {
    // Entries a snapshot covers go a bounded number per save: half a
    // million deletes in one batch held a leader's member past the election
    // timeout. The log may keep covered entries meanwhile, even across a
    // restart (the next compaction covers them again).
    discard_to = std::max(discard_to, r.discard_through);
    if (discard_to >= first) {
      auto through = std::min(discard_to, first + max_discards_per_save - 1);
      for (auto i = first; i <= through; ++i) {
        rk::entry_key(key, i);
        batch.Delete(to_slice(key));
      }
      first = through + 1;
    }
  }
  if (!r.entries.empty()) {
    auto start = r.entries.front().index;
    auto end = r.entries.back().index;
    // Stored entries past the new last one are what remains of a divergent
    // suffix (Raft §5.3); those in between are overwritten by the puts.
    if (last != 0)
      for (auto i = std::max({start, first, end + 1}); i <= last; ++i) {
        rk::entry_key(key, i);
        batch.Delete(to_slice(key));
      }
    for (auto& e : r.entries) {
      rk::entry_key(key, e.index);
      encode_entry(value, e);
      batch.Put(to_slice(key), value);
    }
    if (last == 0 || start <= first)
      first = start;
    last = end;
    last_term = r.entries.back().term;
  }
  if (auto ok = write(batch, "cannot save", r.needs_sync(saved_state_)); !ok)
    return ok;
  if (r.new_hard_state)
    saved_state_ = *r.new_hard_state;
  first_ = first;
  last_ = last;
  last_term_ = last_term;
  discard_to_ = discard_to;
  if (r.new_snapshot) {
    snapshot_index_ = r.new_snapshot->index;
    snapshot_term_ = r.new_snapshot->term;
    discard_snapshot_files(snapshot_path(snapshot_index_, snapshot_term_));
  }
  return done{};
}

leveldb::Env* raft_store::env() const {
  return settings_->options.env;
}

std::string raft_store::snapshot_path(raft::index_t index,
                                      raft::term_t term) const {
  return dir_ + "/" + std::string{rk::snapshot_file_prefix} + str(index)
         + "-" + str(term);
}

raft_store::snapshot_file::~snapshot_file() {
  if (finished_)
    return;
  file_.reset();
  remove_elsewhere(env_, {partial_path_});
}

outcome<done> raft_store::snapshot_file::append(std::string_view bytes) {
  if (failed_)
    return *failed_;
  // In slices: some Env implementations buffer a whole append, and on real
  // files each megabyte goes to disk as it is written (storage/
  // real_files.hpp): a gigabyte flushed by one sync at the end kept the
  // disk busy long enough for the log's syncs behind it (every commit's)
  // to stall a member past the election timeout.
  constexpr size_t slice = 1 << 20;
  for (size_t at = 0; at < bytes.size(); at += slice)
    if (auto status = file_->Append(to_slice(bytes.substr(at, slice)));
        !status.ok()) {
      failed_ = storage_error("raft store", partial_path_,
                              "cannot write the snapshot file", status);
      return *failed_;
    }
  crc_ = extend_checksum(crc_, bytes);
  return done{};
}

outcome<std::unique_ptr<raft_store::snapshot_file>>
raft_store::begin_snapshot_data(raft::index_t index, raft::term_t term) const {
  std::unique_ptr<snapshot_file> file{new snapshot_file};
  file->env_ = env();
  file->path_ = snapshot_path(index, term);
  {
    std::lock_guard<std::mutex> guard{fresh_mutex_};
    file->partial_path_ = dir_ + "/" + std::string{rk::partial_snapshot_prefix}
                          + str(next_partial_++) + "-"
                          + file->path_.substr(dir_.size() + 1);
  }
  leveldb::WritableFile* raw = nullptr;
  if (auto status = env()->NewWritableFile(file->partial_path_, &raw);
      !status.ok()) {
    file->finished_ = true; // nothing to remove
    return storage_error("raft store", dir_,
                         "cannot write the snapshot file "
                           + file->partial_path_,
                         status);
  }
  file->file_.reset(raw);
  return file;
}

outcome<uint32_t>
raft_store::finish_snapshot_data(snapshot_file& file) const {
  auto fail = [&](const leveldb::Status& status) {
    return storage_error("raft store", dir_,
                         "cannot write the snapshot file " + file.path_,
                         status);
  };
  if (file.failed_)
    return *file.failed_;
  if (auto status = file.file_->Sync(); !status.ok())
    return fail(status);
  if (auto status = file.file_->Close(); !status.ok())
    return fail(status);
  file.file_.reset();
  // Renaming over a file of the same snapshot is safe even while that one
  // is mapped: its pages stay until unmapped.
  if (auto status = env()->RenameFile(file.partial_path_, file.path_);
      !status.ok())
    return fail(status);
  file.finished_ = true;
  // The file's directory entry must be durable too before a key names it.
  // LevelDB's Env cannot sync a directory; on real files this does.
  if (env() == real_files_env()) {
    auto fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
    auto synced = fd >= 0 && ::fsync(fd) == 0;
    if (fd >= 0)
      ::close(fd);
    if (!synced)
      return fail(leveldb::Status::IOError(dir_, std::strerror(errno)));
  }
  std::lock_guard<std::mutex> guard{fresh_mutex_};
  fresh_snapshots_[file.path_] = file.crc_;
  return file.crc_;
}

outcome<uint32_t> raft_store::write_snapshot_data(raft::index_t index,
                                                  raft::term_t term,
                                                  std::string_view data) const {
  auto file = begin_snapshot_data(index, term);
  if (!file)
    return std::move(file.error());
  (*file)->append(data); // a failure fails the finish
  return finish_snapshot_data(**file);
}

outcome<shared_text> raft_store::snapshot_data(raft::index_t index,
                                               raft::term_t term) const {
  auto path = snapshot_path(index, term);
  // A file that cannot be mapped (a filesystem without mmap) is read
  // instead; one that cannot be opened fails below as well.
  if (env() == real_files_env())
    if (auto mapped = map_file_text(path))
      return mapped;
  std::string data;
  if (auto status = leveldb::ReadFileToString(env(), path, &data);
      !status.ok())
    return storage_error("raft store", dir_,
                         "cannot read the snapshot file " + path, status);
  return shared_text{std::move(data)};
}

outcome<done> raft_store::read_snapshot_data(std::string_view meta,
                                             raft::snapshot& snap) const {
  std::string_view rest;
  if (!decode_snapshot_head(meta, snap, rest)
      || rest.size() != rk::snapshot_trailer_size)
    return corrupt(dir_, "the snapshot is malformed");
  auto size = kb::read_little_endian(rest.data());
  auto crc = kb::read_little_endian32(rest.data() + 8);
  auto data = snapshot_data(snap.index, snap.term);
  if (!data)
    return std::move(data.error());
  if (data->size() != size || checksum(*data) != crc)
    return corrupt(dir_, "the snapshot file "
                           + snapshot_path(snap.index, snap.term)
                           + " is damaged (" + str(data->size()) + " bytes, "
                           + str(size) + " expected, or a wrong checksum)");
  snap.data = std::move(*data);
  return done{};
}

std::vector<std::string>
raft_store::files_starting(std::string_view prefix,
                           const std::string& keep) const {
  std::vector<std::string> names;
  std::vector<std::string> paths;
  if (!env()->GetChildren(dir_, &names).ok())
    return paths;
  std::lock_guard<std::mutex> guard{fresh_mutex_};
  for (auto& name : names) {
    auto path = dir_ + "/" + name;
    if (name.rfind(prefix, 0) != 0 || path == keep)
      continue;
    fresh_snapshots_.erase(path);
    paths.push_back(std::move(path));
  }
  return paths;
}

void raft_store::remove_files(std::string_view prefix) const {
  for (auto& path : files_starting(prefix, {}))
    env()->RemoveFile(path);
}

void raft_store::discard_snapshot_files(const std::string& keep) const {
  auto paths = files_starting(rk::snapshot_file_prefix, keep);
  // Renamed first, so that no new file of the same name can be taken for
  // one on its way out.
  if (env() == real_files_env())
    for (auto& path : paths) {
      std::string to;
      {
        std::lock_guard<std::mutex> guard{fresh_mutex_};
        to = dir_ + "/" + std::string{rk::removed_snapshot_prefix}
             + str(next_partial_++) + "-" + path.substr(dir_.size() + 1);
      }
      if (env()->RenameFile(path, to).ok())
        path = std::move(to);
    }
  remove_elsewhere(env(), std::move(paths));
}

outcome<done> raft_store::migrate_inline_snapshot() {
  std::string value;
  auto status = db_->Get(leveldb::ReadOptions{}, to_slice(rk::snapshot_key),
                         &value);
  leveldb::WriteBatch batch;
  if (status.ok()) {
    raft::snapshot snap;
    std::string_view data;
    if (!decode_snapshot_head(value, snap, data))
      return corrupt(dir_, "the snapshot is malformed");
    auto written = write_snapshot_data(snap.index, snap.term, data);
    if (!written)
      return written.error();
    std::string meta;
    encode_snapshot(meta, snap, data.size(), *written);
    batch.Put(to_slice(rk::snapshot_key), meta);
  } else if (!status.IsNotFound()) {
    return storage_error("raft store", dir_, "cannot read the snapshot",
                         status);
  }
  std::string version;
  kb::append_little_endian32(version, rk::format_version);
  batch.Put(to_slice(rk::format_key), version);
  return write(batch, "cannot move the snapshot to its file", true);
}

outcome<done> raft_store::save_tag(const raft::node_tag& tag) {
  if (auto ok = writable(); !ok)
    return ok;
  leveldb::WriteBatch batch;
  batch.Put(to_slice(rk::tag_key), tag);
  return write(batch, "cannot save the tag", true);
}

outcome<done> raft_store::writable() const {
  if (write_failure_.empty())
    return done{};
  return make_failure(ec::storage_failure,
                      "raft store " + dir_
                        + " refuses writes after a failed one ("
                        + write_failure_ + "); reopen it");
}

outcome<done> raft_store::write(leveldb::WriteBatch& batch,
                                std::string_view what, bool sync) {
  leveldb::WriteOptions opts;
  opts.sync = sync;
  auto status = db_->Write(opts, &batch);
  if (!status.ok()) {
    write_failure_ = status.ToString();
    return storage_error("raft store", dir_, what, status);
  }
  return done{};
}

} // namespace corvus
