#include "actors/database/database.hpp"

#include "messages/error.hpp"

#include <caf/all.hpp>

namespace corvus {

caf::error database_instance_state::stopping_error() const {
  return to_error(make_failure(ec::shutting_down,
                               "database '" + database
                                 + "' is shutting down on this node"));
}

database_actor::behavior_type
database_instance(database_actor::stateful_pointer<database_instance_state> self,
                  database_config config) {
  auto& st = self->state;
  st.database = config.writer.database;
  st.writer = config.detached_writer
                ? self->spawn<caf::detached>(storage_writer, config.writer)
                : self->spawn(storage_writer, config.writer);
  // Fate-sharing pair: a failed writer takes the instance down (and the
  // supervisor restarts both); an instance that goes takes its writer along.
  self->link_to(st.writer);
  // CAF drops a link when one side sends the other an exit message, as the
  // orderly stop below does; the monitor still reports the writer's end.
  self->monitor(st.writer);
  self->set_down_handler([self](const caf::down_msg& msg) {
    if (msg.source == self->state.writer.address())
      self->quit(msg.reason);
  });
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    auto& st = self->state;
    if (msg.source == st.writer.address()) {
      self->quit(msg.reason);
      return;
    }
    // Orderly stop from the supervisor: refuse new work, let the writer
    // commit what it accepted, and go when it is done (its exit comes back
    // through the link).
    st.stopping = true;
    self->send_exit(st.writer, msg.reason);
  });
  return {
    [self](write_transaction& tx)
      -> caf::delegated<transaction_result> {
      if (self->state.stopping) {
        self->make_response_promise<transaction_result>().deliver(
          self->state.stopping_error());
        return {};
      }
      return self->delegate(self->state.writer, std::move(tx));
    },
    [self](hilo_request& req) -> caf::delegated<hilo_range> {
      if (self->state.stopping) {
        self->make_response_promise<hilo_range>().deliver(
          self->state.stopping_error());
        return {};
      }
      return self->delegate(self->state.writer, std::move(req));
    },
    [self](hilo_return& req) -> caf::delegated<void> {
      if (self->state.stopping) {
        self->make_response_promise<void>().deliver(
          self->state.stopping_error());
        return {};
      }
      return self->delegate(self->state.writer, std::move(req));
    },
    [self](atom::open_store) -> caf::delegated<std::shared_ptr<document_store>> {
      return self->delegate(self->state.writer, atom::open_store_v);
    },
  };
}

} // namespace corvus
