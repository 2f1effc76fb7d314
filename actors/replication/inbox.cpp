#include "actors/replication/inbox.hpp"

#include "actors/introspection/enlist.hpp"
#include "messages/error.hpp"
#include "runtime/introspection/snapshots.hpp"

#include <caf/all.hpp>

namespace corvus {

inbox_actor::behavior_type
inbox(inbox_actor::stateful_pointer<inbox_state> self,
      inbox_settings settings) {
  auto& st = self->state;
  st.settings = std::move(settings);
  enlist(self, st.settings.registry, "replication-inbox",
         st.settings.database + "<-" + st.settings.source_tag,
         st.settings.parent);
  // The source's link gone means its connection is gone: it reconnects
  // with a hello, which makes a new inbox.
  self->monitor(st.settings.link);
  self->set_down_handler([self](const caf::down_msg& msg) {
    if (msg.source == self->state.settings.link.address())
      self->quit(caf::exit_reason::normal);
  });
  return {
    [self](replication_batch& batch) {
      auto& st = self->state;
      ++st.batches;
      ++st.pending;
      st.items += static_cast<int64_t>(batch.items.size());
      if (!st.keep_alive_armed) {
        st.keep_alive_armed = true;
        self->delayed_send(self, st.settings.keep_alive, atom::heartbeat_v);
      }
      // Pipelined batches go on to the instance as they come: it applies
      // them in order and answers once each is durable, in that order.
      self
        ->request(st.settings.instance, caf::infinite,
                  inbox_batch{st.settings.source_db_id, st.settings.source_tag,
                              std::move(batch)})
        .then(
          [self](replication_ack& ack) {
            auto& st = self->state;
            --st.pending;
            st.accepted_etag = ack.accepted_etag;
            self->send(st.settings.link, std::move(ack));
          },
          [self](caf::error& err) {
            // Nothing of the batch applies; the source reconnects and
            // resends from what was accepted.
            auto& st = self->state;
            st.settings.log->warn("replication of '{}' from {}: a batch "
                                  "failed: {}",
                                  st.settings.database, st.settings.source_tag,
                                  to_failure(err).message);
            self->quit(err);
          });
    },
    [self](replication_ack& news) {
      self->send(self->state.settings.link, std::move(news));
    },
    [self](atom::heartbeat) {
      auto& st = self->state;
      st.keep_alive_armed = st.pending > 0;
      if (!st.keep_alive_armed)
        return;
      self->send(st.settings.link, replication_processing{st.pending});
      self->delayed_send(self, st.settings.keep_alive, atom::heartbeat_v);
    },
    [self](atom::snapshot) {
      auto& st = self->state;
      inbox_snapshot_view v;
      v.database = st.settings.database;
      v.source = st.settings.source_tag;
      v.source_database_id = st.settings.source_db_id;
      v.batches = st.batches;
      v.items = st.items;
      v.accepted_etag = st.accepted_etag;
      return to_json(v);
    },
  };
}

} // namespace corvus
