#include "actors/node/node.hpp"

#include "actors/database/database.hpp"
#include "actors/clock.hpp"
#include "actors/entropy.hpp"
#include "actors/http/gateway.hpp"
#include "actors/introspection/enlist.hpp"
#include "actors/introspection/registry.hpp"
#include "runtime/cluster/cluster_command_codec.hpp"
#include "runtime/cluster/cluster_result_json.hpp"
#include "messages/error.hpp"
#include "runtime/documents/document_id.hpp"
#include "storage/data_dir.hpp"
#include "runtime/introspection/snapshots.hpp"
#include "runtime/text/join.hpp"
#include "storage/keys.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <set>

namespace corvus {

namespace {

// The outcome of a command as the kind its proposer expects. A client may
// reuse a raft-request-id: the request history then answers the first
// command's outcome, which may be of another kind.
template <class Result>
outcome<Result> outcome_as(outcome<cluster_result> result) {
  if (!result)
    return std::move(result.error());
  if (auto* r = std::get_if<Result>(&*result))
    return std::move(*r);
  return make_failure(ec::bad_request,
                      "the raft-request-id was used by another command");
}

// Steps that end at different times, and what runs once all have: `then`
// gets the first failure among them, or done{}. Steps may be taken until
// `close()`; `then` runs only after it.
class all_steps {
public:
  explicit all_steps(std::function<void(outcome<done>)> then)
    : state_(std::make_shared<state>(state{1, {}, std::move(then)})) {
    // nop
  }

  /// @returns what the step calls when it ended.
  std::function<void(outcome<done>)> step() {
    ++state_->open;
    return [s = state_](outcome<done> ended) { end(*s, std::move(ended)); };
  }

  void close() {
    end(*state_, done{});
  }

private:
  struct state {
    size_t open;
    std::optional<failure> failed;
    std::function<void(outcome<done>)> then;
  };

  static void end(state& s, outcome<done> ended) {
    if (!ended && !s.failed)
      s.failed = std::move(ended.error());
    if (--s.open > 0)
      return;
    if (s.failed)
      s.then(std::move(*s.failed));
    else
      s.then(done{});
  }

  std::shared_ptr<state> state_;
};

// The answer to a command once `when_applied` reports: the reply, or the
// failure to confirm it.
template <class Result, class Promise>
std::function<void(outcome<done>)> answer_once_applied(Promise rp,
                                                       Result reply) {
  return [rp, reply](outcome<done> applied) mutable {
    if (applied)
      rp.deliver(std::move(reply));
    else
      rp.deliver(to_error(applied.error()));
  };
}

// Proposes a client's cluster command (with a request id drawn when it has
// none) and hands its applied result to `then` with the promise to answer;
// a node shutting down, a refused command or one that could not be
// committed is answered at once.
template <class Result, class Command, class Then>
caf::result<Result> submit(node_actor::stateful_pointer<node_state> self,
                           Command& cmd, Then then) {
  auto& st = self->state;
  if (st.shutting_down)
    return to_error(make_failure(ec::shutting_down,
                                 "the node is shutting down"));
  if (cmd.request_id.empty())
    cmd.request_id = random_guid();
  auto rp = self->template make_response_promise<Result>();
  st.propose(cmd, [rp, then](outcome<cluster_result> result,
                             int64_t) mutable {
    auto applied = outcome_as<Result>(std::move(result));
    if (applied)
      then(std::move(*applied), rp);
    else
      rp.deliver(to_error(applied.error()));
  });
  return rp;
}

} // namespace

caf::error node_state::init() {
  auto reconciled = settings.system->read(system_keys::reconciled_index);
  if (!reconciled)
    return to_error(reconciled.error());
  if (*reconciled)
    reconciled_index = std::strtoll((*reconciled)->c_str(), nullptr, 10);
  // The registry first, so that every later child can announce itself.
  registry = self->spawn(introspection_registry, settings.snapshot_timeout);
  self->monitor(registry);
  enlist_self();
  self->send(registry,
             actor_registration{"introspection-registry", "registry",
                                self->id(), registry});
  auto raft = settings.raft;
  raft.public_url = settings.public_url;
  raft.node = caf::actor_cast<node_actor>(self);
  raft.registry = registry;
  raft.parent = self->id();
  raft.log = settings.log;
  member = settings.detached_member
             ? self->spawn<caf::detached>(raft_member, std::move(raft))
             : self->spawn(raft_member, std::move(raft));
  self->monitor(member);
  return {};
}

void node_state::start_gateway() {
  if (gateway || !settings.http)
    return;
  gateway = self->spawn(http_gateway, settings.http,
                        gateway_settings{settings.directory,
                                         caf::actor_cast<node_actor>(self),
                                         registry,
                                         settings.public_url, self->id(),
                                         settings.request_timeout,
                                         settings.log});
  self->monitor(gateway);
}

void node_state::enlist_self() {
  enlist(self, registry, "node", node_tag.empty() ? "?" : node_tag, 0);
}

void node_state::quit_node() {
  settings.log->info("node stopped");
  if (gateway)
    self->send_exit(gateway, caf::exit_reason::user_shutdown);
  if (member)
    self->send_exit(member, caf::exit_reason::user_shutdown);
  self->send_exit(registry, caf::exit_reason::user_shutdown);
  self->quit(caf::exit_reason::user_shutdown);
}

bool node_state::hosts(const database_record& record) const {
  // A disabled database keeps its copy and files here, but no instance.
  return !record.disabled && record.topology.relevant_for(node_tag);
}

void node_state::wait_for_nodes(
  int64_t index, std::vector<std::string> nodes, caf::timespan limit,
  std::function<void(outcome<unconfirmed_nodes>)> then) {
  self->request(member, caf::infinite, atom::wait_v, index, std::move(nodes),
                limit)
    .then([then](unconfirmed_nodes& unconfirmed) { then(unconfirmed); },
          [then](caf::error& err) { then(to_failure(err)); });
}

void node_state::when_applied(
  int64_t index, std::vector<std::string> nodes,
  const std::vector<const database_record*>& records, std::string change,
  std::function<void(outcome<done>)> answer) {
  auto then = [this, change, answer = std::move(answer)](
                outcome<done> applied) {
    if (!applied) {
      auto f = std::move(applied.error());
      settings.log->warn("{} but is not confirmed: {}", change, f.message);
      f.message = change + ", but " + f.message;
      return answer(std::move(f));
    }
    answer(done{});
  };
  // The records may be gone by the time the nodes confirmed: what to wait
  // for here is taken now.
  std::vector<std::string> hosted_keys;
  for (auto* record : records)
    if (hosts(*record))
      hosted_keys.push_back(fold_case(record->name));
  auto limit = settings.raft.operation_timeout;
  wait_for_nodes(
    index, std::move(nodes), limit,
    [this, hosted_keys, change, limit,
     then](outcome<unconfirmed_nodes> waited) {
      if (!waited)
        return then(make_failure(ec::timeout, waited.error().message));
      if (!waited->unreachable.empty())
        settings.log->info("{}; node(s) {} cannot be reached now and will "
                           "apply it when back",
                           change, join(waited->unreachable));
      if (!waited->late.empty())
        return then(make_failure(
          ec::timeout, "node(s) " + join(waited->late)
                         + " did not confirm it within "
                         + std::to_string(limit.count()) + " ms"));
      // Then every local instance of it serves; the first failure to start
      // is the answer.
      all_steps started{then};
      for (auto& key : hosted_keys) {
        auto i = instances.find(key);
        if (i == instances.end() || i->second.store)
          continue;
        i->second.on_ready.push_back(
          [ready = started.step()](const caf::error* err) {
            if (err)
              ready(to_failure(*err));
            else
              ready(done{});
          });
      }
      started.close();
    });
}

void node_state::propose(
  const cluster_command& cmd,
  std::function<void(outcome<cluster_result>, int64_t)> then) {
  self->request(member, caf::infinite, atom::propose_v, encode_command(cmd))
    .then(
      [then](command_reply& reply) {
        auto out = apply_outcome_from_json(reply.outcome);
        if (!out)
          return then(make_failure(ec::internal_error,
                                   "unreadable command outcome: "
                                     + reply.outcome),
                      reply.raft_index);
        then(std::move(*out), reply.raft_index);
      },
      [then](caf::error& err) { then(to_failure(err), 0); });
}

void node_state::on_cluster_update(cluster_update& update) {
  auto renamed = update.summary->raft.node_tag != cluster->raft.node_tag;
  cluster = std::move(update.summary);
  node_tag = cluster->raft.node_tag == "?" ? std::string{}
                                           : cluster->raft.node_tag;
  if (renamed)
    enlist_self();
  int64_t carried_out = reconciled_index;
  for (auto& removal : update.removals) {
    if (removal.index <= reconciled_index)
      continue; // done before a restart; the log replays it
    carried_out = std::max(carried_out, removal.index);
    settings.log->info("database '{}' leaves this node (index {}){}",
                       removal.name, removal.index,
                       removal.remove_files ? "; its files go too" : "");
    if (instances.count(removal.key) > 0) {
      stop_instance(removal.key, removal.remove_files);
    } else if (removal.remove_files) {
      if (auto removed = remove_database_store(settings.data_dir,
                                               removal.key);
          !removed)
        settings.log->error("cannot remove the files of database '{}': {}",
                            removal.name, removed.error().message);
    }
  }
  if (carried_out > reconciled_index) {
    auto written = settings.system->write(
      {{std::string{system_keys::reconciled_index},
        std::to_string(carried_out)}});
    if (!written)
      settings.log->error("cannot record the reconciled index: {}",
                          written.error().message);
    else
      reconciled_index = carried_out;
  }
  reconcile();
  inform_instances();
  publish();
  start_gateway();
}

void node_state::inform_instances() {
  for (auto& [key, inst] : instances) {
    auto* record = cluster->find_database(inst.name);
    if (!inst.actor || !inst.store || inst.removing || record == nullptr)
      continue;
    std::vector<replication_peer> destinations;
    for (auto& tag : record->topology.copies())
      if (tag != node_tag)
        destinations.push_back({tag, cluster->topology.url_of(tag)});
    auto latest = resolves_to_latest(*record);
    if (inst.told && destinations == inst.destinations
        && latest == inst.resolve_to_latest)
      continue;
    inst.destinations = destinations;
    inst.resolve_to_latest = latest;
    inst.told = true;
    self->send(inst.actor,
               replication_group{std::move(destinations), latest});
  }
}

void node_state::reconcile() {
  if (shutting_down)
    return;
  for (auto& [key, record] : cluster->databases)
    // One that is still stopping is started again once it is gone.
    if (hosts(record) && instances.count(key) == 0)
      start_instance(key, record.name);
  std::vector<std::string> gone;
  for (auto& [key, inst] : instances) {
    auto* record = cluster->find_database(inst.name);
    if (!inst.removing && (record == nullptr || !hosts(*record)))
      gone.push_back(key);
  }
  for (auto& key : gone)
    stop_instance(key, false);
}

void node_state::start_instance(const std::string& key,
                                const std::string& name) {
  auto& inst = instances[key];
  inst.name = name;
  if (inst.backoff.count() == 0)
    inst.backoff = settings.restart_backoff_initial;
  database_config cfg;
  cfg.database = name;
  cfg.dir = database_store_dir(settings.data_dir, key);
  cfg.options = settings.store;
  cfg.options.create_if_missing = true;
  cfg.node_tag = node_tag;
  cfg.node_url = settings.public_url;
  cfg.replication = settings.replication;
  cfg.seed = random_seed();
  cfg.max_group_bytes = settings.max_group_commit_bytes;
  cfg.detached = settings.detached_databases;
  cfg.log = settings.log;
  cfg.registry = registry;
  cfg.parent = self->id();
  // Detached: the instance reads storage while it executes transactions.
  auto actor = cfg.detached
                 ? self->spawn<caf::detached>(database_instance, std::move(cfg))
                 : self->spawn(database_instance, std::move(cfg));
  self->monitor(actor);
  inst.actor = actor;
  inst.store = nullptr;
  inst.told = false;
  publish();
  self->request(actor, caf::infinite, atom::open_store_v)
    .then(
      [this, key, actor](std::shared_ptr<document_store>& store) {
        auto i = instances.find(key);
        if (i == instances.end() || i->second.actor != actor)
          return;
        auto& inst = i->second;
        inst.store = std::move(store);
        inst.ready_since = std::chrono::steady_clock::now();
        inst.last_error.clear();
        settings.log->info("database '{}' is ready (last etag {})",
                           inst.name, inst.store->state().last_etag);
        inform_instances();
        publish();
        auto waiting = std::move(inst.on_ready);
        inst.on_ready.clear();
        for (auto& f : waiting)
          f(nullptr);
      },
      [](caf::error&) {
        // The instance quits too; its down message drives the restart.
      });
}

void node_state::stop_instance(const std::string& key, bool remove_files) {
  auto i = instances.find(key);
  if (i == instances.end())
    return;
  auto& inst = i->second;
  inst.removing = true;
  inst.remove_files = remove_files;
  if (inst.actor) {
    self->send_exit(inst.actor, caf::exit_reason::user_shutdown);
    return;
  }
  // Between restarts there is no actor to wait for.
  if (remove_files)
    if (auto removed = remove_database_store(settings.data_dir, key);
        !removed)
      settings.log->error("cannot remove the files of database '{}': {}",
                          inst.name, removed.error().message);
  auto done = std::move(inst.on_removed);
  instances.erase(i);
  for (auto& f : done)
    f();
}

void node_state::on_instance_down(const caf::down_msg& msg) {
  auto i = std::find_if(instances.begin(), instances.end(), [&](auto& kv) {
    return kv.second.actor && kv.second.actor.address() == msg.source;
  });
  if (i == instances.end())
    return;
  auto key = i->first;
  auto& inst = i->second;
  inst.actor = nullptr;
  inst.store = nullptr;
  if (inst.removing) {
    if (inst.remove_files)
      if (auto removed = remove_database_store(settings.data_dir, key);
          !removed)
        settings.log->error("cannot remove the files of database '{}': {}",
                            inst.name, removed.error().message);
    settings.log->info("database '{}' stopped{}", inst.name,
                       inst.remove_files ? " and its files were removed"
                                         : "");
    auto done = std::move(inst.on_removed);
    instances.erase(i);
    // A database created again while its old copy stopped starts now.
    reconcile();
    publish();
    for (auto& f : done)
      f();
    return;
  }
  // An unexpected end: restart from storage after a back-off that doubles
  // while the instance keeps failing and resets once it ran for a while.
  auto now = std::chrono::steady_clock::now();
  if (inst.ready_since.time_since_epoch().count() != 0
      && now - inst.ready_since > settings.restart_backoff_max)
    inst.backoff = settings.restart_backoff_initial;
  inst.last_error = msg.reason ? describe(msg.reason)
                               : "the instance stopped unexpectedly";
  settings.log->error("database '{}' failed: {}; restarting in {} ms",
                      inst.name, inst.last_error, inst.backoff.count());
  self->send(registry, restart_view{"database", inst.name, inst.last_error,
                                    now_ticks(), inst.backoff.count()});
  publish();
  auto waiting = std::move(inst.on_ready);
  inst.on_ready.clear();
  auto err = to_error(make_failure(
    ec::database_loading, "database '" + inst.name
                            + "' failed to start: " + inst.last_error));
  for (auto& f : waiting)
    f(&err);
  self->delayed_send(self, inst.backoff, atom::restart_v, key);
  inst.backoff = std::min(inst.backoff * 2, settings.restart_backoff_max);
}

void node_state::publish() {
  auto snapshot = std::make_shared<node_snapshot>();
  snapshot->node_tag = node_tag.empty() ? "?" : node_tag;
  snapshot->url = settings.public_url;
  snapshot->cluster = cluster;
  snapshot->member = member;
  snapshot->registry = registry;
  for (auto& [key, inst] : instances) {
    if (inst.removing)
      continue;
    auto db = std::make_shared<published_database>();
    db->name = inst.name;
    db->actor = inst.actor;
    db->store = inst.store;
    if (!inst.actor)
      db->unavailable_reason = "database '" + inst.name
                               + "' is restarting after a failure: "
                               + inst.last_error;
    else if (!inst.store)
      db->unavailable_reason = "database '" + inst.name + "' is loading";
    snapshot->databases.emplace(key, std::move(db));
  }
  settings.directory->publish(std::move(snapshot));
}

node_actor::behavior_type node(node_actor::stateful_pointer<node_state> self,
                               node_settings settings) {
  auto& st = self->state;
  st.settings = std::move(settings);
  if (auto err = st.init()) {
    st.settings.log->critical("node cannot start: {}", describe(err));
    self->quit(err);
  }
  self->set_down_handler([self](const caf::down_msg& msg) {
    auto& st = self->state;
    auto essential = (st.gateway && msg.source == st.gateway.address())
                     || msg.source == st.registry.address()
                     || (st.member && msg.source == st.member.address());
    if (essential) {
      if (!st.shutting_down) {
        // The node cannot serve (or be inspected) without them: escalate.
        st.settings.log->critical("an essential child of the node failed: "
                                  "{}",
                                  describe(msg.reason));
        self->quit(msg.reason);
      }
      return;
    }
    st.on_instance_down(msg);
    if (st.shutting_down && st.instances.empty())
      st.quit_node();
  });
  // Orderly shutdown: HTTP intake first, then the databases (which commit
  // what they accepted and close their stores), then the node.
  self->set_exit_handler([self](const caf::exit_msg&) {
    auto& st = self->state;
    if (st.shutting_down)
      return;
    st.shutting_down = true;
    st.settings.log->info("node shutting down: stopping HTTP intake");
    auto stop_databases = [self] {
      auto& st = self->state;
      std::vector<std::string> keys;
      for (auto& [key, inst] : st.instances)
        keys.push_back(key);
      for (auto& key : keys)
        st.stop_instance(key, false);
      if (st.instances.empty())
        st.quit_node();
    };
    if (!st.gateway) {
      stop_databases();
      return;
    }
    self->request(st.gateway, st.settings.request_timeout, atom::stop_v)
      .then([stop_databases] { stop_databases(); },
            [stop_databases](caf::error&) { stop_databases(); });
  });
  return {
    [self](create_database_command& cmd) -> caf::result<database_created> {
      // This node draws the offset of the node choice (§2.3) and puts it
      // in the command, so that every node applies the same choice.
      cmd.node_offset = random_seed();
      return submit<database_created>(
        self, cmd, [self](database_created reply, auto rp) {
          auto& st = self->state;
          auto& record = reply.record;
          st.settings.log->info("created database '{}' on {} (index {})",
                                record.name, join(record.topology.members),
                                reply.index);
          // Answered once every chosen node applied the record (§2.3) and
          // the local instance, if any, serves.
          st.when_applied(reply.index, record.topology.members, {&record},
                          "database '" + record.name + "' was created",
                          answer_once_applied(rp, reply));
        });
    },
    [self](delete_databases_command& cmd,
           caf::timespan confirmation) -> caf::result<databases_deleted> {
      auto from_nodes = cmd.from_nodes;
      return submit<databases_deleted>(
        self, cmd, [self, from_nodes, confirmation](databases_deleted reply,
                                                    auto rp) {
          auto& st = self->state;
          st.settings.log->info("deleted database(s) [{}]{} (index {})",
                                join(reply.names),
                                from_nodes.empty()
                                  ? std::string{}
                                  : " from nodes " + join(from_nodes),
                                reply.index);
          // Answered once the local copies are gone (the member's update
          // came first: they are stopping now; for a hard delete, with
          // their files) and the other nodes that held copies applied the
          // deletion, or the client's time to wait for them is up; those
          // that did not confirm are its pending deletes. The wait ends in
          // time for the gateway to answer.
          auto deleted = std::make_shared<databases_deleted>(std::move(reply));
          all_steps gone{[rp, deleted](outcome<done>) mutable {
            auto& pending = deleted->pending_nodes;
            std::sort(pending.begin(), pending.end());
            rp.deliver(*deleted);
          }};
          for (auto& [key, inst] : st.instances)
            if (inst.removing)
              inst.on_removed.push_back(
                [removed = gone.step()] { removed(done{}); });
          std::vector<std::string> others;
          for (auto& tag : deleted->nodes)
            if (tag != st.node_tag)
              others.push_back(tag);
          auto limit = std::min<caf::timespan>(
            confirmation, st.settings.request_timeout * 9 / 10);
          if (others.empty() || limit <= caf::timespan::zero()) {
            deleted->pending_nodes = std::move(others);
          } else {
            st.wait_for_nodes(
              deleted->index, others, limit,
              [self, deleted, others,
               confirmed = gone.step()](outcome<unconfirmed_nodes> waited) {
                deleted->pending_nodes = waited ? waited->all() : others;
                if (!deleted->pending_nodes.empty())
                  self->state.settings.log->info(
                    "the deletion at index {} is not confirmed by node(s) "
                    "{} yet; they remove their copies when they apply it",
                    deleted->index, join(deleted->pending_nodes));
                confirmed(done{});
              });
          }
          gone.close();
        });
    },
    [self](add_database_node_command& cmd)
      -> caf::result<database_node_added> {
      // As for a creation, this node draws the offset of the node choice.
      cmd.node_offset = random_seed();
      return submit<database_node_added>(
        self, cmd, [self](database_node_added reply, auto rp) {
          auto& st = self->state;
          st.settings.log->info("added node {} to database '{}' (index {})",
                                reply.node_tag, reply.record.name,
                                reply.index);
          // Answered once the new node applied the change (§2.4) and, when
          // that is this node, its instance serves.
          st.when_applied(reply.index, {reply.node_tag}, {&reply.record},
                          "node " + reply.node_tag
                            + " was added to database '" + reply.record.name
                            + "'",
                          answer_once_applied(rp, reply));
        });
    },
    [self](toggle_databases_command& cmd) -> caf::result<databases_toggled> {
      return submit<databases_toggled>(
        self, cmd, [self](databases_toggled reply, auto rp) {
          auto& st = self->state;
          auto what = reply.disabled ? "disabled" : "enabled";
          st.settings.log->info("{} database(s) [{}] (index {})", what,
                                join(reply.names), reply.index);
          // Answered once every copy's node applied the change (so that
          // none serves a disabled database any more, or refuses an enabled
          // one) and the local instances of enabled ones serve: one wait
          // for all the databases' nodes.
          std::vector<const database_record*> records;
          std::set<std::string> copies;
          for (auto& name : reply.names)
            if (auto* record = st.cluster->find_database(name)) {
              records.push_back(record);
              for (auto& tag : record->topology.copies())
                copies.insert(tag);
            }
          st.when_applied(reply.index, {copies.begin(), copies.end()},
                          records,
                          reply.names.size() == 1
                            ? "database '" + reply.names[0] + "' was " + what
                            : "databases [" + join(reply.names) + "] were "
                                + what,
                          answer_once_applied(rp, reply));
        });
    },
    [self](change_database_group_command& cmd)
      -> caf::result<database_group_changed> {
      return submit<database_group_changed>(
        self, cmd, [self](database_group_changed reply, auto rp) {
          auto& st = self->state;
          auto& record = reply.record;
          auto& t = record.topology;
          st.settings.log->info(
            "changed the group of database '{}' (index {}): members [{}], "
            "promotables [{}], rehabs [{}]",
            record.name, reply.index, join(t.members), join(t.promotables),
            join(t.rehabs));
          st.when_applied(reply.index, t.copies(), {&record},
                          "the group of database '" + record.name
                            + "' was changed",
                          answer_once_applied(rp, reply));
        });
    },
    [self](atom::ready, const std::string& name) -> caf::result<void> {
      auto& st = self->state;
      auto i = st.instances.find(fold_case(name));
      if (i == st.instances.end() || i->second.removing)
        return to_error(make_failure(ec::database_does_not_exist,
                                     "Database '" + name
                                       + "' does not exist on node "
                                       + st.node_tag));
      auto& inst = i->second;
      if (inst.store)
        return caf::unit;
      if (!inst.actor)
        return to_error(make_failure(ec::database_loading,
                                     "database '" + inst.name
                                       + "' is restarting after a failure: "
                                       + inst.last_error));
      auto rp = self->make_response_promise<void>();
      inst.on_ready.push_back([rp](const caf::error* err) mutable {
        if (err)
          rp.deliver(*err);
        else
          static_cast<caf::response_promise&>(rp).deliver(caf::unit);
      });
      return rp;
    },
    [](atom::wait, int64_t index) { return index; },
    [self](atom::snapshot) {
      auto& st = self->state;
      node_snapshot_view v;
      v.node_tag = st.node_tag.empty() ? "?" : st.node_tag;
      v.url = st.settings.public_url;
      v.cluster_index = static_cast<int64_t>(st.cluster->last_index);
      v.databases = static_cast<int64_t>(st.instances.size());
      for (auto& [key, inst] : st.instances)
        if (!inst.actor)
          ++v.restarting;
      return to_json(v);
    },
    [self](cluster_update& update) {
      self->state.on_cluster_update(update);
    },
    [self](replication_hello& hello) -> caf::result<replication_welcome> {
      auto& st = self->state;
      auto i = st.instances.find(fold_case(hello.database));
      // Right after a database is created or a node added, the record may
      // not have reached this node yet: the link retries.
      if (i == st.instances.end() || i->second.removing)
        return to_error(make_failure(ec::database_does_not_exist,
                                     "Database '" + hello.database
                                       + "' does not exist on node "
                                       + st.node_tag));
      if (!i->second.store)
        return to_error(make_failure(ec::database_loading,
                                     "database '" + i->second.name
                                       + "' is not ready on node "
                                       + st.node_tag));
      return self->delegate(i->second.actor, std::move(hello));
    },
    [self](atom::restart, const std::string& key) {
      auto& st = self->state;
      auto i = st.instances.find(key);
      if (st.shutting_down || i == st.instances.end() || i->second.removing
          || i->second.actor)
        return;
      st.start_instance(key, i->second.name);
    },
  };
}

} // namespace corvus
