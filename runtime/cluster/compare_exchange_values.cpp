#include "runtime/cluster/compare_exchange_values.hpp"

#include <algorithm>
#include <atomic>
#include <functional>

namespace corvus {

size_t compare_exchange_values::shard_of(const std::string& key) {
  return std::hash<std::string>{}(key) % shard_count;
}

compare_exchange_values::shard& compare_exchange_values::writable(size_t i) {
  if (shards_.empty())
    shards_.resize(shard_count);
  auto& s = shards_[i];
  if (!s) {
    s = std::make_shared<shard>();
  } else if (s.use_count() > 1) {
    s = std::make_shared<shard>(*s);
  } else {
    // Only this thread makes copies, so a count of one stays one; the
    // fence orders the last other owner's reads (before its release of
    // the count) before the changes that follow.
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  return *s;
}

const compare_exchange_entry*
compare_exchange_values::find(const std::string& key) const {
  if (shards_.empty())
    return nullptr;
  auto& s = shards_[shard_of(key)];
  if (!s)
    return nullptr;
  auto i = s->find(key);
  return i == s->end() ? nullptr : &i->second;
}

void compare_exchange_values::assign(std::string key,
                                     compare_exchange_entry entry) {
  auto& s = writable(shard_of(key));
  if (s.insert_or_assign(std::move(key), std::move(entry)).second)
    ++size_;
}

void compare_exchange_values::erase(const std::string& key) {
  if (find(key) == nullptr)
    return;
  writable(shard_of(key)).erase(key);
  --size_;
}

std::vector<const compare_exchange_values::value_type*>
compare_exchange_values::sorted(std::string_view prefix) const {
  ordered_walk walk{*this, prefix};
  std::vector<const value_type*> out;
  if (prefix.empty())
    out.reserve(size_);
  while (auto* item = walk.next())
    out.push_back(item);
  return out;
}

compare_exchange_values::ordered_walk::ordered_walk(
  const compare_exchange_values& values, std::string_view prefix)
  : prefix_(prefix) {
  for (auto& s : values.shards_)
    if (s)
      if (auto i = s->lower_bound(prefix_); i != s->end() && matches(i->first))
        runs_.push_back({i, s->end()});
  std::make_heap(runs_.begin(), runs_.end(), later);
}

const compare_exchange_values::value_type*
compare_exchange_values::ordered_walk::next() {
  if (runs_.empty())
    return nullptr;
  std::pop_heap(runs_.begin(), runs_.end(), later);
  auto& top = runs_.back();
  auto* item = &*top.at;
  if (++top.at != top.end && matches(top.at->first))
    std::push_heap(runs_.begin(), runs_.end(), later);
  else
    runs_.pop_back();
  return item;
}

void compare_exchange_values::ordered_walk::skip(size_t n) {
  for (; n > 0 && next(); --n) {
    // Each next() moves one entry on.
  }
}

bool compare_exchange_values::ordered_walk::matches(
  const std::string& key) const {
  return key.compare(0, prefix_.size(), prefix_) == 0;
}

bool compare_exchange_values::ordered_walk::later(const run& x,
                                                  const run& y) {
  return x.at->first > y.at->first;
}

bool operator==(const compare_exchange_values& x,
                const compare_exchange_values& y) {
  if (x.size_ != y.size_)
    return false;
  if (x.size_ == 0)
    return true;
  static const compare_exchange_values::shard none;
  auto at = [](const compare_exchange_values& v, size_t i) -> auto& {
    return v.shards_.empty() || !v.shards_[i] ? none : *v.shards_[i];
  };
  for (size_t i = 0; i < compare_exchange_values::shard_count; ++i)
    if (at(x, i) != at(y, i))
      return false;
  return true;
}

} // namespace corvus
