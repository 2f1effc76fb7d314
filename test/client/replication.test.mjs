// Database groups with the npm client against real corvus-node processes
// (issue 4): the seed's walk-through (a database on A alone, B added to
// its group gets everything, A killed, a write on B, A back with it), the
// seed's conflict recipe and its resolution by a PUT, client failover
// when the preferred node is killed, write assurance with a live and with
// a frozen replica, a bank transfer that arrives whole, and the number of
// items crossing the links of a 5-node group (no ripple).
//
// Replication heartbeats and reconnects are shortened (group_setup.mjs)
// so that recoveries take a second, not the default 15 s.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AddDatabaseNodeOperation,
  DeleteDatabasesOperation,
  GetConflictsCommand,
  ToggleDatabasesStateOperation,
} from "ravendb";
import { http, sleep } from "../support/corvus_node.mjs";
import { createDatabase, waitFor } from "../process/rachis.mjs";
import { conflictingWrites, group, storeOn } from "./group_setup.mjs";
import { errorOf } from "./setup.mjs";

/** The document as `node` itself holds it; null when it has none (404) or no copy of the database (410; 503 while loading). */
async function docOn(node, db, id) {
  const res = await http(`${node.url}/databases/${db}/docs?id=${encodeURIComponent(id)}`, { timeoutMs: 5_000 });
  if (res.status === 404 || res.status === 410 || res.status === 503) return null;
  return res;
}

async function waitForDoc(node, db, id, check = () => true, timeoutMs = 10_000) {
  let last;
  await waitFor(
    async () => {
      last = await docOn(node, db, id);
      return last?.status === 200 && check(last.json.Results[0]);
    },
    { timeoutMs, what: `${id} on ${node.name}` },
  );
  return last.json.Results[0];
}

/** What the links of every node sent (GET /admin/actors). */
async function linkStates(nodes) {
  const out = [];
  for (const node of nodes) {
    const res = await http(`${node.url}/admin/actors`);
    for (const a of res.json.Actors) if (a.Kind === "replication-link") out.push({ node: node.name, ...a.State });
  }
  return out;
}

class User {
  constructor(name) {
    this.name = name;
  }
}

test("the seed's walk-through: B joins the group, gets everything, and keeps writes while A is down", async () => {
  const db = "walk";
  const cluster = await group({ size: 2, rf: 0, db });
  const [a, b] = cluster.nodes;
  const created = await http(`${a.url}/admin/databases?name=${db}`, {
    method: "PUT",
    body: { DatabaseName: db, Topology: { Members: ["A"] } },
  });
  assert.equal(created.status, 201, created.text);
  const store = storeOn([a, b], db);
  const session = store.openSession();
  for (let i = 0; i < 50; ++i) await session.store(new User(`u${i}`), `users/${i}`);
  await session.saveChanges();
  assert.equal(await docOn(b, db, "users/1"), null, "B does not host the database yet");

  const added = await store.maintenance.server.send(new AddDatabaseNodeOperation(db, "B"));
  assert.deepEqual([...added.topology.members].sort(), ["A", "B"]);
  for (let i = 0; i < 50; i += 7) await waitForDoc(b, db, `users/${i}`, (d) => d.name === `u${i}`);
  // The client learns the new group from its next request (Refresh-Topology).
  await waitFor(
    async () => {
      await store.openSession().load("users/0");
      return store.getRequestExecutor().getTopologyNodes().map((n) => n.clusterTag).sort().join() === "A,B";
    },
    { what: "the client to see A and B" },
  );

  await a.kill9();
  const onB = store.openSession();
  const u = await onB.load("users/1");
  u.name = "written on B";
  await onB.saveChanges();
  assert.equal((await docOn(b, db, "users/1")).json.Results[0].name, "written on B");

  await a.restart();
  await waitForDoc(a, db, "users/1", (d) => d.name === "written on B");
});

test("the seed's conflict recipe makes a conflict that a PUT resolves", async () => {
  const db = "conflicts";
  const cluster = await group({ size: 2, db });
  const [a, b] = cluster.nodes;
  const store = storeOn([a], db);
  const s = store.openSession();
  await s.store(new User("John"), "users/1");
  await s.saveChanges();
  await waitForDoc(b, db, "users/1");

  await conflictingWrites([a, b], db, "users/1", "John", "Doe");

  // Both copies end up holding both versions; the document is gone from
  // its collection and a load answers 409.
  for (const node of [a, b]) {
    await waitFor(
      async () => {
        const r = await http(`${node.url}/databases/${db}/replication/conflicts?docId=users/1`);
        return r.status === 200 && r.json.Results.length === 2;
      },
      { timeoutMs: 15_000, what: `the conflict on ${node.name}` },
    );
    const load = await http(`${node.url}/databases/${db}/docs?id=users/1`);
    assert.equal(load.status, 409);
    assert.match(load.json.Type, /DocumentConflictException/);
    assert.equal(load.json.DocId, "users/1");
  }
  const names = (await http(`${a.url}/databases/${db}/replication/conflicts?docId=users/1`)).json.Results.map((r) => r.Doc.name).sort();
  assert.deepEqual(names, ["Doe", "John"]);
  const onA = storeOn([a], db);
  const err = await errorOf(() => onA.openSession().load("users/1"));
  assert.equal(err.name, "DocumentConflictException");
  const conflicts = new GetConflictsCommand("users/1");
  await onA.getRequestExecutor().execute(conflicts);
  assert.equal(conflicts.result.results.length, 2);
  // Including it does not fail the load (RavenDB's shape: the include is
  // flagged @conflict); loading it does.
  const res = await http(`${a.url}/databases/${db}/docs?id=orders/1`, { method: "PUT", body: { user: "users/1", "@metadata": { "@collection": "Orders" } } });
  assert.equal(res.status, 201);
  // The client may read from either node.
  for (const node of [a, b]) await waitForDoc(node, db, "orders/1");
  const withInclude = await http(`${a.url}/databases/${db}/docs?id=orders/1&include=user`);
  assert.equal(withInclude.status, 200);
  assert.deepEqual(withInclude.json.Includes["users/1"], { "@metadata": { "@id": "users/1", "@change-vector": "", "@conflict": true } });
  const including = onA.openSession();
  const order = await including.include("user").load("orders/1");
  assert.equal(order.user, "users/1");
  const fromInclude = await errorOf(() => including.load("users/1"));
  assert.equal(fromInclude.name, "DocumentConflictException");

  // A PUT resolves it, on both copies.
  const fix = onA.openSession();
  await fix.store(new User("John Doe"), "users/1");
  await fix.saveChanges();
  for (const node of [a, b]) {
    await waitForDoc(node, db, "users/1", (d) => d.name === "John Doe");
    const r = await http(`${node.url}/databases/${db}/replication/conflicts?docId=users/1`);
    assert.equal(r.json.Results.length, 0);
  }
});

test("the client fails over when the preferred node is killed, and writes reach the others", async () => {
  const db = "failover";
  const cluster = await group({ size: 3, db });
  const store = storeOn(cluster.nodes, db);
  const s = store.openSession();
  await s.store(new User("before"), "users/1");
  await s.saveChanges();
  const topo = (await http(`${cluster.nodes[0].url}/topology?name=${db}`)).json;
  const preferred = cluster.node(topo.Nodes[0].ClusterTag);
  const others = cluster.nodes.filter((n) => n !== preferred);
  for (const n of others) await waitForDoc(n, db, "users/1");
  await preferred.kill9();
  for (let i = 0; i < 20; ++i) {
    const w = store.openSession();
    await w.store(new User(`after ${i}`), `users/after/${i}`);
    await w.saveChanges();
  }
  const r = store.openSession();
  assert.equal((await r.load("users/after/19")).name, "after 19");
  for (const n of others) await waitForDoc(n, db, "users/after/19");
});

test("write assurance: confirmed by live replicas, a clean timeout with a frozen one, the data written either way", async () => {
  const db = "assurance";
  const cluster = await group({ size: 3, rf: 0, db });
  const [a, , c] = cluster.nodes;
  // A first, so that the client's preferred node is never the one frozen
  // below (a request sent to it would wait out the client's timeout).
  const created = await http(`${a.url}/admin/databases?name=${db}`, {
    method: "PUT",
    body: { DatabaseName: db, Topology: { Members: ["A", "B", "C"] } },
  });
  assert.equal(created.status, 201, created.text);
  const store = storeOn([a], db);
  const s = store.openSession();
  s.advanced.waitForReplicationAfterSaveChanges({ replicas: 2, timeout: 5_000 });
  await s.store(new User("everywhere"), "users/1");
  await s.saveChanges();
  for (const n of cluster.nodes) assert.equal((await docOn(n, db, "users/1")).json.Results[0].name, "everywhere");

  await c.pause();
  try {
    const t = store.openSession();
    t.advanced.waitForReplicationAfterSaveChanges({ replicas: 2, timeout: 1_000 });
    await t.store(new User("not everywhere"), "users/2");
    const err = await errorOf(() => t.saveChanges());
    assert.match(err.name + err.message, /RavenTimeoutException/);
    assert.match(err.message, /only replicated to 1/);
    // Committed on A all the same, and on B.
    assert.equal((await docOn(a, db, "users/2")).json.Results[0].name, "not everywhere");
    await waitForDoc(cluster.nodes[1], db, "users/2");
    // One replica is still enough, and so is a majority of three.
    const one = store.openSession();
    one.advanced.waitForReplicationAfterSaveChanges({ replicas: 1, timeout: 5_000 });
    await one.store(new User("one"), "users/3");
    await one.saveChanges();
    const most = store.openSession();
    most.advanced.waitForReplicationAfterSaveChanges({ majority: true, timeout: 5_000 });
    await most.store(new User("most"), "users/4");
    await most.saveChanges();
  } finally {
    await c.resume();
  }
  await waitForDoc(c, db, "users/4");
  // More replicas than the group has other copies: not cut down to what
  // exists, so the wait runs out and says so.
  const many = store.openSession();
  many.advanced.waitForReplicationAfterSaveChanges({ replicas: 3, timeout: 1_000 });
  await many.store(new User("many"), "users/5");
  const err = await errorOf(() => many.saveChanges());
  assert.match(err.message, /only replicated to [0-2] of the 2 other copies/);
  assert.equal((await docOn(a, db, "users/5")).json.Results[0].name, "many");
});

test("a client whose topology still names a node that lost its copy is sent on to another (410)", async () => {
  const db = "moved";
  const cluster = await group({ size: 3, db });
  const store = storeOn(cluster.nodes, db);
  const s = store.openSession();
  await s.store(new User("kept"), "users/1");
  await s.saveChanges();
  const topo = (await http(`${cluster.nodes[0].url}/topology?name=${db}`)).json;
  const preferred = cluster.node(topo.Nodes[0].ClusterTag);
  for (const n of cluster.nodes) await waitForDoc(n, db, "users/1");

  await store.maintenance.server.send(
    new DeleteDatabasesOperation({ databaseNames: [db], hardDelete: true, fromNodes: [preferred.name] }),
  );
  // The deletion is answered by the node the client asked; the preferred
  // node may apply it a moment later.
  let raw;
  await waitFor(
    async () => (raw = await http(`${preferred.url}/databases/${db}/docs?id=users%2F1`)).status === 410,
    { what: `410 from ${preferred.name}` },
  );
  assert.equal(raw.json.Type, "Raven.Client.Exceptions.Database.DatabaseNotRelevantException");
  assert.equal(raw.headers.get("cache-control"), "must-revalidate, no-cache");
  // The store's topology still prefers the node without a copy: the load
  // and the write go on elsewhere instead of failing.
  assert.equal((await store.openSession().load("users/1")).name, "kept");
  const w = store.openSession();
  await w.store(new User("later"), "users/2");
  await w.saveChanges();
});

test("a disabled database is refused on every node of its group; enabled, its copies catch up", async () => {
  const db = "dormant";
  const cluster = await group({ size: 2, db });
  const [a, b] = cluster.nodes;
  const store = storeOn([a], db);
  const s = store.openSession();
  await s.store(new User("before"), "users/1");
  await s.saveChanges();
  await waitForDoc(b, db, "users/1");

  // Asked on B: answered once both nodes applied it, so neither serves.
  const admin = storeOn([b], db);
  const off = await admin.maintenance.server.send(new ToggleDatabasesStateOperation(db, true));
  assert.equal(off.success, true);
  for (const n of [a, b]) {
    const res = await http(`${n.url}/databases/${db}/docs?id=users%2F1`);
    assert.equal(res.status, 503, `${n.name}: ${res.text}`);
    assert.equal(res.json.Type, "Raven.Client.Exceptions.Database.DatabaseDisabledException");
  }
  const on = await admin.maintenance.server.send(new ToggleDatabasesStateOperation(db, false));
  assert.equal(on.success, true);
  const w = store.openSession();
  await w.store(new User("after"), "users/2");
  await w.saveChanges();
  await waitForDoc(b, db, "users/2", (d) => d.name === "after");
  assert.equal((await docOn(b, db, "users/1")).json.Results[0].name, "before");
});

test("a bank transfer arrives whole: every read of a replica sees the same total", async () => {
  const db = "bank";
  const cluster = await group({ size: 2, db });
  const [a, b] = cluster.nodes;
  const store = storeOn([a], db);
  const init = store.openSession();
  await init.store({ balance: 1000, "@metadata": { "@collection": "Accounts" } }, "accounts/1");
  await init.store({ balance: 1000, "@metadata": { "@collection": "Accounts" } }, "accounts/2");
  await init.saveChanges();
  await waitForDoc(b, db, "accounts/2");
  let stop = false;
  const reads = [];
  const reader = (async () => {
    while (!stop) {
      const r = await http(`${b.url}/databases/${db}/docs?id=accounts/1&id=accounts/2`);
      const [x, y] = r.json.Results;
      reads.push(x.balance + y.balance);
    }
  })();
  for (let i = 0; i < 100; ++i) {
    const amount = (i % 7) + 1;
    const from = i % 2 ? "accounts/1" : "accounts/2";
    const to = i % 2 ? "accounts/2" : "accounts/1";
    const t = store.openSession();
    const src = await t.load(from);
    const dst = await t.load(to);
    src.balance -= amount;
    dst.balance += amount;
    await t.saveChanges();
  }
  const final = store.openSession();
  const total = (await final.load("accounts/1")).balance + (await final.load("accounts/2")).balance;
  assert.equal(total, 2000);
  await waitFor(async () => {
    const r = await http(`${b.url}/databases/${db}/docs?id=accounts/1&id=accounts/2`);
    const onA = await http(`${a.url}/databases/${db}/docs?id=accounts/1`);
    return r.json.Results[0]["@metadata"]["@change-vector"] === onA.json.Results[0]["@metadata"]["@change-vector"];
  }, { what: "B caught up" });
  stop = true;
  await reader;
  assert.ok(reads.length > 10, `only ${reads.length} reads`);
  assert.deepEqual([...new Set(reads)], [2000], "a read saw half a transfer");
});

test("in a 5-node group every write crosses each link to a destination once", async () => {
  const db = "ripple";
  const cluster = await group({ size: 5, db });
  const [a] = cluster.nodes;
  // Steady state: every link connected. (A link that connects while
  // writes are on their way can send what its destination is about to get
  // from the writer: its handshake vector predates them.)
  await waitFor(
    async () => {
      const links = await linkStates(cluster.nodes);
      return links.length === 20 && links.every((l) => l.Connected);
    },
    { what: "all 20 links connected" },
  );
  const store = storeOn([a], db);
  const writes = 40;
  for (let i = 0; i < writes; ++i) {
    const s = store.openSession();
    await s.store(new User(`u${i}`), `users/${i}`);
    await s.saveChanges();
  }
  for (const n of cluster.nodes) await waitForDoc(n, db, `users/${writes - 1}`);
  // Past a heartbeat: the idle exchange must not resend anything.
  await sleep(2_500);
  const links = await linkStates(cluster.nodes);
  assert.equal(links.length, 20);
  const sent = links.reduce((sum, l) => sum + l.ItemsSent, 0);
  assert.equal(sent, writes * 4, JSON.stringify(links.map((l) => [l.node, l.Destination, l.ItemsSent])));
});
