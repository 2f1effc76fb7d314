#include "runtime/replication/replica_waits.hpp"

namespace corvus {

namespace {

bool covers(const change_vector& acked, const change_vector& version) {
  return compare(version, acked) == conflict_status::already_merged;
}

} // namespace

size_t replica_waits::covering(const change_vector& version) const {
  size_t n = 0;
  for (auto& [destination, acked] : acked_)
    if (covers(acked, version))
      ++n;
  return n;
}

std::optional<replica_waits::wait_id>
replica_waits::add(change_vector version, size_t replicas, int64_t deadline) {
  auto reached = covering(version);
  if (reached >= replicas)
    return std::nullopt;
  auto id = next_++;
  waits_.emplace(id, wait{std::move(version), replicas, deadline, reached});
  return id;
}

std::vector<replica_waits::wait_id>
replica_waits::acknowledged(const std::string& destination,
                            const change_vector& acked) {
  // Vectors only grow: a late reply never takes back what a newer one
  // reported. Only this destination's coverage can change.
  auto& known = acked_[destination];
  auto before = known;
  known.merge(acked);
  std::vector<wait_id> done;
  for (auto i = waits_.begin(); i != waits_.end();) {
    auto& w = i->second;
    if (covers(known, w.version) && !covers(before, w.version)
        && ++w.reached >= w.replicas) {
      done.push_back(i->first);
      i = waits_.erase(i);
    } else {
      ++i;
    }
  }
  return done;
}

void replica_waits::forget(const std::string& destination) {
  auto i = acked_.find(destination);
  if (i == acked_.end())
    return;
  for (auto& [id, w] : waits_)
    if (covers(i->second, w.version))
      --w.reached;
  acked_.erase(i);
}

std::vector<std::pair<replica_waits::wait_id, size_t>>
replica_waits::expire(int64_t now) {
  std::vector<std::pair<wait_id, size_t>> expired;
  for (auto i = waits_.begin(); i != waits_.end();) {
    if (i->second.deadline <= now) {
      expired.emplace_back(i->first, i->second.reached);
      i = waits_.erase(i);
    } else {
      ++i;
    }
  }
  return expired;
}

} // namespace corvus
