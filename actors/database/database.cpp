#include "actors/database/database.hpp"

#include "actors/database/storage_committer.hpp"
#include "actors/introspection/enlist.hpp"
#include "runtime/introspection/snapshots.hpp"
#include "messages/error.hpp"

#include <caf/all.hpp>

#include <chrono>

namespace corvus {

namespace {

int64_t now_ticks() {
  using namespace std::chrono;
  auto since_epoch = system_clock::now().time_since_epoch();
  return duration_cast<nanoseconds>(since_epoch).count() / 100;
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
    auto found = i->second;
    if (!with_body)
      found.json.clear();
    return std::optional<document_record>{std::move(found)};
  }
  if (!with_body)
    return store_.find(key);
  auto live = store_.get(key);
  if (!live || *live)
    return live;
  return store_.find(key);
}

template <class Request, class Result>
void database_instance_state::execute(
  Request req, std::function<void(outcome<Result>)> answer, bool local) {
  if (stop_reason) {
    answer(make_failure(ec::shutting_down,
                        "database '" + config.database
                          + "' is stopping on this node (shutdown or "
                            "restart after a failure); retry"));
    return;
  }
  uncommitted_lookup lookup{*store, uncommitted};
  auto executed = executor->execute(req, state, lookup, now_ticks());
  if (!executed) {
    // A failed check aborts this transaction alone; it wrote nothing.
    answer(std::move(executed.error()));
    return;
  }
  state = executed->state;
  for (auto& w : executed->writes) {
    uncommitted.insert_or_assign(w.key, w.record);
    uncommitted_order.emplace_back(w.record.etag, w.key);
  }
  // Even a transaction that wrote nothing goes through the committer: its
  // answer may rest on writes that are not durable yet.
  commit_entry entry;
  entry.writes = std::move(executed->writes);
  entry.state = state;
  entry.answer.ok = [answer, result = std::move(executed->result)]() mutable {
    answer(std::move(result));
  };
  entry.answer.fail = [answer](const failure& why) { answer(why); };
  entry.answer.local = local;
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
        i != uncommitted.end() && i->second.etag == etag)
      uncommitted.erase(i);
    uncommitted_order.pop_front();
  }
  for (auto& answer : report.answers)
    answer();
  quit_when_done();
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
  auto opened = document_store::open(st.config.dir, st.config.options);
  if (!opened) {
    st.config.log->error("database '{}' cannot open {}: {}",
                         st.config.database, st.config.dir,
                         opened.error().message);
    self->quit(to_error(opened.error()));
  } else {
    st.store = std::move(*opened);
    st.state = st.store->state();
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
