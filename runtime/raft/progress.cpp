#include "runtime/raft/progress.hpp"

#include <algorithm>

namespace corvus::raft {

const char* to_string(progress_state state) {
  switch (state) {
    case progress_state::probe:
      return "probe";
    case progress_state::replicate:
      return "replicate";
    case progress_state::snapshot:
      return "snapshot";
  }
  return "?";
}

bool progress::update(index_t index) {
  probe_sent = false;
  next = std::max(next, index + 1);
  if (index <= match)
    return false;
  match = index;
  return true;
}

bool progress::decrease(index_t rejected, index_t hint) {
  if (state == progress_state::replicate) {
    // Appends are pipelined: a rejection at or below the match point
    // answers an old message.
    if (rejected <= match)
      return false;
    next = match + 1;
    return true;
  }
  // Probe (or snapshot): only the answer to the append just sent counts.
  if (next == 0 || rejected != next - 1)
    return false;
  next = std::max<index_t>(std::min(rejected, hint + 1), match + 1);
  probe_sent = false;
  return true;
}

void progress::become_probe() {
  state_ticks = 0;
  if (state == progress_state::snapshot)
    next = std::max(match + 1, pending_snapshot + 1);
  else
    next = match + 1;
  state = progress_state::probe;
  probe_sent = false;
  forget_inflight();
  pending_snapshot = 0;
}

void progress::become_replicate() {
  state_ticks = 0;
  state = progress_state::replicate;
  next = match + 1;
  probe_sent = false;
  forget_inflight();
  pending_snapshot = 0;
}

void progress::become_snapshot(index_t snapshot_index) {
  state_ticks = 0;
  state = progress_state::snapshot;
  pending_snapshot = snapshot_index;
  probe_sent = false;
  forget_inflight();
}

bool progress::paused(size_t max_inflight, size_t max_bytes) const {
  switch (state) {
    case progress_state::probe:
      return probe_sent;
    case progress_state::replicate:
      return inflight.size() >= max_inflight
             || (!inflight.empty() && inflight_bytes >= max_bytes);
    case progress_state::snapshot:
      return true;
  }
  return true;
}

void progress::sent(index_t last, size_t bytes) {
  if (state == progress_state::replicate) {
    if (last >= next) {
      next = last + 1;
      inflight.push_back({last, bytes});
      inflight_bytes += bytes;
    }
  } else if (state == progress_state::probe) {
    probe_sent = true;
  }
}

void progress::acknowledge(index_t index) {
  while (!inflight.empty() && inflight.front().last <= index)
    forget_oldest();
}

void progress::forget_inflight() {
  inflight.clear();
  inflight_bytes = 0;
}

void progress::forget_oldest() {
  if (inflight.empty())
    return;
  inflight_bytes -= inflight.front().bytes;
  inflight.pop_front();
}

} // namespace corvus::raft
