// Managing a database group with the npm client against real corvus-node
// processes (ravendb-http §5.5): reordering its members, a new topology
// with a promotable that receives the data but serves no client until it
// is promoted, a node taken out of the group, dynamic node distribution,
// and the conflict solver switched to resolve-to-latest on a running group
// (scripts are refused, and so are revisions for conflicts).

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConfigureRevisionsForConflictsOperation,
  GetDatabaseRecordOperation,
  ModifyConflictSolverOperation,
  ModifyDatabaseTopologyOperation,
  PromoteDatabaseNodeOperation,
  ReorderDatabaseMembersOperation,
  SetDatabaseDynamicDistributionOperation,
} from "ravendb";
import { http } from "../support/corvus_node.mjs";
import { waitFor } from "../process/rachis.mjs";
import { conflictingWrites, group, storeOn } from "./group_setup.mjs";
import { errorOf } from "./setup.mjs";

/** The status and body of `id` as `node` itself holds it. */
function docOn(node, db, id) {
  return http(`${node.url}/databases/${db}/docs?id=${encodeURIComponent(id)}`, { timeoutMs: 5_000 });
}

/** The tags of the group as `node` serves it to clients, preferred first. */
async function servedOn(node, db) {
  const res = await http(`${node.url}/topology?name=${db}`);
  assert.equal(res.status, 200, res.text);
  return res.json.Nodes.map((n) => n.ClusterTag);
}

/** Waits until the client's own topology lists `tags`, in that order. */
async function clientSees(store, tags) {
  await waitFor(
    async () => {
      await store.openSession().load("users/0");
      return store.getRequestExecutor().getTopologyNodes().map((n) => n.clusterTag).join() === tags.join();
    },
    { what: `the client to see ${tags.join(", ")}` },
  );
}

async function recordOf(store, db) {
  return store.maintenance.server.send(new GetDatabaseRecordOperation(db));
}

class User {
  constructor(name) {
    this.name = name;
  }
}

test("reorder, a new topology with a promotable, a promotion and a node taken out change the group the client sees", async () => {
  const db = "groups";
  const [a, b, c] = (await group({ size: 3, rf: 0, db })).nodes;
  const created = await http(`${a.url}/admin/databases?name=${db}`, {
    method: "PUT",
    body: { DatabaseName: db, Topology: { Members: ["A", "B"] } },
  });
  assert.equal(created.status, 201, created.text);
  const store = storeOn([a, b, c], db);
  const session = store.openSession();
  for (let i = 0; i < 20; ++i) await session.store(new User(`u${i}`), `users/${i}`);
  await session.saveChanges();
  await clientSees(store, ["A", "B"]);

  // B becomes the preferred node, on every node and for the client.
  await store.maintenance.server.send(new ReorderDatabaseMembersOperation(db, ["B", "A"]));
  for (const node of [a, b, c]) assert.deepEqual(await servedOn(node, db), ["B", "A"]);
  await clientSees(store, ["B", "A"]);
  let record = await recordOf(store, db);
  assert.deepEqual(record.topology.members, ["B", "A"]);
  assert.deepEqual(record.topology.priorityOrder, []);
  // A fixed order is kept as the priority order.
  await store.maintenance.server.send(new ReorderDatabaseMembersOperation(db, ["A", "B"], true));
  record = await recordOf(store, db);
  assert.deepEqual(record.topology.priorityOrder, ["A", "B"]);
  assert.deepEqual(await servedOn(c, db), ["A", "B"]);
  // An order that is not the group's nodes changes nothing.
  const wrong = await errorOf(() => store.maintenance.server.send(new ReorderDatabaseMembersOperation(db, ["A", "C"])));
  assert.match(wrong.message, /must name every node of database 'groups' once/);
  assert.deepEqual((await recordOf(store, db)).topology.members, ["A", "B"]);

  // C joins as a promotable: it receives everything, and no client is sent to it.
  const topology = { members: ["A", "B"], promotables: ["C"], rehabs: [], priorityOrder: [] };
  // The 7.2 client's constructor takes the topology as its third argument.
  await store.maintenance.server.send(new ModifyDatabaseTopologyOperation(db, topology, topology));
  record = await recordOf(store, db);
  assert.deepEqual(record.topology.promotables, ["C"]);
  assert.equal(record.topology.replicationFactor, 3);
  for (let i = 0; i < 20; i += 6)
    await waitFor(async () => (await docOn(c, db, `users/${i}`)).status === 200, { what: `users/${i} on C` });
  assert.deepEqual(await servedOn(a, db), ["A", "B"]);
  await clientSees(store, ["A", "B"]);

  const promoted = await store.maintenance.server.send(new PromoteDatabaseNodeOperation(db, "C"));
  assert.equal(promoted.name, db);
  assert.ok(promoted.raftCommandIndex > 0);
  await clientSees(store, ["A", "B", "C"]);
  const notThere = await errorOf(() => store.maintenance.server.send(new PromoteDatabaseNodeOperation(db, "D")));
  assert.match(notThere.message, /has no copy of database 'groups'/);

  // B leaves the group: its copy stops serving (410), the others go on.
  const withoutB = { members: ["A", "C"], promotables: [], rehabs: [], priorityOrder: [] };
  await store.maintenance.server.send(new ModifyDatabaseTopologyOperation(db, withoutB, withoutB));
  await waitFor(async () => (await docOn(b, db, "users/1")).status === 410, { what: "B to stop serving" });
  await clientSees(store, ["A", "C"]);
  const later = store.openSession();
  await later.store(new User("after"), "users/after");
  await later.saveChanges();
  for (const node of [a, c])
    await waitFor(async () => (await docOn(node, db, "users/after")).status === 200, { what: `users/after on ${node.name}` });
  // A topology without members is refused.
  const empty = { members: [], promotables: ["A"], rehabs: [], priorityOrder: [] };
  const refused = await errorOf(() => store.maintenance.server.send(new ModifyDatabaseTopologyOperation(db, empty, empty)));
  assert.match(refused.message, /needs at least one member/);

  // Dynamic node distribution is a setting of the record.
  await store.maintenance.server.send(new SetDatabaseDynamicDistributionOperation(db, true));
  assert.equal((await recordOf(store, db)).topology.dynamicNodesDistribution, true);
  // RavenDB's own parameter name, sent to a follower (which forwards it to the leader).
  const off = await http(`${c.url}/admin/databases/dynamic-node-distribution?name=${db}&enable=false`, { method: "POST" });
  assert.equal(off.status, 204, off.text);
  assert.equal((await recordOf(store, db)).topology.dynamicNodesDistribution, false);
  await store.maintenance.server.send(new SetDatabaseDynamicDistributionOperation(db, true));
  await store.maintenance.server.send(new SetDatabaseDynamicDistributionOperation(db, false));
  assert.equal((await recordOf(store, db)).topology.dynamicNodesDistribution, false);
});

test("ModifyConflictSolverOperation: resolve-to-latest takes effect on a running group; scripts and revisions for conflicts are refused", async () => {
  const db = "solver";
  const [a, b] = (await group({ size: 2, db })).nodes;
  const store = storeOn([a], db);

  const revisions = await errorOf(() =>
    store.maintenance.server.send(new ConfigureRevisionsForConflictsOperation(db, { disabled: false, minimumRevisionsToKeep: 5 })),
  );
  assert.equal(revisions.name, "NotSupportedException");
  assert.match(revisions.message, /does not support revisions yet/);
  const scripts = await errorOf(() =>
    store.maintenance.server.send(new ModifyConflictSolverOperation(db, { Users: { script: "return docs[0];" } }, false)),
  );
  assert.equal(scripts.name, "NotSupportedException");
  const solved = await store.maintenance.server.send(new ModifyConflictSolverOperation(db, {}, true));
  assert.equal(solved.key, db);
  assert.equal(solved.conflictSolverConfig.resolveToLatest, true);
  assert.equal((await recordOf(store, db)).conflictSolverConfig.resolveToLatest, true);

  // The seed's conflict recipe: each copy changes users/1 while the other is down.
  const s = store.openSession();
  await s.store(new User("John"), "users/1");
  await s.saveChanges();
  await waitFor(async () => (await docOn(b, db, "users/1")).status === 200, { what: "users/1 on B" });
  await conflictingWrites([a, b], db, "users/1", "John", "Doe");

  // Both copies settle on the later version, with no conflict stored.
  for (const node of [a, b]) {
    await waitFor(
      async () => {
        const r = await docOn(node, db, "users/1");
        return r.status === 200 && r.json.Results[0].name === "Doe";
      },
      { timeoutMs: 15_000, what: `the latest version on ${node.name}` },
    );
    const conflicts = await http(`${node.url}/databases/${db}/replication/conflicts?docId=users/1`);
    assert.equal(conflicts.json.Results.length, 0);
  }
});
