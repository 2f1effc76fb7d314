// runtime/elsewhere.hpp: work, and the last references to what it holds,
// leave the calling thread.

#include "runtime/elsewhere.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <memory>
#include <ostream>
#include <thread>

using namespace corvus;

namespace {

/// Tells which thread destroyed it.
struct watched {
  std::shared_ptr<std::promise<std::thread::id>> destroyed
    = std::make_shared<std::promise<std::thread::id>>();
  watched() = default;
  watched(const watched&) = delete;
  watched(watched&& other) noexcept : destroyed(std::move(other.destroyed)) {
    // nop
  }
  ~watched() {
    if (destroyed)
      destroyed->set_value(std::this_thread::get_id());
  }
};

} // namespace

TEST_CASE("run_elsewhere runs the work, and destroys it, on another thread") {
  auto ran = std::make_shared<std::promise<std::thread::id>>();
  watched held;
  auto destroyed = held.destroyed->get_future();
  run_elsewhere([ran, held = std::move(held)] {
    ran->set_value(std::this_thread::get_id());
  });
  auto ran_on = ran->get_future();
  REQUIRE(ran_on.wait_for(std::chrono::seconds{10})
          == std::future_status::ready);
  REQUIRE(destroyed.wait_for(std::chrono::seconds{10})
          == std::future_status::ready);
  auto here = std::this_thread::get_id();
  auto there = ran_on.get();
  CHECK(there != here);
  CHECK(destroyed.get() == there);
}

TEST_CASE("free_elsewhere drops the last reference on another thread") {
  watched held;
  auto destroyed = held.destroyed->get_future();
  free_elsewhere(std::move(held));
  REQUIRE(destroyed.wait_for(std::chrono::seconds{10})
          == std::future_status::ready);
  CHECK(destroyed.get() != std::this_thread::get_id());
}
