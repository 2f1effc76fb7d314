// Introspection routes: the node's actors with their live state, the
// restarts its supervisors recorded, and the same as Prometheus metrics,
// all gathered by the node's introspection registry; and the process's
// memory, read where the request is handled.

#include "actors/http/routes.hpp"

#include "runtime/introspection/process_memory.hpp"
#include "runtime/introspection/views.hpp"

#include <charconv>

namespace corvus {

void get_actors(const request_ptr& r) {
  r->call<std::vector<actor_view>>(
    r->node().registry,
    [r](std::vector<actor_view>& actors) {
      return json_reply(200, render_actor_list(r->node().node_tag,
                                               r->node().url, actors));
    },
    atom::list_v);
}

void get_actor(const request_ptr& r) {
  auto& text = r->param(0);
  uint64_t id = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(),
                                    id);
  if (err != std::errc{} || end != text.data() + text.size())
    return r->fail(make_failure(ec::bad_request,
                                "an actor id is a number, got '"
                                  + text.substr(0, 100) + "'"));
  r->call<actor_view>(
    r->node().registry,
    [](actor_view& actor) { return json_reply(200, render_actor(actor)); },
    atom::show_v, id);
}

void get_restarts(const request_ptr& r) {
  r->call<std::vector<restart_view>>(
    r->node().registry,
    [](std::vector<restart_view>& restarts) {
      return json_reply(200, render_restarts(restarts));
    },
    atom::restarts_v);
}

void get_metrics(const request_ptr& r) {
  auto registry = r->node().registry;
  r->ask<std::vector<actor_view>>(
    registry,
    [r, registry](std::vector<actor_view>& actors) {
      r->call<std::vector<restart_view>>(
        registry,
        [r, actors](std::vector<restart_view>& restarts) {
          http_reply reply;
          reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
          auto memory = read_process_memory();
          reply.body = render_metrics(r->node().node_tag, actors, restarts,
                                      memory ? &*memory : nullptr);
          return reply;
        },
        atom::restarts_v);
    },
    atom::list_v);
}

void get_memory_stats(const request_ptr& r) {
  auto memory = read_process_memory();
  if (!memory)
    return r->fail(memory.error());
  r->reply_json(200, render_memory(*memory));
}

} // namespace corvus
