// The introspection registry under the test coordinator: registration,
// forgetting ended actors, snapshots and unresponsive actors, restarts.

#include "actors/introspection/registry.hpp"

#include "test/fixtures/deterministic_fixture.hpp"

using namespace corvus;
using namespace corvus::test;
using namespace std::chrono_literals;

namespace {

// An actor that describes itself, or never answers when `silent`.
introspectable_actor::behavior_type
probe(introspectable_actor::pointer self, bool silent) {
  return {
    [self, silent](atom::snapshot) -> caf::result<std::string> {
      if (silent)
        return self->make_response_promise<std::string>();
      return std::string{R"({"Ok":true})"};
    },
  };
}

struct registry_fixture : deterministic_fixture {
  introspection_actor registry = sys.spawn(introspection_registry,
                                           caf::timespan{500ms});

  introspectable_actor add(const std::string& name, bool silent = false,
                           uint64_t parent = 0) {
    auto a = sys.spawn(probe, silent);
    self->send(registry, actor_registration{"probe", name, parent, a});
    run();
    return a;
  }

  ~registry_fixture() {
    self->send_exit(registry, caf::exit_reason::user_shutdown);
  }
};

} // namespace

TEST_CASE_FIXTURE(registry_fixture, "registered actors are listed with their "
                                    "snapshots, in spawn order") {
  auto one = add("one");
  auto two = add("two", false, one.id());
  auto views = value_of(ask<std::vector<actor_view>>(registry, atom::list_v));
  REQUIRE(views.size() == 2);
  CHECK(views[0].name == "one");
  CHECK(views[1].parent == one.id());
  CHECK(views[1].state == R"({"Ok":true})");
  CHECK(views[1].responsive);
  self->send_exit(one, caf::exit_reason::user_shutdown);
  self->send_exit(two, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(registry_fixture, "an actor that does not answer in time "
                                    "shows as unresponsive") {
  auto quiet = add("quiet", true);
  auto answer = request<std::vector<actor_view>>(registry, atom::list_v);
  run();
  CHECK_FALSE(answer->has_value());
  advance(500ms);
  sched.trigger_timeouts();
  run();
  REQUIRE(answer->has_value());
  auto views = value_of(std::move(**answer));
  REQUIRE(views.size() == 1);
  CHECK_FALSE(views[0].responsive);
  CHECK(views[0].state.empty());
  self->send_exit(quiet, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(registry_fixture, "ended actors are forgotten; unknown ids "
                                    "are not found") {
  auto gone = add("gone");
  self->send_exit(gone, caf::exit_reason::user_shutdown);
  run();
  CHECK(value_of(ask<std::vector<actor_view>>(registry, atom::list_v))
          .empty());
  CHECK(error_code_of(ask<actor_view>(registry, atom::show_v, gone.id()))
        == ec::not_found);
}

TEST_CASE_FIXTURE(registry_fixture, "restarts are recorded and counted per "
                                    "kind and name") {
  auto db = add("demo");
  self->send(registry, restart_view{"probe", "demo", "disk full", 1, 500});
  self->send(registry, restart_view{"probe", "demo", "disk full", 2, 1000});
  run();
  auto restarts = value_of(
    ask<std::vector<restart_view>>(registry, atom::restarts_v));
  REQUIRE(restarts.size() == 2);
  CHECK(restarts[1].next_attempt_ms == 1000);
  CHECK(value_of(ask<actor_view>(registry, atom::show_v, db.id())).restarts
        == 2);
  self->send_exit(db, caf::exit_reason::user_shutdown);
}
