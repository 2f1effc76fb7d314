// Cluster-wide compare-exchange values through the npm client's operations
// (PutCompareExchangeValueOperation and friends): create-if-absent, compare
// by index, reads of one, several and by prefix, delete by index, and the
// values surviving a restart (they live in the Raft log and snapshots).

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  DeleteCompareExchangeValueOperation,
  GetCompareExchangeValueOperation,
  GetCompareExchangeValuesOperation,
  PutCompareExchangeValueOperation,
} from "ravendb";
import { createDatabase, disposeStore, openStore, startServer } from "./setup.mjs";

describe("compare-exchange", () => {
  let node;
  let store;

  before(async () => {
    node = await startServer();
    store = openStore(node, "cx");
    await createDatabase(store);
  });

  const put = (key, value, index) =>
    store.operations.send(new PutCompareExchangeValueOperation(key, value, index));
  const get = (key) => store.operations.send(new GetCompareExchangeValueOperation(key));

  test("a value is created only when absent, then changed by its index", async () => {
    const created = await put("users/ada", { name: "Ada" }, 0);
    assert.equal(created.successful, true);
    assert.deepEqual(created.value, { name: "Ada" });
    assert.ok(created.index > 0);

    const again = await put("users/ada", { name: "Other" }, 0);
    assert.equal(again.successful, false);
    assert.equal(again.index, created.index);
    assert.deepEqual(again.value, { name: "Ada" });

    const stale = await put("users/ada", { name: "Stale" }, created.index + 1000);
    assert.equal(stale.successful, false);

    const changed = await put("users/ada", { name: "Ada L." }, created.index);
    assert.equal(changed.successful, true);
    assert.ok(changed.index > created.index);

    const read = await get("users/ada");
    assert.equal(read.key, "users/ada");
    assert.equal(read.index, changed.index);
    assert.deepEqual(read.value, { name: "Ada L." });
  });

  test("keys are case-insensitive; a missing key reads as null", async () => {
    await put("Cities/Paris", { country: "FR" }, 0);
    const read = await get("cities/PARIS");
    assert.deepEqual(read.value, { country: "FR" });
    assert.equal((await get("cities/nowhere")) ?? null, null);
  });

  test("several keys, and listing by prefix with paging", async () => {
    for (const n of [1, 2, 3, 4])
      await put(`orders/${n}`, { n }, 0);
    const some = await store.operations.send(
      new GetCompareExchangeValuesOperation({ keys: ["orders/2", "orders/4"] }));
    assert.deepEqual(Object.keys(some).sort(), ["orders/2", "orders/4"]);
    assert.deepEqual(some["orders/4"].value, { n: 4 });

    const page = await store.operations.send(
      new GetCompareExchangeValuesOperation({ startWith: "orders/", start: 1, pageSize: 2 }));
    assert.deepEqual(Object.keys(page), ["orders/2", "orders/3"]);
  });

  test("a listing larger than one piece of the answer arrives whole", async () => {
    // 1,200 values of 1 KB: the answer (about 1.3 MB) goes out chunked, a
    // megabyte at a time.
    const text = "v".repeat(1024);
    for (let first = 0; first < 1200; first += 100) {
      const batch = [];
      for (let n = first; n < first + 100; ++n)
        batch.push(put(`big/${String(n).padStart(4, "0")}`, { n, text }, 0));
      await Promise.all(batch);
    }
    const all = await store.operations.send(
      new GetCompareExchangeValuesOperation({ startWith: "big/" }));
    const keys = Object.keys(all);
    assert.equal(keys.length, 1200);
    assert.equal(keys[0], "big/0000");
    assert.equal(keys[1199], "big/1199");
    assert.deepEqual(all["big/0777"].value, { n: 777, text });
  });

  test("a delete needs the current index", async () => {
    const current = await get("orders/1");
    const wrong = await store.operations.send(
      new DeleteCompareExchangeValueOperation("orders/1", current.index + 1));
    assert.equal(wrong.successful, false);
    assert.ok(await get("orders/1"));
    const removed = await store.operations.send(
      new DeleteCompareExchangeValueOperation("orders/1", current.index));
    assert.equal(removed.successful, true);
    assert.equal((await get("orders/1")) ?? null, null);
  });

  test("values survive a restart of the node", async () => {
    const before = await get("users/ada");
    disposeStore(store);
    await node.restart();
    store = openStore(node, "cx");
    const after = await get("users/ada");
    assert.equal(after.index, before.index);
    assert.deepEqual(after.value, before.value);
  });
});
