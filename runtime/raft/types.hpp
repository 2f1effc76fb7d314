#pragma once

// The vocabulary of Rachis, Corvus's Raft (ravendb-internals.md §1): log
// positions, terms, node tags, log entries and the hard state every member
// must persist before it speaks.

#include "runtime/text/shared_text.hpp"

#include <cstdint>
#include <string>

namespace corvus::raft {

/// Position of an entry in the log; the first entry has index 1.
using index_t = uint64_t;

/// An election term; 0 before the first election.
using term_t = uint64_t;

/// A node's tag ("A", "B", ... "ZA"): its identity inside the cluster.
using node_tag = std::string;

/// What an entry carries (RavenDB's log flags, §1.5).
enum class entry_kind : uint8_t {
  /// A state-machine command; `data` is its JSON text.
  command = 0,
  /// The entry a new leader appends in its term (§1.1); `data` is empty.
  noop = 1,
  /// A new cluster topology; `data` is its JSON (raft/topology.hpp). It
  /// takes effect when appended, not when committed (§1.5).
  topology = 2,
};

/// @returns the lowercase name of `kind`.
const char* to_string(entry_kind kind);

struct entry {
  index_t index = 0;
  term_t term = 0;
  entry_kind kind = entry_kind::command;
  /// Shared by the copies of the entry the log hands out (to persist, to
  /// send to each follower, to apply), which then cost no copy of the text.
  shared_text data;

  friend bool operator==(const entry& x, const entry& y) {
    return x.index == y.index && x.term == y.term && x.kind == y.kind
           && x.data == y.data;
  }

  friend bool operator!=(const entry& x, const entry& y) {
    return !(x == y);
  }
};

/// What a member persists before it sends anything that depends on it
/// (Raft §5.1, Figure 2): its term, its vote in that term and the highest
/// index it knows to be committed (so that a restart re-applies up to it).
struct hard_state {
  term_t term = 0;
  /// Tag voted for in `term`; empty when none.
  node_tag voted_for;
  index_t commit = 0;

  friend bool operator==(const hard_state& x, const hard_state& y) {
    return x.term == y.term && x.voted_for == y.voted_for
           && x.commit == y.commit;
  }

  friend bool operator!=(const hard_state& x, const hard_state& y) {
    return !(x == y);
  }
};

} // namespace corvus::raft
