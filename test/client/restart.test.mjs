// The npm client across node restarts (same URL): an existing
// DocumentStore keeps working right after an orderly restart and after a
// kill -9, data and change vectors survive, and HiLo ranges handed out
// before the restart are never handed out again.

import assert from "node:assert/strict";
import { before, test } from "node:test";
import { GetStatisticsOperation } from "ravendb";
import { http } from "../support/corvus_node.mjs";
import { createDatabase, openStore, startServer } from "./setup.mjs";

class User {
  constructor(name) {
    this.name = name;
  }
}

let node;
let store;
const changeVectors = new Map();

before(async () => {
  node = await startServer();
  store = openStore(node, "restart");
  await createDatabase(store);
  // Some volume, so that the database takes a moment to open.
  for (let b = 0; b < 5; ++b) {
    const commands = [];
    for (let i = 0; i < 1000; ++i)
      commands.push({ Id: `bulk/${b}/${i}`, Type: "PUT", ChangeVector: null, Document: { b, i, pad: "p".repeat(300) } });
    const res = await http(`${node.url}/databases/restart/bulk_docs`, { method: "POST", body: { Commands: commands } });
    assert.equal(res.status, 201);
  }
  const session = store.openSession();
  for (let i = 0; i < 5; ++i) await session.store(new User(`u${i}`), `users/fixed-${i}`);
  await session.saveChanges();
  for (let i = 0; i < 5; ++i) {
    const u = await session.load(`users/fixed-${i}`);
    changeVectors.set(`users/fixed-${i}`, session.advanced.getChangeVectorFor(u));
  }
});

// Polls until the database answers (used where the load-time behaviour is
// not what a test is about).
async function waitUntilLoaded() {
  for (let i = 0; i < 500 && (await http(`${node.url}/databases/restart/stats`)).status !== 200; ++i)
    await new Promise((r) => setTimeout(r, 10));
}

async function checkData() {
  const session = store.openSession();
  const docs = await session.load([...changeVectors.keys()], User);
  for (const [id, cv] of changeVectors) {
    assert.ok(docs[id], `${id} survived`);
    assert.equal(session.advanced.getChangeVectorFor(docs[id]), cv, `change vector of ${id}`);
  }
  const stats = await store.maintenance.send(new GetStatisticsOperation());
  assert.ok(stats.countOfDocuments >= 5005);
}

for (const kind of ["orderly restart", "kill -9"]) {
  test(`the same DocumentStore works right after a ${kind}`, async () => {
    await waitUntilLoaded();
    for (let round = 0; round < 20; ++round) {
      if (kind === "kill -9") await node.kill9();
      await node.restart();
      // The very first request after the restart, as an application would send it.
      const doc = await store.openSession().load("users/fixed-0", User);
      assert.equal(doc?.name, "u0", `round ${round}`);
      await checkData();
      const s = store.openSession();
      await s.store(new User(`after-${kind}-${round}`), `users/after-${kind}-${round}`);
      await s.saveChanges();
    }
  });
}

test("HiLo ranges taken before a restart are not handed out again", async () => {
  await waitUntilLoaded();
  const before = openStore(node, "restart");
  const s1 = before.openSession();
  const first = new User("first");
  await s1.store(first);
  await s1.saveChanges();
  const firstId = s1.advanced.getDocumentId(first);
  assert.match(firstId, /^users\/\d+-A$/);

  await node.kill9();
  await node.restart();
  // Only HiLo is under test here: wait until the database has loaded.
  await waitUntilLoaded();

  // A new store after the restart gets a fresh range...
  const after = openStore(node, "restart");
  const s2 = after.openSession();
  const second = new User("second");
  await s2.store(second);
  await s2.saveChanges();
  const secondId = s2.advanced.getDocumentId(second);
  // ...while the old store continues with its own range.
  const s3 = before.openSession();
  const third = new User("third");
  await s3.store(third);
  await s3.saveChanges();
  const thirdId = s3.advanced.getDocumentId(third);

  const n = (id) => Number(/\/(\d+)-A$/.exec(id)[1]);
  assert.equal(n(thirdId), n(firstId) + 1);
  assert.ok(n(secondId) > n(firstId) + 1, `${secondId} must come after the range of ${firstId}`);
  const docs = await store.openSession().load([firstId, secondId, thirdId], User);
  assert.deepEqual(Object.values(docs).map((u) => u.name), ["first", "second", "third"]);
});
