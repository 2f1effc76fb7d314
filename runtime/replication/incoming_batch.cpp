#include "runtime/replication/incoming_batch.hpp"

#include "runtime/documents/change_vector.hpp"
#include "runtime/documents/document_id.hpp"
#include "runtime/documents/document_json.hpp"
#include "runtime/documents/timestamp.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <utility>

namespace corvus {

namespace {

// The versions of one id as the batch left them.
struct held_versions {
  std::optional<document_record> live;
  std::vector<document_record> conflicts;
};

// A batch in progress: the state it advances, its writes, and what each id
// it touched holds now (later items of the same id see earlier ones).
class batch_scope {
public:
  batch_scope(const database_state& before, document_lookup& lookup,
              const std::string& node_tag)
    : state_(before), lookup_(lookup), node_tag_(node_tag) {
    if (auto cv = change_vector::parse(before.change_vector))
      global_ = std::move(*cv);
  }

  /// @returns what `key` holds, bodies included.
  outcome<held_versions> held(const std::string& key) {
    if (auto i = touched_.find(key); i != touched_.end()) {
      held_versions h;
      if (i->second.live_write)
        h.live = writes_[*i->second.live_write].record;
      h.conflicts = i->second.conflicts;
      return h;
    }
    held_versions h;
    auto live = lookup_.find(key, true);
    if (!live)
      return live.error();
    h.live = std::move(*live);
    if (!h.live) {
      auto conflicts = lookup_.conflicts(key);
      if (!conflicts)
        return conflicts.error();
      h.conflicts = std::move(*conflicts);
    }
    return h;
  }

  int64_t next_etag() {
    return ++state_.last_etag;
  }

  /// An item the source sent: every version stored moves the global
  /// vector (§5.5), and the source holds it.
  void saw(const change_vector& version) {
    global_.merge(version);
    source_holds_.merge(version);
  }

  /// A version made here: the global vector with this instance's entry at
  /// `etag`, merged with `base`.
  change_vector local_version(const change_vector& base, int64_t etag) {
    auto v = base;
    v.update(node_tag_, state_.db_id, etag);
    global_.merge(v);
    return v;
  }

  /// Records a write after which `key` holds the written version alone.
  void write_live(const std::string& key, document_write w) {
    writes_.push_back(std::move(w));
    touched_.insert_or_assign(key, touched{writes_.size() - 1, {}});
  }

  /// Records a write after which `key` holds `conflicts` alone.
  void write_conflicted(const std::string& key, document_write w,
                        std::vector<document_record> conflicts) {
    writes_.push_back(std::move(w));
    touched_.insert_or_assign(key,
                              touched{std::nullopt, std::move(conflicts)});
  }

  applied_batch finish(const incoming_batch& batch, incoming_counts counts) {
    auto& accepted = state_.accepted_etags[batch.source_db_id];
    accepted = std::max(accepted, batch.last_etag);
    state_.change_vector = global_.to_string();
    // One local transaction: it travels on whole.
    if (!writes_.empty()) {
      auto end = writes_.back().record.etag;
      for (auto& w : writes_)
        w.transaction_end = end;
    }
    return {std::move(writes_), std::move(state_), counts,
            std::move(source_holds_)};
  }

private:
  database_state state_;
  document_lookup& lookup_;
  const std::string& node_tag_;
  change_vector global_;
  change_vector source_holds_;
  std::vector<document_write> writes_;
  /// What an id holds after the batch's writes so far: its live version
  /// is the write at `live_write` (not copied: an id rarely comes twice
  /// in one batch), or it holds `conflicts`.
  struct touched {
    std::optional<size_t> live_write;
    std::vector<document_record> conflicts;
  };
  std::unordered_map<std::string, touched> touched_;
};

// The content the identical-content rule compares: collection, body and
// user metadata, without the keys the server computes (which differ
// between copies of the same content).
outcome<std::string> content_of(const document_record& r) {
  if (r.tombstone)
    return std::string{};
  auto doc = prepare_document(r.json);
  if (!doc)
    return doc.error();
  return fold_case(doc->collection) + '\n' + doc->metadata + '\n'
         + doc->body;
}

// Renders the stored JSON of `r` again with its computed metadata set to
// the record's change vector, time and flags (a version keeps its body and
// user metadata wherever it is stored).
outcome<done> restamp(document_record& r) {
  if (r.tombstone) {
    r.json.clear();
    return done{};
  }
  auto doc = prepare_document(r.json);
  if (!doc)
    return doc.error();
  auto modified = format_timestamp(r.last_modified);
  r.json = render_document(*doc, {r.id, r.collection, r.change_vector,
                                  modified, r.flags});
  return done{};
}

// Stores `r` with a new local etag and `flags`. Its JSON already says
// what its vector and time are; it is rendered again only when the flags
// change, so that a plain arrival is stored byte for byte as it came.
outcome<document_record> stored_copy(batch_scope& tx, document_record r,
                                     document_flags flags) {
  r.etag = tx.next_etag();
  if (flags == r.flags)
    return r;
  r.flags = flags;
  if (auto rendered = restamp(r); !rendered)
    return rendered.error();
  return r;
}

constexpr document_flags arrival_flags = document_flag::conflicted
                                         | document_flag::resolved;

// The flags of a version stored as a conflict version. Resolved stays
// with the version wherever it goes: a merged vector without an entry of
// its own must keep being sent to copies that cover it (merge_identical).
document_flags as_conflict(document_flags flags) {
  return (flags & ~arrival_flags) | (flags & document_flag::resolved)
         | document_flag::conflicted;
}

outcome<done> apply_item(batch_scope& tx, document_record item,
                         const conflict_policy& policy,
                         incoming_counts& counts) {
  auto incoming_cv = change_vector::parse(item.change_vector);
  if (!incoming_cv)
    return incoming_cv.error();
  if (auto valid = validate_document_id(item.id); !valid)
    return valid.error();
  auto key = fold_case(item.id);
  auto held = tx.held(key);
  if (!held)
    return held.error();
  // Contents are compared only between concurrent versions (identical
  // content, and ties of resolve-to-latest, which also involve stored
  // conflicts), and only those are read out of their JSON.
  std::string incoming_content;
  std::string local_content;
  std::vector<std::string> conflict_contents;
  std::optional<document_version> local;
  auto read_incoming = [&]() -> outcome<done> {
    auto in = content_of(item);
    if (!in)
      return in.error();
    incoming_content = std::move(*in);
    return done{};
  };
  if (held->live) {
    auto cv = change_vector::parse(held->live->change_vector);
    if (!cv)
      return cv.error();
    if (compare(*incoming_cv, *cv) == conflict_status::conflict) {
      auto here = content_of(*held->live);
      if (!here)
        return here.error();
      local_content = std::move(*here);
      if (auto in = read_incoming(); !in)
        return in.error();
    }
    local = document_version{std::move(*cv), held->live->tombstone,
                             local_content, held->live->last_modified};
  }
  if (!held->conflicts.empty() && policy.resolve_to_latest) {
    if (auto in = read_incoming(); !in)
      return in.error();
    for (auto& c : held->conflicts) {
      auto content = content_of(c);
      if (!content)
        return content.error();
      conflict_contents.push_back(std::move(*content));
    }
  }
  std::vector<document_version> conflicts;
  for (size_t i = 0; i < held->conflicts.size(); ++i) {
    auto& c = held->conflicts[i];
    auto cv = change_vector::parse(c.change_vector);
    if (!cv)
      return cv.error();
    std::string_view content;
    if (i < conflict_contents.size())
      content = conflict_contents[i];
    conflicts.push_back({std::move(*cv), c.tombstone, content,
                         c.last_modified});
  }
  auto decision = decide_arrival({*incoming_cv, item.tombstone,
                                  incoming_content, item.last_modified},
                                 local, conflicts, policy);
  tx.saw(*incoming_cv);
  auto replaced = held->live ? std::optional{header_of(*held->live)}
                             : std::nullopt;
  std::vector<document_record> removed;
  for (auto& c : held->conflicts)
    removed.push_back(header_of(c));
  switch (decision.outcome) {
    case arrival_outcome::ignore:
      ++counts.ignored;
      return done{};
    case arrival_outcome::apply: {
      ++counts.applied;
      // Newer than all we hold: stored as it is (§4.6), a Resolved flag
      // included, so that it keeps replicating until all copies agree.
      auto flags = item.flags & ~document_flag::conflicted;
      auto rec = stored_copy(tx, std::move(item), flags);
      if (!rec)
        return rec.error();
      tx.write_live(key,
                    {key, std::move(*rec), replaced, std::move(removed), 0});
      return done{};
    }
    case arrival_outcome::merge_identical: {
      // The same content: the local version takes the merged vector; a
      // new etag, so that what the store holds stays in etag order.
      // The merged vector has no entry of its own, so a copy that still
      // holds one of the merged versions may have a global vector that
      // covers it already (through later writes of other ids), and
      // senders skip what a destination's vector covers: flagged
      // Resolved, it is always sent (§6.5), and the copies converge on
      // it; equal vectors stop the echo.
      // It takes the later modification time of the two, so that copies
      // that merged the same versions in either order agree on it.
      ++counts.merged;
      auto rec = *held->live;
      rec.etag = tx.next_etag();
      rec.change_vector = decision.merged.to_string();
      rec.last_modified = std::max(rec.last_modified, item.last_modified);
      rec.flags = (rec.flags & ~arrival_flags) | document_flag::resolved;
      if (auto rendered = restamp(rec); !rendered)
        return rendered.error();
      tx.write_live(key, {key, std::move(rec), replaced, {}, 0});
      return done{};
    }
    case arrival_outcome::resolve: {
      // Resolved here: local work with a new etag entry of this instance,
      // flagged Resolved (§6.5), so it replicates on at once.
      ++counts.resolved;
      const document_record* winner = &item;
      if (decision.winner == arrival_winner::local)
        winner = &*held->live;
      else if (decision.winner == arrival_winner::stored_conflict)
        winner = &held->conflicts[decision.conflict_index];
      auto rec = *winner;
      rec.etag = tx.next_etag();
      // The winner keeps its modification time: copies that resolve the
      // same conflict then hold the same content, which the identical
      // rule merges instead of conflicting again.
      rec.change_vector = tx.local_version(decision.merged, rec.etag)
                            .to_string();
      rec.flags = (winner->flags & ~arrival_flags) | document_flag::resolved;
      if (auto rendered = restamp(rec); !rendered)
        return rendered.error();
      tx.write_live(key,
                    {key, std::move(rec), replaced, std::move(removed), 0});
      return done{};
    }
    case arrival_outcome::conflict: {
      // Both versions move to the conflicts table; the id leaves its
      // collection and reads answer 409 until someone resolves it (§6.4).
      ++counts.conflicts;
      std::vector<document_record> after;
      std::vector<document_record> superseded;
      auto next = decision.superseded.begin();
      for (size_t i = 0; i < held->conflicts.size(); ++i)
        if (next != decision.superseded.end() && *next == i) {
          superseded.push_back(header_of(held->conflicts[i]));
          ++next;
        } else {
          after.push_back(held->conflicts[i]);
        }
      if (held->live) {
        auto moved = stored_copy(tx, *held->live,
                                 as_conflict(held->live->flags));
        if (!moved)
          return moved.error();
        after.push_back(*moved);
        tx.write_conflicted(key, {key, std::move(*moved), replaced, {}, 0},
                            after);
      }
      auto flags = as_conflict(item.flags);
      auto rec = stored_copy(tx, std::move(item), flags);
      if (!rec)
        return rec.error();
      after.push_back(*rec);
      tx.write_conflicted(
        key, {key, std::move(*rec), std::nullopt, std::move(superseded), 0},
        std::move(after));
      return done{};
    }
  }
  return done{};
}

} // namespace

outcome<applied_batch> apply_incoming(incoming_batch batch,
                                      const database_state& before,
                                      document_lookup& lookup,
                                      const conflict_policy& policy,
                                      const std::string& node_tag) {
  auto accepted = before.accepted_etags.find(batch.source_db_id);
  auto have = accepted != before.accepted_etags.end() ? accepted->second : 0;
  if (batch.after_etag > have)
    return make_failure(ec::bad_request,
                        "a replication batch from " + batch.source_db_id
                          + " starts after etag "
                          + std::to_string(batch.after_etag)
                          + ", but only etag " + std::to_string(have)
                          + " was accepted from it");
  batch_scope tx{before, lookup, node_tag};
  incoming_counts counts;
  for (auto& item : batch.items)
    if (auto applied = apply_item(tx, std::move(item), policy, counts);
        !applied)
      return applied.error();
  return tx.finish(batch, counts);
}

} // namespace corvus
