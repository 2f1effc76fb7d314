// Database and collection statistics with the npm client
// (store.maintenance.send), and that the numbers follow the writes.

import assert from "node:assert/strict";
import { before, test } from "node:test";
import {
  GetCollectionStatisticsOperation,
  GetStatisticsOperation,
} from "ravendb";
import { createDatabase, errorOf, openStore, startServer } from "./setup.mjs";

class User {
  constructor(name) {
    this.name = name;
  }
}
class Company {
  constructor(name) {
    this.name = name;
  }
}

let node;
let store;

before(async () => {
  node = await startServer();
  store = openStore(node, "stats");
  await createDatabase(store);
});

const stats = () => store.maintenance.send(new GetStatisticsOperation());
const collectionStats = () => store.maintenance.send(new GetCollectionStatisticsOperation());

test("an empty database", async () => {
  const s = await stats();
  assert.equal(s.countOfDocuments, 0);
  assert.equal(s.countOfIndexes, 0);
  assert.deepEqual(s.indexes, []);
  assert.equal(s.lastDocEtag, 0);
  assert.match(s.databaseId, /^[A-Za-z0-9+/_-]{22}$/);
  const c = await collectionStats();
  assert.equal(c.countOfDocuments, 0);
  assert.deepEqual(c.collections, {});
});

test("counts, LastDocEtag and DatabaseChangeVector follow the writes", async () => {
  const session = store.openSession();
  for (let i = 0; i < 3; ++i) await session.store(new User(`u${i}`), `users/${i}`);
  for (let i = 0; i < 2; ++i) await session.store(new Company(`c${i}`), `companies/${i}`);
  await session.store({ plain: true }, "plain/1");
  await session.saveChanges();

  const s1 = await stats();
  assert.equal(s1.countOfDocuments, 6);
  assert.equal(s1.lastDocEtag, 6);
  assert.equal(s1.databaseChangeVector, `A:${s1.lastDocEtag}-${s1.databaseId}`);
  const lastCv = session.advanced.getChangeVectorFor(await session.load("plain/1"));
  assert.equal(lastCv, s1.databaseChangeVector, "the last written document carries the database change vector");

  const c1 = await collectionStats();
  assert.equal(c1.countOfDocuments, 6);
  assert.equal(c1.collections.Users, 3);
  assert.equal(c1.collections.Companies, 2);
  assert.equal(c1.collections["@empty"], 1);

  // An update bumps the etag but not the count; a delete lowers the count.
  const s = store.openSession();
  const u = await s.load("users/0");
  u.name = "changed";
  await s.delete("companies/1");
  await s.saveChanges();
  const s2 = await stats();
  assert.equal(s2.countOfDocuments, 5);
  assert.ok(s2.lastDocEtag > s1.lastDocEtag);
  assert.equal(s2.countOfTombstones, 1);
  assert.equal(s2.databaseChangeVector, `A:${s2.lastDocEtag}-${s1.databaseId}`);
  const c2 = await collectionStats();
  assert.equal(c2.collections.Companies, 1);
  assert.equal(c2.countOfDocuments, 5);
});

test("deleting every document of a collection removes it from the collection stats", async () => {
  const s = store.openSession();
  await s.delete("companies/0");
  await s.saveChanges();
  const c = await collectionStats();
  assert.equal(c.collections.Companies ?? 0, 0);
});

test("collection names are case-insensitive", async () => {
  const s = store.openSession();
  await s.store({ a: 1, "@metadata": { "@collection": "USERS" } }, "users/upper");
  await s.saveChanges();
  const c = await collectionStats();
  const userKeys = Object.keys(c.collections).filter((k) => k.toLowerCase() === "users");
  assert.equal(userKeys.length, 1, JSON.stringify(c.collections));
  assert.equal(c.collections[userKeys[0]], 4);
});

test("the legacy health check ?failure=check answers the same statistics", async () => {
  const res = await fetch(`${node.url}/databases/stats/stats?failure=check`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(typeof body.CountOfDocuments, "number");
  assert.ok(Array.isArray(body.Indexes));
});

test("statistics of a missing database fail with DatabaseDoesNotExistException", async () => {
  const ghost = openStore(node, "no-such-db");
  const err = await errorOf(() => ghost.maintenance.send(new GetStatisticsOperation()));
  assert.equal(err.name, "DatabaseDoesNotExistException", err.message);
});
