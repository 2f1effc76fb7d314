#include "test/sim/replication_sim.hpp"

#include "runtime/documents/document_id.hpp"
#include "runtime/documents/document_json.hpp"
#include "runtime/documents/timestamp.hpp"
#include "runtime/replication/incoming_batch.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

namespace corvus::sim {

using test::memory_documents;

struct replication_sim::instance {
  instance(std::string tag, std::string db_id, uint64_t seed, int64_t skew)
    : tag(tag), db_id(db_id), store(db_id), executor(tag, seed), skew(skew) {
    // nop
  }

  std::string tag;
  std::string db_id;
  /// Survives crashes: every apply is one atomic, durable write.
  memory_documents store;
  transaction_executor executor;
  /// This instance's clock minus the simulation's, in ticks: resolve to
  /// latest compares clocks of different machines.
  int64_t skew = 0;
  bool up = true;
  /// The global change vector after the last write (checked to only
  /// grow, and kept parsed for the messages that carry it).
  change_vector last_global;
};

struct replication_sim::message {
  enum class kind {
    /// Source → destination: the handshake (GetLastEtag, §4.2).
    hello,
    /// Destination → source: the handshake's answer.
    welcome,
    /// Source → destination: a batch, or a heartbeat (an empty batch at
    /// the cursor).
    batch,
    /// Destination → source: the answer to a batch, or a notify.
    ack,
  };

  kind type = kind::batch;
  int64_t deliver_at = 0;
  uint64_t order = 0;
  outgoing_batch batch;
  bool heartbeat = false;
  /// welcome, ack: the destination's cursor for this source and its global
  /// change vector.
  int64_t accepted_etag = 0;
  corvus::change_vector destination;
  /// ack: unasked, after the destination applied another source's batch.
  bool notify = false;
};

struct replication_sim::link {
  size_t source = 0;
  size_t dest = 0;
  /// Lives on the source; a crash keeps nothing of it but what the next
  /// handshake restores.
  replication_sender sender;
  /// The connection exists (both sides know it).
  bool up = false;
  /// The destination answered the handshake: it notifies this source.
  bool dest_ready = false;
  std::deque<message> to_dest;
  std::deque<message> to_source;
  /// When a down link tries to connect again.
  int64_t next_attempt = 0;
  /// The sender looks for something to send when it is free.
  bool wanted = false;
  /// What the sender waits for an answer to.
  enum class waiting { nothing, batch, heartbeat };
  waiting awaiting = waiting::nothing;
  int64_t last_send = 0;
};

namespace {

constexpr const char* base64_chars
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Ticks per simulation step, and the simulation's epoch.
constexpr int64_t step_ticks = ticks_per_second / 10;
constexpr int64_t epoch_ticks = int64_t{1'700'000'000} * ticks_per_second;

change_vector parsed(const std::string& text) {
  auto cv = change_vector::parse(text);
  if (!cv)
    throw std::runtime_error("unreadable change vector '" + text
                             + "': " + cv.error().message);
  return std::move(*cv);
}

bool covers(const change_vector& container, const change_vector& x) {
  return compare(x, container) == conflict_status::already_merged;
}

// The content two copies of a version must agree on: collection, user
// metadata and body. The computed metadata is compared through the
// record (change vector, modification time, flags).
std::string content_of(const document_record& r) {
  if (r.tombstone)
    return "(tombstone " + fold_case(r.collection) + ")";
  auto doc = prepare_document(r.json);
  if (!doc)
    throw std::runtime_error("unreadable stored JSON of " + r.id);
  return fold_case(r.collection) + " " + doc->metadata + " " + doc->body;
}

std::string collection_of(const std::string& id) {
  return id.rfind("users/", 0) == 0 ? "Users" : "Orders";
}

} // namespace

void replication_figures::add(const replication_figures& other) {
  writes += other.writes;
  crashes += other.crashes;
  partitions += other.partitions;
  cuts += other.cuts;
  batches += other.batches;
  empty_batches += other.empty_batches;
  heartbeats += other.heartbeats;
  versions += other.versions;
  items_sent += other.items_sent;
  arrivals.applied += other.arrivals.applied;
  arrivals.ignored += other.arrivals.ignored;
  arrivals.merged += other.arrivals.merged;
  arrivals.resolved += other.arrivals.resolved;
  arrivals.conflicts += other.arrivals.conflicts;
  local_resolutions += other.local_resolutions;
  settle_steps = std::max(settle_steps, other.settle_steps);
  final_conflicts += other.final_conflicts;
}

replication_options varied_replication_options(size_t instances,
                                               bool resolve_to_latest,
                                               uint64_t seed) {
  std::mt19937_64 rng{seed ^ 0x7e91ca7e5eedULL};
  auto pick = [&](double low, double high) {
    return std::uniform_real_distribution<double>{low, high}(rng);
  };
  replication_options opts;
  opts.instances = instances;
  opts.policy.resolve_to_latest = resolve_to_latest;
  opts.write = pick(0.1, 0.4);
  opts.concurrent = pick(0, 0.5);
  opts.shared_body = pick(0, 0.4);
  opts.crash = pick(0.002, 0.03);
  opts.partition = pick(0.002, 0.04);
  opts.cut = pick(0, 0.03);
  opts.max_delay = static_cast<int>(1 + rng() % 8);
  opts.max_backoff = static_cast<int>(1 + rng() % 16);
  opts.heartbeat_steps = static_cast<int>(3 + rng() % 40);
  if (rng() % 2 == 0)
    opts.limits.max_items = 1 + rng() % 6;
  if (rng() % 2 == 0)
    opts.read_chunk = 1 + rng() % 4;
  if (rng() % 2 == 0)
    opts.window = 2 + rng() % 3;
  opts.ids_per_collection = 2 + rng() % 4;
  return opts;
}

replication_sim::replication_sim(uint64_t seed, replication_options opts)
  : seed_(seed), opts_(opts), rng_(seed), group_(opts.instances, 0) {
  std::set<std::string> ids;
  for (size_t i = 0; i < opts_.instances; ++i) {
    std::string db_id;
    do {
      db_id.clear();
      for (size_t c = 0; c < db_id_length; ++c)
        db_id += base64_chars[rng_() % 64];
    } while (!ids.insert(fold_case(db_id)).second);
    auto skew = static_cast<int64_t>(rng_() % 7) * step_ticks / 2;
    instances_.push_back(std::make_unique<instance>(
      std::string(1, static_cast<char>('A' + i)), db_id, rng_(), skew));
  }
  for (size_t s = 0; s < opts_.instances; ++s)
    for (size_t d = 0; d < opts_.instances; ++d)
      if (s != d) {
        auto l = std::make_unique<link>();
        l->source = s;
        l->dest = d;
        l->sender = replication_sender{opts_.limits, opts_.read_chunk,
                                      opts_.window};
        links_.push_back(std::move(l));
      }
}

replication_sim::~replication_sim() = default;

double replication_sim::roll() {
  return std::uniform_real_distribution<double>{0, 1}(rng_);
}

void replication_sim::note(const std::string& what) {
  events_.push_back("t=" + std::to_string(now_) + " " + what);
  if (opts_.trace)
    std::cerr << events_.back() << "\n";
  if (events_.size() > 60)
    events_.pop_front();
}

void replication_sim::fail(const std::string& what) {
  std::string text = "seed " + std::to_string(seed_) + ", t="
                     + std::to_string(now_) + ": " + what
                     + "\nlast events:\n";
  for (auto& e : events_)
    text += "  " + e + "\n";
  text += "instances:\n";
  for (auto& i : instances_) {
    text += "  " + i->tag + " " + i->db_id + (i->up ? "" : " down")
            + " last etag " + std::to_string(i->store.state.last_etag)
            + " global [" + i->store.state.change_vector + "]\n";
    for (auto& [key, r] : i->store.live)
      text += "    " + key + " [" + r.change_vector + "]"
              + (r.tombstone ? " tombstone" : " " + content_of(r)) + "\n";
    for (auto& [key, versions] : i->store.conflicted)
      for (auto& [cv, r] : versions)
        text += "    " + key + " conflict [" + cv + "]"
                + (r.tombstone ? " tombstone" : " " + content_of(r)) + "\n";
  }
  text += "links:\n";
  for (auto& l : links_)
    text += "  " + instances_[l->source]->tag + "->"
            + instances_[l->dest]->tag + (l->up ? " up" : " down")
            + " cursor " + std::to_string(l->sender.cursor())
            + (l->sender.in_flight() ? " in flight" : "")
            + (l->wanted ? " wanted" : "") + " queued "
            + std::to_string(l->to_dest.size()) + "/"
            + std::to_string(l->to_source.size()) + " knows ["
            + l->sender.destination().to_string() + "]\n";
  throw std::runtime_error(text);
}

bool replication_sim::reachable(size_t x, size_t y) const {
  return instances_[x]->up && instances_[y]->up && group_[x] == group_[y];
}

void replication_sim::run() {
  try {
    for (size_t i = 0; i < opts_.steps; ++i)
      step(opts_.faults, true);
    std::fill(group_.begin(), group_.end(), 0);
    for (auto& i : instances_)
      if (!i->up) {
        i->up = true;
        note("restart " + i->tag);
      }
    note("heal all, writers stop");
    if (!settle(opts_.settle_steps))
      fail("not quiescent " + std::to_string(opts_.settle_steps)
           + " steps after healing");
    check_converged();
  } catch (const std::runtime_error& e) {
    if (std::string_view{e.what()}.rfind("seed ", 0) == 0)
      throw;
    fail(e.what());
  }
}

bool replication_sim::settle(size_t limit) {
  for (size_t i = 0; i < limit; ++i) {
    if (quiescent()) {
      figures_.settle_steps = std::max(figures_.settle_steps, i);
      return true;
    }
    step(false, false);
  }
  return quiescent();
}

void replication_sim::write_and_settle(size_t i, size_t writes) {
  if (!settle(opts_.settle_steps))
    fail("not quiescent before a write");
  for (size_t w = 0; w < writes; ++w) {
    if (w > 0)
      step(false, false);
    ++now_;
    // Ids in turn: a burst does not overwrite its own versions before
    // they are sent.
    auto n = figures_.writes;
    auto id = (n % 2 == 0 ? "users/" : "orders/")
              + std::to_string(1 + n / 2 % opts_.ids_per_collection);
    write(i, {id}, false);
  }
  if (!settle(opts_.settle_steps))
    fail("not quiescent after a write on " + instances_[i]->tag);
}

void replication_sim::step(bool faults, bool writing) {
  ++now_;
  if (faults)
    maybe_fault();
  if (writing)
    writers();
  for (auto& l : links_)
    if (!l->up && now_ >= l->next_attempt)
      reconnect(*l);
  deliver_due();
  run_senders();
}

void replication_sim::writers() {
  std::vector<size_t> up;
  for (size_t i = 0; i < instances_.size(); ++i)
    if (instances_[i]->up)
      up.push_back(i);
  if (up.empty())
    return;
  if (!opts_.policy.resolve_to_latest && roll() < opts_.resolve) {
    // Someone reads a 409 and resolves it by writing the document again.
    auto i = up[rng_() % up.size()];
    auto& conflicted = instances_[i]->store.conflicted;
    if (!conflicted.empty()) {
      auto k = std::next(conflicted.begin(), rng_() % conflicted.size());
      write(i, {k->second.begin()->second.id}, false);
    }
  }
  if (roll() >= opts_.write)
    return;
  std::vector<std::string> ids;
  auto count = 1 + rng_() % 3;
  for (size_t c = 0; c < count; ++c)
    ids.push_back((rng_() % 2 == 0 ? "users/" : "orders/")
                  + std::to_string(1 + rng_() % opts_.ids_per_collection));
  if (up.size() > 1 && roll() < opts_.concurrent) {
    // The same ids on several instances before they hear of each other.
    std::shuffle(up.begin(), up.end(), rng_);
    auto count = 2 + rng_() % (up.size() - 1);
    for (size_t w = 0; w < count; ++w)
      write(up[w], ids);
    return;
  }
  write(up[rng_() % up.size()], ids);
}

void replication_sim::write(size_t i, const std::vector<std::string>& ids,
                            bool deletes) {
  auto& inst = *instances_[i];
  write_transaction tx;
  for (auto& id : ids) {
    write_command cmd;
    cmd.id = id;
    if (deletes && roll() < 0.25) {
      cmd.kind = command_kind::del;
    } else {
      cmd.document.collection = collection_of(id);
      cmd.document.body
        = roll() < opts_.shared_body
            ? std::string{R"({"v":0})"}
            : R"({"v":)" + std::to_string(next_value_++) + R"(,"by":")"
                + inst.tag + "\"}";
    }
    tx.commands.push_back(std::move(cmd));
  }
  auto now = epoch_ticks + now_ * step_ticks + inst.skew;
  auto executed
    = inst.executor.execute(tx, inst.store.state, inst.store, now);
  if (!executed)
    fail(inst.tag + ": write failed: " + executed.error().message);
  for (auto& w : executed->writes)
    if (!w.removed_conflicts.empty())
      ++figures_.local_resolutions;
  inst.store.apply(executed->writes, executed->state);
  ++figures_.writes;
  figures_.versions += executed->writes.size();
  std::string text = inst.tag + " writes";
  for (auto& r : executed->result.results) {
    text += (r.kind == command_kind::put ? " put " : " delete ") + r.id;
    // A DELETE of nothing writes nothing and has no change vector.
    if (!r.change_vector.empty())
      acknowledged_.emplace_back(fold_case(r.id), r.change_vector);
  }
  note(text);
  if (opts_.trace)
    for (auto& w : executed->writes)
      note("  " + inst.tag + " stores " + w.key + " at "
           + std::to_string(w.record.etag) + " [" + w.record.change_vector
           + "]" + (w.record.tombstone ? " tombstone" : ""));
  check_instance(i, executed->writes);
  if (!executed->writes.empty())
    wake_senders(i);
}

void replication_sim::wake_senders(size_t source) {
  auto newest = instances_[source]->store.state.last_etag;
  for (auto& l : links_)
    if (l->source == source) {
      l->wanted = true;
      l->sender.wrote(newest);
    }
}

void replication_sim::maybe_fault() {
  auto n = instances_.size();
  if (roll() < opts_.crash) {
    auto i = rng_() % n;
    size_t down = 0;
    for (auto& x : instances_)
      down += x->up ? 0 : 1;
    if (instances_[i]->up && down + 1 < n)
      crash(i);
  }
  if (roll() < opts_.restart)
    for (auto& x : instances_)
      if (!x->up) {
        x->up = true;
        note("restart " + x->tag);
        break;
      }
  if (roll() < opts_.partition) {
    std::string text = "partition";
    for (size_t i = 0; i < n; ++i) {
      group_[i] = static_cast<int>(rng_() % 2);
      text += " " + instances_[i]->tag + ":" + std::to_string(group_[i]);
    }
    note(text);
    ++figures_.partitions;
    for (auto& l : links_)
      if (!reachable(l->source, l->dest))
        cut(*l, "partition");
  }
  auto partitioned = std::any_of(group_.begin(), group_.end(),
                                 [](int g) { return g != 0; });
  if (partitioned && roll() < opts_.heal) {
    std::fill(group_.begin(), group_.end(), 0);
    note("heal");
  }
  if (roll() < opts_.cut) {
    auto& l = *links_[rng_() % links_.size()];
    if (l.up) {
      ++figures_.cuts;
      cut(l, "connection error");
    }
  }
}

void replication_sim::crash(size_t i) {
  instances_[i]->up = false;
  ++figures_.crashes;
  note("crash " + instances_[i]->tag);
  for (auto& l : links_)
    if (l->source == i || l->dest == i) {
      cut(*l, "crash");
      // What the senders knew is gone; the next handshake tells them.
      if (l->source == i)
        l->sender = replication_sender{opts_.limits, opts_.read_chunk,
                                      opts_.window};
    }
}

void replication_sim::cut(link& l, const std::string& why) {
  if (!l.up)
    return;
  note("cut " + instances_[l.source]->tag + "->" + instances_[l.dest]->tag
       + " (" + why + ")");
  l.up = false;
  l.dest_ready = false;
  l.to_dest.clear();
  l.to_source.clear();
  l.sender.disconnected();
  l.wanted = false;
  l.awaiting = link::waiting::nothing;
  l.next_attempt = now_ + 1 + static_cast<int64_t>(rng_() % opts_.max_backoff);
}

void replication_sim::reconnect(link& l) {
  if (!reachable(l.source, l.dest)) {
    l.next_attempt
      = now_ + 1 + static_cast<int64_t>(rng_() % opts_.max_backoff);
    return;
  }
  l.up = true;
  message hello;
  hello.type = message::kind::hello;
  send(l, true, std::move(hello));
}

void replication_sim::send(link& l, bool to_dest, message m) {
  auto& queue = to_dest ? l.to_dest : l.to_source;
  auto delay = 1 + static_cast<int64_t>(rng_() % opts_.max_delay);
  m.deliver_at = now_ + delay;
  // One connection is FIFO in each direction.
  if (!queue.empty())
    m.deliver_at = std::max(m.deliver_at, queue.back().deliver_at);
  m.order = order_++;
  queue.push_back(std::move(m));
}

void replication_sim::deliver_due() {
  for (;;) {
    link* next = nullptr;
    bool to_dest = false;
    auto earlier = [&](const message& m) {
      if (m.deliver_at > now_)
        return false;
      if (!next)
        return true;
      auto& best = to_dest ? next->to_dest.front() : next->to_source.front();
      return std::tie(m.deliver_at, m.order)
             < std::tie(best.deliver_at, best.order);
    };
    for (auto& l : links_) {
      if (!l->to_dest.empty() && earlier(l->to_dest.front())) {
        next = l.get();
        to_dest = true;
      }
      if (!l->to_source.empty() && earlier(l->to_source.front())) {
        next = l.get();
        to_dest = false;
      }
    }
    if (!next)
      return;
    auto& queue = to_dest ? next->to_dest : next->to_source;
    auto m = std::move(queue.front());
    queue.pop_front();
    if (to_dest)
      at_dest(*next, m);
    else
      at_source(*next, m);
  }
}

void replication_sim::at_dest(link& l, message& m) {
  auto& dest = *instances_[l.dest];
  auto& source = *instances_[l.source];
  auto cursor_of = [&](const std::string& db_id) {
    auto i = dest.store.state.accepted_etags.find(db_id);
    return i == dest.store.state.accepted_etags.end() ? int64_t{0}
                                                      : i->second;
  };
  if (m.type == message::kind::hello) {
    // §4.2: the last etag accepted from this source, and the global vector.
    l.dest_ready = true;
    message welcome;
    welcome.type = message::kind::welcome;
    welcome.accepted_etag = cursor_of(source.db_id);
    welcome.destination = dest.last_global;
    send(l, false, std::move(welcome));
    return;
  }
  // Batches of a connection arrive in order and none is lost without the
  // connection: one that does not follow what was accepted (refused by
  // apply_incoming) fails the run.
  incoming_batch batch{source.db_id, m.batch.after_etag, m.batch.last_etag,
                       std::move(m.batch.items)};
  if (opts_.trace)
    for (auto& r : batch.items)
      note("  " + source.tag + " sends " + dest.tag + " " + r.id + " at "
           + std::to_string(r.etag) + " [" + r.change_vector + "]"
           + (r.tombstone ? " tombstone" : "")
           + ((r.flags & document_flag::conflicted) != 0 ? " conflicted"
                                                          : "")
           + ((r.flags & document_flag::resolved) != 0 ? " resolved" : ""));
  auto applied = apply_incoming(batch, dest.store.state, dest.store,
                                opts_.policy, dest.tag);
  if (!applied)
    fail(dest.tag + " cannot apply a batch from " + source.tag + ": "
         + applied.error().message);
  dest.store.apply(applied->writes, applied->state);
  auto& c = applied->counts;
  figures_.arrivals.applied += c.applied;
  figures_.arrivals.ignored += c.ignored;
  figures_.arrivals.merged += c.merged;
  figures_.arrivals.resolved += c.resolved;
  figures_.arrivals.conflicts += c.conflicts;
  figures_.versions += c.resolved + c.merged;
  if (!batch.items.empty())
    note(dest.tag + " applies " + std::to_string(batch.items.size())
         + " from " + source.tag + " up to "
         + std::to_string(batch.last_etag) + ": "
         + std::to_string(c.applied) + " applied, "
         + std::to_string(c.ignored) + " ignored, "
         + std::to_string(c.merged) + " merged, "
         + std::to_string(c.resolved) + " resolved, "
         + std::to_string(c.conflicts) + " conflicts");
  if (opts_.trace)
    for (auto& w : applied->writes)
      note("  " + dest.tag + " stores " + w.key + " at "
           + std::to_string(w.record.etag) + " [" + w.record.change_vector
           + "]" + (w.record.tombstone ? " tombstone" : "")
           + ((w.record.flags & document_flag::conflicted) != 0
                ? " conflicted"
                : ""));
  check_instance(l.dest, applied->writes);
  message ack;
  ack.type = message::kind::ack;
  ack.accepted_etag = cursor_of(source.db_id);
  ack.destination = dest.last_global;
  send(l, false, std::move(ack));
  // The source holds what it sent: the sender back to it must not echo it.
  if (!applied->source_holds.empty())
    for (auto& back : links_)
      if (back->source == l.dest && back->dest == l.source)
        back->sender.destination_holds(applied->source_holds);
  // Resolutions and merges are local work: they replicate on at once
  // (§6.2; incoming_counts).
  if (c.resolved > 0 || c.merged > 0)
    wake_senders(l.dest);
  if (batch.items.empty())
    return;
  // Notify (§4.3): every other source learns the new global vector, so
  // that it can skip what this batch brought.
  for (auto& other : links_)
    if (other->dest == l.dest && other->source != l.source && other->up
        && other->dest_ready) {
      message notify;
      notify.type = message::kind::ack;
      notify.notify = true;
      notify.accepted_etag = cursor_of(instances_[other->source]->db_id);
      notify.destination = dest.last_global;
      send(*other, false, std::move(notify));
    }
}

void replication_sim::at_source(link& l, message& m) {
  auto& source = *instances_[l.source];
  if (m.type == message::kind::welcome) {
    l.sender.connected(m.accepted_etag, m.destination);
    l.wanted = true;
    l.awaiting = link::waiting::nothing;
    l.last_send = now_;
    return;
  }
  l.sender.acknowledged(m.accepted_etag, m.destination);
  if (l.awaiting != link::waiting::nothing && !l.sender.in_flight()) {
    // After a batch, look for more at once (§4.5: while there was work).
    if (l.awaiting == link::waiting::batch)
      l.wanted = true;
    l.awaiting = link::waiting::nothing;
  }
  // The destination lacks something this instance has (data that arrived
  // here by replication does not wake the sender by itself, §4.5).
  if (!covers(l.sender.destination(), source.last_global))
    l.wanted = true;
}

void replication_sim::run_senders() {
  for (auto& lp : links_) {
    auto& l = *lp;
    if (!l.up || !l.sender.can_send())
      continue;
    auto& source = *instances_[l.source];
    if (l.wanted) {
      entry_reader read = [&](int64_t after, size_t limit) {
        return outcome<std::vector<etag_entry>>{
          source.store.changes_since(after, limit)};
      };
      auto next = l.sender.next(read);
      if (!next)
        fail(source.tag + " cannot build a batch: " + next.error().message);
      if (*next) {
        auto& batch = **next;
        if (batch.items.empty())
          ++figures_.empty_batches;
        else
          ++figures_.batches;
        figures_.items_sent += batch.items.size();
        message m;
        m.type = message::kind::batch;
        m.batch = std::move(batch);
        send(l, true, std::move(m));
        l.awaiting = link::waiting::batch;
        l.last_send = now_;
        continue;
      }
      l.wanted = false;
    }
    if (!l.sender.in_flight() && now_ - l.last_send >= opts_.heartbeat_steps) {
      message m;
      m.type = message::kind::batch;
      m.batch = l.sender.heartbeat();
      m.heartbeat = true;
      ++figures_.heartbeats;
      send(l, true, std::move(m));
      l.awaiting = link::waiting::heartbeat;
      l.last_send = now_;
    }
  }
}

bool replication_sim::quiescent() const {
  for (auto& i : instances_)
    if (!i->up
        || i->store.state.change_vector
             != instances_.front()->store.state.change_vector)
      return false;
  for (auto& l : links_) {
    if (!l->up || !l->sender.is_connected() || l->wanted
        || l->awaiting == link::waiting::batch)
      return false;
    for (auto& m : l->to_dest)
      if (m.type != message::kind::batch || !m.heartbeat)
        return false;
    for (auto& m : l->to_source)
      if (m.type != message::kind::ack)
        return false;
  }
  return true;
}

void replication_sim::check_instance(
  size_t i, const std::vector<document_write>& writes) {
  auto& inst = *instances_[i];
  auto global = parsed(inst.store.state.change_vector);
  if (!covers(global, inst.last_global))
    fail(inst.tag + ": the global change vector went back from ["
         + inst.last_global.to_string() + "] to [" + global.to_string()
         + "]");
  inst.last_global = global;
  // What was there before was checked when it was written.
  for (auto& w : writes) {
    if (w.record.etag > inst.store.state.last_etag)
      fail(inst.tag + " stores etag " + std::to_string(w.record.etag)
           + " beyond its last etag");
    if (!covers(global, parsed(w.record.change_vector)))
      fail(inst.tag + ": the global change vector does not contain "
           + w.record.id + " [" + w.record.change_vector + "]");
  }
}

void replication_sim::check_converged() {
  using live_view
    = std::map<std::string,
               std::tuple<std::string, bool, int64_t, std::string>>;
  using conflict_view = std::map<std::string, std::set<std::string>>;
  auto view = [](const memory_documents& store) {
    live_view live;
    conflict_view conflicts;
    for (auto& [key, r] : store.live)
      live[key] = {r.change_vector, r.tombstone, r.last_modified,
                   content_of(r)};
    for (auto& [key, versions] : store.conflicted)
      for (auto& [cv, r] : versions)
        conflicts[key].insert(cv + " " + std::to_string(r.last_modified)
                              + " " + content_of(r));
    return std::pair{live, conflicts};
  };
  auto& first = *instances_.front();
  auto expected = view(first.store);
  std::vector<std::tuple<std::string, std::string, change_vector>>
    acknowledged;
  for (auto& [key, text] : acknowledged_)
    acknowledged.emplace_back(key, text, parsed(text));
  for (auto& ip : instances_) {
    auto& inst = *ip;
    auto seen = view(inst.store);
    if (seen.first != expected.first || seen.second != expected.second) {
      std::string keys;
      for (auto& [key, r] : seen.first)
        if (expected.first.count(key) == 0 || expected.first[key] != r)
          keys += " " + key;
      for (auto& [key, r] : expected.first)
        if (seen.first.count(key) == 0)
          keys += " " + key;
      for (auto& [key, r] : seen.second)
        if (expected.second.count(key) == 0 || expected.second[key] != r)
          keys += " " + key + " (conflicts)";
      for (auto& [key, r] : expected.second)
        if (seen.second.count(key) == 0)
          keys += " " + key + " (conflicts)";
      fail(inst.tag + " and " + first.tag + " hold different versions of"
           + keys);
    }
    if (opts_.policy.resolve_to_latest && !inst.store.conflicted.empty())
      fail(inst.tag + " holds conflicts with resolve-to-latest on");
    size_t versions = 0;
    for (auto& [key, v] : inst.store.conflicted)
      versions += v.size();
    figures_.final_conflicts += versions;
    // No acknowledged write is lost: the global vector contains it, and
    // what the instance holds for its id (the live version, or one of the
    // conflict versions) descends from it.
    auto& global = inst.last_global;
    for (auto& [key, text, cv] : acknowledged) {
      if (!covers(global, cv))
        fail(inst.tag + " lost the write [" + text + "] of " + key
             + ": the global vector does not contain it");
      auto held = false;
      if (auto l = inst.store.live.find(key); l != inst.store.live.end())
        held = covers(parsed(l->second.change_vector), cv);
      if (auto c = inst.store.conflicted.find(key);
          c != inst.store.conflicted.end())
        for (auto& [version, r] : c->second)
          held = held || covers(parsed(version), cv);
      if (!held)
        fail(inst.tag + " lost the write [" + text + "] of " + key
             + ": nothing it holds for the id descends from it");
    }
  }
}

} // namespace corvus::sim
