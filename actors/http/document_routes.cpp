// Document routes (ravendb-http.md §4): loads are served on the I/O thread
// straight from the store (an id in conflict answers 409, §6.2); writes go
// to the database actor, whose storage writer group-commits them.

#include "actors/http/routes.hpp"

#include "runtime/documents/batch_request.hpp"
#include "runtime/documents/document_id.hpp"
#include "runtime/text/utf8.hpp"
#include "runtime/documents/include_paths.hpp"
#include "runtime/documents/timestamp.hpp"
#include "runtime/http/conflict_responses.hpp"
#include "runtime/http/responses.hpp"
#include "runtime/http/timespan.hpp"
#include "runtime/json/json.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <limits>
#include <set>

namespace corvus {

namespace {

std::string_view unquote(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    return value.substr(1, value.size() - 2);
  return value;
}

// What an include of an id in conflict shows in place of the document
// (RavenDB's shape): its id, an empty change vector, flagged @conflict
// (clients skip such includes). The load itself does not
// fail; a later load of that id answers 409.
document_record conflicted_include(const std::string& id) {
  document_record r;
  r.id = id;
  r.json = write_json([&](json_writer& w) {
    w.StartObject();
    w.Key("@metadata");
    w.StartObject();
    w.Key("@id");
    write_string(w, id);
    w.Key("@change-vector");
    write_string(w, "");
    w.Key("@conflict");
    w.Bool(true);
    w.EndObject();
    w.EndObject();
  });
  return r;
}

// The documents `paths` point to from `docs`, excluding ids already loaded;
// an id in conflict is included as conflicted_include says.
outcome<std::vector<document_record>>
load_includes(const document_store& store,
              const std::vector<const document_record*>& docs,
              const std::vector<std::string_view>& paths) {
  std::vector<document_record> included;
  if (paths.empty())
    return included;
  std::set<std::string> seen;
  for (auto* d : docs)
    if (d != nullptr)
      seen.insert(fold_case(d->id));
  std::vector<std::string> ids;
  for (auto* d : docs) {
    if (d == nullptr)
      continue;
    rapidjson::Document json;
    json.Parse(d->json.data(), d->json.size());
    if (json.HasParseError())
      continue;
    for (auto path : paths)
      collect_include_ids(json, path, ids);
  }
  std::vector<std::string> keys;
  std::vector<std::string*> key_ids;
  for (auto& id : ids)
    if (is_valid_utf8(id) && seen.insert(fold_case(id)).second) {
      keys.push_back(fold_case(id));
      key_ids.push_back(&id);
    }
  if (keys.empty())
    return included;
  auto found = store.get_many(keys);
  if (!found)
    return found.error();
  for (size_t i = 0; i < keys.size(); ++i) {
    auto& f = (*found)[i];
    if (f) {
      included.push_back(std::move(*f));
      continue;
    }
    // A miss: absent, or in conflict (one more read, as for loads).
    auto versions = store.conflicts(keys[i]);
    if (!versions)
      return versions.error();
    if (!versions->empty())
      included.push_back(conflicted_include(*key_ids[i]));
  }
  return included;
}

// An id in conflict has no live version, only its conflict versions, so a
// load misses it; RavenDB refuses such a load until the conflict is
// resolved (§6.2). Misses are rare: each costs one more read. (The store's
// conflict_count() would rule conflicts out at once, but only its writer
// may read it.)
// @returns the failure to answer, or nullopt for a plain miss.
std::optional<failure> conflict_on_miss(const document_store& store,
                                        const std::string& key,
                                        std::string_view id) {
  auto versions = store.conflicts(key);
  if (!versions)
    return versions.error();
  if (versions->empty())
    return std::nullopt;
  return document_conflict(id, *versions);
}

void load_documents(const request_ptr& r, const published_database& db,
                    const std::vector<std::string>& ids) {
  auto metadata_only = r->query().get_bool("metadataOnly", false);
  if (!metadata_only)
    return r->fail(metadata_only.error());
  // An empty id names no document: its slot is null, as in RavenDB.
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (auto& id : ids)
    if (!id.empty())
      keys.push_back(fold_case(id));
  auto found = db.store->get_many(keys);
  if (!found)
    return r->fail(found.error());
  std::vector<const document_record*> results;
  results.reserve(ids.size());
  size_t k = 0;
  for (auto& id : ids) {
    if (id.empty()) {
      results.push_back(nullptr);
      continue;
    }
    auto& f = (*found)[k];
    if (!f) {
      if (auto conflict = conflict_on_miss(*db.store, keys[k], id))
        return r->fail(*conflict);
    }
    results.push_back(f ? &*f : nullptr);
    ++k;
  }
  auto included = load_includes(*db.store, results, r->query().all("include"));
  if (!included)
    return r->fail(included.error());
  std::vector<const document_record*> includes;
  for (auto& inc : *included)
    includes.push_back(&inc);
  if (ids.size() == 1 && results.front() == nullptr)
    return r->reply_empty(404);
  auto etag = load_etag(results, includes);
  http_reply reply;
  reply.headers.emplace_back("ETag", "\"" + etag + "\"");
  // Only a matching If-None-Match earns a 304 (ravendb-http §8 hazard 12).
  if (unquote(r->exchange().header("If-None-Match")) == etag) {
    reply.status = 304;
    reply.content_type.clear();
    return r->reply(std::move(reply));
  }
  reply.body = render_load(results, includes, *metadata_only);
  r->reply(std::move(reply));
}

// Answers `{"Results":[...]}` with what `docs` yields, rendered as the
// client takes it.
void reply_listing(const request_ptr& r, document_source docs,
                   bool metadata_only) {
  std::shared_ptr<results_in_pieces> results
    = render_listing(std::move(docs), metadata_only);
  r->reply_json_in_pieces(200, [results] {
    return results->next(http_piece_bytes);
  });
}

// The documents of `listing` whose id past its first `prefix_size`
// characters matches `matches` and not `exclude` (wildcards), past the
// first `skip` of them, at most `count`.
document_source kept_by_wildcards(std::shared_ptr<document_listing> listing,
                                  size_t prefix_size, std::string matches,
                                  std::string exclude, size_t skip,
                                  size_t count) {
  return [=]() mutable -> outcome<std::optional<document_record>> {
    while (count > 0) {
      auto doc = listing->next();
      if (!doc || !*doc)
        return doc;
      auto& id = (*doc)->id;
      auto rest = std::string_view{id}.substr(std::min(prefix_size,
                                                       id.size()));
      if ((!matches.empty() && !matches_wildcards(rest, matches))
          || (!exclude.empty() && matches_wildcards(rest, exclude)))
        continue;
      if (skip > 0) {
        --skip;
        continue;
      }
      --count;
      return doc;
    }
    return std::optional<document_record>{};
  };
}

// Documents as RavenDB lists them without ids: from an etag on (`etag=`),
// by id prefix (`startsWith=`, loadStartingWith, with `matches` /
// `exclude` wildcards applied to the part after the prefix), or else the
// most recently written first. A page of any size (the whole store, when
// asked): the documents are read from one moment of the store as the
// answer is rendered, a megabyte at a time as the client takes it.
void list_documents(const request_ptr& r, const published_database& db) {
  auto& q = r->query();
  auto start = q.get_int("start", 0);
  // Without a page size, all of them (as RavenDB answers; the clients
  // always send one).
  auto page_size = q.get_int("pageSize", std::numeric_limits<int64_t>::max());
  auto from_etag = q.get_int("etag", 0);
  auto metadata_only = q.get_bool("metadataOnly", false);
  for (auto* bad : {&start, &page_size, &from_etag})
    if (!*bad)
      return r->fail(bad->error());
  if (!metadata_only)
    return r->fail(metadata_only.error());
  if (*start < 0 || *page_size < 0)
    return r->fail(make_failure(ec::bad_request,
                                "start and pageSize must not be negative"));
  if (!q.get("startsWith") || q.get("etag")) {
    listing_request req;
    req.order = q.get("etag") ? listing_order::from_etag
                              : listing_order::newest_first;
    req.from_etag = *from_etag;
    req.start = static_cast<size_t>(*start);
    req.page_size = static_cast<size_t>(*page_size);
    std::shared_ptr<document_listing> listing = db.store->listing(req);
    return reply_listing(r, [listing] { return listing->next(); },
                         *metadata_only);
  }
  auto prefix = std::string{q.get("startsWith").value_or("")};
  auto matches = std::string{q.get("matches").value_or("")};
  auto exclude = std::string{q.get("exclude").value_or("")};
  auto skip = static_cast<size_t>(*start);
  auto count = static_cast<size_t>(*page_size);
  bool filtered = !matches.empty() || !exclude.empty();
  listing_request req;
  req.key_prefix = fold_case(prefix);
  req.start_after = fold_case(q.get("startAfter").value_or(""));
  // With wildcards, `start` and `pageSize` count the documents they keep.
  req.start = filtered ? 0 : skip;
  req.page_size = filtered ? std::numeric_limits<size_t>::max() : count;
  std::shared_ptr<document_listing> listing = db.store->listing(req);
  document_source docs = [listing] { return listing->next(); };
  if (filtered)
    docs = kept_by_wildcards(listing, prefix.size(), std::move(matches),
                             std::move(exclude), skip, count);
  reply_listing(r, std::move(docs), *metadata_only);
}

// The expectation an If-Match header states for a single-document write.
outcome<cv_expectation> if_match_expectation(const request_ptr& r) {
  auto header = r->exchange().header("If-Match");
  bool present = !header.empty();
  return parse_expectation(present, unquote(header));
}

outcome<std::string> required_id(const request_ptr& r) {
  auto id = r->query().get("id");
  if (!id)
    return make_failure(ec::bad_request, "the query parameter 'id' is "
                                         "required");
  if (auto valid = validate_document_id(*id); !valid)
    return valid.error();
  return std::string{*id};
}

// How many other copies a batch asked to wait for (write assurance).
struct replica_wait {
  std::chrono::milliseconds timeout{0};
  size_t replicas = 0;
  bool throw_on_timeout = true;
  /// The copies beyond this one when the batch came (for the error).
  size_t other_copies = 0;
};

outcome<std::optional<replica_wait>> parse_replica_wait(const request_ptr& r,
                                                        size_t group_size) {
  auto& q = r->query();
  auto timeout_text = q.get("waitForReplicasTimeout");
  if (!timeout_text)
    return std::optional<replica_wait>{};
  replica_wait wait;
  auto timeout = parse_timespan(*timeout_text, "waitForReplicasTimeout");
  if (!timeout)
    return timeout.error();
  wait.timeout = *timeout;
  auto count = q.get("numberOfReplicasToWaitFor").value_or("1");
  if (count == "majority") {
    // A majority of the group, counting this node.
    wait.replicas = group_size / 2;
  } else {
    auto n = q.get_int("numberOfReplicasToWaitFor", 1);
    if (!n)
      return n.error();
    if (*n < 0)
      return make_failure(ec::bad_request,
                          "numberOfReplicasToWaitFor must not be negative");
    wait.replicas = static_cast<size_t>(*n);
  }
  auto throw_on_timeout = q.get_bool("throwOnTimeoutInWaitForReplicas", true);
  if (!throw_on_timeout)
    return throw_on_timeout.error();
  wait.throw_on_timeout = *throw_on_timeout;
  return std::optional<replica_wait>{wait};
}

// Answers a committed batch once `wait.replicas` other instances hold it,
// or after the timeout with RavenTimeoutException (500: a status the
// client does not retry on another node, since the batch is committed;
// ravendb-http §6.1).
void answer_after_replicas(const request_ptr& r, const database_actor& db,
                           replica_wait wait, transaction_result result) {
  // The batch's last version covers the ones before it (§5.4).
  std::string cv;
  for (auto& c : result.results)
    if (!c.change_vector.empty())
      cv = c.change_vector;
  if (cv.empty() || wait.replicas == 0)
    return r->reply_json(201, render_batch_result(result));
  auto done = [r, wait, cv, result](size_t reached, bool in_time) {
    if (in_time || !wait.throw_on_timeout)
      return r->reply_json(201, render_batch_result(result));
    r->fail(make_failure(
      ec::timeout, "Could not verify that the change vector '" + cv
                     + "' was replicated to " + std::to_string(wait.replicas)
                     + " servers in " + std::to_string(wait.timeout.count())
                     + " ms. So far, it only replicated to "
                     + std::to_string(reached) + " of the "
                     + std::to_string(wait.other_copies)
                     + " other copies of the database"
                     + ". The write itself is committed on this node."));
  };
  caf::anon_send(db, replica_wait_request{cv, wait.replicas, wait.timeout,
                                          std::move(done)});
}

} // namespace

void get_documents(const request_ptr& r) {
  auto db = r->database();
  if (!db)
    return;
  auto ids = r->query().all("id");
  if (ids.empty())
    return list_documents(r, *db);
  load_documents(r, *db, std::vector<std::string>(ids.begin(), ids.end()));
}

void post_documents(const request_ptr& r) {
  auto db = r->database();
  if (!db)
    return;
  rapidjson::Document body;
  if (auto parsed = parse_json(r->exchange().body, body, "the request body");
      !parsed)
    return r->fail(parsed.error());
  auto ids_member = body.IsObject() ? body.FindMember("Ids")
                                    : body.MemberEnd();
  if (!body.IsObject() || ids_member == body.MemberEnd()
      || !ids_member->value.IsArray())
    return r->fail(make_failure(ec::bad_request,
                                "the request body needs an 'Ids' array"));
  std::vector<std::string> ids;
  for (auto& id : ids_member->value.GetArray()) {
    if (!id.IsString())
      return r->fail(make_failure(ec::bad_request,
                                  "'Ids' must hold strings only"));
    ids.emplace_back(view_of(id));
  }
  load_documents(r, *db, ids);
}

void head_document(const request_ptr& r) {
  auto db = r->database();
  if (!db)
    return;
  auto id = required_id(r);
  if (!id)
    return r->fail(id.error());
  auto key = fold_case(*id);
  auto found = db->store->get(key);
  if (!found)
    return r->fail(found.error());
  if (!*found) {
    if (auto conflict = conflict_on_miss(*db->store, key, *id))
      return r->fail(*conflict);
    return r->reply_empty(404);
  }
  auto& cv = (*found)->change_vector;
  auto reply = empty_reply(200, {{"ETag", "\"" + cv + "\""}});
  if (unquote(r->exchange().header("If-None-Match")) == cv)
    reply.status = 304;
  r->reply(std::move(reply));
}

void put_document(const request_ptr& r) {
  auto db = r->database();
  if (!db)
    return;
  auto id = required_id(r);
  if (!id)
    return r->fail(id.error());
  if (auto refused = refuse_identity_request(*id); !refused)
    return r->fail(refused.error());
  auto expected = if_match_expectation(r);
  if (!expected)
    return r->fail(expected.error());
  auto doc = prepare_document(r->exchange().body);
  if (!doc)
    return r->fail(doc.error());
  write_transaction tx;
  tx.commands.push_back(write_command{command_kind::put, std::move(*id),
                                      std::move(*expected), std::move(*doc)});
  r->database_call<transaction_result>(
    db->actor, std::move(tx), [](transaction_result& res) {
      return json_reply(201, render_put_result(res.results.at(0)));
    });
}

void delete_document(const request_ptr& r) {
  auto db = r->database();
  if (!db)
    return;
  auto id = required_id(r);
  if (!id)
    return r->fail(id.error());
  auto expected = if_match_expectation(r);
  if (!expected)
    return r->fail(expected.error());
  write_transaction tx;
  tx.commands.push_back(
    write_command{command_kind::del, std::move(*id), std::move(*expected), {}});
  r->database_call<transaction_result>(
    db->actor, std::move(tx),
    [](transaction_result&) { return empty_reply(204); });
}

void post_bulk_docs(const request_ptr& r) {
  auto db = r->database();
  if (!db)
    return;
  auto tx = parse_batch_request(r->exchange().body);
  if (!tx)
    return r->fail(tx.error());
  auto* record = r->node().cluster->find_database(db->name);
  auto group_size = record ? record->topology.members.size() : 1;
  auto wait = parse_replica_wait(r, group_size);
  if (!wait)
    return r->fail(wait.error());
  if (*wait) {
    // Not capped at the group's other copies: asking for more than there
    // are waits out the timeout (RavenDB's answer too), since a copy added
    // meanwhile counts, and the error then says how many there are.
    auto w = **wait;
    w.other_copies = group_size > 0 ? group_size - 1 : 0;
    auto actor = db->actor;
    r->database_ask<transaction_result>(
      actor, std::move(*tx), [r, w, actor](transaction_result& result) {
        answer_after_replicas(r, actor, w, std::move(result));
      });
    return;
  }
  r->database_call<transaction_result>(
    db->actor, std::move(*tx), [](transaction_result& result) {
      return json_reply(201, render_batch_result(result));
    });
}

void get_hilo_next(const request_ptr& r) {
  auto db = r->database();
  if (!db)
    return;
  auto& q = r->query();
  hilo_request req;
  req.tag = std::string{q.get("tag").value_or("")};
  auto last_size = q.get_int("lastBatchSize", 0);
  auto last_max = q.get_int("lastMax", 0);
  for (auto* n : {&last_size, &last_max})
    if (!*n)
      return r->fail(n->error());
  req.last_size = *last_size;
  req.last_max = *last_max;
  if (auto at = q.get("lastRangeAt"); at && !at->empty()) {
    auto ticks = parse_timestamp(*at);
    if (!ticks)
      return r->fail(make_failure(ec::bad_request,
                                  "lastRangeAt must be an ISO 8601 time, got '"
                                    + std::string{*at} + "'"));
    req.last_range_at = *ticks;
  }
  req.separator = std::string{q.get("identityPartsSeparator").value_or("/")};
  if (req.separator.empty())
    req.separator = "/";
  r->database_call<hilo_range>(db->actor, std::move(req), [](hilo_range& range) {
    return json_reply(201, render_hilo_range(range));
  });
}

void put_hilo_return(const request_ptr& r) {
  auto db = r->database();
  if (!db)
    return;
  auto& q = r->query();
  hilo_return req;
  req.tag = std::string{q.get("tag").value_or("")};
  auto end = q.get_int("end", 0);
  auto last = q.get_int("last", 0);
  for (auto* n : {&end, &last})
    if (!*n)
      return r->fail(n->error());
  req.end = *end;
  req.last = *last;
  r->database_call<done>(db->actor, std::move(req),
                         [](done&) { return empty_reply(204); });
}

} // namespace corvus
