#pragma once

// What a receiver does with a replicated version of a document or a
// tombstone (ravendb-internals.md §6.1-6.2, §6.5): compared with what it
// holds (the live version, or the stored conflicts of an id already in
// conflict), the incoming version is newer (apply it as it is), already
// known (ignore it), or concurrent. Concurrent versions go through the
// resolution pipeline: identical content (or two deletions) merges
// silently, keeping the local version with the merged change vector and no
// new etag; otherwise, with resolve-to-latest on (the default), the
// version modified last (on a tie, the greater content) wins with the
// merge of all change vectors;
// otherwise the versions are stored as a conflict. (Script resolvers and
// HiLo documents come later.)
//
// Pure: the receiver reads the versions and writes the outcome.

#include "runtime/documents/change_vector.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace corvus {

/// One version of a document as the receiver compares them.
struct document_version {
  change_vector version;
  bool tombstone = false;
  /// What the identical-content rule compares: the document without the
  /// metadata the server computes; empty for tombstones. Needed only
  /// when the incoming and the local version are concurrent, and for
  /// every version when resolve-to-latest breaks a tie of times.
  std::string_view content;
  /// Last modification, in ticks (RavenDB's @last-modified).
  int64_t last_modified = 0;
};

struct conflict_policy {
  /// RavenDB's ResolveToLatest: on unless a conflict solver turns it off.
  bool resolve_to_latest = true;
};

enum class arrival_outcome {
  /// The receiver has it already (or something newer): nothing to write.
  ignore,
  /// Newer than everything held: store it with its own change vector
  /// (replacing the live version, or resolving the stored conflicts).
  apply,
  /// The same content, or two deletions: keep the local version (with the
  /// later modification time of the two), store the merged change vector,
  /// no new etag entry, drop stored conflicts; flagged Resolved, so that
  /// it reaches every copy.
  merge_identical,
  /// Resolved to the winner: store it with the merged change vector and
  /// a new local etag, flagged Resolved (it replicates onwards).
  resolve,
  /// Store the incoming version as a conflict (with the local one, if
  /// any): the id leaves its collection and reads answer 409. Stored
  /// conflict versions it is newer than leave the conflicts.
  conflict,
};

/// Who won a resolution.
enum class arrival_winner { incoming, local, stored_conflict };

struct arrival_decision {
  arrival_outcome outcome = arrival_outcome::ignore;
  /// merge_identical and resolve: the merge of every version's vector.
  change_vector merged;
  /// resolve: the winner, and for stored_conflict its position in the
  /// conflicts passed in.
  arrival_winner winner = arrival_winner::incoming;
  size_t conflict_index = 0;
  /// conflict: the positions of the stored conflict versions the incoming
  /// one supersedes (it descends from them), in increasing order.
  std::vector<size_t> superseded;
};

/// Decides what to do with `incoming`, given the live `local` version (a
/// document or tombstone; none when the id was never seen or is in
/// conflict) and the `conflicts` stored for the id.
arrival_decision decide_arrival(const document_version& incoming,
                                const std::optional<document_version>& local,
                                const std::vector<document_version>& conflicts,
                                const conflict_policy& policy);

} // namespace corvus
