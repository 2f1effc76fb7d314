#include "storage/known_ids.hpp"

#include "runtime/thread_name.hpp"
#include "storage/keys.hpp"
#include "storage/leveldb_util.hpp"

#include <leveldb/db.h>
#include <leveldb/iterator.h>

#include <algorithm>
#include <system_error>

namespace corvus {

namespace dk = document_keys;

known_ids::known_ids(leveldb::DB& db, std::string dir, int64_t ids,
                     bool enabled)
  : db_(db), dir_(std::move(dir)), enabled_(enabled) {
  if (!enabled_)
    return;
  // Twice what the store holds, so that it may double before a second
  // filter joins the chain.
  auto capacity = static_cast<size_t>(std::max(2 * ids, min_capacity));
  auto filter = std::make_shared<id_filter>(capacity);
  std::lock_guard<std::mutex> guard{mutex_};
  if (ids == 0) {
    chain_.push_back(std::move(filter));
    return;
  }
  const auto* snapshot = db_.GetSnapshot();
  build_started_ = std::chrono::steady_clock::now();
  try {
    builder_ = std::thread{&known_ids::run_build, this, filter, snapshot};
  } catch (const std::system_error& e) {
    db_.ReleaseSnapshot(snapshot);
    failure_ = std::string{"cannot start a thread: "} + e.what();
    return;
  }
  building_ = std::move(filter);
}

known_ids::~known_ids() {
  stopping_ = true;
  if (builder_.joinable())
    builder_.join();
}

bool known_ids::chain_may_contain(std::string_view id) const {
  for (auto& filter : chain_)
    if (filter->may_contain(id))
      return true;
  return false;
}

void known_ids::add(std::string_view id) {
  if (!enabled_)
    return;
  std::lock_guard<std::mutex> guard{mutex_};
  if (building_) {
    building_->add(id);
    ++building_adds_;
  }
  // An id some filter may hold needs no room in the last one: queries ask
  // them all, and a filter never forgets.
  if (chain_.empty() || chain_may_contain(id))
    return;
  chain_.back()->add(id);
  if (++last_count_ < static_cast<int64_t>(chain_.back()->capacity()))
    return;
  size_t capacity = 0;
  for (auto& filter : chain_)
    capacity += filter->capacity();
  chain_.push_back(std::make_shared<id_filter>(capacity));
  last_count_ = 0;
}

bool known_ids::surely_absent(std::string_view id) const {
  if (!enabled_)
    return false;
  bool absent;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    absent = !chain_.empty() && !chain_may_contain(id);
  }
  if (absent)
    spared_.fetch_add(1, std::memory_order_relaxed);
  return absent;
}

id_filter_status known_ids::status() const {
  id_filter_status s;
  std::lock_guard<std::mutex> guard{mutex_};
  if (!enabled_)
    s.state = "off";
  else if (!chain_.empty())
    s.state = "ready";
  else if (!failure_.empty())
    s.state = "failed";
  else
    s.state = "building";
  s.filters = static_cast<int64_t>(chain_.size());
  for (auto& filter : chain_) {
    s.capacity += static_cast<int64_t>(filter->capacity());
    s.memory_bytes += static_cast<int64_t>(filter->memory_bytes());
  }
  s.scanned = scanned_.load(std::memory_order_relaxed);
  s.build_ms = build_ms_;
  s.lookups_spared = spared_.load(std::memory_order_relaxed);
  s.failure = failure_;
  return s;
}

void known_ids::run_build(std::shared_ptr<id_filter> filter,
                          const leveldb::Snapshot* snapshot) {
  name_this_thread("id-filter");
  leveldb::ReadOptions opts;
  opts.snapshot = snapshot;
  // A scan of the whole store must not push the working set out of the
  // block cache.
  opts.fill_cache = false;
  leveldb::Status status;
  {
    std::unique_ptr<leveldb::Iterator> iter{db_.NewIterator(opts)};
    for (char prefix : {dk::document_prefix, dk::tombstone_prefix}) {
      const char start[1] = {prefix};
      for (iter->Seek(leveldb::Slice{start, 1}); iter->Valid(); iter->Next()) {
        auto key = iter->key();
        if (key.empty() || key[0] != prefix)
          break;
        filter->add(to_view(key).substr(1));
        if (scanned_.fetch_add(1, std::memory_order_relaxed) % 4096 == 0
            && stopping_)
          break;
      }
      if (stopping_)
        break;
    }
    status = iter->status();
  }
  db_.ReleaseSnapshot(snapshot);
  auto elapsed = std::chrono::steady_clock::now() - build_started_;
  std::lock_guard<std::mutex> guard{mutex_};
  if (!status.ok()) {
    failure_ = "reading the ids of " + dir_ + " failed: " + status.ToString();
  } else if (!stopping_) {
    // The writer's adds during the build may count ids twice (an update of
    // an id the scan also read): the chain then grows a little early.
    last_count_ = scanned_.load(std::memory_order_relaxed) + building_adds_;
    chain_.push_back(std::move(filter));
    build_ms_
      = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  }
  building_ = nullptr;
}

} // namespace corvus
