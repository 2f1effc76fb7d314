#include "runtime/replication/arrival.hpp"

#include <algorithm>
#include <string>

namespace corvus {

namespace {

/// Resolve-to-latest over `candidates` (§6.2 step 5): ordered by change
/// vector text for determinism, the latest modification wins; on a tie,
/// the greater content (a document over a tombstone), then the earliest
/// in that order. @returns the winner's position.
///
/// RavenDB breaks ties by the vector text alone. Here a resolved version
/// keeps its winner's time and content but gets a new vector, so copies
/// that break a tie by vectors can pick different winners, resolve
/// against each other's results, and do so again with the next vectors:
/// the group took thousands of rounds to settle in the simulation. Time
/// and content survive every resolution, so a tie broken by content picks
/// the same winner everywhere.
size_t latest(const std::vector<const document_version*>& candidates) {
  std::vector<size_t> order(candidates.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::vector<std::string> texts;
  for (auto* c : candidates)
    texts.push_back(c->version.to_string());
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return texts[x] < texts[y]; });
  auto best = order.front();
  for (auto i : order) {
    auto& c = *candidates[i];
    auto& b = *candidates[best];
    if (c.last_modified > b.last_modified
        || (c.last_modified == b.last_modified && c.content > b.content))
      best = i;
  }
  return best;
}

} // namespace

arrival_decision decide_arrival(const document_version& incoming,
                                const std::optional<document_version>& local,
                                const std::vector<document_version>& conflicts,
                                const conflict_policy& policy) {
  arrival_decision d;
  std::vector<size_t> superseded;
  if (!conflicts.empty()) {
    // An id in conflict: newer than every stored version resolves it; a
    // version one of them already covers adds nothing.
    for (size_t i = 0; i < conflicts.size(); ++i) {
      auto s = compare(incoming.version, conflicts[i].version);
      if (s == conflict_status::already_merged)
        return d; // ignore
      if (s == conflict_status::update)
        superseded.push_back(i);
    }
    if (superseded.size() == conflicts.size()) {
      d.outcome = arrival_outcome::apply;
      return d;
    }
  } else if (local) {
    switch (compare(incoming.version, local->version)) {
      case conflict_status::already_merged:
        return d; // ignore
      case conflict_status::update:
        d.outcome = arrival_outcome::apply;
        return d;
      case conflict_status::conflict:
        break;
    }
  } else {
    d.outcome = arrival_outcome::apply;
    return d;
  }
  // Concurrent versions: the resolution pipeline.
  std::vector<const document_version*> candidates{&incoming};
  if (local)
    candidates.push_back(&*local);
  for (auto& c : conflicts)
    candidates.push_back(&c);
  for (auto* c : candidates)
    d.merged.merge(c->version);
  if (local && conflicts.empty()
      && (local->tombstone ? incoming.tombstone
                           : !incoming.tombstone
                               && local->content == incoming.content)) {
    d.outcome = arrival_outcome::merge_identical;
    d.winner = arrival_winner::local;
    return d;
  }
  if (!policy.resolve_to_latest) {
    // The versions the incoming one descends from are no longer in
    // conflict: a copy that received it first never stored them (they
    // arrive there after it and are ignored), so keeping them here would
    // leave the copies with different conflict sets.
    d.outcome = arrival_outcome::conflict;
    d.superseded = std::move(superseded);
    return d;
  }
  d.outcome = arrival_outcome::resolve;
  auto best = latest(candidates);
  if (best == 0) {
    d.winner = arrival_winner::incoming;
  } else if (local && best == 1) {
    d.winner = arrival_winner::local;
  } else {
    d.winner = arrival_winner::stored_conflict;
    d.conflict_index = best - (local ? 2 : 1);
  }
  return d;
}

} // namespace corvus
