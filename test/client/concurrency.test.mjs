// Optimistic concurrency and atomic batches with the npm client.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { GetStatisticsOperation } from "ravendb";
import { createDatabase, errorOf, openStore, startServer } from "./setup.mjs";

class Account {
  constructor(owner, balance) {
    this.owner = owner;
    this.balance = balance;
  }
}

let store;

before(async () => {
  const node = await startServer();
  store = openStore(node, "bank");
  await createDatabase(store);
});

async function save(entities) {
  const session = store.openSession();
  for (const [id, entity] of Object.entries(entities)) await session.store(entity, id);
  await session.saveChanges();
}

async function load(id) {
  return store.openSession().load(id, Account);
}

describe("optimistic concurrency", () => {
  test("useOptimisticConcurrency: a concurrent update makes saveChanges fail", async () => {
    await save({ "accounts/1": new Account("ann", 10) });
    const s1 = store.openSession();
    s1.advanced.useOptimisticConcurrency = true;
    const mine = await s1.load("accounts/1", Account);

    const s2 = store.openSession();
    const theirs = await s2.load("accounts/1", Account);
    theirs.balance = 20;
    await s2.saveChanges();

    mine.balance = 30;
    const err = await errorOf(() => s1.saveChanges());
    assert.equal(err.name, "ConcurrencyException", err.message);
    assert.match(err.message, /accounts\/1/i);
    assert.equal((await load("accounts/1")).balance, 20);
  });

  test("without optimistic concurrency the last write wins", async () => {
    await save({ "accounts/2": new Account("bob", 10) });
    const s1 = store.openSession();
    const mine = await s1.load("accounts/2", Account);
    const s2 = store.openSession();
    const theirs = await s2.load("accounts/2", Account);
    theirs.balance = 20;
    await s2.saveChanges();
    mine.balance = 30;
    await s1.saveChanges();
    assert.equal((await load("accounts/2")).balance, 30);
  });

  test("storing a new entity over an existing id fails with useOptimisticConcurrency", async () => {
    await save({ "accounts/3": new Account("cid", 10) });
    const session = store.openSession();
    session.advanced.useOptimisticConcurrency = true;
    await session.store(new Account("intruder", 99), "accounts/3");
    const err = await errorOf(() => session.saveChanges());
    assert.equal(err.name, "ConcurrencyException", err.message);
    assert.equal((await load("accounts/3")).owner, "cid");

    // A really new id succeeds.
    const s2 = store.openSession();
    s2.advanced.useOptimisticConcurrency = true;
    await s2.store(new Account("dan", 1), "accounts/new-one");
    await s2.saveChanges();
    assert.equal((await load("accounts/new-one")).owner, "dan");
  });

  test("session.store(entity, id, { changeVector }) checks that exact version", async () => {
    await save({ "accounts/4": new Account("eve", 10) });
    const reader = store.openSession();
    const current = await reader.load("accounts/4", Account);
    const cv = reader.advanced.getChangeVectorFor(current);

    await save({ "accounts/4": new Account("eve", 11) }); // makes `cv` stale

    const stale = store.openSession();
    await stale.store(new Account("eve", 12), "accounts/4", { changeVector: cv });
    const err = await errorOf(() => stale.saveChanges());
    assert.equal(err.name, "ConcurrencyException", err.message);
    assert.equal((await load("accounts/4")).balance, 11);

    const fresh = store.openSession();
    const now = await fresh.load("accounts/4", Account);
    const freshCv = fresh.advanced.getChangeVectorFor(now);
    const writer = store.openSession();
    await writer.store(new Account("eve", 13), "accounts/4", { changeVector: freshCv });
    await writer.saveChanges();
    assert.equal((await load("accounts/4")).balance, 13);
  });

  test("a change vector for a document that does not exist fails", async () => {
    const reader = store.openSession();
    await reader.store(new Account("tmp", 1), "accounts/tmp");
    await reader.saveChanges();
    const cv = reader.advanced.getChangeVectorFor(await reader.load("accounts/tmp"));
    const deleter = store.openSession();
    await deleter.delete("accounts/tmp");
    await deleter.saveChanges();

    const session = store.openSession();
    await session.store(new Account("tmp", 2), "accounts/tmp", { changeVector: cv });
    const err = await errorOf(() => session.saveChanges());
    assert.equal(err.name, "ConcurrencyException", err.message);
    assert.equal(await load("accounts/tmp"), null);
  });

  test("delete with an expected change vector", async () => {
    await save({ "accounts/5": new Account("fay", 10) });
    const reader = store.openSession();
    const cv = reader.advanced.getChangeVectorFor(await reader.load("accounts/5"));
    await save({ "accounts/5": new Account("fay", 11) });

    const stale = store.openSession();
    await stale.delete("accounts/5", cv);
    const err = await errorOf(() => stale.saveChanges());
    assert.equal(err.name, "ConcurrencyException", err.message);
    assert.ok(await load("accounts/5"));

    const fresh = store.openSession();
    fresh.advanced.useOptimisticConcurrency = true;
    const doc = await fresh.load("accounts/5");
    await fresh.delete(doc);
    await fresh.saveChanges();
    assert.equal(await load("accounts/5"), null);
  });

  test("of N sessions racing on one document exactly one wins", async () => {
    await save({ "accounts/race": new Account("race", 0) });
    const sessions = [];
    for (let i = 0; i < 10; ++i) {
      const s = store.openSession();
      s.advanced.useOptimisticConcurrency = true;
      const doc = await s.load("accounts/race", Account);
      doc.balance = i + 1;
      sessions.push(s);
    }
    const outcomes = await Promise.allSettled(sessions.map((s) => s.saveChanges()));
    const won = outcomes.filter((o) => o.status === "fulfilled");
    const lost = outcomes.filter((o) => o.status === "rejected");
    assert.equal(won.length, 1);
    for (const o of lost) assert.equal(o.reason.name, "ConcurrencyException", o.reason.message);
    const winner = outcomes.findIndex((o) => o.status === "fulfilled");
    assert.equal((await load("accounts/race")).balance, winner + 1);
  });

  test("retrying increments never lose an update", async () => {
    await save({ "accounts/counter": new Account("counter", 0) });
    const workers = 6;
    const increments = 8;
    let conflicts = 0;
    const worker = async () => {
      for (let i = 0; i < increments; ++i) {
        for (;;) {
          const s = store.openSession();
          s.advanced.useOptimisticConcurrency = true;
          const doc = await s.load("accounts/counter", Account);
          doc.balance += 1;
          try {
            await s.saveChanges();
            break;
          } catch (err) {
            assert.equal(err.name, "ConcurrencyException", err.message);
            ++conflicts;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    assert.equal((await load("accounts/counter")).balance, workers * increments);
  });
});

describe("atomic batches", () => {
  test("one failing concurrency check writes none of the batch", async () => {
    await save({ "batch/existing": new Account("x", 1), "batch/victim": new Account("v", 1) });
    const statsBefore = await store.maintenance.send(new GetStatisticsOperation());

    const session = store.openSession();
    await session.store(new Account("n1", 1), "batch/new-1");
    await session.store(new Account("n2", 2), "batch/new-2");
    const victim = await session.load("batch/victim", Account);
    victim.balance = 1000;
    await session.delete("batch/existing");
    // The failing command sits in the middle of the batch.
    await session.store(new Account("clash", 0), "batch/existing-2", { changeVector: "A:999999-AAAAAAAAAAAAAAAAAAAAAA" });
    await session.store(new Account("n3", 3), "batch/new-3");
    const err = await errorOf(() => session.saveChanges());
    assert.equal(err.name, "ConcurrencyException", err.message);

    const docs = await store
      .openSession()
      .load(["batch/new-1", "batch/new-2", "batch/new-3", "batch/existing", "batch/victim", "batch/existing-2"], Account);
    assert.equal(docs["batch/new-1"] ?? null, null);
    assert.equal(docs["batch/new-2"] ?? null, null);
    assert.equal(docs["batch/new-3"] ?? null, null);
    assert.equal(docs["batch/existing-2"] ?? null, null);
    assert.equal(docs["batch/existing"].owner, "x", "the delete was rolled back");
    assert.equal(docs["batch/victim"].balance, 1, "the update was rolled back");

    const statsAfter = await store.maintenance.send(new GetStatisticsOperation());
    assert.equal(statsAfter.countOfDocuments, statsBefore.countOfDocuments);
    assert.equal(statsAfter.lastDocEtag, statsBefore.lastDocEtag);
  });

  test("a big batch commits as one", async () => {
    const session = store.openSession();
    for (let i = 0; i < 500; ++i) await session.store(new Account(`bulk-${i}`, i), `bulk/${i}`);
    await session.saveChanges();
    const cvs = new Set();
    const docs = await store.openSession().load(Array.from({ length: 500 }, (_, i) => `bulk/${i}`), Account);
    for (let i = 0; i < 500; ++i) assert.equal(docs[`bulk/${i}`].balance, i);
    const s = store.openSession();
    for (let i = 0; i < 500; i += 50) {
      const doc = await s.load(`bulk/${i}`);
      cvs.add(s.advanced.getChangeVectorFor(doc));
    }
    assert.equal(cvs.size, 10, "every document of a batch has its own change vector");
  });
});
