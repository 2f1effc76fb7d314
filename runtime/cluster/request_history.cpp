#include "runtime/cluster/request_history.hpp"

namespace corvus {

bool same_outcome(const apply_outcome& x, const apply_outcome& y) {
  if (static_cast<bool>(x) != static_cast<bool>(y))
    return false;
  return x ? *x == *y : x.error() == y.error();
}

const apply_outcome* request_history::find(const std::string& id) const {
  auto i = outcomes_.find(id);
  return i == outcomes_.end() ? nullptr : &i->second;
}

void request_history::record(const std::string& id, apply_outcome result) {
  outcomes_.emplace(id, std::move(result));
  order_.push_back(id);
  while (order_.size() > capacity_) {
    outcomes_.erase(order_.front());
    order_.pop_front();
  }
}

std::deque<std::pair<std::string, apply_outcome>>
request_history::entries() const {
  std::deque<std::pair<std::string, apply_outcome>> out;
  for (auto& id : order_)
    out.emplace_back(id, outcomes_.at(id));
  return out;
}

bool operator==(const request_history& x, const request_history& y) {
  if (x.capacity_ != y.capacity_ || x.order_ != y.order_)
    return false;
  for (auto& id : x.order_)
    if (!same_outcome(x.outcomes_.at(id), y.outcomes_.at(id)))
      return false;
  return true;
}

} // namespace corvus
