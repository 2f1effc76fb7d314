// The Raft member's requests: commands and topology changes submitted here
// and forwarded to the leader when this member does not lead, waits for
// indexes to be applied (here and on peers), and linearizable reads.

#include "actors/cluster/raft_member.hpp"

#include "actors/http/http_client.hpp"
#include "messages/error.hpp"
#include "runtime/cluster/cluster_result_json.hpp"
#include "runtime/http/url.hpp"
#include "runtime/json/json.hpp"

#include <caf/all.hpp>

namespace corvus {

namespace {

constexpr std::string_view user_agent = "corvus-node/" CORVUS_VERSION;

/// Whether a failure means "the command did not reach a leader": safe to
/// retry (a retry carries the same request id anyway).
bool retryable(const failure& f) {
  return f.code == ec::not_leader || f.code == ec::no_leader
         || f.code == ec::timeout || f.code == ec::database_loading;
}

/// Asks the node at `url` for its tag and cluster (GET /cluster/node-info).
/// @returns the identity; ec::bad_request when the node cannot be reached
///          or is not a Corvus/RavenDB node.
outcome<node_identity> probe_node(const std::string& url,
                                  std::chrono::milliseconds timeout) {
  auto parsed = parse_url(url, "http", "url");
  if (!parsed)
    return parsed.error();
  auto answer = send_request(*parsed, {"GET", "/cluster/node-info", ""},
                             timeout, user_agent);
  if (!answer)
    return make_failure(ec::bad_request, answer.error().message);
  if (answer->status != 200)
    return make_failure(ec::bad_request,
                        "the node at " + url + " answered HTTP "
                          + std::to_string(answer->status)
                          + " to /cluster/node-info");
  rapidjson::Document doc;
  if (!parse_json(answer->body, doc, "node-info") || !doc.IsObject())
    return make_failure(ec::bad_request,
                        "the node at " + url + " is not a Corvus node");
  node_identity id;
  if (auto t = string_member(doc, "NodeTag"))
    id.tag = std::string{view_of(*t)};
  if (auto c = string_member(doc, "TopologyId"))
    id.topology_id = std::string{view_of(*c)};
  return id;
}

/// Orders node tags as RavenDB's sequence does: shorter first.
bool tag_before(const raft::node_tag& x, const raft::node_tag& y) {
  return x.size() != y.size() ? x.size() < y.size() : x < y;
}

std::string without_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

/// @returns whether `current` already is what `req` asks for (a request
///          repeated after its answer was lost).
bool already_done(const topology_request& req, const raft::topology& current) {
  switch (req.what) {
    case topology_request::kind::add: {
      auto url = without_trailing_slashes(req.url);
      for (auto& t : current.all_tags())
        if (current.url_of(t) == url)
          return req.tag.empty() || req.tag == t;
      return false;
    }
    case topology_request::kind::remove:
      return !current.contains(req.tag);
    case topology_request::kind::promote:
      return current.contains(req.tag) && current.watchers.count(req.tag) == 0;
    case topology_request::kind::demote:
      return current.watchers.count(req.tag) > 0;
  }
  return false;
}

} // namespace

template <class Reply, class Payload>
void raft_member_state::forward(const Payload& payload,
                                clock::time_point deadline,
                                std::function<void(Reply&)> on_reply,
                                std::function<void(const failure*)> retry) {
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - now());
  if (remaining.count() <= 0) {
    auto f = no_leader();
    return retry(&f);
  }
  // One attempt waits at most a few election timeouts: a leader that died
  // with the request never answers, and a new one is elected by then. A
  // retry is safe: the command's request id makes it apply once.
  auto attempt_limit = attempt_timeout();
  auto settled = std::make_shared<bool>(false);
  auto id = next_forward++;
  forwards[id] = [settled, retry] {
    if (!*settled) {
      *settled = true;
      retry(nullptr);
    }
  };
  auto settle = [this, settled, id] {
    if (*settled)
      return false;
    *settled = true;
    forwards.erase(id);
    return true;
  };
  self
    ->request(leader_handle(), std::min(remaining, attempt_limit),
              atom::forward_v, tag, payload)
    .then(
      [settle, on_reply](Reply& reply) mutable {
        if (settle())
          on_reply(reply);
      },
      [this, settle, retry, deadline](caf::error& err) mutable {
        if (!settle())
          return;
        auto f = to_failure(err);
        if (retryable(f) && now() < deadline)
          return retry(nullptr);
        if (f.code == ec::timeout)
          f = no_leader();
        retry(&f);
      });
}

void raft_member_state::abort_forwards() {
  auto pending = std::move(forwards);
  forwards.clear();
  for (auto& [id, requeue] : pending)
    requeue();
}

void raft_member_state::submit(pending_submit p) {
  if (shutting_down)
    return p.done(make_failure(ec::shutting_down,
                               "the node is shutting down"));
  // As RavenDB: a node in no cluster (no tag) founds one with its first
  // cluster command (§1.6). A node that was removed cannot, and neither can
  // one a leader just added: it has its tag from the hello and waits for
  // that leader's log (founding a cluster of its own would split it off).
  if (!core)
    if (auto founded = bootstrap(); !founded)
      return p.done(founded.error());
  if (auto removed = removed_from_cluster())
    return p.done(*removed);
  if (is_leader()) {
    auto index = core->propose(p.command);
    if (!index) {
      submits.push_back(std::move(p)); // a leadership transfer runs
      return;
    }
    proposals[*index] = proposal{core->term(), std::move(p.done),
                                 std::move(p.command), p.deadline};
    self->send(self, atom::drain_v);
    return;
  }
  if (!leader_handle()) {
    submits.push_back(std::move(p));
    return;
  }
  auto shared = std::make_shared<pending_submit>(std::move(p));
  forward<command_reply>(
    shared->command, shared->deadline,
    [this, shared](command_reply& reply) {
      auto done = shared->done;
      auto result = apply_outcome_from_json(reply.outcome);
      if (!result)
        return done(make_failure(ec::internal_error,
                                 "the leader's command outcome is unreadable: "
                                   + reply.outcome));
      // Acknowledged once applied on the node that was asked (§1.8).
      wait_applied(static_cast<raft::index_t>(reply.raft_index),
                   [done, applied = applied_command{reply.raft_index,
                                                    std::move(result)}](
                     outcome<raft::index_t> at) {
                     if (at)
                       done(applied);
                     else
                       done(at.error());
                   });
    },
    [this, shared](const failure* f) {
      if (f == nullptr)
        submits.push_back(std::move(*shared));
      else
        shared->done(*f);
    });
}

void raft_member_state::retry_submits() {
  auto queued = std::move(submits);
  submits.clear();
  for (auto& p : queued) {
    if (now() >= p.deadline)
      p.done(no_leader());
    else
      submit(std::move(p));
  }
}

void raft_member_state::change_topology(pending_change p) {
  if (shutting_down)
    return p.done(make_failure(ec::shutting_down,
                               "the node is shutting down"));
  // Only a node without a tag founds a cluster (see submit()).
  if (!core) {
    if (p.request.what != topology_request::kind::add)
      return p.done(make_failure(ec::bad_request,
                                 "this node is in no cluster yet"));
    if (auto founded = bootstrap(); !founded)
      return p.done(founded.error());
  }
  if (auto removed = removed_from_cluster())
    return p.done(*removed);
  if (!is_leader()) {
    if (!leader_handle()) {
      changes.push_back(std::move(p));
      return;
    }
    auto shared = std::make_shared<pending_change>(std::move(p));
    forward<int64_t>(
      shared->request, shared->deadline,
      [this, shared](int64_t index) {
        auto done = shared->done;
        wait_applied(static_cast<raft::index_t>(index),
                     [done, index](outcome<raft::index_t> applied) {
                       if (applied)
                         done(index);
                       else
                         done(applied.error());
                     });
      },
      [this, shared](const failure* f) {
        if (f != nullptr)
          return shared->done(*f);
        shared->request.may_be_done = true;
        changes.push_back(std::move(*shared));
      });
    return;
  }
  auto& req = p.request;
  switch (req.what) {
    case topology_request::kind::add: {
      // Ask the new node who it is, without blocking Raft (§1.6 step 1):
      // a probe on a thread of its own reports back into this context.
      auto member = caf::actor_cast<raft_member_actor>(self);
      auto timeout = settings.connect_timeout;
      auto shared = std::make_shared<pending_change>(std::move(p));
      if (settings.resolve_peer) {
        // A simulation has no HTTP: the node counts as a fresh one (what
        // a node in no cluster answers), decided in a later message as
        // after a probe.
        self->send(member, member_task{[this, shared] {
                     propose_change(std::move(*shared), node_identity{});
                   }});
        return;
      }
      self->spawn<caf::detached>(
        [this, member, timeout, shared](caf::event_based_actor* probe) {
          auto identity = probe_node(shared->request.url, timeout);
          probe->send(member, member_task{[this, shared, identity] {
                        if (!identity)
                          return shared->done(identity.error());
                        propose_change(std::move(*shared), *identity);
                      }});
          probe->quit();
        });
      return;
    }
    default:
      propose_change(std::move(p), {});
  }
}

void raft_member_state::retry_changes() {
  auto queued = std::move(changes);
  changes.clear();
  for (auto& p : queued) {
    if (now() >= p.deadline)
      p.done(no_leader());
    else
      change_topology(std::move(p));
  }
}

void raft_member_state::propose_change(pending_change p,
                                       node_identity joining) {
  if (!core->topology_change_allowed()) {
    // Leadership moved, one change is still committing (§1.5: one at a
    // time), or a new leader has not committed its first entry: try again
    // shortly.
    changes.push_back(std::move(p));
    return;
  }
  auto& req = p.request;
  auto next = core->current_topology();
  if (req.may_be_done && already_done(req, next))
    return wait_applied(core->log().config_index(),
                        [done = p.done](outcome<raft::index_t> applied) {
                          if (applied)
                            done(static_cast<int64_t>(*applied));
                          else
                            done(applied.error());
                        });
  auto fail = [&](std::string why) {
    p.done(make_failure(ec::bad_request, std::move(why)));
  };
  auto known = [&](const raft::node_tag& t) { return next.contains(t); };
  switch (req.what) {
    case topology_request::kind::add: {
      auto url = without_trailing_slashes(req.url);
      for (auto& t : next.all_tags())
        if (next.url_of(t) == url)
          return fail("the node at " + url + " is already node " + t
                      + " of this cluster");
      if (!joining.topology_id.empty()
          && joining.topology_id != next.topology_id)
        return fail("the node at " + url + " belongs to another cluster ("
                    + joining.topology_id + ")");
      auto new_tag = req.tag;
      if (new_tag.empty() && raft::valid_node_tag(joining.tag)
          && !known(joining.tag))
        new_tag = joining.tag;
      if (new_tag.empty()) {
        new_tag = raft::next_node_tag(next.last_node_id);
        while (known(new_tag))
          new_tag = raft::next_node_tag(new_tag);
      }
      if (!raft::valid_node_tag(new_tag))
        return fail("'" + new_tag + "' is not a node tag (1 to 4 letters "
                    "A-Z)");
      if (known(new_tag))
        return fail("node tag " + new_tag + " is taken");
      (req.watcher ? next.watchers : next.promotables).emplace(new_tag, url);
      if (tag_before(next.last_node_id, new_tag))
        next.last_node_id = new_tag;
      settings.log->info("raft-member {} adds {} as node {} ({})", tag, url,
                         new_tag, req.watcher ? "watcher" : "promotable");
      break;
    }
    case topology_request::kind::remove:
      if (!known(req.tag))
        return fail("node " + req.tag + " is not in the cluster");
      if (req.tag == tag) {
        // The leader cannot remove itself: it steps down first and the
        // request goes to the next leader (§1.6).
        if (auto moved = core->transfer_leadership(); !moved)
          return p.done(moved.error());
        changes.push_back(std::move(p));
        self->send(self, atom::drain_v);
        return;
      }
      next.members.erase(req.tag);
      next.promotables.erase(req.tag);
      next.watchers.erase(req.tag);
      settings.log->info("raft-member {} removes node {}", tag, req.tag);
      break;
    case topology_request::kind::promote: {
      auto i = next.watchers.find(req.tag);
      if (i == next.watchers.end())
        return fail(known(req.tag) ? "node " + req.tag + " is not a watcher"
                                   : "node " + req.tag
                                       + " is not in the cluster");
      next.promotables.emplace(req.tag, i->second);
      next.watchers.erase(i);
      break;
    }
    case topology_request::kind::demote: {
      if (req.tag == tag)
        return fail("the leader cannot demote itself");
      std::string url;
      for (auto* m : {&next.members, &next.promotables})
        if (auto i = m->find(req.tag); i != m->end()) {
          url = i->second;
          m->erase(i);
        }
      if (url.empty())
        return fail(known(req.tag) ? "node " + req.tag + " is a watcher"
                                   : "node " + req.tag
                                       + " is not in the cluster");
      next.watchers.emplace(req.tag, url);
      break;
    }
  }
  auto index = core->propose_topology(next);
  if (!index)
    return p.done(index.error());
  auto done = p.done;
  auto applied = [done](outcome<applied_command> r) {
    if (r)
      done(r->raft_index);
    else
      done(r.error());
  };
  proposals[*index] = proposal{core->term(), std::move(applied), {}, {}};
  self->send(self, atom::drain_v);
}

std::chrono::milliseconds raft_member_state::attempt_timeout() const {
  return 3 * settings.tick_interval * settings.election_ticks;
}

void raft_member_state::wait_on_peer(const raft::node_tag& node,
                                     raft::index_t index,
                                     clock::time_point deadline,
                                     std::function<void(peer_wait)> done) {
  auto i = peers.find(node);
  if (i == peers.end()
      || (!i->second.handle() && !i->second.last_error.empty()))
    return done(peer_wait::unreachable);
  if (now() >= deadline)
    return done(peer_wait::late);
  auto again = [this, node, index, deadline, done] {
    // A connection being set up, or a request lost with its connection:
    // ask again shortly, on whatever connection there is by then.
    self->delayed_send(self, settings.tick_interval * settings.heartbeat_ticks,
                       member_task{[this, node, index, deadline, done] {
                         wait_on_peer(node, index, deadline, done);
                       }});
  };
  if (!i->second.handle())
    return again();
  auto remaining
    = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now());
  self
    ->request(i->second.handle(), std::min(remaining, attempt_timeout()),
              atom::wait_v, static_cast<int64_t>(index))
    .then([done](int64_t) { done(peer_wait::confirmed); },
          [again](caf::error&) { again(); });
}

void raft_member_state::wait_applied(
  raft::index_t index, callback<raft::index_t> done,
  std::optional<clock::time_point> deadline) {
  if (applied() >= index)
    return done(applied());
  // Out of its cluster a node applies nothing more.
  if (auto removed = removed_from_cluster())
    return done(*removed);
  waiters.emplace(index,
                  waiter{index, std::move(done),
                         deadline.value_or(now() + settings.operation_timeout)});
}

void raft_member_state::read(
  std::function<void(outcome<const cluster_state*>)> run) {
  // In no cluster: nothing to agree on, the (empty) state is current. A
  // node being added (a tag, no log yet) asks its leader like any other.
  if (!core)
    return run(&machine);
  if (auto removed = removed_from_cluster())
    return run(*removed);
  auto id = next_read++;
  reads.emplace(id, pending_read{std::move(run),
                                 now() + settings.operation_timeout,
                                 0});
  core->read_index(id);
  self->send(self, atom::drain_v);
}

} // namespace corvus
