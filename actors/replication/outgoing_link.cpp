#include "actors/replication/outgoing_link.hpp"

#include "actors/clock.hpp"
#include "actors/cluster/peer_address.hpp"
#include "actors/introspection/enlist.hpp"
#include "runtime/thread_name.hpp"
#include "messages/error.hpp"
#include "runtime/introspection/snapshots.hpp"

#include <caf/all.hpp>

#include <algorithm>

namespace corvus {

namespace {

using std::chrono::steady_clock;

/// How often a link looks at its timers: often enough for the reply
/// timeout and the heartbeat, whichever is shorter.
/// How soon a link tries again when its destination is still opening its
/// copy of the database.
constexpr std::chrono::milliseconds opening_retry{50};

std::chrono::milliseconds timer_period(const replication_settings& s) {
  return std::clamp(std::min(s.heartbeat, s.reply_timeout) / 4,
                    std::chrono::milliseconds{10},
                    std::chrono::milliseconds{1000});
}

} // namespace

void outgoing_link_state::connect() {
  reconnect.due();
  if (inbox)
    return;
  reconnect.attempt();
  auto& s = settings;
  auto peer = reach_peer(self->system(), s.destination_url,
                         s.replication.reply_timeout, tcp_url);
  if (!peer)
    return failed(peer.error().message);
  replication_hello hello{s.database,   s.source_db_id,
                          s.source_tag, s.source_url,
                          replication_protocol_version,
                          caf::actor_cast<replication_source_actor>(self)};
  self->request(peer->handle, s.replication.reply_timeout, std::move(hello))
    .then(
      [this](replication_welcome& welcome) {
        auto cv = change_vector::parse(welcome.change_vector);
        if (!cv || !welcome.inbox)
          return failed("the destination's welcome is unreadable");
        inbox = std::move(welcome.inbox);
        self->monitor(inbox);
        sender.connected(welcome.accepted_etag, std::move(*cv));
        reconnect.connected();
        last_exchange = steady_clock::now();
        last_answer_ticks = now_ticks();
        settings.log->info("replication of '{}' to {} connected at {} "
                           "(the destination accepted up to etag {})",
                           settings.database, settings.destination_tag,
                           tcp_url, welcome.accepted_etag);
        report_acked();
        // Whatever the destination lacks goes now, replicated data too:
        // it may have missed it while the link was down.
        woken = true;
        heartbeat_pending = true;
        pump();
      },
      [this](caf::error& err) {
        auto why = to_failure(err);
        // A node that just joined the group has not opened its copy yet:
        // it will in a moment, so try again soon instead of backing off.
        auto opening = why.code == ec::database_does_not_exist
                       || why.code == ec::database_loading;
        failed("the hello to " + tcp_url + " failed: " + why.message,
               opening);
      });
}

void outgoing_link_state::failed(const std::string& reason, bool soon) {
  if (inbox) {
    self->demonitor(inbox.address());
    inbox = nullptr;
  }
  sender.disconnected();
  auto next = reconnect.failed(reason, soon ? std::optional{opening_retry}
                                            : std::nullopt);
  if (next.new_reason)
    settings.log->warn("replication of '{}' to {}: {}; retrying in {} ms",
                       settings.database, settings.destination_tag, reason,
                       next.delay.count());
  if (next.start_timer)
    self->delayed_send(self, next.delay, atom::connect_v);
}

void outgoing_link_state::pump() {
  auto store = settings.store;
  // Batches follow each other until the window is full: the next is read
  // and sent while the destination applies the previous ones.
  while (inbox && sender.can_send() && (woken || heartbeat_pending)) {
    auto next = sender.next([&store](int64_t after, size_t limit) {
      return store->changes_since(after, limit);
    });
    if (!next) {
      // The store cannot be read: the instance fails and restarts with it.
      settings.log->error("replication of '{}' to {} cannot read the "
                          "store: {}",
                          settings.database, settings.destination_tag,
                          next.error().message);
      self->quit(to_error(next.error()));
      return;
    }
    woken = false;
    heartbeat_pending = false;
    if (!*next)
      return;
    woken = (*next)->more;
    send(std::move(**next));
  }
}

void outgoing_link_state::send(outgoing_batch batch) {
  ++batches;
  items_sent += static_cast<int64_t>(batch.items.size());
  items_skipped += static_cast<int64_t>(batch.skipped);
  // The reply timeout runs from the oldest unanswered batch.
  if (batch.after_etag == sender.cursor())
    sent_at = steady_clock::now();
  self->send(inbox, replication_batch{batch.after_etag, batch.last_etag,
                                      std::move(batch.items)});
}

void outgoing_link_state::on_ack(const replication_ack& ack) {
  auto cv = change_vector::parse(ack.change_vector);
  if (!cv)
    return failed("the destination acknowledged an unreadable change "
                  "vector");
  sender.acknowledged(ack.accepted_etag, *cv);
  last_exchange = steady_clock::now();
  sent_at = last_exchange;
  last_answer_ticks = now_ticks();
  report_acked();
  pump();
}

void outgoing_link_state::report_acked() {
  if (reporting_acked && inbox)
    self->send(settings.instance,
               destination_acked{settings.destination_tag,
                                 sender.destination().to_string()});
}

void outgoing_link_state::on_heartbeat_timer() {
  auto now = steady_clock::now();
  if (inbox && sender.in_flight()
      && now - sent_at > settings.replication.reply_timeout)
    return failed("no answer within "
                  + std::to_string(settings.replication.reply_timeout.count())
                  + " ms");
  if (!inbox || sender.in_flight()
      || now - last_exchange < settings.replication.heartbeat)
    return;
  // Idle: ask the destination what it holds; if it lacks something we
  // have (data that came here by replication), the answer sends it.
  auto state = settings.store->durable_state();
  if (state) {
    auto ours = change_vector::parse(state->change_vector);
    heartbeat_pending
      = ours && compare(*ours, sender.destination())
                  != conflict_status::already_merged;
  }
  send(sender.heartbeat());
}

outgoing_link_actor::behavior_type
outgoing_link(outgoing_link_actor::stateful_pointer<outgoing_link_state> self,
              outgoing_link_settings settings) {
  auto& st = self->state;
  st.settings = std::move(settings);
  name_this_thread("repl>" + st.settings.destination_tag + ":"
                   + st.settings.database);
  st.sender = replication_sender{st.settings.replication.limits, 1024,
                                 st.settings.replication.window};
  st.reconnect = reconnect_schedule{st.settings.replication.reconnect};
  enlist(self, st.settings.registry, "replication-link",
         st.settings.database + "->" + st.settings.destination_tag,
         st.settings.parent);
  self->set_down_handler([self](const caf::down_msg& msg) {
    auto& st = self->state;
    if (st.inbox && msg.source == st.inbox.address())
      st.failed("the connection to " + st.tcp_url + " was lost");
  });
  self->send(self, atom::connect_v);
  self->send(self, atom::heartbeat_v);
  return {
    [self](replication_ack& ack) { self->state.on_ack(ack); },
    [self](replication_processing&) {
      // Alive and applying: the reply timeout counts silence, not the
      // length of an apply.
      auto& st = self->state;
      st.last_answer_ticks = now_ticks();
      if (st.sender.in_flight())
        st.sent_at = steady_clock::now();
    },
    [self](acked_reports& reports) {
      auto& st = self->state;
      st.reporting_acked = reports.on;
      st.report_acked();
    },
    [self](link_wake& wake) {
      auto& st = self->state;
      if (!wake.destination_holds.empty())
        if (auto cv = change_vector::parse(wake.destination_holds))
          st.sender.destination_holds(*cv);
      st.sender.wrote(wake.last_etag);
      st.woken = true;
      st.pump();
    },
    [self](atom::connect) { self->state.connect(); },
    [self](atom::heartbeat) {
      self->state.on_heartbeat_timer();
      self->delayed_send(self, timer_period(self->state.settings.replication),
                         atom::heartbeat_v);
    },
    [self](atom::snapshot) {
      auto& st = self->state;
      link_snapshot_view v;
      v.database = st.settings.database;
      v.source = st.settings.source_tag;
      v.destination = st.settings.destination_tag;
      v.url = st.settings.destination_url;
      v.connected = static_cast<bool>(st.inbox);
      v.cursor = st.sender.cursor();
      v.lag_etags = std::max<int64_t>(0, st.sender.newest() - st.sender.cursor());
      v.last_heartbeat = st.last_answer_ticks;
      v.destination_change_vector = st.sender.destination().to_string();
      v.in_flight = st.sender.in_flight();
      v.batches = st.batches;
      v.items_sent = st.items_sent;
      v.items_skipped = st.items_skipped;
      v.reconnect = view_of(st.reconnect);
      return to_json(v);
    },
  };
}

} // namespace corvus
