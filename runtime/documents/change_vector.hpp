#pragma once

// Change vectors (ravendb-internals.md §5): vector clocks attached to every
// document version, written as `TAG:ETAG-DBID` entries joined by ", " and
// sorted by database id. The database id, not the tag, identifies an entry.

#include "runtime/failure.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corvus {

/// Length of a database id: 16 bytes as unpadded base64.
inline constexpr size_t db_id_length = 22;

struct change_vector_entry {
  std::string node_tag;
  int64_t etag = 0;
  std::string db_id;

  friend bool operator==(const change_vector_entry& x,
                         const change_vector_entry& y) {
    return x.node_tag == y.node_tag && x.etag == y.etag && x.db_id == y.db_id;
  }
};

class change_vector {
public:
  change_vector() = default;

  /// Parses RavenDB's text form; the empty string is the empty vector.
  /// @returns ec::bad_request naming the offending entry on malformed text.
  static outcome<change_vector> parse(std::string_view text);

  /// @returns the canonical text: entries sorted by db id, ", " separated.
  std::string to_string() const;

  const std::vector<change_vector_entry>& entries() const {
    return entries_;
  }

  bool empty() const {
    return entries_.empty();
  }

  /// @returns the etag recorded for `db_id`, 0 when absent.
  int64_t etag_of(std::string_view db_id) const;

  /// Records `etag` for `db_id` unless a larger etag is already recorded.
  void update(std::string_view node_tag, std::string_view db_id,
              int64_t etag);

  /// Takes, per database id, the larger etag of this and `other`.
  void merge(const change_vector& other);

  friend bool operator==(const change_vector& x, const change_vector& y) {
    return x.entries_ == y.entries_;
  }

private:
  std::vector<change_vector_entry> entries_; // sorted by db id
};

/// How an incoming version relates to the local one (§5.2).
enum class conflict_status {
  /// The remote version is strictly newer: take it.
  update,
  /// Neither contains the other.
  conflict,
  /// The local version already contains the remote one (or they are equal).
  already_merged,
};

/// Compares `remote` against `local` as RavenDB's GetConflictStatus does.
conflict_status compare(const change_vector& remote,
                        const change_vector& local);

/// @returns `text` in canonical form, or the parse failure.
outcome<std::string> canonical_change_vector(std::string_view text);

} // namespace corvus
