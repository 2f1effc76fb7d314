// Cluster routes (ravendb-http.md §2.6, §2.7, §5.6; ravendb-internals.md
// §1.6, §1.10): the cluster topology and node identity from the node's
// summary; membership changes, wait-for-index and compare-exchange through
// the node's Raft member.

#include "actors/http/route_params.hpp"
#include "actors/http/routes.hpp"

#include "actors/entropy.hpp"
#include "runtime/cluster/cluster_command_codec.hpp"
#include "runtime/http/compare_exchange_requests.hpp"
#include "runtime/http/compare_exchange_responses.hpp"
#include "runtime/http/responses.hpp"

namespace corvus {

namespace {

/// The `nodeTag` parameter, or an answered error and nullopt.
std::optional<std::string> required_tag(const request_ptr& r) {
  auto tag = r->query().get("nodeTag");
  if (!tag || tag->empty()) {
    r->fail(make_failure(ec::bad_request,
                         "the query parameter 'nodeTag' is required"));
    return std::nullopt;
  }
  return std::string{*tag};
}

/// Sends a membership change to the Raft member; answers 204 once applied.
void change_topology(const request_ptr& r, topology_request req) {
  r->call<int64_t>(
    r->node().member,
    [](int64_t) { return empty_reply(204, {}); }, atom::topology_v,
    std::move(req));
}

/// Answers a compare-exchange command's outcome as the client expects it.
void answer_compare_exchange(const request_ptr& r,
                             const applied_command& applied) {
  if (!applied.result)
    return r->fail(make_failure(ec::internal_error, "no command outcome"));
  auto& out = *applied.result;
  if (!out)
    return r->fail(out.error());
  auto* result = std::get_if<compare_exchange_result>(&*out);
  if (result == nullptr)
    return r->fail(make_failure(ec::internal_error,
                                "unexpected command outcome"));
  r->reply_json(200, render_compare_exchange_result(*result));
}

/// Proposes a compare-exchange command and answers with its outcome.
void propose_compare_exchange(const request_ptr& r, cluster_command cmd) {
  // Every command needs a request id: a forward retried after a leader
  // change must not apply twice. The client's raft-request-id is used when
  // it sends one.
  std::visit(
    [](auto& c) {
      if (c.request_id.empty())
        c.request_id = random_guid();
    },
    cmd);
  // Straight to the member with a callback, as document writes go to their
  // database: no gateway hop, no request timer (the member bounds every
  // submission by cluster.operation-timeout).
  auto guard = std::make_shared<detail::unanswered_guard>(r);
  caf::anon_send(
    r->node().member,
    cluster_submit{encode_command(cmd), [guard](outcome<applied_command> got) {
                     auto self = guard->take();
                     self->exchange().post([self, got = std::move(got)] {
                       if (!got)
                         return self->fail(got.error());
                       answer_compare_exchange(self, *got);
                     });
                   }});
}

/// Answers 204 once the Raft member did `xs...`.
template <class... Ts>
void member_then_204(const request_ptr& r, Ts... xs) {
  r->ask<void>(r->node().member,
               request::continuation<void>{[r] { r->reply_empty(204); }},
               std::move(xs)...);
}

} // namespace

void get_cluster_topology(const request_ptr& r) {
  r->reply_json(200, render_cluster_topology(*r->node().cluster,
                                             r->node().url));
}

void get_node_info(const request_ptr& r) {
  r->reply_json(200, render_node_info(*r->node().cluster));
}

void get_tcp_info(const request_ptr& r) {
  r->reply_json(200, render_tcp_info(r->node().cluster->raft.tcp_url));
}

void put_cluster_node(const request_ptr& r) {
  auto url = r->query().get("url");
  if (!url || url->empty())
    return r->fail(make_failure(ec::bad_request,
                                "the query parameter 'url' is required"));
  auto watcher = r->query().get_bool("watcher", false);
  if (!watcher)
    return r->fail(watcher.error());
  topology_request req;
  req.what = topology_request::kind::add;
  req.url = std::string{*url};
  req.tag = std::string{r->query().get("tag").value_or("")};
  req.watcher = *watcher;
  change_topology(r, std::move(req));
}

void delete_cluster_node(const request_ptr& r) {
  if (auto tag = required_tag(r))
    change_topology(r, topology_request{topology_request::kind::remove, {},
                                        *tag, false});
}

void post_cluster_promote(const request_ptr& r) {
  if (auto tag = required_tag(r))
    change_topology(r, topology_request{topology_request::kind::promote, {},
                                        *tag, false});
}

void post_cluster_demote(const request_ptr& r) {
  if (auto tag = required_tag(r))
    change_topology(r, topology_request{topology_request::kind::demote, {},
                                        *tag, false});
}

void post_cluster_bootstrap(const request_ptr& r) {
  member_then_204(r, atom::bootstrap_v);
}

void post_cluster_reelect(const request_ptr& r) {
  member_then_204(r, atom::reelect_v);
}

void post_cluster_timeout(const request_ptr& r) {
  member_then_204(r, atom::election_timeout_v);
}

void get_rachis_waitfor(const request_ptr& r) {
  auto index = r->query().get_int("index", -1);
  if (!index)
    return r->fail(index.error());
  if (*index < 0)
    return r->fail(make_failure(ec::bad_request,
                                "the query parameter 'index' is required "
                                "and must not be negative"));
  r->call<int64_t>(r->node().member,
                   [](int64_t) { return empty_reply(200, {}); },
                   atom::wait_v, *index);
}

void get_compare_exchange(const request_ptr& r) {
  if (!database_exists(r))
    return;
  auto query = parse_compare_exchange_get(r->query());
  if (!query)
    return r->fail(query.error());
  // A linearizable read (Raft §6.4): it sees every value acknowledged
  // before it was asked, whichever node acknowledged it.
  auto guard = std::make_shared<detail::unanswered_guard>(r);
  caf::anon_send(
    r->node().member,
    cluster_read{[guard, database = r->param(0),
                  query = std::move(*query)](
                   outcome<const cluster_state*> state) {
      auto self = guard->take();
      if (!state)
        return self->exchange().post(
          [self, f = state.error()] { self->fail(f); });
      auto& store = (*state)->compare_exchange();
      if (query.keys.empty()) {
        // A listing may be the whole state (a gigabyte): the member only
        // takes a copy that shares the values, and the HTTP thread pages
        // it and renders it a megabyte at a time as the client takes it.
        // Done by the member, 775,000 values held it for 530 ms even for a
        // page of one.
        return self->exchange().post(
          [self, values = store.values_of(database), query] {
            std::shared_ptr<results_in_pieces> results
              = answer_compare_exchange_listing(values, query);
            self->reply_json_in_pieces(200, [results] {
              return results->next(http_piece_bytes);
            });
          });
      }
      auto body = answer_compare_exchange_lookup(store, database, query);
      self->exchange().post([self, body = std::move(body)] {
        if (body)
          self->reply_json(200, std::move(*body));
        else
          self->reply_empty(404);
      });
    }});
}

void put_compare_exchange(const request_ptr& r) {
  if (!database_exists(r))
    return;
  auto cmd = parse_compare_exchange_put(r->query(), r->exchange().body,
                                        r->param(0));
  if (!cmd)
    return r->fail(cmd.error());
  propose_compare_exchange(r, *cmd);
}

void delete_compare_exchange(const request_ptr& r) {
  if (!database_exists(r))
    return;
  auto cmd = parse_compare_exchange_delete(r->query(), r->param(0));
  if (!cmd)
    return r->fail(cmd.error());
  propose_compare_exchange(r, *cmd);
}

} // namespace corvus
