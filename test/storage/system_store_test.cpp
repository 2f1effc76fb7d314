#include "storage/system_store.hpp"

#include "storage/keys.hpp"
#include "test/fixtures/fault_env.hpp"
#include "test/storage/store_model.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace corvus;
using namespace corvus::test;

TEST_CASE("the system store reads back what it wrote, after reopen") {
  mem_env m;
  {
    auto store = unwrap(system_store::open("/system", m.env.get()));
    CHECK(!unwrap(store->read(system_keys::reconciled_index)));
    unwrap(store->write({{std::string{system_keys::reconciled_index}, "7"},
                         {"binary", std::string{"\0binary\xff", 8}}}));
    CHECK(unwrap(store->read(system_keys::reconciled_index)) == "7");
    unwrap(store->write({{std::string{system_keys::reconciled_index}, "9"}}));
  }
  auto store = unwrap(system_store::open("/system", m.env.get()));
  CHECK(unwrap(store->read(system_keys::reconciled_index)) == "9");
  CHECK(unwrap(store->read("binary")) == std::string{"\0binary\xff", 8});
}

TEST_CASE("system store writes are synced and survive a crash") {
  mem_env m;
  fault_env env{m.env.get()};
  {
    auto store = unwrap(system_store::open("/system", &env));
    unwrap(store->write({{"k", "v1"}}));
    unwrap(store->write({{"k", "v2"}, {"j", "w"}}));
    CHECK(env.unsynced_bytes() == 0);
    env.fail_syncs(true);
    auto res = store->write({{"k", "v3"}});
    REQUIRE(!res);
    CHECK(res.error().code == ec::storage_failure);
    env.fail_syncs(false);
  }
  REQUIRE(env.crash().ok());
  auto store = unwrap(system_store::open("/system", &env));
  CHECK(unwrap(store->read("k")) == "v2");
  CHECK(unwrap(store->read("j")) == "w");
}
