#pragma once

// A snapshot (Raft §7, ravendb-internals.md §1.7): the state machine as of
// an applied index, with the topology in force there. It replaces every log
// entry up to `index`: a member compacts its log into one, and a leader sends
// one to a follower whose next entry it no longer holds.

#include "runtime/raft/topology.hpp"
#include "runtime/raft/types.hpp"
#include "runtime/text/shared_text.hpp"

#include <string>

namespace corvus::raft {

struct snapshot {
  /// Index and term of the last entry the snapshot covers; 0 for none.
  index_t index = 0;
  term_t term = 0;
  /// The topology in force at `index`.
  topology config;
  /// The state machine's own encoding of its state at `index`; shared by
  /// copies (a member keeps the latest snapshot while it is persisted and
  /// sent, and it may be hundreds of megabytes).
  shared_text data;

  bool empty() const {
    return index == 0;
  }

  friend bool operator==(const snapshot& x, const snapshot& y) {
    return x.index == y.index && x.term == y.term && x.config == y.config
           && x.data == y.data;
  }

  friend bool operator!=(const snapshot& x, const snapshot& y) {
    return !(x == y);
  }
};

} // namespace corvus::raft
