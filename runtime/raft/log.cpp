#include "runtime/raft/log.hpp"

#include "runtime/raft/assert.hpp"

#include <algorithm>
#include <iterator>

namespace corvus::raft {

raft_log::raft_log(snapshot snap, std::vector<entry> entries,
                   index_t committed)
  : snap_(std::move(snap)) {
  for (auto& e : entries)
    push(std::move(e));
  RAFT_ASSERT(entries_.empty() || entries_.front().index <= snap_.index + 1);
  RAFT_ASSERT(entries_.empty() || entries_.back().index >= snap_.index);
  committed_ = std::clamp(committed, snap_.index, last_index());
  applied_ = snap_.index;
  persisted_ = last_index();
  unpersisted_from_ = last_index() + 1;
  recompute_config();
}

term_t raft_log::last_term() const {
  return entries_.empty() ? snap_.term : entries_.back().term;
}

std::optional<term_t> raft_log::term_at(index_t index) const {
  if (!entries_.empty() && index >= entries_.front().index
      && index <= entries_.back().index)
    return entries_[index - entries_.front().index].term;
  if (index == snap_.index)
    return snap_.term;
  return std::nullopt;
}

bool raft_log::matches(index_t index, term_t term) const {
  auto t = term_at(index);
  return t && *t == term;
}

const entry& raft_log::at(index_t index) const {
  RAFT_ASSERT(!entries_.empty() && index >= first_index()
              && index <= last_index());
  return entries_[index - first_index()];
}

std::vector<entry> raft_log::slice(index_t from, index_t to,
                                   size_t max_bytes) const {
  std::vector<entry> out;
  size_t bytes = 0;
  for (auto i = from; i <= std::min(to, last_index()); ++i) {
    auto& e = at(i);
    if (!out.empty() && bytes + e.data.size() > max_bytes)
      break;
    bytes += e.data.size();
    out.push_back(e);
  }
  return out;
}

index_t raft_log::last_index_with_term_at_most(index_t hint,
                                               term_t term) const {
  for (auto i = std::min(hint, last_index()); i >= first_index() && i > 0;
       --i)
    if (at(i).term <= term)
      return i;
  return std::min(snap_.index, hint);
}

void raft_log::append(std::vector<entry> fresh) {
  if (fresh.empty())
    return;
  RAFT_ASSERT(fresh.front().index == last_index() + 1);
  RAFT_ASSERT(fresh.front().term >= last_term());
  bool topology_changed = false;
  for (auto& e : fresh) {
    topology_changed |= e.kind == entry_kind::topology;
    push(std::move(e));
  }
  if (topology_changed)
    recompute_config();
}

std::optional<index_t> raft_log::merge(index_t prev_index, term_t prev_term,
                                       const std::vector<entry>& sent) {
  if (prev_index < committed_) {
    // Entries up to the commit index are identical to the leader's (Log
    // Matching, §5.3), and may be compacted here: merge only what follows.
    if (prev_index + sent.size() <= committed_)
      return prev_index + sent.size();
    std::vector<entry> rest(sent.begin()
                              + static_cast<long>(committed_ - prev_index),
                            sent.end());
    return merge(committed_, *term_at(committed_), rest);
  }
  if (!matches(prev_index, prev_term))
    return std::nullopt;
  auto last_new = prev_index + sent.size();
  bool topology_changed = false;
  for (auto& e : sent) {
    if (e.index <= last_index()) {
      if (*term_at(e.index) == e.term)
        continue;
      // A conflicting suffix (§5.3); committed entries never conflict.
      RAFT_ASSERT(e.index > committed_);
      topology_changed = true;
      truncate_from(e.index);
    }
    RAFT_ASSERT(e.index == last_index() + 1);
    topology_changed |= e.kind == entry_kind::topology;
    push(e);
  }
  if (topology_changed)
    recompute_config();
  return last_new;
}

void raft_log::commit_to(index_t index) {
  if (index <= committed_)
    return;
  RAFT_ASSERT(index <= last_index());
  committed_ = index;
}

void raft_log::applied_to(index_t index) {
  RAFT_ASSERT(index <= committed_);
  applied_ = std::max(applied_, index);
}

void raft_log::persisted_to(index_t index, term_t term) {
  if (index > persisted_ && matches(index, term))
    persisted_ = index;
}

std::vector<entry> raft_log::take_unpersisted() {
  std::vector<entry> out;
  if (unpersisted_from_ <= last_index())
    out = slice(unpersisted_from_, last_index(), SIZE_MAX);
  unpersisted_from_ = last_index() + 1;
  return out;
}

void raft_log::restore(snapshot snap) {
  // Only called when the log does not hold the snapshot's last entry: the
  // whole log is replaced (a log that holds it just commits up to it).
  entries_.clear();
  topology_entries_.clear();
  snap_ = std::move(snap);
  committed_ = snap_.index;
  applied_ = snap_.index;
  persisted_ = snap_.index;
  unpersisted_from_ = snap_.index + 1;
  recompute_config();
}

std::deque<entry> raft_log::compact(snapshot snap, index_t keep_from) {
  RAFT_ASSERT(keep_from <= snap.index + 1 && snap.index <= applied_);
  snap_ = std::move(snap);
  // Entries are contiguous, so the cut is found by its index. Whichever
  // side is smaller is moved: moving half a million entries took 40 ms
  // here (most of it faulting in the new deque's pages).
  auto first = first_index();
  auto drop = keep_from > first ? std::min<size_t>(keep_from - first,
                                                   entries_.size())
                                : size_t{0};
  auto cut = entries_.begin() + static_cast<std::ptrdiff_t>(drop);
  topology_entries_.erase(
    topology_entries_.begin(),
    std::lower_bound(topology_entries_.begin(), topology_entries_.end(),
                     first + drop));
  if (drop <= entries_.size() - drop) {
    std::deque<entry> dropped{std::make_move_iterator(entries_.begin()),
                              std::make_move_iterator(cut)};
    entries_.erase(entries_.begin(), cut);
    return dropped;
  }
  std::deque<entry> kept{std::make_move_iterator(cut),
                         std::make_move_iterator(entries_.end())};
  entries_.swap(kept);
  kept.resize(drop); // what remains are the kept entries' empty husks
  return kept;
}

std::vector<entry> raft_log::to_apply(size_t max_bytes) const {
  auto last = std::min(committed_, persisted_);
  if (applied_ >= last)
    return {};
  return slice(applied_ + 1, last, max_bytes);
}

void raft_log::truncate_from(index_t index) {
  while (!entries_.empty() && entries_.back().index >= index)
    entries_.pop_back();
  while (!topology_entries_.empty() && topology_entries_.back() >= index)
    topology_entries_.pop_back();
  persisted_ = std::min(persisted_, last_index());
  unpersisted_from_ = std::min(unpersisted_from_, index);
}

void raft_log::push(entry e) {
  if (e.kind == entry_kind::topology)
    topology_entries_.push_back(e.index);
  entries_.push_back(std::move(e));
}

void raft_log::recompute_config() {
  // Only topology entries are looked at: every entry back to the snapshot
  // is half a million of them at a million values.
  for (auto i = topology_entries_.rbegin(); i != topology_entries_.rend();
       ++i) {
    if (*i <= snap_.index)
      break;
    if (auto t = topology_from_json(at(*i).data)) {
      config_ = std::move(*t);
      config_index_ = *i;
      return;
    }
  }
  config_ = snap_.config;
  config_index_ = snap_.index;
}

} // namespace corvus::raft
