#include "runtime/documents/transaction_executor.hpp"

#include "runtime/documents/change_vector.hpp"
#include "runtime/documents/document_id.hpp"
#include "runtime/documents/document_json.hpp"
#include "runtime/documents/timestamp.hpp"
#include "runtime/json/json.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <unordered_map>

namespace corvus {

namespace {

constexpr const char* hilo_collection = "@hilo";

// One transaction in progress: the state it advances, its own writes (which
// later commands of the same transaction must see) and the lookup below.
class scope {
public:
  scope(const database_state& before, document_lookup& lookup,
        const std::string& node_tag, int64_t now)
    : state_(before),
      lookup_(lookup),
      node_tag_(node_tag),
      now_(now),
      now_text_(format_timestamp(now)) {
    // The stored global vector is canonical: written by us.
    if (auto cv = change_vector::parse(before.change_vector))
      global_ = std::move(*cv);
  }

  outcome<std::optional<document_record>> find(const std::string& key,
                                               bool with_body) {
    if (auto i = own_.find(key); i != own_.end())
      return std::optional<document_record>{writes_[i->second].record};
    return lookup_.find(key, with_body);
  }

  /// @returns the conflict versions of `key`; none once this transaction
  ///          wrote the id (a local write resolves its conflicts).
  outcome<std::vector<document_record>> conflicts(const std::string& key) {
    if (own_.count(key) > 0)
      return std::vector<document_record>{};
    return lookup_.conflicts(key);
  }

  /// The etag and change vector of the next local write (§5.4: the global
  /// vector with this instance's entry moved to the new etag).
  std::pair<int64_t, std::string> next_version() {
    auto etag = ++state_.last_etag;
    global_.update(node_tag_, state_.db_id, etag);
    state_.change_vector = global_.to_string();
    return {etag, state_.change_vector};
  }

  /// Writes `record` over `replaced` (the live version, if any) and the
  /// conflict versions of the id (a write over a conflicted id resolves
  /// it, §6.5; the global vector it was made from already covers theirs).
  void write(std::string key, document_record record,
             std::optional<document_record> replaced,
             std::vector<document_record> resolved_conflicts = {}) {
    if (replaced)
      replaced->json.clear();
    for (auto& c : resolved_conflicts)
      c.json.clear();
    document_write w{key, std::move(record), std::move(replaced),
                     std::move(resolved_conflicts), 0};
    if (auto i = own_.find(key); i != own_.end()) {
      writes_.push_back(std::move(w));
      i->second = writes_.size() - 1;
      return;
    }
    own_.emplace(std::move(key), writes_.size());
    writes_.push_back(std::move(w));
  }

  template <class Result>
  executed_transaction<Result> finish(Result result) {
    // The transaction travels whole in replication: every write names its
    // last etag.
    if (!writes_.empty()) {
      auto end = writes_.back().record.etag;
      for (auto& w : writes_)
        w.transaction_end = end;
    }
    return {std::move(writes_), std::move(state_), std::move(result)};
  }

  int64_t now() const {
    return now_;
  }

  /// The commit time as RavenDB's text.
  const std::string& now_text() const {
    return now_text_;
  }

  const std::string& node_tag() const {
    return node_tag_;
  }

private:
  database_state state_;
  document_lookup& lookup_;
  const std::string& node_tag_;
  int64_t now_;
  std::string now_text_;
  change_vector global_;
  std::vector<document_write> writes_;
  std::unordered_map<std::string, size_t> own_;
};

bool is_live(const std::optional<document_record>& r) {
  return r && !r->tombstone;
}

failure concurrency_failure(std::string_view verb, const std::string& id,
                            const cv_expectation& expected,
                            const std::optional<document_record>& existing) {
  std::string actual = is_live(existing) ? existing->change_vector : "";
  std::string msg = "Document '" + id + "' ";
  if (expected.kind == cv_expectation::mode::must_be_new)
    msg += "already exists with change vector '" + actual + "', but the "
           + std::string{verb} + " expected a new document";
  else if (!is_live(existing))
    msg += "does not exist, but the " + std::string{verb}
           + " expected change vector '" + expected.change_vector + "'";
  else
    msg += "has change vector '" + actual + "', but the " + std::string{verb}
           + " expected '" + expected.change_vector + "'";
  msg += ". Optimistic concurrency violation; the transaction was aborted.";
  failure f = make_failure(ec::concurrency_violation, std::move(msg));
  f.fields = {{"Id", id},
              {"ExpectedChangeVector", expected.change_vector},
              {"ActualChangeVector", actual}};
  return f;
}

// @returns whether `existing` satisfies `expected` (ravendb-http §4.5).
bool satisfies(const cv_expectation& expected,
               const std::optional<document_record>& existing) {
  switch (expected.kind) {
    case cv_expectation::mode::none:
      return true;
    case cv_expectation::mode::must_be_new:
      return !is_live(existing);
    case cv_expectation::mode::must_match:
      return is_live(existing)
             && existing->change_vector == expected.change_vector;
  }
  return false;
}

bool same_collection(std::string_view x, std::string_view y) {
  auto fx = is_empty_collection(x) ? std::string{} : fold_case(x);
  auto fy = is_empty_collection(y) ? std::string{} : fold_case(y);
  return fx == fy;
}

std::string random_guid(std::mt19937_64& rng) {
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & ~0xF000ull) | 0x4000ull;                     // version 4
  lo = (lo & ~(0xC0ull << 56)) | (0x80ull << 56);          // RFC variant
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF),
                static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

// @returns the conflict versions of `key`, which has no live version or
//          tombstone when in conflict (§6.4).
outcome<std::vector<document_record>>
in_conflict(scope& tx, const std::string& key,
            const std::optional<document_record>& existing) {
  if (existing)
    return std::vector<document_record>{};
  return tx.conflicts(key);
}

outcome<command_result> put(scope& tx, const write_command& cmd,
                            std::mt19937_64& rng) {
  // Generated ids need the etag first, so their checks run after it.
  bool generated = cmd.id.empty() || cmd.id.back() == '/';
  std::optional<document_record> existing;
  std::string id = cmd.id;
  std::string key;
  if (!generated) {
    key = fold_case(id);
    auto found = tx.find(key, false);
    if (!found)
      return found.error();
    existing = std::move(*found);
    if (!satisfies(cmd.expected, existing))
      return concurrency_failure("PUT", id, cmd.expected, existing);
    if (is_live(existing)
        && !same_collection(existing->collection, cmd.document.collection)) {
      auto f = make_failure(
        ec::collection_mismatch,
        "Cannot move document '" + id + "' from collection '"
          + existing->collection + "' to '" + cmd.document.collection
          + "' by an update; delete the document and create it again.");
      f.fields = {{"Id", id}};
      return f;
    }
  }
  auto [etag, cv] = tx.next_version();
  if (generated) {
    if (id.empty()) {
      id = random_guid(rng);
    } else {
      char digits[24];
      std::snprintf(digits, sizeof(digits), "%019lld",
                    static_cast<long long>(etag));
      id += digits;
      id += '-';
      id += tx.node_tag();
    }
    key = fold_case(id);
    auto found = tx.find(key, false);
    if (!found)
      return found.error();
    existing = std::move(*found);
  }
  document_record record;
  record.id = id;
  record.collection = is_empty_collection(cmd.document.collection)
                        ? empty_collection
                        : cmd.document.collection;
  record.etag = etag;
  record.change_vector = cv;
  record.last_modified = tx.now();
  record.json = render_document(cmd.document,
                                {id, record.collection, cv, tx.now_text(), 0});
  command_result result{command_kind::put, id, record.collection, cv,
                        tx.now(), 0, false};
  auto conflicts = in_conflict(tx, key, existing);
  if (!conflicts)
    return conflicts.error();
  tx.write(std::move(key), std::move(record), std::move(existing),
           std::move(*conflicts));
  return result;
}

outcome<command_result> del(scope& tx, const write_command& cmd) {
  auto key = fold_case(cmd.id);
  auto found = tx.find(key, false);
  if (!found)
    return found.error();
  auto existing = std::move(*found);
  if (!satisfies(cmd.expected, existing))
    return concurrency_failure("DELETE", cmd.id, cmd.expected, existing);
  auto conflicts = in_conflict(tx, key, existing);
  if (!conflicts)
    return conflicts.error();
  // Deleting an id in conflict resolves it to a tombstone (§6.5).
  if (!is_live(existing) && conflicts->empty())
    return command_result{command_kind::del, cmd.id, {}, {}, 0, 0, false};
  auto& last = is_live(existing) ? *existing : conflicts->front();
  auto [etag, cv] = tx.next_version();
  document_record tombstone;
  tombstone.id = last.id;
  tombstone.collection = last.collection;
  tombstone.etag = etag;
  tombstone.change_vector = cv;
  tombstone.last_modified = tx.now();
  tombstone.tombstone = true;
  command_result result{command_kind::del, cmd.id, tombstone.collection, cv,
                        tx.now(), 0, true};
  tx.write(std::move(key), std::move(tombstone), std::move(existing),
           std::move(*conflicts));
  return result;
}

// Reads `Max` from a stored HiLo document; 0 when absent or unreadable.
int64_t stored_hilo_max(const std::optional<document_record>& doc) {
  if (!is_live(doc))
    return 0;
  rapidjson::Document json;
  json.Parse(doc->json.data(), doc->json.size());
  if (json.HasParseError() || !json.IsObject())
    return 0;
  auto max = json.FindMember("Max");
  if (max == json.MemberEnd() || !max->value.IsInt64())
    return 0;
  return max->value.GetInt64();
}

// Writes `Raven/Hilo/{tag}` with a new maximum.
void write_hilo_max(scope& tx, const std::string& tag, int64_t max,
                    std::optional<document_record> existing) {
  auto id = hilo_document_id(tag);
  auto [etag, cv] = tx.next_version();
  incoming_document doc;
  doc.collection = hilo_collection;
  doc.body = "{\"Max\":" + std::to_string(max) + "}";
  document_record record;
  record.id = id;
  record.collection = hilo_collection;
  record.etag = etag;
  record.change_vector = cv;
  record.last_modified = tx.now();
  record.json = render_document(doc,
                                {id, hilo_collection, cv, tx.now_text(), 0});
  tx.write(fold_case(id), std::move(record), std::move(existing));
}

// @returns the HiLo document of `tag` (or its tombstone, or none), read
//          within `tx`; ec::bad_request for an invalid tag.
outcome<std::optional<document_record>> read_hilo(scope& tx,
                                                  std::string_view tag) {
  if (tag.empty())
    return make_failure(ec::bad_request, "HiLo needs a non-empty 'tag'");
  auto id = hilo_document_id(tag);
  if (auto valid = validate_document_id(id); !valid)
    return make_failure(ec::bad_request,
                        "invalid HiLo tag: " + valid.error().message);
  return tx.find(fold_case(id), true);
}

} // namespace

transaction_executor::transaction_executor(std::string node_tag,
                                           uint64_t seed)
  : node_tag_(std::move(node_tag)), rng_(seed) {
  // nop
}

outcome<executed_transaction<transaction_result>>
transaction_executor::execute(const write_transaction& tx_in,
                              const database_state& before,
                              document_lookup& lookup, int64_t now) {
  scope tx{before, lookup, node_tag_, now};
  transaction_result result;
  result.results.reserve(tx_in.commands.size());
  for (auto& cmd : tx_in.commands) {
    auto applied = cmd.kind == command_kind::put ? put(tx, cmd, rng_)
                                                 : del(tx, cmd);
    if (!applied)
      return applied.error();
    result.results.push_back(std::move(*applied));
  }
  return tx.finish(std::move(result));
}

outcome<executed_transaction<hilo_range>>
transaction_executor::execute(const hilo_request& req,
                              const database_state& before,
                              document_lookup& lookup, int64_t now) {
  scope tx{before, lookup, node_tag_, now};
  auto found = read_hilo(tx, req.tag);
  if (!found)
    return found.error();
  auto capacity = next_hilo_capacity(req.last_size, req.last_range_at, now);
  auto low = std::max(stored_hilo_max(*found), req.last_max) + 1;
  auto high = low + capacity - 1;
  write_hilo_max(tx, req.tag, high, std::move(*found));
  return tx.finish(hilo_range{req.tag + req.separator, low, high, capacity,
                              node_tag_, now});
}

outcome<executed_transaction<done>>
transaction_executor::execute(const hilo_return& req,
                              const database_state& before,
                              document_lookup& lookup, int64_t now) {
  scope tx{before, lookup, node_tag_, now};
  auto found = read_hilo(tx, req.tag);
  if (!found)
    return found.error();
  // Only the newest range can shrink: an older one may overlap ids that
  // were handed out since.
  if (is_live(*found) && stored_hilo_max(*found) == req.end
      && req.last < req.end && req.last >= 0)
    write_hilo_max(tx, req.tag, req.last, std::move(*found));
  return tx.finish(done{});
}

std::string hilo_document_id(std::string_view tag) {
  return "Raven/Hilo/" + std::string{tag};
}

int64_t next_hilo_capacity(int64_t last_size, int64_t last_range_at,
                           int64_t now) {
  constexpr int64_t min_capacity = 32;
  constexpr int64_t max_capacity = 1 << 20;
  if (last_size <= 0)
    return min_capacity;
  auto elapsed = now - last_range_at;
  if (elapsed < 60 * ticks_per_second)
    return std::min(last_size * 2, max_capacity);
  if (elapsed > 5 * 60 * ticks_per_second)
    return std::max(last_size / 2, min_capacity);
  return std::clamp(last_size, min_capacity, max_capacity);
}

} // namespace corvus
