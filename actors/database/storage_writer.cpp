#include "actors/database/storage_writer.hpp"

#include "messages/error.hpp"
#include "runtime/documents/timestamp.hpp"

#include <caf/all.hpp>

#include <chrono>

namespace corvus {

namespace {

int64_t now_ticks() {
  using namespace std::chrono;
  auto since_epoch = system_clock::now().time_since_epoch();
  return duration_cast<nanoseconds>(since_epoch).count() / 100;
}

// Approximate bytes the writes from index `from` on add to a batch.
uint64_t bytes_of(const std::vector<document_write>& writes, size_t from) {
  uint64_t n = 0;
  for (auto i = from; i < writes.size(); ++i)
    n += writes[i].key.size() + writes[i].record.json.size()
         + writes[i].record.change_vector.size() + 64;
  return n;
}

template <class Result>
void deliver(caf::typed_response_promise<Result>& rp, Result& value) {
  rp.deliver(std::move(value));
}

// HiLo returns answer with an empty message.
void deliver(caf::typed_response_promise<void>& rp, done&) {
  static_cast<caf::response_promise&>(rp).deliver(caf::unit);
}

} // namespace

outcome<std::optional<document_record>>
group_lookup::find(std::string_view key, bool with_body) {
  if (auto i = latest_.find(std::string{key}); i != latest_.end()) {
    auto found = writes_[i->second].record;
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

void group_lookup::index_new_writes() {
  for (; indexed_ < writes_.size(); ++indexed_)
    latest_.insert_or_assign(writes_[indexed_].key, indexed_);
}

template <class Request, class Result>
void storage_writer_state::enqueue(Request req,
                                   caf::typed_response_promise<Result> rp) {
  pending_transaction tx;
  tx.run = [this, req = std::move(req), rp](
             database_state& state, group_lookup& lookup, int64_t now,
             std::vector<document_write>& group_writes) mutable
    -> outcome<std::function<void()>> {
    auto executed = executor->execute(req, state, lookup, now);
    if (!executed)
      return executed.error();
    state = std::move(executed->state);
    group_writes.insert(group_writes.end(),
                        std::make_move_iterator(executed->writes.begin()),
                        std::make_move_iterator(executed->writes.end()));
    lookup.index_new_writes();
    return std::function<void()>{
      [rp, result = std::move(executed->result)]() mutable {
        deliver(rp, result);
      }};
  };
  tx.fail = [rp](const caf::error& err) mutable { rp.deliver(err); };
  pending.push_back(std::move(tx));
  if (!drain_scheduled) {
    drain_scheduled = true;
    self->send(self, atom::drain_v);
  }
}

void storage_writer_state::drain() {
  drain_scheduled = false;
  if (pending.empty() || store == nullptr)
    return;
  // Run what fits into one group against the store plus the group's own
  // writes; a transaction failing its checks is answered at once and the
  // others go on.
  struct accepted {
    std::function<void()> deliver;
    std::function<void(const caf::error&)> fail;
  };
  std::vector<accepted> group;
  std::vector<document_write> writes;
  group_lookup lookup{*store, writes};
  auto state = store->state();
  auto now = now_ticks();
  size_t taken = 0;
  uint64_t group_bytes = 0;
  for (; taken < pending.size() && group_bytes < config.max_group_bytes;
       ++taken) {
    auto& tx = pending[taken];
    auto before = writes.size();
    auto delivery = tx.run(state, lookup, now, writes);
    group_bytes += bytes_of(writes, before);
    if (!delivery) {
      tx.fail(to_error(delivery.error()));
      continue;
    }
    group.push_back({std::move(*delivery), std::move(tx.fail)});
  }
  pending.erase(pending.begin(), pending.begin() + taken);
  if (!pending.empty()) {
    drain_scheduled = true;
    self->send(self, atom::drain_v);
  }
  if (!writes.empty()) {
    if (auto applied = store->apply(writes, state); !applied) {
      auto err = to_error(applied.error());
      config.log->error("storage-writer of '{}' failed to commit {} "
                        "transactions: {}; restarting from storage",
                        config.database, group.size(),
                        applied.error().message);
      // Nothing of this group is durable: tell every waiting client, then
      // let the supervisor restart the instance from what is on disk.
      for (auto& a : group)
        a.fail(err);
      for (auto& tx : pending)
        tx.fail(err);
      pending.clear();
      self->quit(err);
      return;
    }
  }
  for (auto& a : group)
    a.deliver();
}

storage_writer_actor::behavior_type
storage_writer(storage_writer_actor::stateful_pointer<storage_writer_state> self,
               storage_writer_config config) {
  auto& st = self->state;
  st.config = std::move(config);
  auto opened = document_store::open(st.config.dir, st.config.options);
  if (!opened) {
    st.config.log->error("storage-writer of '{}' cannot open {}: {}",
                         st.config.database, st.config.dir,
                         opened.error().message);
    self->quit(to_error(opened.error()));
  } else {
    st.store = std::move(*opened);
    st.executor = std::make_unique<transaction_executor>(st.config.node_tag,
                                                         st.config.seed);
  }
  // On an orderly stop, commit what was already accepted, then close.
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    self->state.drain();
    self->quit(msg.reason);
  });
  return {
    [self](write_transaction& tx) -> caf::result<transaction_result> {
      auto rp = self->make_response_promise<transaction_result>();
      self->state.enqueue(std::move(tx), rp);
      return rp;
    },
    [self](hilo_request& req) -> caf::result<hilo_range> {
      auto rp = self->make_response_promise<hilo_range>();
      self->state.enqueue(std::move(req), rp);
      return rp;
    },
    [self](hilo_return& req) -> caf::result<void> {
      auto rp = self->make_response_promise<void>();
      self->state.enqueue(std::move(req), rp);
      return rp;
    },
    [self](atom::open_store) -> std::shared_ptr<document_store> {
      return self->state.store;
    },
    [self](atom::drain) { self->state.drain(); },
  };
}

} // namespace corvus
