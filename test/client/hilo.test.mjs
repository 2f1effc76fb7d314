// HiLo id generation with the npm client: ids like users/1-A, ranges that
// never overlap across sessions and stores, and ranges returned by
// store.dispose().

import assert from "node:assert/strict";
import { before, test } from "node:test";
import { http, sleep } from "../support/corvus_node.mjs";
import { createDatabase, disposeStore, openStore, startServer } from "./setup.mjs";

class User {
  constructor(name) {
    this.name = name;
  }
}
class Ticket {
  constructor(n) {
    this.n = n;
  }
}
class Order {
  constructor(n) {
    this.n = n;
  }
}
class Category {
  constructor(n) {
    this.n = n;
  }
}

let node;

before(async () => {
  node = await startServer();
  await createDatabase(openStore(node, "hilo"));
});

async function storeNew(store, entities) {
  const session = store.openSession();
  for (const e of entities) await session.store(e);
  await session.saveChanges();
  return entities.map((e) => session.advanced.getDocumentId(e));
}

const numberOf = (id) => Number(/\/(\d+)-A$/.exec(id)[1]);

async function hiloMax(tag) {
  const res = await http(`${node.url}/databases/hilo/docs?id=${encodeURIComponent(`Raven/Hilo/${tag}`)}`);
  return res.status === 404 ? undefined : res.json.Results[0].Max;
}

test("several sessions of one store use one range: users/1-A, users/2-A, ...", async () => {
  const store = openStore(node, "hilo");
  const ids = [
    ...(await storeNew(store, [new User("a"), new User("b")])),
    ...(await storeNew(store, [new User("c")])),
    ...(await storeNew(store, [new User("d"), new User("e")])),
  ];
  assert.deepEqual(ids, ["users/1-A", "users/2-A", "users/3-A", "users/4-A", "users/5-A"]);
  const session = store.openSession();
  const loaded = await session.load(ids, User);
  assert.deepEqual(Object.values(loaded).map((u) => u.name), ["a", "b", "c", "d", "e"]);
  assert.equal(session.advanced.getMetadataFor(loaded["users/1-A"])["@collection"], "Users");
});

test("each collection has its own sequence; tags follow the client's convention", async () => {
  const store = openStore(node, "hilo");
  const [order] = await storeNew(store, [new Order(1)]);
  const [category] = await storeNew(store, [new Category(1)]);
  assert.equal(order, "orders/1-A");
  assert.equal(category, "categories/1-A");
});

test("store.dispose() returns the unused range", async () => {
  const first = openStore(node, "hilo");
  const ids = await storeNew(first, [new Ticket(1), new Ticket(2)]);
  assert.deepEqual(ids, ["tickets/1-A", "tickets/2-A"]);
  const taken = await hiloMax("tickets");
  assert.ok(taken >= 2, `Max ${taken}`);
  disposeStore(first); // sends hilo/return without waiting for it
  for (let i = 0; i < 100 && (await hiloMax("tickets")) !== 2; ++i) await sleep(50);
  assert.equal(await hiloMax("tickets"), 2);

  const second = openStore(node, "hilo");
  const [next] = await storeNew(second, [new Ticket(3)]);
  assert.equal(next, "tickets/3-A");
});

test("a return that is not the latest range is ignored", async () => {
  const a = openStore(node, "hilo");
  const b = openStore(node, "hilo");
  const [idA] = await storeNew(a, [new Ticket("a")]);
  const [idB] = await storeNew(b, [new Ticket("b")]);
  assert.ok(numberOf(idB) > numberOf(idA));
  disposeStore(a); // b took a later range: a's range must not be reused
  await sleep(300);
  const c = openStore(node, "hilo");
  const [idC] = await storeNew(c, [new Ticket("c")]);
  assert.ok(numberOf(idC) > numberOf(idB), `${idC} after ${idB}`);
  const fromB = await storeNew(b, [new Ticket("b2")]);
  assert.notEqual(fromB[0], idC);
});

test("concurrent stores and sessions never get the same id", async () => {
  const stores = Array.from({ length: 5 }, () => openStore(node, "hilo"));
  const perStore = await Promise.all(
    stores.map(async (store, s) => {
      const ids = [];
      // 3 sessions of 30 entities each: more than one range per store.
      for (let round = 0; round < 3; ++round) {
        ids.push(...(await storeNew(store, Array.from({ length: 30 }, (_, i) => new User(`${s}-${round}-${i}`)))));
      }
      return ids;
    }),
  );
  const all = perStore.flat();
  assert.equal(new Set(all).size, all.length, "ids are unique");
  for (const id of all) assert.match(id, /^users\/\d+-A$/);

  // Ranges of different stores do not interleave within a range: every
  // number belongs to exactly one store.
  const owner = new Map();
  perStore.forEach((ids, s) => ids.forEach((id) => owner.set(numberOf(id), s)));
  assert.equal(owner.size, all.length);

  const session = stores[0].openSession();
  const docs = await session.load(all, User);
  assert.equal(Object.values(docs).filter(Boolean).length, all.length);
});
