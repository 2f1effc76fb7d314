#include "storage/document_store.hpp"
#include "storage/known_ids.hpp"
#include "storage/leveldb_options.hpp"

#include "runtime/text/base64.hpp"
#include "storage/keys.hpp"
#include "storage/leveldb_util.hpp"
#include "storage/real_files.hpp"
#include "storage/record_codec.hpp"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <random>

namespace corvus {

namespace {

namespace dk = document_keys;

failure corrupt_record(const std::string& dir, std::string_view key) {
  return make_failure(ec::storage_failure,
                      "document store " + dir + ": the record under '"
                        + std::string{key}
                        + "' is corrupt or of an unknown encoding");
}

failure corrupt_state(const std::string& dir) {
  return make_failure(ec::storage_failure,
                      "document store " + dir
                        + ": the database state is corrupt");
}

failure corrupt_etag_entry(const std::string& dir, int64_t etag) {
  return make_failure(ec::storage_failure,
                      "document store " + dir + ": etag "
                        + std::to_string(etag)
                        + " has a corrupt index entry");
}

// One entry of the etag index (storage/keys.hpp): a version's etag, the
// last etag of its transaction, and the key of the version it names.
struct etag_index_entry {
  int64_t etag = 0;
  int64_t transaction_end = 0;
  std::string_view target;
};

// @returns the etag index entry `iter` is on; nullopt past the index.
outcome<std::optional<etag_index_entry>>
etag_index_entry_at(const leveldb::Iterator& iter, const std::string& dir) {
  if (!iter.Valid())
    return std::optional<etag_index_entry>{};
  auto key = to_view(iter.key());
  if (key.size() != dk::etag_key_size || key[0] != dk::etag_prefix)
    return std::optional<etag_index_entry>{};
  etag_index_entry entry;
  entry.etag = static_cast<int64_t>(dk::read_big_endian(key.data() + 1));
  auto value = to_view(iter.value());
  if (value.size() <= dk::etag_value_fixed_size)
    return corrupt_etag_entry(dir, entry.etag);
  entry.transaction_end
    = static_cast<int64_t>(dk::read_big_endian(value.data()));
  entry.target = value.substr(dk::etag_value_fixed_size);
  return std::optional<etag_index_entry>{entry};
}

// The prefix of the key a record is stored under (storage/keys.hpp).
char record_prefix(const document_record& rec) {
  if ((rec.flags & document_flag::conflicted) != 0)
    return dk::conflict_prefix;
  return rec.tombstone ? dk::tombstone_prefix : dk::document_prefix;
}

// The value of `m format` for `version`.
std::string format_value(uint32_t version) {
  std::string out;
  dk::append_little_endian32(out, version);
  return out;
}

// A database id as RavenDB makes one (ravendb-internals §5.1): 128 random
// bits as unpadded standard base64, 22 characters.
std::string make_db_id() {
  std::random_device rd;
  std::string bytes(16, '\0');
  for (size_t i = 0; i < bytes.size(); i += 4) {
    auto word = static_cast<uint32_t>(rd());
    for (size_t j = 0; j < 4; ++j)
      bytes[i + j] = static_cast<char>(word >> (8 * j));
  }
  return base64_encode(bytes, base64_padding::without);
}

/// How many records of each kind the store holds.
struct record_counts {
  int64_t documents = 0;
  int64_t tombstones = 0;
  /// Conflict versions.
  int64_t conflicts = 0;
};

// Writes the state value (storage/keys.hpp). Every source id has
// `dk::db_id_size` bytes (`apply` checks).
void encode_state(std::string& out, const database_state& state,
                  const record_counts& counts) {
  out.clear();
  dk::append_little_endian(out, static_cast<uint64_t>(state.last_etag));
  dk::append_little_endian(out, static_cast<uint64_t>(counts.documents));
  dk::append_little_endian(out, static_cast<uint64_t>(counts.tombstones));
  dk::append_little_endian(out, static_cast<uint64_t>(counts.conflicts));
  dk::append_little_endian32(out,
                             static_cast<uint32_t>(state.change_vector.size()));
  out.append(state.change_vector);
  for (auto& [source, etag] : state.accepted_etags) {
    out.append(source);
    dk::append_little_endian(out, static_cast<uint64_t>(etag));
  }
}

// Reads the fields both formats of the state value begin with.
void decode_etag_and_counts(std::string_view value, database_state& state,
                            record_counts& counts) {
  auto at = [&](size_t offset) {
    return static_cast<int64_t>(dk::read_little_endian(value.data() + offset));
  };
  state.last_etag = at(0);
  counts.documents = at(8);
  counts.tombstones = at(16);
}

bool decode_state(std::string_view value, database_state& state,
                  record_counts& counts) {
  if (value.size() < dk::state_fixed_size)
    return false;
  decode_etag_and_counts(value, state, counts);
  counts.conflicts
    = static_cast<int64_t>(dk::read_little_endian(value.data() + 24));
  auto rest = value.substr(dk::state_fixed_size);
  size_t vector_size = dk::read_little_endian32(value.data() + 32);
  if (rest.size() < vector_size
      || (rest.size() - vector_size) % dk::accepted_source_size != 0)
    return false;
  state.change_vector.assign(rest.substr(0, vector_size));
  state.accepted_etags.clear();
  for (auto sources = rest.substr(vector_size); !sources.empty();
       sources.remove_prefix(dk::accepted_source_size))
    state.accepted_etags.emplace_hint(
      state.accepted_etags.end(), sources.substr(0, dk::db_id_size),
      static_cast<int64_t>(
        dk::read_little_endian(sources.data() + dk::db_id_size)));
  return true;
}

// Reads a state value of `dk::pre_replication_format_version`.
bool decode_pre_replication_state(std::string_view value,
                                  database_state& state,
                                  record_counts& counts) {
  if (value.size() < dk::pre_replication_state_fixed_size)
    return false;
  decode_etag_and_counts(value, state, counts);
  counts.conflicts = 0;
  state.change_vector.assign(
    value.substr(dk::pre_replication_state_fixed_size));
  state.accepted_etags.clear();
  return true;
}

// True when every etag `w` names is positive.
bool etags_positive(const document_write& w) {
  return w.record.etag > 0 && (!w.replaced || w.replaced->etag > 0)
         && std::all_of(w.removed_conflicts.begin(), w.removed_conflicts.end(),
                        [](auto& rec) { return rec.etag > 0; });
}

struct collection_entry {
  /// The name as written by the document that created the entry.
  std::string name;
  int64_t count = 0;
};

using collection_map = std::map<std::string, collection_entry, std::less<>>;

// Reads the `m collection/` entries with `iter`.
bool read_collections(leveldb::Iterator& iter, collection_map& out) {
  for (iter.Seek(to_slice(dk::collection_count_prefix)); iter.Valid();
       iter.Next()) {
    auto key = to_view(iter.key());
    if (key.substr(0, dk::collection_count_prefix.size())
        != dk::collection_count_prefix)
      break;
    auto value = to_view(iter.value());
    if (value.size() < 8)
      return false;
    collection_entry entry;
    entry.count = static_cast<int64_t>(dk::read_little_endian(value.data()));
    entry.name.assign(value.substr(8));
    out.emplace(std::string{key.substr(dk::collection_count_prefix.size())},
                std::move(entry));
  }
  return iter.status().ok();
}

// Releases a LevelDB snapshot when leaving a read call.
class snapshot_guard {
public:
  explicit snapshot_guard(leveldb::DB& db)
    : db_(db), snapshot_(db.GetSnapshot()) {
    options_.snapshot = snapshot_;
  }

  ~snapshot_guard() {
    db_.ReleaseSnapshot(snapshot_);
  }

  snapshot_guard(const snapshot_guard&) = delete;
  snapshot_guard& operator=(const snapshot_guard&) = delete;

  const leveldb::ReadOptions& options() const {
    return options_;
  }

private:
  leveldb::DB& db_;
  const leveldb::Snapshot* snapshot_;
  leveldb::ReadOptions options_;
};

} // namespace

std::shared_ptr<leveldb::Cache> make_block_cache(size_t capacity) {
  return std::shared_ptr<leveldb::Cache>{leveldb::NewLRUCache(capacity)};
}

std::unique_ptr<leveldb_settings> make_leveldb_settings(
  const store_options& opts) {
  auto s = std::make_unique<leveldb_settings>();
  s->cache = opts.block_cache != nullptr
               ? opts.block_cache
               : make_block_cache(opts.block_cache_size);
  s->filter.reset(leveldb::NewBloomFilterPolicy(10));
  auto& o = s->options;
  o.create_if_missing = opts.create_if_missing;
  // A damaged log or table must stop the open instead of LevelDB silently
  // skipping what it cannot read: that could drop acknowledged writes.
  // A torn tail of the log (a crash mid-write) is not damage to LevelDB,
  // nor, read through log_tail_env, in a log written into zeros.
  o.paranoid_checks = true;
  o.env = opts.env != nullptr ? opts.env : real_files_env();
  o.block_cache = s->cache.get();
  o.write_buffer_size = opts.write_buffer_size;
  o.filter_policy = s->filter.get();
  o.compression = opts.compression == compression::blocks
                    ? leveldb::kSnappyCompression
                    : leveldb::kNoCompression;
  return s;
}

struct document_store::impl {
  /// A change of one collection's document count within one `apply`.
  struct collection_delta {
    std::string folded;
    /// The count before the batch.
    int64_t base = 0;
    int64_t delta = 0;
    /// Set when the batch brings the count up from zero: the name as written
    /// by the document doing so, as if the writes were applied one by one.
    bool renamed = false;
    std::string name;
  };

  std::string dir;
  leveldb::Env* env = nullptr;
  bool sync = true;
  bool compress_bodies = true;
  std::unique_ptr<leveldb_settings> settings;
  // Declared after the settings it uses (cache, filter), so it closes first.
  std::unique_ptr<leveldb::DB> db;
  // Declared after the store its build thread reads, so it stops first.
  std::unique_ptr<known_ids> ids;

  // Durable state as of open or the last successful apply. Only the writer
  // reads these; `stats()` reads the persisted copies from a snapshot.
  database_state state;
  record_counts counts;
  collection_map collections;
  /// LevelDB's text of the first failed write; empty while writes work.
  std::string write_failure;

  // Scratch space of `apply`, kept between calls so that a steady stream of
  // batches allocates nothing but LevelDB's own memory.
  leveldb::WriteBatch batch;
  std::string record_key;
  std::string index_key;
  std::string value;
  std::string folded;
  std::vector<collection_delta> deltas;
  size_t delta_count = 0;

  /// Adds `delta` (+1 or -1) to the count of `collection`, whose folded
  /// name `folded` already holds.
  void add_delta(std::string_view collection, int64_t delta) {
    collection_delta* entry = nullptr;
    for (size_t i = 0; i < delta_count && entry == nullptr; ++i)
      if (deltas[i].folded == folded)
        entry = &deltas[i];
    if (entry == nullptr) {
      if (delta_count == deltas.size())
        deltas.emplace_back();
      entry = &deltas[delta_count++];
      entry->folded.assign(folded);
      auto existing = collections.find(folded);
      entry->base = existing != collections.end() ? existing->second.count
                                                  : 0;
      entry->delta = 0;
      entry->renamed = false;
    }
    if (delta > 0 && entry->base + entry->delta == 0) {
      entry->renamed = true;
      entry->name.assign(collection);
    }
    entry->delta += delta;
  }

  // Reads the record under `record_key` (any kind) with `opts`; nullopt
  // when absent.
  outcome<std::optional<document_record>>
  read_record(const leveldb::ReadOptions& opts, std::string_view record_key,
              bool with_body) const {
    std::string v;
    auto status = db->Get(opts, to_slice(record_key), &v);
    if (status.IsNotFound())
      return std::optional<document_record>{};
    if (!status.ok())
      return storage_error("document store", dir, "read failed", status);
    std::optional<document_record> rec{std::in_place};
    // Without the body, Get still copies the whole value out of its block;
    // only the record skips it. An iterator would avoid that copy, but its
    // seek passes every level without the bloom filter.
    auto ok = with_body ? decode_record(std::move(v), *rec)
                        : decode_record_header(v, *rec).has_value();
    if (!ok || record_prefix(*rec) != record_key.front())
      return corrupt_record(dir, record_key);
    return rec;
  }

  // Reads the version an etag index entry names, with its body. The batch
  // replacing or removing a version deletes its entry, so an entry always
  // names a version still stored, with that etag.
  outcome<document_record> read_indexed(const leveldb::ReadOptions& opts,
                                        const etag_index_entry& entry) const {
    auto rec = read_record(opts, entry.target, true);
    if (!rec)
      return std::move(rec.error());
    if (!*rec || (*rec)->etag != entry.etag)
      return make_failure(ec::storage_failure,
                          "document store " + dir + ": etag "
                            + std::to_string(entry.etag)
                            + " points to a missing or newer version");
    return std::move(**rec);
  }

  // Reads the document (or the tombstone) of `key` with `opts`; nullopt
  // when absent. Callers ask `ids` first, once per id (after taking their
  // snapshot: the filter answers as of now, which covers any earlier one).
  outcome<std::optional<document_record>>
  read(const leveldb::ReadOptions& opts, std::string_view key, bool tombstone,
       bool with_body) const {
    std::string k;
    dk::record_key(k, key, tombstone);
    return read_record(opts, k, with_body);
  }

  // Loads format version, database id, state and counters at open. A store
  // without any key is new: it gets its id and format in one synced batch.
  outcome<done> load(bool may_create) {
    leveldb::ReadOptions opts;
    std::string v;
    auto status = db->Get(opts, to_slice(dk::format_key), &v);
    if (status.IsNotFound()) {
      std::unique_ptr<leveldb::Iterator> iter{db->NewIterator(opts)};
      iter->SeekToFirst();
      if (iter->Valid())
        return make_failure(ec::unsupported_format,
                            "document store " + dir
                              + " holds data but no format version");
      if (!iter->status().ok())
        return storage_error("document store", dir, "cannot read", iter->status());
      if (!may_create)
        return make_failure(ec::storage_failure,
                            "document store " + dir + " is empty");
      return create();
    }
    if (!status.ok())
      return storage_error("document store", dir, "cannot read the format version", status);
    if (v.size() != 4)
      return make_failure(ec::unsupported_format,
                          "document store " + dir
                            + " has an unreadable format version");
    auto version = dk::read_little_endian32(v.data());
    if (version == dk::pre_replication_format_version) {
      if (auto migrated = migrate_pre_replication(); !migrated)
        return migrated;
    } else if (version == dk::plain_records_format_version) {
      if (auto marked = mark_format_current(); !marked)
        return marked;
    } else if (version != dk::format_version) {
      return make_failure(ec::unsupported_format,
                          "document store " + dir + " has format version "
                            + std::to_string(version)
                            + "; this build understands version "
                            + std::to_string(dk::format_version));
    }
    auto stored = read_state(opts, counts);
    if (!stored)
      return stored.error();
    state = std::move(*stored);
    std::unique_ptr<leveldb::Iterator> iter{db->NewIterator(opts)};
    if (!read_collections(*iter, collections))
      return storage_error("document store", dir, "cannot read the collection counts",
                           iter->status());
    return done{};
  }

  // Reads id, state and counters as of `opts` (any thread).
  outcome<database_state> read_state(const leveldb::ReadOptions& opts,
                                     record_counts& counts) const {
    database_state state;
    std::string v;
    auto status = db->Get(opts, to_slice(dk::db_id_key), &state.db_id);
    if (status.ok())
      status = db->Get(opts, to_slice(dk::state_key), &v);
    if (!status.ok())
      return storage_error("document store", dir,
                           "cannot read the database state", status);
    if (!decode_state(v, state, counts))
      return corrupt_state(dir);
    return state;
  }

  outcome<done> create() {
    state = database_state{};
    state.db_id = make_db_id();
    leveldb::WriteBatch init;
    init.Put(to_slice(dk::format_key), format_value(dk::format_version));
    init.Put(to_slice(dk::db_id_key), state.db_id);
    encode_state(value, state, record_counts{});
    init.Put(to_slice(dk::state_key), value);
    // Always synced: the id may appear in change vectors handed out right
    // after, so it must never silently change in a crash.
    leveldb::WriteOptions wopts;
    wopts.sync = true;
    auto status = db->Write(wopts, &init);
    if (!status.ok())
      return storage_error("document store", dir, "cannot initialize", status);
    return done{};
  }

  // Writes `migration` with the current format version added, in one
  // synced batch like the one creating a store, so that a crash leaves the
  // store wholly in its old format or wholly in the current one.
  outcome<done> finish_migration(leveldb::WriteBatch& migration) {
    migration.Put(to_slice(dk::format_key), format_value(dk::format_version));
    leveldb::WriteOptions wopts;
    wopts.sync = true;
    auto status = db->Write(wopts, &migration);
    if (!status.ok())
      return storage_error("document store", dir,
                           "cannot migrate to format version "
                             + std::to_string(dk::format_version),
                           status);
    return done{};
  }

  // Records the current format version in a store of
  // `dk::plain_records_format_version`, whose keys and values this build
  // reads as they are (storage/keys.hpp).
  outcome<done> mark_format_current() {
    leveldb::WriteBatch migration;
    return finish_migration(migration);
  }

  // Rewrites a store of `dk::pre_replication_format_version` in the current
  // format (storage/keys.hpp), in one batch.
  outcome<done> migrate_pre_replication() {
    leveldb::ReadOptions opts;
    auto status = db->Get(opts, to_slice(dk::state_key), &value);
    if (!status.ok())
      return storage_error("document store", dir,
                           "cannot read the database state", status);
    database_state old_state;
    record_counts old_counts;
    if (!decode_pre_replication_state(value, old_state, old_counts))
      return corrupt_state(dir);
    leveldb::WriteBatch migration;
    std::unique_ptr<leveldb::Iterator> iter{db->NewIterator(opts)};
    for (iter->Seek(to_slice(std::string_view{&dk::etag_prefix, 1}));
         iter->Valid(); iter->Next()) {
      auto key = to_view(iter->key());
      if (key.size() != dk::etag_key_size || key.front() != dk::etag_prefix)
        break;
      auto etag = static_cast<int64_t>(dk::read_big_endian(key.data() + 1));
      auto target = to_view(iter->value());
      if (target.empty()
          || (target.front() != dk::document_prefix
              && target.front() != dk::tombstone_prefix))
        return corrupt_etag_entry(dir, etag);
      // Version 1 wrote every version in a transaction of its own as far
      // as replication can tell.
      dk::etag_value(value, etag, target);
      migration.Put(iter->key(), value);
    }
    if (!iter->status().ok())
      return storage_error("document store", dir,
                           "cannot read the etag index", iter->status());
    encode_state(value, old_state, old_counts);
    migration.Put(to_slice(dk::state_key), value);
    return finish_migration(migration);
  }
};

document_store::document_store(std::unique_ptr<impl> ptr)
  : impl_(std::move(ptr)) {
  // nop
}

document_store::~document_store() {
  // nop
}

outcome<std::shared_ptr<document_store>>
document_store::open(const std::string& dir, const store_options& opts) {
  auto ptr = std::make_unique<impl>();
  ptr->dir = dir;
  ptr->env = opts.env != nullptr ? opts.env : real_files_env();
  ptr->sync = opts.sync;
  ptr->compress_bodies = opts.compression == compression::documents;
  // LevelDB's own message for a missing store talks about its options; say
  // what it means for us instead.
  if (!opts.create_if_missing && !ptr->env->FileExists(dir + "/CURRENT"))
    return make_failure(ec::storage_failure,
                        "no document store in " + dir
                          + " (and creating one was not requested)");
  ptr->settings = make_leveldb_settings(opts);
  leveldb::DB* raw = nullptr;
  auto status = leveldb::DB::Open(ptr->settings->options, dir, &raw);
  if (!status.ok())
    return storage_error("document store", dir, "cannot open", status);
  ptr->db.reset(raw);
  if (auto loaded = ptr->load(opts.create_if_missing); !loaded)
    return std::move(loaded.error());
  auto& counts = ptr->counts;
  ptr->ids = std::make_unique<known_ids>(
    *ptr->db, dir, counts.documents + counts.tombstones + counts.conflicts,
    opts.id_filter);
  return std::shared_ptr<document_store>{new document_store(std::move(ptr))};
}

outcome<std::optional<document_record>>
document_store::get(std::string_view key) const {
  if (impl_->ids->surely_absent(key))
    return std::optional<document_record>{};
  return impl_->read(leveldb::ReadOptions{}, key, false, true);
}

outcome<std::vector<std::optional<document_record>>>
document_store::get_many(const std::vector<std::string>& keys) const {
  snapshot_guard snapshot{*impl_->db};
  std::vector<std::optional<document_record>> result;
  result.reserve(keys.size());
  for (auto& key : keys) {
    if (impl_->ids->surely_absent(key)) {
      result.emplace_back();
      continue;
    }
    auto rec = impl_->read(snapshot.options(), key, false, true);
    if (!rec)
      return std::move(rec.error());
    result.emplace_back(std::move(*rec));
  }
  return result;
}

outcome<std::optional<document_record>>
document_store::find(std::string_view key, bool with_body) const {
  // Two reads must agree: a concurrent write may turn the document into a
  // tombstone or back between them.
  snapshot_guard snapshot{*impl_->db};
  if (impl_->ids->surely_absent(key))
    return std::optional<document_record>{};
  auto doc = impl_->read(snapshot.options(), key, false, with_body);
  if (!doc || *doc)
    return doc;
  return impl_->read(snapshot.options(), key, true, false);
}

outcome<std::vector<document_record>>
document_store::list(const listing_request& req) const {
  auto listing = this->listing(req);
  std::vector<document_record> result;
  while (true) {
    auto rec = listing->next();
    if (!rec)
      return rec.error();
    if (!*rec)
      return result;
    result.push_back(std::move(**rec));
  }
}

std::unique_ptr<document_listing>
document_store::listing(const listing_request& req) const {
  return std::unique_ptr<document_listing>{
    new document_listing(shared_from_this(), req)};
}

document_listing::document_listing(
  std::shared_ptr<const document_store> store, const listing_request& req)
  : store_(std::move(store)),
    snapshot_(store_->impl_->db->GetSnapshot()),
    order_(req.order),
    start_after_(req.start_after),
    skip_(req.start),
    left_(req.page_size) {
  leveldb::ReadOptions opts;
  opts.snapshot = snapshot_;
  iter_.reset(store_->impl_->db->NewIterator(opts));
  switch (order_) {
  case listing_order::by_id: {
    dk::record_key(prefix_, req.key_prefix, false);
    std::string from = prefix_;
    if (req.start_after > req.key_prefix)
      dk::record_key(from, req.start_after, false);
    iter_->Seek(from);
    break;
  }
  case listing_order::from_etag: {
    std::string from;
    dk::etag_key(from, std::max<int64_t>(req.from_etag, 0));
    iter_->Seek(from);
    break;
  }
  case listing_order::newest_first:
    // The last etag entry: the one before the first key past the index.
    iter_->Seek(std::string(1, static_cast<char>(dk::etag_prefix + 1)));
    if (iter_->Valid())
      iter_->Prev();
    else
      iter_->SeekToLast();
    break;
  }
}

document_listing::~document_listing() {
  iter_.reset();
  store_->impl_->db->ReleaseSnapshot(snapshot_);
}

outcome<std::optional<document_record>> document_listing::next() {
  auto doc = order_ == listing_order::by_id ? next_by_id() : next_by_etag();
  if (doc && !*doc) {
    left_ = 0;
    if (!iter_->status().ok())
      return storage_error("document store", store_->impl_->dir,
                           "listing failed", iter_->status());
  }
  return doc;
}

outcome<std::optional<document_record>> document_listing::next_by_id() {
  for (; left_ > 0 && iter_->Valid(); iter_->Next()) {
    auto key = to_view(iter_->key());
    if (key.substr(0, prefix_.size()) != prefix_)
      break;
    if (!start_after_.empty() && key.substr(1) <= start_after_)
      continue;
    if (skip_ > 0) {
      --skip_;
      continue;
    }
    document_record rec;
    if (!decode_record(to_view(iter_->value()), rec) || rec.tombstone)
      return corrupt_record(store_->impl_->dir, key.substr(1));
    --left_;
    iter_->Next();
    return std::optional<document_record>{std::move(rec)};
  }
  return std::optional<document_record>{};
}

outcome<std::optional<document_record>> document_listing::next_by_etag() {
  auto& impl = *store_->impl_;
  bool forward = order_ == listing_order::from_etag;
  leveldb::ReadOptions opts;
  opts.snapshot = snapshot_;
  while (left_ > 0) {
    auto entry = etag_index_entry_at(*iter_, impl.dir);
    if (!entry)
      return std::move(entry.error());
    if (!*entry)
      break;
    // Tombstones and conflict versions are in the index too; a listing
    // shows live documents only.
    bool live = (*entry)->target[0] == dk::document_prefix;
    if (live && skip_ > 0) {
      --skip_;
      live = false;
    }
    std::optional<document_record> rec;
    if (live) {
      auto read = impl.read_indexed(opts, **entry);
      if (!read)
        return std::move(read.error());
      rec = std::move(*read);
    }
    if (forward)
      iter_->Next();
    else
      iter_->Prev();
    if (rec) {
      --left_;
      return rec;
    }
  }
  return std::optional<document_record>{};
}

outcome<std::vector<document_record>>
document_store::conflicts(std::string_view key) const {
  std::string range;
  dk::conflict_range(range, key);
  // An iterator reads from one implicit snapshot.
  std::unique_ptr<leveldb::Iterator> iter{
    impl_->db->NewIterator(leveldb::ReadOptions{})};
  std::vector<document_record> result;
  for (iter->Seek(range); iter->Valid(); iter->Next()) {
    auto record_key = to_view(iter->key());
    if (record_key.substr(0, range.size()) != range)
      break;
    auto value = to_view(iter->value());
    document_record rec;
    if (!decode_record(value, rec)
        || record_prefix(rec) != dk::conflict_prefix
        || rec.change_vector != record_key.substr(range.size()))
      return corrupt_record(impl_->dir, record_key);
    result.push_back(std::move(rec));
  }
  if (!iter->status().ok())
    return storage_error("document store", impl_->dir,
                         "reading conflicts failed", iter->status());
  return result;
}

outcome<std::vector<etag_entry>>
document_store::changes_since(int64_t after_etag, size_t limit) const {
  std::vector<etag_entry> result;
  if (limit == 0 || after_etag == INT64_MAX)
    return result;
  snapshot_guard snapshot{*impl_->db};
  std::unique_ptr<leveldb::Iterator> iter{
    impl_->db->NewIterator(snapshot.options())};
  std::string from;
  dk::etag_key(from, std::max<int64_t>(after_etag, 0) + 1);
  for (iter->Seek(from); result.size() < limit; iter->Next()) {
    auto entry = etag_index_entry_at(*iter, impl_->dir);
    if (!entry)
      return std::move(entry.error());
    if (!*entry)
      break;
    auto kind = (*entry)->target[0];
    if (kind != dk::document_prefix && kind != dk::tombstone_prefix
        && kind != dk::conflict_prefix)
      return corrupt_etag_entry(impl_->dir, (*entry)->etag);
    auto rec = impl_->read_indexed(snapshot.options(), **entry);
    if (!rec)
      return std::move(rec.error());
    result.push_back(etag_entry{std::move(*rec), (*entry)->transaction_end});
  }
  if (!iter->status().ok())
    return storage_error("document store", impl_->dir, "reading changes failed",
                         iter->status());
  return result;
}

outcome<database_state> document_store::durable_state() const {
  snapshot_guard snapshot{*impl_->db};
  record_counts counts;
  return impl_->read_state(snapshot.options(), counts);
}

outcome<database_stats> document_store::stats() const {
  snapshot_guard snapshot{*impl_->db};
  database_stats result;
  record_counts counts;
  auto state = impl_->read_state(snapshot.options(), counts);
  if (!state)
    return state.error();
  result.state = std::move(*state);
  result.document_count = counts.documents;
  result.tombstone_count = counts.tombstones;
  result.conflict_count = counts.conflicts;
  collection_map collections;
  std::unique_ptr<leveldb::Iterator> iter{
    impl_->db->NewIterator(snapshot.options())};
  // Ids in conflict: a scan of the conflicts table, which is empty but
  // for the moments someone has to resolve something.
  if (result.conflict_count > 0) {
    std::string last_id;
    for (iter->Seek(std::string(1, dk::conflict_prefix)); iter->Valid();
         iter->Next()) {
      auto key = to_view(iter->key());
      if (key.empty() || key.front() != dk::conflict_prefix)
        break;
      // The escaped id ends at the first 00 00.
      auto end = key.find(std::string_view{"\0\0", 2});
      auto id = key.substr(0, end);
      if (id != last_id) {
        ++result.conflicted_documents;
        last_id.assign(id);
      }
    }
    if (!iter->status().ok())
      return storage_error("document store", impl_->dir,
                           "cannot read the conflicts", iter->status());
  }
  if (!read_collections(*iter, collections))
    return storage_error("document store", impl_->dir, "cannot read the collection counts",
                         iter->status());
  result.collections.reserve(collections.size());
  for (auto& [folded, entry] : collections)
    result.collections.push_back(
      collection_count{std::move(entry.name), entry.count});
  // Every file of the store, the log included: LevelDB's approximate sizes
  // would miss what still sits in the log and memtable.
  std::vector<std::string> children;
  if (impl_->env->GetChildren(impl_->dir, &children).ok()) {
    for (auto& child : children) {
      uint64_t size = 0;
      if (impl_->env->GetFileSize(impl_->dir + "/" + child, &size).ok())
        result.size_on_disk += static_cast<int64_t>(size);
    }
  }
  return result;
}

id_filter_status document_store::id_filter_report() const {
  return impl_->ids->status();
}

const database_state& document_store::state() const {
  return impl_->state;
}

int64_t document_store::conflict_count() const {
  return impl_->counts.conflicts;
}

outcome<done> document_store::apply(const std::vector<document_write>& writes,
                                    const database_state& new_state) {
  std::vector<const document_write*> each;
  each.reserve(writes.size());
  for (auto& w : writes)
    each.push_back(&w);
  return apply(each, new_state);
}

outcome<done>
document_store::apply(const std::vector<const document_write*>& writes,
                      const database_state& new_state) {
  auto& s = *impl_;
  if (!s.write_failure.empty())
    return make_failure(ec::storage_failure,
                        "document store " + s.dir
                          + " refuses writes after a failed write ("
                          + s.write_failure + "); reopen it");
  if (new_state.db_id != s.state.db_id)
    return make_failure(ec::internal_error,
                        "document store " + s.dir + " belongs to database id "
                          + s.state.db_id + ", not " + new_state.db_id);
  for (auto& [source, etag] : new_state.accepted_etags)
    if (source.size() != dk::db_id_size)
      return make_failure(ec::internal_error,
                          "document store " + s.dir + ": '" + source
                            + "' is no database id, yet has an accepted etag");
  s.batch.Clear();
  s.delta_count = 0;
  auto counts = s.counts;
  for (auto* each : writes) {
    auto& w = *each;
    auto& rec = w.record;
    if (!etags_positive(w))
      return make_failure(ec::internal_error,
                          "document store " + s.dir + ": a write of '" + w.key
                            + "' carries a non-positive etag");
    if (w.transaction_end != 0 && w.transaction_end < rec.etag)
      return make_failure(ec::internal_error,
                          "document store " + s.dir + ": a write of '" + w.key
                            + "' ends its transaction before its own etag");
    // Removals come before the puts of the write, and writes in order:
    // when the same key appears twice in one call, the second write's
    // `replaced` or `removed_conflicts` are the first write's records, so
    // these deletes cancel the first write's puts.
    for (auto& old : w.removed_conflicts) {
      dk::conflict_key(s.record_key, w.key, old.change_vector);
      s.batch.Delete(s.record_key);
      dk::etag_key(s.index_key, old.etag);
      s.batch.Delete(s.index_key);
      --counts.conflicts;
    }
    auto conflicted = record_prefix(rec) == dk::conflict_prefix;
    if (w.replaced) {
      auto& old = *w.replaced;
      dk::etag_key(s.index_key, old.etag);
      s.batch.Delete(s.index_key);
      if (old.tombstone) {
        --counts.tombstones;
      } else {
        --counts.documents;
        dk::fold_collection(s.folded, old.collection);
        dk::collection_key(s.index_key, s.folded, old.etag);
        s.batch.Delete(s.index_key);
        s.add_delta(old.collection, -1);
      }
      // A conflict version takes the id out of `d`/`t` altogether.
      if (conflicted || old.tombstone != rec.tombstone) {
        dk::record_key(s.record_key, w.key, old.tombstone);
        s.batch.Delete(s.record_key);
      }
    }
    if (conflicted) {
      dk::conflict_key(s.record_key, w.key, rec.change_vector);
    } else {
      dk::record_key(s.record_key, w.key, rec.tombstone);
      // Before LevelDB has it, so that no reader misses it (known_ids.hpp).
      s.ids->add(w.key);
    }
    encode_record(s.value, rec, s.compress_bodies);
    s.batch.Put(s.record_key, s.value);
    dk::etag_key(s.index_key, rec.etag);
    dk::etag_value(s.value,
                   w.transaction_end != 0 ? w.transaction_end : rec.etag,
                   s.record_key);
    s.batch.Put(s.index_key, s.value);
    if (conflicted) {
      ++counts.conflicts;
    } else if (rec.tombstone) {
      ++counts.tombstones;
    } else {
      ++counts.documents;
      dk::fold_collection(s.folded, rec.collection);
      dk::collection_key(s.index_key, s.folded, rec.etag);
      s.batch.Put(s.index_key, s.record_key);
      s.add_delta(rec.collection, 1);
    }
  }
  if (counts.documents < 0 || counts.tombstones < 0 || counts.conflicts < 0)
    return make_failure(ec::internal_error,
                        "document store " + s.dir
                          + ": the writes replace or remove versions it "
                            "does not hold");
  for (size_t i = 0; i < s.delta_count; ++i) {
    auto& d = s.deltas[i];
    auto count = d.base + d.delta;
    if (count < 0)
      return make_failure(ec::internal_error,
                          "document store " + s.dir
                            + ": the writes remove more documents from "
                              "collection '"
                            + d.folded + "' than it holds");
    if (d.delta == 0 && !d.renamed)
      continue;
    dk::collection_count_key(s.index_key, d.folded);
    if (count == 0) {
      s.batch.Delete(s.index_key);
      continue;
    }
    s.value.clear();
    dk::append_little_endian(s.value, static_cast<uint64_t>(count));
    if (d.renamed)
      s.value.append(d.name);
    else
      s.value.append(s.collections.find(d.folded)->second.name);
    s.batch.Put(s.index_key, s.value);
  }
  encode_state(s.value, new_state, counts);
  s.batch.Put(to_slice(dk::state_key), s.value);
  leveldb::WriteOptions wopts;
  wopts.sync = s.sync;
  auto status = s.db->Write(wopts, &s.batch);
  if (!status.ok()) {
    s.write_failure = status.ToString();
    return storage_error("document store", s.dir, "write failed", status);
  }
  // Written (and synced when asked): the in-memory copies may follow.
  s.state = new_state;
  s.counts = counts;
  for (size_t i = 0; i < s.delta_count; ++i) {
    auto& d = s.deltas[i];
    auto count = d.base + d.delta;
    auto existing = s.collections.find(d.folded);
    if (count == 0) {
      if (existing != s.collections.end())
        s.collections.erase(existing);
    } else if (existing == s.collections.end()) {
      s.collections.emplace(d.folded, collection_entry{d.name, count});
    } else {
      existing->second.count = count;
      if (d.renamed)
        existing->second.name = d.name;
    }
  }
  return done{};
}

} // namespace corvus
