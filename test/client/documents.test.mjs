// Documents through the npm client's session: store/load/update/delete,
// the three ways ids are made, metadata, includes, loadStartingWith,
// exists, and the HTTP cache (ETag / If-None-Match).

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  DeleteDocumentCommand,
  DocumentStore,
  GetCollectionStatisticsOperation,
  GetDocumentsCommand,
  PutDocumentCommand,
} from "ravendb";
import { http } from "../support/corvus_node.mjs";
import {
  changeVectorPattern,
  createDatabase,
  errorOf,
  etagOf,
  lastModifiedPattern,
  openStore,
  startServer,
} from "./setup.mjs";

class User {
  constructor(name, age, managerId) {
    this.name = name;
    this.age = age;
    this.managerId = managerId;
  }
}

class Person {
  constructor(name) {
    this.name = name;
  }
}

let node;
let store;

before(async () => {
  node = await startServer();
  store = openStore(node, "docs");
  await createDatabase(store);
});

async function save(entities) {
  const session = store.openSession();
  for (const [id, entity] of Object.entries(entities)) await session.store(entity, id);
  await session.saveChanges();
}

describe("store and load", () => {
  test("explicit ids round-trip fields, types and dates", async () => {
    const born = new Date("1990-04-05T06:07:08.123Z");
    const session = store.openSession();
    const ann = new User("Ann", 31);
    ann.born = born;
    ann.tags = ["a", "b"];
    ann.address = { city: "Oslo", zip: null };
    await session.store(ann, "users/ann");
    await session.saveChanges();
    assert.equal(session.advanced.getDocumentId(ann), "users/ann");

    const loaded = await store.openSession().load("users/ann", User);
    assert.ok(loaded instanceof User);
    assert.equal(loaded.name, "Ann");
    assert.equal(loaded.age, 31);
    assert.ok(loaded.born instanceof Date, "dates are revived from @nested-object-types");
    assert.equal(loaded.born.getTime(), born.getTime());
    assert.deepEqual(loaded.tags, ["a", "b"]);
    assert.deepEqual(loaded.address, { city: "Oslo", zip: null });
  });

  test("metadata: @collection, @id, @change-vector, @last-modified, Raven-Node-Type", async () => {
    await save({ "people/1": new Person("Bob"), "Plain/1": { x: 1 } });
    const session = store.openSession();
    const bob = await session.load("people/1");
    const md = session.advanced.getMetadataFor(bob);
    assert.equal(md["@collection"], "People");
    assert.equal(md["Raven-Node-Type"], "Person");
    assert.equal(md["@id"], "people/1");
    assert.match(md["@change-vector"], changeVectorPattern);
    assert.match(md["@last-modified"], lastModifiedPattern);
    const lastModified = Date.parse(md["@last-modified"]);
    assert.ok(Math.abs(Date.now() - lastModified) < 60_000, md["@last-modified"]);
    assert.equal(session.advanced.getChangeVectorFor(bob), md["@change-vector"]);

    const plain = await session.load("Plain/1");
    const plainMd = session.advanced.getMetadataFor(plain);
    assert.equal(plainMd["@id"], "Plain/1");
    assert.ok(["@empty", undefined].includes(plainMd["@collection"]), plainMd["@collection"]);
  });

  test("ids are case-insensitive and keep their original casing", async () => {
    await save({ "Mixed/CaseID": { v: 1 } });
    const session = store.openSession();
    const doc = await session.load("mixed/caseid");
    assert.equal(doc.v, 1);
    assert.equal(session.advanced.getMetadataFor(doc)["@id"], "Mixed/CaseID");
    // Storing under another casing updates the same document.
    await save({ "MIXED/caseid": { v: 2 } });
    const again = store.openSession();
    const doc2 = await again.load("Mixed/CaseID");
    assert.equal(doc2.v, 2);
  });

  test("case-insensitive ids beyond ASCII", async () => {
    await save({ "Ünï/ÄBC-Σ": { a: 1 } });
    const session = store.openSession();
    const doc = await session.load("ünï/äbc-σ");
    assert.equal(doc?.a, 1);
    assert.equal(session.advanced.getMetadataFor(doc)["@id"], "Ünï/ÄBC-Σ");
    const found = await store.openSession().advanced.loadStartingWith("üNÏ/");
    assert.equal(found.length, 1);
    assert.equal(await store.openSession().advanced.exists("ÜNÏ/äbc-Σ"), true);
  });

  test("ids with unusual characters", async () => {
    const ids = [
      "odd/with space",
      "odd/per%cent",
      "odd/q?a=b&c=d#frag",
      "odd/plus+sign",
      "odd/ünïcødé-日本-🎉",
      "odd/quote\"and'apos",
      "odd/back\\slash",
      "odd/" + "long".repeat(100),
    ];
    const session = store.openSession();
    for (const [i, id] of ids.entries()) await session.store({ i }, id);
    await session.saveChanges();
    for (const [i, id] of ids.entries()) {
      const s = store.openSession();
      const doc = await s.load(id);
      assert.ok(doc, `load ${id}`);
      assert.equal(doc.i, i);
      assert.equal(s.advanced.getMetadataFor(doc)["@id"], id);
    }
  });

  test("load many: missing ids are null and the order is kept", async () => {
    await save({ "many/1": { n: 1 }, "many/2": { n: 2 }, "many/3": { n: 3 } });
    const session = store.openSession();
    const requested = ["many/3", "many/missing", "many/1", "many/2", "nope/9"];
    const docs = await session.load(requested);
    assert.deepEqual(Object.keys(docs), requested);
    assert.equal(docs["many/3"].n, 3);
    assert.equal(docs["many/missing"] ?? null, null);
    assert.equal(docs["many/1"].n, 1);
    assert.equal(docs["many/2"].n, 2);
    assert.equal(docs["nope/9"] ?? null, null);
    assert.equal(session.advanced.numberOfRequests, 1);
  });

  test("load of one missing id returns null", async () => {
    assert.equal(await store.openSession().load("users/does-not-exist"), null);
  });

  test("load many with a long id list (POST /docs)", async () => {
    const ids = [];
    const session = store.openSession();
    for (let i = 0; i < 60; ++i) {
      const id = `bulkload/${String(i).padStart(4, "0")}-${"x".repeat(20)}`;
      ids.push(id);
      if (i % 2 === 0) await session.store({ i }, id);
    }
    await session.saveChanges();
    assert.ok(ids.join("").length >= 1024);
    const docs = await store.openSession().load(ids);
    assert.deepEqual(Object.keys(docs), ids);
    ids.forEach((id, i) => {
      if (i % 2 === 0) assert.equal(docs[id].i, i);
      else assert.equal(docs[id] ?? null, null);
    });
  });

  test("update changes the data and the change vector", async () => {
    await save({ "users/upd": new User("Cid", 40) });
    const s1 = store.openSession();
    const cid = await s1.load("users/upd", User);
    const cv1 = s1.advanced.getChangeVectorFor(cid);
    cid.age = 41;
    await s1.saveChanges();
    const cv2 = s1.advanced.getChangeVectorFor(cid);
    assert.notEqual(cv2, cv1);
    assert.match(cv2, changeVectorPattern);
    assert.ok(etagOf(cv2) > etagOf(cv1));

    const s2 = store.openSession();
    const reloaded = await s2.load("users/upd", User);
    assert.equal(reloaded.age, 41);
    assert.equal(s2.advanced.getChangeVectorFor(reloaded), cv2);

    // A saveChanges without changes makes no request.
    const before = s2.advanced.numberOfRequests;
    await s2.saveChanges();
    assert.equal(s2.advanced.numberOfRequests, before);
  });

  test("delete by id and by entity; deleting a missing id is fine", async () => {
    await save({ "del/1": { a: 1 }, "del/2": { a: 2 } });
    const session = store.openSession();
    await session.delete("del/1");
    const two = await session.load("del/2");
    await session.delete(two);
    await session.delete("del/never-existed");
    await session.saveChanges();
    const check = store.openSession();
    assert.equal(await check.load("del/1"), null);
    assert.equal(await check.load("del/2"), null);
    // The id can be used again after a delete.
    await save({ "del/1": { a: 3 } });
    assert.equal((await store.openSession().load("del/1")).a, 3);
  });

  test("a store and a delete of other documents in one batch", async () => {
    await save({ "mix/old": { a: 1 } });
    const session = store.openSession();
    await session.store({ a: 2 }, "mix/new");
    await session.delete("mix/old");
    await session.saveChanges();
    const docs = await store.openSession().load(["mix/old", "mix/new"]);
    assert.equal(docs["mix/old"] ?? null, null);
    assert.equal(docs["mix/new"].a, 2);
  });
});

describe("generated ids", () => {
  test("plain objects without id get a server-generated id", async () => {
    const session = store.openSession();
    const a = { kind: "plain-a" };
    const b = { kind: "plain-b" };
    await session.store(a);
    await session.store(b);
    await session.saveChanges();
    const idA = session.advanced.getDocumentId(a);
    const idB = session.advanced.getDocumentId(b);
    assert.equal(typeof idA, "string");
    assert.ok(idA.length > 0);
    assert.notEqual(idA, idB);
    const loaded = await store.openSession().load(idA);
    assert.equal(loaded.kind, "plain-a");
  });

  test("an id ending with '/' gets a server sequence number and the node tag", async () => {
    const session = store.openSession();
    const a = { kind: "seq" };
    const b = { kind: "seq" };
    await session.store(a, "orders/");
    await session.store(b, "orders/");
    await session.saveChanges();
    const idA = session.advanced.getDocumentId(a);
    const idB = session.advanced.getDocumentId(b);
    assert.match(idA, /^orders\/\d{19}-A$/);
    assert.match(idB, /^orders\/\d{19}-A$/);
    assert.notEqual(idA, idB);
    assert.equal((await store.openSession().load(idB)).kind, "seq");
  });

  test("class instances without id get HiLo ids like users/1-A", async () => {
    const session = store.openSession();
    const u = new User("Hilo", 1);
    await session.store(u);
    const id = session.advanced.getDocumentId(u);
    assert.match(id, /^users\/\d+-A$/);
    await session.saveChanges();
    assert.equal((await store.openSession().load(id, User)).name, "Hilo");
  });
});

describe("includes, loadStartingWith, exists", () => {
  test("include: the included document is served without another request", async () => {
    await save({
      "employees/boss": new User("Boss", 60, null),
      "employees/1": new User("Worker", 30, "employees/boss"),
      "employees/2": new User("Orphan", 30, "employees/missing"),
    });
    const session = store.openSession();
    const worker = await session.include("managerId").load("employees/1", User);
    assert.equal(worker.name, "Worker");
    assert.equal(session.advanced.numberOfRequests, 1);
    assert.ok(session.advanced.isLoaded("employees/boss"));
    const boss = await session.load(worker.managerId, User);
    assert.equal(boss.name, "Boss");
    assert.equal(session.advanced.numberOfRequests, 1, "the include saved a request");

    // A missing included document does not break the load.
    const s2 = store.openSession();
    const orphan = await s2.include("managerId").load("employees/2", User);
    assert.equal(orphan.name, "Orphan");
    assert.equal(await s2.load("employees/missing"), null);
  });

  test("include on several documents and with an array path", async () => {
    await save({
      "teams/t": { name: "T", members: ["employees/1", "employees/boss"] },
    });
    const session = store.openSession();
    const docs = await session.include("managerId").load(["employees/1", "employees/2"], User);
    assert.equal(docs["employees/1"].name, "Worker");
    await session.load("employees/boss");
    assert.equal(session.advanced.numberOfRequests, 1);

    const s2 = store.openSession();
    await s2.include("members").load("teams/t");
    await s2.load(["employees/1", "employees/boss"]);
    assert.equal(s2.advanced.numberOfRequests, 1);
  });

  test("include paths into nested objects and arrays", async () => {
    await save({
      "parts/1": { n: 1 },
      "parts/2": { n: 2 },
      "parts/3": { n: 3 },
      "orders/nested": { customer: { ref: "parts/1" }, lines: [{ part: "parts/2" }, { part: "parts/3" }, { part: null }] },
    });
    const session = store.openSession();
    await session.include("customer.ref").include("lines[].part").load("orders/nested");
    const parts = await session.load(["parts/1", "parts/2", "parts/3"]);
    assert.deepEqual(Object.values(parts).map((p) => p.n), [1, 2, 3]);
    assert.equal(session.advanced.numberOfRequests, 1);
  });

  test("loadStartingWith with paging, matches and exclude", async () => {
    const entities = {};
    for (let i = 1; i <= 12; ++i) entities[`prefix/${String(i).padStart(2, "0")}`] = { i };
    entities["prefixother/1"] = { i: 100 };
    entities["Prefix/special-a"] = { i: 200 };
    await save(entities);

    const session = store.openSession();
    const all = await session.advanced.loadStartingWith("prefix/");
    const ids = all.map((d) => session.advanced.getDocumentId(d));
    assert.equal(ids.length, 13);
    assert.ok(!ids.includes("prefixother/1"));
    assert.deepEqual(ids.slice(0, 12), Object.keys(entities).slice(0, 12), "ordered by id");

    const page = await session.advanced.loadStartingWith("prefix/", { start: 2, pageSize: 3 });
    assert.deepEqual(page.map((d) => d.i), [3, 4, 5]);

    const matched = await session.advanced.loadStartingWith("prefix/", { matches: "0*" });
    assert.deepEqual(matched.map((d) => d.i), [1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const excluded = await session.advanced.loadStartingWith("prefix/", { exclude: "0*|special*" });
    assert.deepEqual(excluded.map((d) => d.i), [10, 11, 12]);

    const none = await session.advanced.loadStartingWith("nothing-here/");
    assert.deepEqual(none, []);
  });

  test("loadStartingWith of more than a megabyte arrives whole", async () => {
    // 1,500 documents of 1 KB: the answer (about 1.6 MB) goes out chunked,
    // a megabyte at a time, and no page size cuts it short.
    const text = "d".repeat(1024);
    const entities = {};
    for (let n = 0; n < 1500; ++n) entities[`bulk/${String(n).padStart(4, "0")}`] = { n, text };
    await save(entities);

    const session = store.openSession();
    const all = await session.advanced.loadStartingWith("bulk/", { pageSize: 5000 });
    assert.equal(all.length, 1500);
    assert.deepEqual(all.map((d) => d.n), [...Array(1500).keys()]);
    assert.equal(all[777].text, text);

    const page = await store.openSession().advanced.loadStartingWith("bulk/", { start: 100, pageSize: 1300 });
    assert.equal(page.length, 1300);
    assert.equal(page[0].n, 100);
    assert.equal(page[1299].n, 1399);

    // Wildcards count what they keep: the ids ending in 7 past the first ten.
    const sevens = await store.openSession().advanced.loadStartingWith("bulk/", { matches: "*7", start: 10, pageSize: 1000 });
    assert.equal(sevens.length, 140);
    assert.equal(sevens[0].n, 107);
  });

  test("a listing without startsWith shows the newest first, or from an etag", async () => {
    for (const n of [1, 2, 3, 4, 5]) await save({ [`recent/${n}`]: { n } });
    const list = async (opts) => {
      const cmd = new GetDocumentsCommand({ conventions: store.conventions, ...opts });
      await store.getRequestExecutor().execute(cmd);
      return cmd.result.results.map((d) => d["@metadata"]["@id"]);
    };
    assert.deepEqual(await list({ start: 0, pageSize: 3 }), ["recent/5", "recent/4", "recent/3"]);
    assert.deepEqual(await list({ start: 1, pageSize: 2 }), ["recent/4", "recent/3"]);
    await save({ "recent/2": { n: 22 } });
    assert.deepEqual(await list({ start: 0, pageSize: 2 }), ["recent/2", "recent/5"]);
    // etag= lists from that etag on, the oldest first: recent/5 then the
    // rewritten recent/2, the only two at or past recent/5's etag.
    const session = store.openSession();
    const five = await session.load("recent/5");
    const etag = etagOf(session.advanced.getChangeVectorFor(five));
    const from = await http(`${node.url}/databases/docs/docs?etag=${etag}&pageSize=10`);
    assert.equal(from.status, 200);
    assert.deepEqual(from.json.Results.map((d) => d["@metadata"]["@id"]), ["recent/5", "recent/2"]);
  });

  test("an empty id among several loads as null; alone it is a 404", async () => {
    await save({ "empty/1": { v: 1 } });
    const both = await http(`${node.url}/databases/docs/docs?id=empty%2F1&id=`);
    assert.equal(both.status, 200);
    assert.equal(both.json.Results.length, 2);
    assert.equal(both.json.Results[0].v, 1);
    assert.equal(both.json.Results[1], null);
    const alone = await http(`${node.url}/databases/docs/docs?id=`);
    assert.equal(alone.status, 404);
    const posted = await http(`${node.url}/databases/docs/docs`, {
      method: "POST",
      body: JSON.stringify({ Ids: ["", "empty/1"] }),
    });
    assert.equal(posted.status, 200);
    assert.equal(posted.json.Results[0], null);
    assert.equal(posted.json.Results[1].v, 1);
  });

  test("query keys are read without regard to case", async () => {
    const lower = await http(`${node.url}/databases/docs/docs?startswith=recent%2F&PAGESIZE=2`);
    assert.equal(lower.status, 200);
    assert.deepEqual(lower.json.Results.map((d) => d["@metadata"]["@id"]), ["recent/1", "recent/2"]);
  });

  test("session.advanced.exists", async () => {
    await save({ "exists/yes": { a: 1 } });
    const session = store.openSession();
    assert.equal(await session.advanced.exists("exists/yes"), true);
    assert.equal(await session.advanced.exists("EXISTS/YES"), true);
    assert.equal(await session.advanced.exists("exists/no"), false);
    const s2 = store.openSession();
    await s2.delete("exists/yes");
    await s2.saveChanges();
    assert.equal(await store.openSession().advanced.exists("exists/yes"), false);
  });
});

describe("HTTP caching", () => {
  test("a second session sees an update made in between (by another client)", async () => {
    await save({ "cache/1": { v: 1 } });
    const first = await store.openSession().load("cache/1");
    assert.equal(first.v, 1);
    // The same URL again: served from the cache or by 304, same data.
    assert.equal((await store.openSession().load("cache/1")).v, 1);

    // Another store (its own HTTP cache) updates the document.
    const other = openStore(node, "docs");
    const s = other.openSession();
    const doc = await s.load("cache/1");
    doc.v = 2;
    await s.saveChanges();

    assert.equal((await store.openSession().load("cache/1")).v, 2);
  });

  test("a cached 404 does not hide a document created later", async () => {
    assert.equal(await store.openSession().load("cache/late"), null);
    assert.equal(await store.openSession().load("cache/late"), null);
    const other = openStore(node, "docs");
    const s = other.openSession();
    await s.store({ v: "late" }, "cache/late");
    await s.saveChanges();
    assert.equal((await store.openSession().load("cache/late")).v, "late");
  });

  test("a cached document that was deleted is reported missing", async () => {
    await save({ "cache/gone": { v: 1 } });
    assert.equal((await store.openSession().load("cache/gone")).v, 1);
    assert.equal((await store.openSession().load("cache/gone")).v, 1);
    const other = openStore(node, "docs");
    const s = other.openSession();
    await s.delete("cache/gone");
    await s.saveChanges();
    assert.equal(await store.openSession().load("cache/gone"), null);
  });

  test("an include changes the ETag when only the included document changed", async () => {
    await save({ "cache/ref": { v: 1 }, "cache/owner": { ref: "cache/ref" } });
    const load = async () => {
      const session = store.openSession();
      await session.include("ref").load("cache/owner");
      const ref = await session.load("cache/ref");
      assert.equal(session.advanced.numberOfRequests, 1);
      return ref.v;
    };
    assert.equal(await load(), 1);
    assert.equal(await load(), 1);
    const res = await http(`${node.url}/databases/docs/docs?id=cache%2Fref`, {
      method: "PUT",
      body: { v: 2 },
    });
    assert.equal(res.status, 201);
    assert.equal(await load(), 2);
  });

  test("If-None-Match: a matching ETag gets 304, a stale one gets 200", async () => {
    await save({ "cache/raw": { v: 1 } });
    const url = `${node.url}/databases/docs/docs?&id=cache%2Fraw`;
    const first = await http(url);
    assert.equal(first.status, 200);
    const etag = first.headers.get("etag");
    assert.ok(etag, "GET docs sends an ETag");
    const again = await http(url, { headers: { "If-None-Match": etag } });
    assert.equal(again.status, 304);
    assert.equal(again.text, "");
    const noHeader = await http(url);
    assert.equal(noHeader.status, 200, "never a 304 without If-None-Match");
    await save({ "cache/raw": { v: 2 } });
    const changed = await http(url, { headers: { "If-None-Match": etag } });
    assert.equal(changed.status, 200);
    assert.equal(changed.json.Results[0].v, 2);
    assert.notEqual(changed.headers.get("etag"), etag);
  });
});

describe("stores on the same database", () => {
  test("two DocumentStores see each other's writes immediately", async () => {
    const a = openStore(node, "docs");
    const b = new DocumentStore([node.url], "docs");
    b.initialize();
    try {
      const s = a.openSession();
      await s.store({ from: "a" }, "shared/1");
      await s.saveChanges();
      assert.equal((await b.openSession().load("shared/1")).from, "a");
    } finally {
      b.dispose();
    }
  });
});

describe("metadata handling", () => {
  test("user metadata is kept verbatim; server-computed keys are recomputed", async () => {
    const res = await http(`${node.url}/databases/docs/docs?id=meta%2F1`, {
      method: "PUT",
      body: {
        v: 1,
        "@metadata": {
          "@collection": "Metas",
          "custom-key": { nested: [1, 2] },
          "@expires": "2099-01-01T00:00:00.0000000Z",
          "@id": "someone/else",
          "@change-vector": "A:424242-AAAAAAAAAAAAAAAAAAAAAA",
          "@last-modified": "1999-01-01T00:00:00.0000000Z",
          "@flags": "HasAttachments",
        },
      },
    });
    assert.equal(res.status, 201, res.text);
    const raw = await http(`${node.url}/databases/docs/docs?id=meta%2F1`);
    const md = raw.json.Results[0]["@metadata"];
    assert.deepEqual(md["custom-key"], { nested: [1, 2] });
    assert.equal(md["@expires"], "2099-01-01T00:00:00.0000000Z");
    assert.equal(md["@collection"], "Metas");
    assert.equal(md["@id"], "meta/1");
    assert.equal(md["@change-vector"], res.json.ChangeVector);
    assert.notEqual(md["@last-modified"], "1999-01-01T00:00:00.0000000Z");
    assert.equal(md["@flags"], undefined, "a client cannot set @flags");
  });

  test("metadata set through the session survives a round trip", async () => {
    const session = store.openSession();
    const entity = new User("Meta", 5);
    await session.store(entity, "users/meta");
    const md = session.advanced.getMetadataFor(entity);
    md["tenant"] = "acme";
    await session.saveChanges();
    const s2 = store.openSession();
    const loaded = await s2.load("users/meta", User);
    assert.equal(s2.advanced.getMetadataFor(loaded)["tenant"], "acme");
  });

  test("a plain object saved twice in one session stays in no collection", async () => {
    const before = await store.maintenance.send(new GetCollectionStatisticsOperation());
    const session = store.openSession();
    const plain = { step: 1 };
    await session.store(plain, "plain/twice");
    await session.saveChanges();
    plain.step = 2; // the session now sends "@collection": "@empty" back
    await session.saveChanges();
    const after = await store.maintenance.send(new GetCollectionStatisticsOperation());
    assert.equal(after.collections["@empty"], (before.collections["@empty"] ?? 0) + 1);
    const names = Object.keys(after.collections).filter((c) => c.toLowerCase() === "@empty");
    assert.equal(names.length, 1, JSON.stringify(after.collections));
    assert.equal((await store.openSession().load("plain/twice")).step, 2);
  });
});

describe("low-level document commands", () => {
  test("PutDocumentCommand, HEAD, DeleteDocumentCommand", async () => {
    const executor = store.getRequestExecutor();
    const put = new PutDocumentCommand("low/1", null, { a: 1, "@metadata": { "@collection": "Lows" } });
    await executor.execute(put);
    assert.equal(put.result.id, "low/1");
    assert.match(put.result.changeVector, changeVectorPattern);

    // HEAD (what session.advanced.exists sends): the change vector as ETag.
    const head = await http(`${node.url}/databases/docs/docs?id=low%2F1`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("etag"), `"${put.result.changeVector}"`);
    const same = await http(`${node.url}/databases/docs/docs?id=low%2F1`, {
      method: "HEAD",
      headers: { "If-None-Match": `"${put.result.changeVector}"` },
    });
    assert.equal(same.status, 304);
    const headMissing = await http(`${node.url}/databases/docs/docs?id=low%2Fnone`, { method: "HEAD" });
    assert.equal(headMissing.status, 404);

    const stalePut = new PutDocumentCommand("low/1", "A:999999-AAAAAAAAAAAAAAAAAAAAAA", { a: 2 });
    assert.equal((await errorOf(() => executor.execute(stalePut))).name, "ConcurrencyException");
    const staleDelete = new DeleteDocumentCommand("low/1", "A:999999-AAAAAAAAAAAAAAAAAAAAAA");
    assert.equal((await errorOf(() => executor.execute(staleDelete))).name, "ConcurrencyException");
    assert.equal((await store.openSession().load("low/1")).a, 1);

    const del = new DeleteDocumentCommand("low/1", put.result.changeVector);
    await executor.execute(del);
    assert.equal(await store.openSession().load("low/1"), null);
  });
});

describe("response headers the client reacts to", () => {
  test("Refresh-Topology only when the client's topology etag is stale", async () => {
    const topology = await http(`${node.url}/topology?name=docs`);
    const etag = topology.json.Etag;
    const current = await http(`${node.url}/databases/docs/docs?id=users%2Fann`, { headers: { "Topology-Etag": `"${etag}"` } });
    assert.equal(current.headers.get("refresh-topology"), null);
    assert.equal(current.headers.get("refresh-client-configuration"), null);
    const stale = await http(`${node.url}/databases/docs/docs?id=users%2Fann`, { headers: { "Topology-Etag": `"${etag - 1}"` } });
    assert.equal(stale.headers.get("refresh-topology"), "true");
    const odd = await http(`${node.url}/databases/docs/docs?id=users%2Fann`, { headers: { "Topology-Etag": '"undefined"' } });
    assert.equal(odd.status, 200);
  });

  test("Raven-Server-Version is a 7.x version", async () => {
    const res = await http(`${node.url}/databases/docs/stats`);
    const version = res.headers.get("raven-server-version");
    if (version !== null) assert.match(version, /^7\.\d+/);
  });

  test("client configuration: top-level Etag first, compact", async () => {
    const res = await http(`${node.url}/databases/docs/configuration/client`);
    assert.equal(res.status, 200);
    assert.match(res.text, /^\{"Etag":-?\d+[,}]/);
  });

  test("healthcheck answers with an empty body", async () => {
    const res = await http(`${node.url}/databases/docs/healthcheck`);
    assert.ok(res.status === 204 || (res.status === 200 && res.headers.get("content-length") === "0"), `${res.status}`);
    assert.equal(res.text, "");
  });
});
