#include "actors/database/database.hpp"

#include "actors/clock.hpp"
#include "actors/database/storage_committer.hpp"
#include "actors/introspection/enlist.hpp"
#include "actors/replication/inbox.hpp"
#include "runtime/thread_name.hpp"
#include "messages/error.hpp"
#include "runtime/introspection/snapshots.hpp"
#include "runtime/replication/incoming_batch.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>

namespace corvus {

namespace {

// The clock of replica wait deadlines, in milliseconds.
int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch())
    .count();
}

bool is_conflict_version(const document_record& r) {
  return (r.flags & document_flag::conflicted) != 0;
}

// The answer of a request from another actor: its response promise.
template <class Result>
std::function<void(outcome<Result>)>
promise_answer(caf::typed_response_promise<Result> rp) {
  return [rp](outcome<Result> result) mutable {
    if (result)
      rp.deliver(std::move(*result));
    else
      rp.deliver(to_error(result.error()));
  };
}

// HiLo returns answer with an empty message.
std::function<void(outcome<done>)>
promise_answer(caf::typed_response_promise<void> rp) {
  return [rp](outcome<done> result) mutable {
    if (result)
      static_cast<caf::response_promise&>(rp).deliver(caf::unit);
    else
      rp.deliver(to_error(result.error()));
  };
}

} // namespace

outcome<std::optional<document_record>>
uncommitted_lookup::find(std::string_view key, bool with_body) {
  if (auto i = uncommitted_.find(std::string{key}); i != uncommitted_.end()) {
    auto& found = i->second.record();
    // A conflict version written last: the id has no live version.
    if (is_conflict_version(found))
      return std::optional<document_record>{};
    return std::optional<document_record>{with_body ? found
                                                    : header_of(found)};
  }
  return store_.find(key, with_body);
}

outcome<std::vector<document_record>>
uncommitted_lookup::conflicts(std::string_view key) {
  if (auto i = conflicts_.find(std::string{key}); i != conflicts_.end())
    return i->second.versions;
  if (conflict_versions_ == 0)
    return std::vector<document_record>{};
  return store_.conflicts(key);
}

template <class Request, class Result>
void database_instance_state::execute(
  Request req, std::function<void(outcome<Result>)> answer, bool local) {
  run_transaction<Result>(
    [this, &req](const database_state& before, document_lookup& lookup) {
      return executor->execute(req, before, lookup, now_ticks());
    },
    std::move(answer), local, true);
}

template <class Result, class Run>
void database_instance_state::run_transaction(
  Run run, std::function<void(outcome<Result>)> answer, bool local_answer,
  bool local_work) {
  if (stop_reason) {
    answer(make_failure(ec::shutting_down,
                        "database '" + config.database
                          + "' is stopping on this node (shutdown or "
                            "restart after a failure); retry"));
    return;
  }
  uncommitted_lookup lookup{*store, uncommitted, uncommitted_conflicts,
                            conflict_versions};
  auto executed = run(state, lookup);
  if (!executed) {
    // A failed check aborts this transaction alone; it wrote nothing.
    answer(std::move(executed.error()));
    return;
  }
  state = executed->state;
  auto writes = std::make_shared<const std::vector<document_write>>(
    std::move(executed->writes));
  for (size_t index = 0; index < writes->size(); ++index) {
    auto& w = (*writes)[index];
    if (is_conflict_version(w.record) || !w.removed_conflicts.empty()) {
      // What the id's conflicts are after this write, for later readers.
      uncommitted_lookup before{*store, uncommitted, uncommitted_conflicts,
                                conflict_versions};
      auto held = before.conflicts(w.key);
      if (!held) {
        answer(std::move(held.error()));
        return;
      }
      auto& versions = *held;
      for (auto& gone : w.removed_conflicts)
        versions.erase(std::remove_if(versions.begin(), versions.end(),
                                      [&](const document_record& v) {
                                        return v.change_vector
                                               == gone.change_vector;
                                      }),
                       versions.end());
      if (is_conflict_version(w.record))
        versions.push_back(w.record);
      conflict_versions += (is_conflict_version(w.record) ? 1 : 0)
                           - static_cast<int64_t>(w.removed_conflicts.size());
      uncommitted_conflicts.insert_or_assign(
        w.key, pending_conflicts{w.record.etag, std::move(versions)});
    }
    uncommitted.insert_or_assign(w.key, uncommitted_write{writes, index});
    uncommitted_order.emplace_back(w.record.etag, w.key);
    if (local_work)
      local_written = std::max(local_written, w.record.etag);
  }
  // Even a transaction that wrote nothing goes through the committer: its
  // answer may rest on writes that are not durable yet.
  commit_entry entry;
  entry.writes = std::move(writes);
  entry.state = state;
  entry.answer.ok = [answer, result = std::move(executed->result)]() mutable {
    answer(std::move(result));
  };
  entry.answer.fail = [answer](const failure& why) { answer(why); };
  entry.answer.local = local_answer;
  ++outstanding;
  self->send(committer, std::move(entry));
}

void database_instance_state::on_durable(commit_report& report) {
  outstanding -= report.entries;
  // What the store now holds is no longer needed in memory; a newer
  // version of the same key is still on its way and stays.
  while (!uncommitted_order.empty()
         && uncommitted_order.front().first <= report.last_etag) {
    auto& [etag, key] = uncommitted_order.front();
    if (auto i = uncommitted.find(key);
        i != uncommitted.end() && i->second.record().etag == etag)
      uncommitted.erase(i);
    if (auto i = uncommitted_conflicts.find(key);
        i != uncommitted_conflicts.end() && i->second.etag == etag)
      uncommitted_conflicts.erase(i);
    uncommitted_order.pop_front();
  }
  // Durable own writes go out to the siblings; what only arrived by
  // replication does not wake the links (no ripple, §4.5).
  auto announce = std::min(local_written, report.last_etag);
  if (announce > local_announced) {
    local_announced = announce;
    wake_links(report.last_etag);
  }
  for (auto& answer : report.answers)
    answer();
  quit_when_done();
}

void database_instance_state::apply_batch(
  inbox_batch in, std::function<void(outcome<replication_ack>)> answer) {
  auto source = in.source_db_id;
  // Versions resolved or merged here must reach every copy: they wake the
  // links, like this instance's own writes. Known only once the batch ran,
  // so the wake waits for the answer, which comes once the batch is
  // durable.
  auto resolved = std::make_shared<bool>(false);
  auto had_items = !in.batch.items.empty();
  run_transaction<replication_ack>(
    [this, &in, resolved](const database_state& before,
                          document_lookup& lookup)
      -> outcome<executed_transaction<replication_ack>> {
      // A refused batch (one that does not follow what was accepted)
      // ends the connection; the source resumes from what was accepted.
      auto applied = apply_incoming({in.source_db_id, in.batch.after_etag,
                                     in.batch.last_etag,
                                     std::move(in.batch.items)},
                                    before, lookup, policy,
                                    config.node_tag);
      if (!applied)
        return applied.error();
      *resolved = applied->counts.resolved + applied->counts.merged > 0;
      // The source holds what it sent: our link to it need not send it
      // back.
      if (!applied->source_holds.empty())
        destination_holds[in.source_tag].merge(applied->source_holds);
      replication_ack ack{applied->state.accepted_etags[in.source_db_id],
                          applied->state.change_vector};
      return executed_transaction<replication_ack>{
        std::move(applied->writes), std::move(applied->state),
        std::move(ack)};
    },
    [this, answer = std::move(answer), source, resolved,
     had_items](outcome<replication_ack> ack) mutable {
      auto ok = static_cast<bool>(ack);
      answer(std::move(ack));
      if (!ok)
        return;
      if (*resolved)
        wake_links(state.last_etag);
      if (had_items)
        notify_later(source);
    },
    false, false);
}

void database_instance_state::follow_waits() {
  auto wanted = waits.pending() > 0;
  if (wanted == acks_reported)
    return;
  acks_reported = wanted;
  for (auto& [tag, link] : links)
    self->send(link.second, acked_reports{wanted});
}

void database_instance_state::wake_links(int64_t last_etag) {
  for (auto& [tag, link] : links) {
    link_wake wake{last_etag, {}};
    if (auto held = destination_holds.find(tag);
        held != destination_holds.end()) {
      wake.destination_holds = held->second.to_string();
      destination_holds.erase(held);
    }
    self->send(link.second, std::move(wake));
  }
}

void database_instance_state::notify_later(const std::string& source_db_id) {
  applied_sources.insert(source_db_id);
  if (notify_due)
    return;
  notify_due = true;
  self->delayed_send(self, config.replication.notify_delay, atom::notify_v);
}

void database_instance_state::notify_inboxes() {
  notify_due = false;
  auto sole = applied_sources.size() == 1 ? *applied_sources.begin()
                                          : std::string{};
  applied_sources.clear();
  for (auto& [source, box] : inboxes) {
    if (source == sole)
      continue;
    auto i = state.accepted_etags.find(source);
    self->send(box, replication_ack{i != state.accepted_etags.end()
                                      ? i->second
                                      : 0,
                                    state.change_vector});
  }
}

outcome<replication_welcome>
database_instance_state::welcome(replication_hello& hello) {
  if (hello.protocol_version != replication_protocol_version)
    return make_failure(ec::bad_request,
                        "replication protocol version "
                          + std::to_string(hello.protocol_version)
                          + " is not supported; this node speaks version "
                          + std::to_string(replication_protocol_version));
  if (hello.source_db_id == state.db_id)
    return make_failure(ec::bad_request,
                        "an instance cannot replicate to itself");
  if (stop_reason)
    return make_failure(ec::shutting_down, "database '" + config.database
                                             + "' is stopping on this node");
  if (!hello.link)
    return make_failure(ec::bad_request, "the hello names no link");
  // One inbox per source: a reconnecting source replaces its old one.
  if (auto old = inboxes.find(hello.source_db_id); old != inboxes.end()) {
    self->unlink_from(old->second);
    self->send_exit(old->second, caf::exit_reason::user_shutdown);
    inboxes.erase(old);
  }
  // As RavenDB: every 3 s, or more often when the source's reply timeout
  // (the same setting on every node) is short.
  auto keep_alive = std::clamp(config.replication.reply_timeout / 3,
                               std::chrono::milliseconds{10},
                               std::chrono::milliseconds{3000});
  inbox_settings s{config.database,
                   hello.source_db_id,
                   hello.source_tag,
                   hello.link,
                   caf::actor_cast<replication_applier_actor>(self),
                   keep_alive,
                   config.registry,
                   self->id(),
                   config.log};
  auto box = self->spawn<caf::linked>(inbox, std::move(s));
  inboxes.emplace(hello.source_db_id, box);
  auto i = state.accepted_etags.find(hello.source_db_id);
  config.log->info("replication of '{}' from {} ({}) accepted after etag {}",
                   config.database, hello.source_tag, hello.source_url,
                   i != state.accepted_etags.end() ? i->second : 0);
  return replication_welcome{state.db_id,
                             i != state.accepted_etags.end() ? i->second : 0,
                             state.change_vector,
                             caf::actor_cast<replication_inbox_actor>(box)};
}

void database_instance_state::start_link(const replication_peer& peer) {
  outgoing_link_settings s;
  s.database = config.database;
  s.source_db_id = state.db_id;
  s.source_tag = config.node_tag;
  s.source_url = config.node_url;
  s.destination_tag = peer.tag;
  s.destination_url = peer.url;
  s.store = store;
  s.instance = caf::actor_cast<replication_listener_actor>(self);
  s.replication = config.replication;
  s.registry = config.registry;
  s.parent = self->id();
  s.log = config.log;
  // Linked both ways: a link that fails is started again (the exit
  // handler), and links end with their instance.
  auto link = config.detached
                ? self->spawn<caf::detached + caf::linked>(outgoing_link,
                                                           std::move(s))
                : self->spawn<caf::linked>(outgoing_link, std::move(s));
  links.insert_or_assign(peer.tag, std::make_pair(peer, link));
  if (acks_reported)
    self->send(link, acked_reports{true});
}

void database_instance_state::follow_group(replication_group group) {
  policy.resolve_to_latest = group.resolve_to_latest;
  if (stop_reason || !store)
    return;
  std::vector<std::string> gone;
  for (auto& [tag, link] : links) {
    auto still = std::find_if(group.destinations.begin(),
                              group.destinations.end(),
                              [&](const replication_peer& p) {
                                return p == link.first;
                              });
    if (still == group.destinations.end())
      gone.push_back(tag);
  }
  for (auto& tag : gone) {
    auto& link = links.at(tag).second;
    self->unlink_from(link);
    self->send_exit(link, caf::exit_reason::user_shutdown);
    links.erase(tag);
    destination_holds.erase(tag);
    waits.forget(tag);
  }
  for (auto& peer : group.destinations)
    if (links.count(peer.tag) == 0)
      start_link(peer);
}

void database_instance_state::quit_when_done() {
  if (stop_reason && outstanding == 0)
    self->quit(*stop_reason);
}

database_actor::behavior_type
database_instance(database_actor::stateful_pointer<database_instance_state> self,
                  database_config config) {
  auto& st = self->state;
  st.config = std::move(config);
  name_this_thread("db:" + st.config.database);
  auto opened = document_store::open(st.config.dir, st.config.options);
  if (!opened) {
    st.config.log->error("database '{}' cannot open {}: {}",
                         st.config.database, st.config.dir,
                         opened.error().message);
    self->quit(to_error(opened.error()));
  } else {
    st.store = std::move(*opened);
    st.state = st.store->state();
    // Read before the committer starts writing.
    st.conflict_versions = st.store->conflict_count();
    st.executor = std::make_unique<transaction_executor>(st.config.node_tag,
                                                         st.config.seed);
    storage_committer_config committer{st.store,
                                       caf::actor_cast<commit_listener_actor>(
                                         self),
                                       st.config.max_group_bytes,
                                       st.config.database,
                                       st.config.log,
                                       st.config.registry,
                                       self->id()};
    st.committer = st.config.detached
                     ? self->spawn<caf::detached>(storage_committer,
                                                  std::move(committer))
                     : self->spawn(storage_committer, std::move(committer));
    // Fate-sharing pair: a committer that fails takes the instance down,
    // and an instance that goes takes its committer along.
    self->link_to(st.committer);
  }
  enlist(self, st.config.registry, "database", st.config.database,
         st.config.parent);
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    auto& st = self->state;
    if (st.committer && msg.source == st.committer.address()) {
      self->quit(msg.reason);
      return;
    }
    for (auto i = st.inboxes.begin(); i != st.inboxes.end(); ++i)
      if (i->second.address() == msg.source) {
        // Its source went; the next hello makes a new one.
        st.inboxes.erase(i);
        return;
      }
    for (auto& [tag, link] : st.links)
      if (link.second.address() == msg.source) {
        // A link fails on its own only by a fault of its own (the store
        // unreadable, a bug): log it and start it again.
        st.config.log->error("replication link of '{}' to {} failed: {}",
                             st.config.database, tag, describe(msg.reason));
        if (!st.stop_reason) {
          auto peer = link.first; // start_link replaces the entry
          st.start_link(peer);
        }
        return;
      }
    // An orderly stop from the supervisor: refuse new work, and go once
    // what was accepted is durable.
    st.stop_reason = msg.reason;
    st.quit_when_done();
  });
  return {
    [self](write_transaction& tx) -> caf::result<transaction_result> {
      auto rp = self->make_response_promise<transaction_result>();
      self->state.execute(std::move(tx), promise_answer(rp), false);
      return rp;
    },
    [self](hilo_request& req) -> caf::result<hilo_range> {
      auto rp = self->make_response_promise<hilo_range>();
      self->state.execute(std::move(req), promise_answer(rp), false);
      return rp;
    },
    [self](hilo_return& req) -> caf::result<void> {
      auto rp = self->make_response_promise<void>();
      self->state.execute(std::move(req), promise_answer(rp), false);
      return rp;
    },
    [self](local_write& w) {
      self->state.execute(std::move(w.request), std::move(w.reply), true);
    },
    [self](local_hilo_next& h) {
      self->state.execute(std::move(h.request), std::move(h.reply), true);
    },
    [self](local_hilo_return& h) {
      self->state.execute(std::move(h.request), std::move(h.reply), true);
    },
    [self](atom::open_store) -> std::shared_ptr<document_store> {
      return self->state.store;
    },
    [self](commit_report& report) { self->state.on_durable(report); },
    [self](replication_hello& hello) -> caf::result<replication_welcome> {
      auto w = self->state.welcome(hello);
      if (!w)
        return to_error(w.error());
      return std::move(*w);
    },
    [self](inbox_batch& in) -> caf::result<replication_ack> {
      auto rp = self->make_response_promise<replication_ack>();
      self->state.apply_batch(std::move(in), promise_answer(rp));
      return rp;
    },
    [self](replication_group& group) {
      self->state.follow_group(std::move(group));
    },
    [self](destination_acked& acked) {
      auto& st = self->state;
      auto cv = change_vector::parse(acked.change_vector);
      if (!cv)
        return;
      for (auto id : st.waits.acknowledged(acked.tag, *cv)) {
        auto i = st.wait_answers.find(id);
        auto reached = st.waits.covering(i->second.first);
        auto done = std::move(i->second.second);
        st.wait_answers.erase(i);
        done(reached, true);
      }
      st.follow_waits();
    },
    [self](replica_wait_request& req) {
      auto& st = self->state;
      auto cv = change_vector::parse(req.change_vector);
      if (!cv) {
        req.done(0, false);
        return;
      }
      auto id = st.waits.add(*cv, req.replicas, now_ms() + req.timeout.count());
      if (!id) {
        req.done(st.waits.covering(*cv), true);
        return;
      }
      st.wait_answers.emplace(*id,
                              std::make_pair(std::move(*cv),
                                             std::move(req.done)));
      st.follow_waits();
      self->delayed_send(self, req.timeout, atom::wait_v);
    },
    [self](atom::wait) {
      auto& st = self->state;
      for (auto& [id, reached] : st.waits.expire(now_ms())) {
        auto i = st.wait_answers.find(id);
        auto done = std::move(i->second.second);
        st.wait_answers.erase(i);
        done(reached, false);
      }
      st.follow_waits();
    },
    [self](atom::notify) { self->state.notify_inboxes(); },
    [self](atom::snapshot) {
      auto& st = self->state;
      database_snapshot_view v;
      v.database = st.config.database;
      v.status = st.stop_reason ? "Stopping" : "Ready";
      v.last_etag = st.state.last_etag;
      v.change_vector = st.state.change_vector;
      v.outstanding = static_cast<int64_t>(st.outstanding);
      if (st.store)
        if (auto stats = st.store->stats()) {
          v.documents = stats->document_count;
          v.tombstones = stats->tombstone_count;
          v.size_bytes = stats->size_on_disk;
        }
      return to_json(v);
    },
    [self](commit_failure& report) {
      // Nothing more becomes durable: refuse new work, answer what the
      // report ends, and go (taking the committer along) once nothing is
      // outstanding; the supervisor restarts the instance from storage.
      auto& st = self->state;
      if (!st.stop_reason)
        st.config.log->error("database '{}' lost its storage: {}",
                             st.config.database, report.why.message);
      st.stop_reason = to_error(report.why);
      st.outstanding -= report.entries;
      for (auto& notice : report.notices)
        notice(report.why);
      st.quit_when_done();
    },
  };
}

} // namespace corvus
