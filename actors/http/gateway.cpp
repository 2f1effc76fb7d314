#include "actors/http/gateway.hpp"

#include "actors/http/request.hpp"
#include "actors/introspection/enlist.hpp"

#include <caf/all.hpp>

namespace corvus {

http_gateway_actor::behavior_type
http_gateway(http_gateway_actor::stateful_pointer<gateway_state> self,
             std::shared_ptr<http_server> server, gateway_settings settings) {
  self->state.server = server;
  // Handlers run on the server's I/O threads and share these services.
  auto services = std::make_shared<http_services>(
    http_services{settings.directory,
                  caf::actor_cast<http_gateway_actor>(self), settings.node,
                  settings.request_timeout, settings.log});
  server->start([services](std::shared_ptr<http_exchange> ex) {
    route_request(*services, std::move(ex));
  });
  // The I/O threads stop with the gateway, whatever ends it.
  self->attach_functor([server] { server->stop(); });
  settings.log->info("http-gateway serves on port {}", server->port());
  enlist(self, settings.registry, "http-gateway", settings.url,
         settings.parent);
  return {
    [self](http_call& call) { call.run(self); },
    [self](atom::snapshot) { return to_json(self->state.server->statistics()); },
    [self](atom::stop) -> caf::result<void> {
      auto rp = self->make_response_promise<void>();
      auto me = caf::actor_cast<http_gateway_actor>(self);
      // The server calls back on an I/O thread; the promise is answered
      // in the gateway's own context.
      self->state.server->stop_accepting([me, rp]() mutable {
        caf::anon_send(me, http_call{[rp](http_gateway_actor::pointer) mutable {
                         static_cast<caf::response_promise&>(rp).deliver(
                           caf::unit);
                       }});
      });
      return rp;
    },
  };
}

} // namespace corvus
