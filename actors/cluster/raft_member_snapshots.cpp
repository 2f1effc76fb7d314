// The Raft member's snapshots: when to take one, and taking it without
// stopping the member (a cheap copy of the state, serialized and written
// to its file on a worker thread; the member then compacts its log and
// keeps the file's text, mapped, as its latest snapshot); and installing
// one received from the leader, decoded on a worker thread as well.

#include "actors/cluster/raft_member.hpp"
#include "runtime/elsewhere.hpp"

#include <caf/all.hpp>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <random>

namespace corvus {

namespace {

// The workers that write the member's snapshots and decode received ones
// (named, so that a test can hold them back).
struct snapshot_writer_state {
  static inline const char* name = "snapshot-writer";
};

struct snapshot_decoder_state {
  static inline const char* name = "snapshot-decoder";
};

} // namespace

template <class Work>
void raft_member_state::spawn_worker(Work work) {
  if (settings.detached_snapshots)
    self->spawn<caf::detached>(std::move(work));
  else
    self->spawn(std::move(work));
}

bool raft_member_state::fresher_snapshot_first(const raft::snapshot& snap,
                                               const raft::node_tag& to) {
  if (snapshot_running) {
    fresh_snapshot_for.insert(to); // the latest is stale, or none would run
    return true;
  }
  // A follower sent an old snapshot then needs every entry since, each
  // persisted and applied on its own: in `raft-join`, a snapshot 360,000
  // entries old cost the new node 4 s and 7.8 s of CPU after it arrived,
  // where encoding the whole state takes the leader's worker 1-4 s at
  // lower priority. Once the entries since make up half the snapshot's
  // size, a fresh one goes instead (even at worst in wall time, and the
  // joining node's CPU and log writes spared: where-the-time-goes.md);
  // one per wait, so that a busy leader still sends. A node removed while
  // away gets the latest as it is: it only has to learn its removal, which
  // that snapshot or the entries after it hold.
  if (applied_bytes == 0 || applied_bytes < snap.data.size() / 2
      || snap.index == fresh_for_sending
      || !core->current_topology().contains(to))
    return false;
  if (!fresh_snapshot_wanted)
    settings.log->info("raft-member {}: node {} needs a snapshot, and the "
                       "latest (index {}, {} bytes) is {} bytes of entries "
                       "behind; a fresh one is taken first",
                       tag, to, snap.index, snap.data.size(), applied_bytes);
  fresh_snapshot_wanted = true;
  fresh_snapshot_for.insert(to);
  return true;
}

void raft_member_state::maybe_compact() {
  if (snapshot_running)
    return;
  auto& snap = core->log().latest_snapshot();
  auto now = core->applied();
  // Each member waits a little longer than the thresholds, by its own
  // random share: members that apply the same log would otherwise all
  // serialize the same large state at once, on the same cores.
  auto stretch = [this](uint64_t x) {
    return x + static_cast<uint64_t>(static_cast<double>(x) * snapshot_jitter);
  };
  if (fresh_snapshot_wanted && now > snap.index) {
    fresh_snapshot_wanted = false;
    fresh_for_sending = now;
  } else if (now < snap.index + stretch(settings.snapshot_every)
             || applied_bytes < stretch(snap.data.size())) {
    return;
  }
  snapshot_running = true;
  applied_bytes = 0;
  snapshot_jitter = std::uniform_real_distribution<double>{0, 0.5}(rng);
  // The copy shares its large values with the state (shared_text), so it
  // is cheap; serializing it into its file (raft_store::snapshot_file)
  // runs on a thread of its own while this member goes on committing and
  // applying; the member then only records it.
  auto started = clock::now();
  auto copy = std::make_shared<const cluster_state>(machine);
  auto copying = clock::now() - started;
  auto term = core->log().term_at(now).value_or(0);
  auto member = caf::actor_cast<raft_member_actor>(self);
  auto store = settings.store;
  auto log = settings.log;
  auto detached = settings.detached_snapshots;
  auto work = [this, copy, term, member, store, log, now, started, copying,
               detached](caf::stateful_actor<snapshot_writer_state>* worker) {
    // Behind the member, the HTTP threads and the network for the CPU
    // (Linux nice values are per thread, and a detached actor has one).
    if (detached)
      setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
    // The encoding goes to the snapshot's file a slice at a time, and the
    // member keeps the file's text (mapped on real files, so the kernel
    // can drop its pages): no copy of the whole state is ever held. When
    // the file cannot be written, the member keeps an encoding in memory,
    // and the save that records the snapshot writes it.
    auto written = [&]() -> outcome<uint32_t> {
      auto file = store->begin_snapshot_data(now, term);
      if (!file)
        return std::move(file.error());
      // A failed append fails the finish.
      copy->encode_to([&](std::string_view part) { (*file)->append(part); });
      return store->finish_snapshot_data(**file);
    }();
    std::optional<shared_text> file_text;
    if (!written)
      log->warn("cannot write the snapshot at index {} ahead: {}", now,
                written.error().message);
    else if (auto text = store->snapshot_data(now, term); !text)
      log->warn("cannot read back the snapshot at index {}: {}", now,
                text.error().message);
    else
      file_text = std::move(*text);
    auto data = file_text ? std::move(*file_text) : shared_text{copy->encode()};
    worker->send(member, member_task{[this, data, now, started, copying] {
                   finish_snapshot(now, data, started, copying);
                 }});
    worker->quit();
  };
  spawn_worker(std::move(work));
}

void raft_member_state::finish_snapshot(raft::index_t index, shared_text data,
                                        clock::time_point started,
                                        clock::duration copying) {
  snapshot_running = false;
  // A snapshot installed from the leader meanwhile may have overtaken it,
  // and one being decoded will: recording this one would remove that one's
  // file (raft_store keeps the latest snapshot's only), which the install
  // would then write again from memory, on this thread.
  if (!core || shutting_down || index <= core->log().latest_snapshot().index
      || (decoding_snapshot && index < decoding_snapshot->snap.index))
    return;
  auto keep_from = index > settings.snapshot_keep
                     ? index - settings.snapshot_keep + 1
                     : raft::index_t{1};
  auto bytes = data.size();
  auto compacting = clock::now();
  // The previous snapshot's text (up to a gigabyte: 30-65 ms of unmapping
  // measured here) and the entries the snapshot covers (half a million
  // allocations at a million values) are freed elsewhere; the text only
  // once no snapshot send holds it.
  auto previous = core->log().latest_snapshot().data;
  free_elsewhere(std::move(previous),
                 core->compact(index, std::move(data), keep_from));
  // Whoever waits for it need not wait for the core to ask again.
  for (auto& to : fresh_snapshot_for)
    core->snapshot_not_sent(to);
  auto done = clock::now();
  // The member's own share (the copy before, the compaction after) holds up
  // its heartbeats and commits; the rest ran on the worker.
  settings.log->info("raft-member {} took a snapshot at index {} ({} bytes, "
                     "{} ms; the member itself {} us copying the state, {} us "
                     "compacting the log)",
                     tag, index, bytes, ms(done - started), us(copying),
                     us(done - compacting));
}

void raft_member_state::decode_then_install(raft::message msg) {
  // Installing a snapshot of 1.1 GB took the member 1.0-1.1 s here when it
  // decoded it itself, answering nobody meanwhile: with the other follower
  // stopped, its leader heard from no majority and lost its leadership.
  auto data = msg.snap.data;
  decoding_snapshot = std::move(msg);
  decoding_started = clock::now();
  auto member = caf::actor_cast<raft_member_actor>(self);
  auto work = [this, data,
               member](caf::stateful_actor<snapshot_decoder_state>* worker) {
    auto decoded
      = std::make_shared<outcome<cluster_state>>(cluster_state::decode(data));
    worker->send(member, member_task{[this, decoded] {
                   install_decoded(std::move(*decoded));
                 }});
    worker->quit();
  };
  spawn_worker(std::move(work));
}

void raft_member_state::install_decoded(outcome<cluster_state> decoded) {
  auto msg = std::move(*decoding_snapshot);
  decoding_snapshot.reset();
  if (!core || shutting_down)
    return;
  if (!decoded) {
    settings.log->error("raft-member {} cannot read the snapshot at index {} "
                        "node {} sent: {}; it is sent again when asked for",
                        tag, msg.snap.index, msg.from,
                        decoded.error().message);
    return;
  }
  decoded_state = std::move(*decoded);
  core->step(std::move(msg));
  drain();
  // Not installed (the log holds it already, or its sender was deposed
  // meanwhile).
  if (decoded_state) {
    free_elsewhere(std::move(*decoded_state));
    decoded_state.reset();
  }
}

} // namespace corvus
