#include "actors/cluster/peer_link.hpp"

#include "actors/cluster/peer_address.hpp"
#include "actors/introspection/enlist.hpp"
#include "runtime/thread_name.hpp"
#include "messages/error.hpp"
#include "runtime/http/url.hpp"
#include "runtime/introspection/snapshots.hpp"

#include <caf/all.hpp>

namespace corvus {


void peer_link_state::connect() {
  reconnect.due();
  if (remote)
    return;
  reconnect.attempt();
  auto& s = settings;
  raft_peer_actor candidate;
  if (s.resolve) {
    // A simulation routes the peer through its own links (see the seam's
    // comment); the rest of the connection is as over TCP.
    tcp_url = "sim:" + s.peer_url;
    candidate = s.resolve(s.peer_tag, s.peer_url);
    if (!candidate)
      return failed("no route to " + s.peer_url);
  } else {
    auto peer = reach_peer(self->system(), s.peer_url, s.connect_timeout,
                           tcp_url);
    if (!peer)
      return failed(peer.error().message);
    candidate = std::move(peer->handle);
  }
  self->request(candidate, s.connect_timeout, s.hello)
    .then(
      [this, candidate](std::string& tag) {
        if (tag != settings.peer_tag)
          return failed(settings.peer_url + " answers as node " + tag
                        + ", not " + settings.peer_tag);
        remote = candidate;
        self->monitor(remote);
        auto after_outage = reconnect.connected();
        if (after_outage || reconnect.connections() == 1)
          settings.log->info("peer-link {} connected to {} at {}",
                             settings.peer_tag, settings.peer_url, tcp_url);
        self->send(settings.member, peer_up{settings.peer_tag, remote});
      },
      [this](caf::error& err) {
        failed("the hello to " + tcp_url
               + " failed: " + to_failure(err).message);
      });
}

void peer_link_state::failed(const std::string& reason) {
  if (remote) {
    self->demonitor(remote.address());
    remote = nullptr;
  }
  auto next = reconnect.failed(reason);
  if (next.new_reason)
    settings.log->warn("peer-link {}: {}; retrying", settings.peer_tag,
                       reason);
  self->send(settings.member, peer_down{settings.peer_tag, reason});
  if (next.start_timer)
    self->delayed_send(self, next.delay, atom::connect_v);
}

peer_link_actor::behavior_type
peer_link(peer_link_actor::stateful_pointer<peer_link_state> self,
          peer_link_settings settings) {
  auto& st = self->state;
  st.settings = std::move(settings);
  name_this_thread("peer:" + st.settings.peer_tag);
  st.reconnect = reconnect_schedule{st.settings.reconnect};
  enlist(self, st.settings.registry, "peer-link", st.settings.peer_tag,
         st.settings.parent);
  self->set_down_handler([self](const caf::down_msg& msg) {
    auto& st = self->state;
    if (st.remote && msg.source == st.remote.address())
      st.failed("the connection to " + st.tcp_url + " was lost");
  });
  self->send(self, atom::connect_v);
  return {
    [self](atom::connect) { self->state.connect(); },
    [self](atom::snapshot) {
      auto& st = self->state;
      peer_link_snapshot_view v;
      v.peer = st.settings.peer_tag;
      v.url = st.settings.peer_url;
      v.tcp_url = st.tcp_url;
      v.connected = static_cast<bool>(st.remote);
      v.reconnect = view_of(st.reconnect);
      return to_json(v);
    },
  };
}

} // namespace corvus
