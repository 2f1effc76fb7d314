// Shared set-up of the client suites that run a database group: a cluster
// per test (formed with short replication timers, so that recoveries take
// a second, not the default 15 s), stopped after it with its stores; and
// the seed's recipe for a conflict.

import assert from "node:assert/strict";
import { after, afterEach } from "node:test";
import { stopAll } from "../support/cluster.mjs";
import { http } from "../support/corvus_node.mjs";
import { formCluster } from "../process/rachis.mjs";
import { disposeStore, openStore } from "./setup.mjs";

const replicationSettings = {
  "replication.heartbeat": "1s",
  "replication.retry-initial": "100ms",
  "replication.retry-max": "1s",
};

let current = null;
const stores = [];

after(stopAll);
afterEach(async () => {
  for (const s of stores.splice(0)) disposeStore(s);
  current?.watch.stop();
  await current?.cluster.stop();
  current = null;
});

/** A cluster of `size` nodes with database `db` on `rf` of them (none: 0), stopped after the test. */
export async function group({ size, rf = size, db }) {
  current = await formCluster({ size, rf, db, set: replicationSettings });
  return current.cluster;
}

/** A DocumentStore on `db` through the given nodes (or URLs), disposed after the test. */
export function storeOn(nodesOrUrls, db) {
  const urls = nodesOrUrls.map((n) => (typeof n === "string" ? n : n.url));
  const store = openStore(urls, db);
  stores.push(store);
  return store;
}

/**
 * The seed's conflict recipe on `id` of `db`, which both nodes already
 * hold: with B down, A writes `{name: onA}`; with A down, B writes
 * `{name: onB}`; then both are up again, each holding its own version.
 */
export async function conflictingWrites([a, b], db, id, onA, onB) {
  const put = async (node, name) => {
    const res = await http(`${node.url}/databases/${db}/docs?id=${encodeURIComponent(id)}`, {
      method: "PUT",
      body: { name, "@metadata": { "@collection": "Users" } },
    });
    assert.equal(res.status, 201, res.text);
  };
  await b.kill9();
  await put(a, onA);
  await a.kill9();
  await b.restart();
  await put(b, onB);
  await a.restart();
}
