#include "runtime/replication/replica_waits.hpp"

namespace corvus {

size_t replica_waits::covering(const change_vector& version) const {
  size_t n = 0;
  for (auto& [destination, acked] : acked_)
    if (compare(version, acked) == conflict_status::already_merged)
      ++n;
  return n;
}

std::optional<replica_waits::wait_id>
replica_waits::add(change_vector version, size_t replicas, int64_t deadline) {
  if (covering(version) >= replicas)
    return std::nullopt;
  auto id = next_++;
  waits_.emplace(id, wait{std::move(version), replicas, deadline});
  return id;
}

std::vector<replica_waits::wait_id>
replica_waits::acknowledged(const std::string& destination,
                            const change_vector& acked) {
  // Vectors only grow: a late reply never takes back what a newer one
  // reported.
  acked_[destination].merge(acked);
  std::vector<wait_id> done;
  for (auto i = waits_.begin(); i != waits_.end();) {
    if (covering(i->second.version) >= i->second.replicas) {
      done.push_back(i->first);
      i = waits_.erase(i);
    } else {
      ++i;
    }
  }
  return done;
}

void replica_waits::forget(const std::string& destination) {
  acked_.erase(destination);
}

std::vector<std::pair<replica_waits::wait_id, size_t>>
replica_waits::expire(int64_t now) {
  std::vector<std::pair<wait_id, size_t>> expired;
  for (auto i = waits_.begin(); i != waits_.end();) {
    if (i->second.deadline <= now) {
      expired.emplace_back(i->first, covering(i->second.version));
      i = waits_.erase(i);
    } else {
      ++i;
    }
  }
  return expired;
}

} // namespace corvus
