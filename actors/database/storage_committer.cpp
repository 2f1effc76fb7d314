#include "actors/database/storage_committer.hpp"

#include "actors/introspection/enlist.hpp"
#include "runtime/thread_name.hpp"
#include "messages/error.hpp"
#include "runtime/introspection/snapshots.hpp"

#include <caf/all.hpp>

#include <algorithm>

namespace corvus {

namespace {

uint64_t bytes_of(const commit_entry& entry) {
  uint64_t n = 0;
  for (auto& w : *entry.writes)
    n += w.key.size() + w.record.json.size() + w.record.change_vector.size()
         + 64;
  return n;
}

} // namespace

void storage_committer_state::drain() {
  drain_scheduled = false;
  if (pending.empty())
    return;
  // Take what fits into one batch; entries are in execution order, so the
  // last one taken carries the state after all of them.
  size_t taken = 0;
  uint64_t bytes = 0;
  // The entries keep their writes alive until the batch is done.
  std::vector<const document_write*> writes;
  for (; taken < pending.size() && (taken == 0 || bytes < config.max_batch_bytes);
       ++taken) {
    auto& entry = pending[taken];
    bytes += bytes_of(entry);
    for (auto& w : *entry.writes)
      writes.push_back(&w);
  }
  auto state = pending[taken - 1].state;
  std::vector<commit_entry> batch(std::make_move_iterator(pending.begin()),
                                  std::make_move_iterator(pending.begin()
                                                          + taken));
  pending.erase(pending.begin(), pending.begin() + taken);
  if (!pending.empty()) {
    drain_scheduled = true;
    self->send(self, atom::drain_v);
  }
  auto started = std::chrono::steady_clock::now();
  if (!writes.empty()) {
    if (auto applied = config.store->apply(writes, state); !applied) {
      config.log->error("storage-committer of '{}' failed to commit {} "
                        "transactions: {}",
                        config.database, batch.size(),
                        applied.error().message);
      // Nothing gathered becomes durable: the store refuses writes until
      // the instance restarts from what is on disk.
      commit_failure report{applied.error(), batch.size() + pending.size(),
                            {}};
      for (auto* entries : {&batch, &pending})
        for (auto& entry : *entries) {
          if (entry.answer.local)
            entry.answer.fail(applied.error());
          else
            report.notices.push_back(std::move(entry.answer.fail));
        }
      pending.clear();
      failed = applied.error();
      // The listener gives its notices and then ends the instance, which
      // takes the committer along (quitting here could let the exit
      // overtake the report).
      self->send(config.listener, std::move(report));
      return;
    }
  }
  ++batches;
  transactions += static_cast<int64_t>(batch.size());
  last_batch = static_cast<int64_t>(batch.size());
  commit_time += std::chrono::steady_clock::now() - started;
  commit_report report{state.last_etag, batch.size(), {}};
  for (auto& entry : batch) {
    if (entry.answer.local)
      entry.answer.ok();
    else
      report.answers.push_back(std::move(entry.answer.ok));
  }
  self->send(config.listener, std::move(report));
}

storage_committer_actor::behavior_type storage_committer(
  storage_committer_actor::stateful_pointer<storage_committer_state> self,
  storage_committer_config config) {
  self->state.config = std::move(config);
  name_this_thread("commit:" + self->state.config.database);
  enlist(self, self->state.config.registry, "storage-committer",
         self->state.config.database, self->state.config.parent);
  return {
    [self](atom::snapshot) {
      auto& st = self->state;
      committer_snapshot_view v;
      v.database = st.config.database;
      v.batches = st.batches;
      v.transactions = st.transactions;
      v.last_batch = st.last_batch;
      if (st.batches > 0)
        v.average_commit_micros
          = std::chrono::duration_cast<std::chrono::microseconds>(
              st.commit_time)
              .count()
            / st.batches;
      if (st.failed)
        v.failed = st.failed->message;
      v.id_filter = st.config.store->id_filter_report();
      return to_json(v);
    },
    [self](commit_entry& entry) {
      auto& st = self->state;
      if (st.failed) {
        // After a failed sync the store refuses writes: refuse at once.
        commit_failure report{*st.failed, 1, {}};
        if (entry.answer.local)
          entry.answer.fail(*st.failed);
        else
          report.notices.push_back(std::move(entry.answer.fail));
        self->send(st.config.listener, std::move(report));
        return;
      }
      st.pending.push_back(std::move(entry));
      if (!st.drain_scheduled) {
        st.drain_scheduled = true;
        self->send(self, atom::drain_v);
      }
    },
    [self](atom::drain) { self->state.drain(); },
  };
}

} // namespace corvus
