#include "actors/introspection/registry.hpp"

#include "messages/error.hpp"
#include "runtime/json/json.hpp"

#include <caf/all.hpp>

#include <memory>

namespace corvus {

std::string registry_state::own_snapshot() const {
  return write_json([&](json_writer& w) {
    w.StartObject();
    w.Key("Actors");
    w.Uint64(entries.size());
    w.Key("Restarts");
    w.Uint64(restarts.size());
    w.EndObject();
  });
}

void registry_state::gather(
  std::vector<uint64_t> ids,
  std::function<void(std::vector<actor_view>)> done) {
  struct pending {
    std::vector<actor_view> views;
    size_t remaining = 0;
    std::function<void(std::vector<actor_view>)> done;
  };
  auto p = std::make_shared<pending>();
  p->done = std::move(done);
  std::vector<introspectable_actor> handles;
  for (auto id : ids) {
    auto i = entries.find(id);
    if (i == entries.end())
      continue;
    auto& e = i->second;
    actor_view v;
    v.id = id;
    v.kind = e.kind;
    v.name = e.name;
    v.parent = e.parent;
    if (auto c = restart_counts.find({e.kind, e.name});
        c != restart_counts.end())
      v.restarts = c->second;
    p->views.push_back(std::move(v));
    handles.push_back(e.handle);
  }
  p->remaining = handles.size();
  if (p->remaining == 0) {
    p->done(std::move(p->views));
    return;
  }
  for (size_t i = 0; i < handles.size(); ++i) {
    auto finish = [p] {
      if (--p->remaining == 0)
        p->done(std::move(p->views));
    };
    // The registry answers itself: asking would wait on its own mailbox.
    if (handles[i].address() == self->address()) {
      p->views[i].state = own_snapshot();
      finish();
      continue;
    }
    self->request(handles[i], snapshot_timeout, atom::snapshot_v)
      .then(
        [p, i, finish](std::string& state) {
          p->views[i].state = std::move(state);
          finish();
        },
        [p, i, finish](caf::error&) {
          p->views[i].responsive = false;
          finish();
        });
  }
}

introspection_actor::behavior_type
introspection_registry(introspection_actor::stateful_pointer<registry_state> self,
                       caf::timespan snapshot_timeout) {
  self->state.snapshot_timeout = snapshot_timeout;
  self->set_down_handler([self](const caf::down_msg& msg) {
    auto& entries = self->state.entries;
    for (auto i = entries.begin(); i != entries.end(); ++i)
      if (i->second.handle.address() == msg.source) {
        entries.erase(i);
        return;
      }
  });
  return {
    [self](actor_registration& reg) {
      auto id = reg.handle.id();
      auto& entries = self->state.entries;
      if (entries.count(id) == 0 && reg.handle.address() != self->address())
        self->monitor(reg.handle);
      entries.insert_or_assign(id, std::move(reg));
    },
    [self](restart_view& r) {
      auto& st = self->state;
      ++st.restart_counts[{r.kind, r.name}];
      st.restarts.push_back(std::move(r));
    },
    [self](atom::list) -> caf::result<std::vector<actor_view>> {
      auto rp = self->make_response_promise<std::vector<actor_view>>();
      std::vector<uint64_t> ids;
      for (auto& [id, entry] : self->state.entries)
        ids.push_back(id);
      self->state.gather(std::move(ids),
                         [rp](std::vector<actor_view> views) mutable {
                           rp.deliver(std::move(views));
                         });
      return rp;
    },
    [self](atom::show, uint64_t id) -> caf::result<actor_view> {
      if (self->state.entries.count(id) == 0)
        return to_error(make_failure(ec::not_found,
                                     "no actor " + std::to_string(id)
                                       + " on this node"));
      auto rp = self->make_response_promise<actor_view>();
      self->state.gather({id}, [rp](std::vector<actor_view> views) mutable {
        rp.deliver(std::move(views.front()));
      });
      return rp;
    },
    [self](atom::restarts) -> std::vector<restart_view> {
      return self->state.restarts;
    },
    [self](atom::snapshot) { return self->state.own_snapshot(); },
  };
}

} // namespace corvus
