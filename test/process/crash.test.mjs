// Crash safety with a real kill -9: concurrent writers post bulk_docs
// transactions, the node is killed at a random moment, restarted on the
// same data dir, and every acknowledged transaction must be there in full
// while no transaction may be partially visible. Several rounds on the
// same data dir, each checking all earlier rounds again.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { http, sleep, startNode, stopAll } from "../support/corvus_node.mjs";
import { createDatabase, etagOf, maxAckedEtag, startWriters, verifyTransactions, waitForDatabase } from "./workload.mjs";

after(stopAll);

const rounds = Number(process.env.CORVUS_CRASH_ROUNDS ?? 5);

for (const sync of [true, false])
test(`kill -9 under a transactional write load (${sync ? rounds : 2} rounds, storage.sync=${sync})`, async (t) => {
  // A process crash leaves the OS page cache intact: even without fsync
  // every acknowledged write must survive.
  const node = await startNode({ set: { "storage.sync": sync } });
  await createDatabase(node.url, "crash");
  const acked = [];
  for (let round = 1; round <= (sync ? rounds : 2); ++round) {
    const load = startWriters({ url: node.url, db: "crash", round, writers: 8 });
    // Wait for some acknowledged work, then a random moment more.
    const deadline = Date.now() + 20_000;
    while (load.acked.length < 20 && Date.now() < deadline) await sleep(10);
    assert.ok(load.acked.length >= 20, "the load makes progress");
    await sleep(Math.floor(Math.random() * 1000));
    await node.kill9();
    await load.done;
    acked.push(...load.acked);

    await node.restart();
    const loadMs = await waitForDatabase(node.url, "crash");
    const { transactions, documents, stats } = await verifyTransactions(node.url, "crash", acked);
    t.diagnostic(
      `round ${round}: ${load.acked.length} acknowledged, ${load.errors} cut off, ` +
        `database loaded ${loadMs} ms after the restart; ` +
        `${transactions} transactions / ${documents} documents present`,
    );
    assert.ok(transactions >= acked.length);

    // Etags are never reused after a crash.
    const maxEtag = maxAckedEtag(acked);
    assert.ok(stats.LastDocEtag >= maxEtag, `LastDocEtag ${stats.LastDocEtag} < acknowledged ${maxEtag}`);
    const probe = await http(`${node.url}/databases/crash/docs?id=probe/${round}`, {
      method: "PUT",
      body: { round },
    });
    assert.equal(probe.status, 201, probe.text);
    assert.ok(etagOf(probe.json.ChangeVector) > stats.LastDocEtag, "a write after restart gets a new etag");
  }
  assert.equal((await node.stop()).code, 0);
});

test("kill -9 right after the first write of a fresh database", async () => {
  const node = await startNode();
  await createDatabase(node.url, "fresh");
  const res = await http(`${node.url}/databases/fresh/bulk_docs?`, {
    method: "POST",
    body: { Commands: [{ Id: "only/1", ChangeVector: null, Type: "PUT", Document: { v: 1 } }] },
  });
  assert.equal(res.status, 201);
  await node.kill9();
  await node.restart();
  assert.equal(node.bannerTag, "A");
  await waitForDatabase(node.url, "fresh");
  const doc = await http(`${node.url}/databases/fresh/docs?id=only%2F1`);
  assert.equal(doc.status, 200);
  assert.equal(doc.json.Results[0]["@metadata"]["@change-vector"], res.json.Results[0]["@change-vector"]);
});

test("kill -9 right after creating and deleting databases", async () => {
  const node = await startNode();
  await createDatabase(node.url, "keep");
  await createDatabase(node.url, "drop");
  const del = await http(`${node.url}/admin/databases`, {
    method: "DELETE",
    body: { DatabaseNames: ["drop"], HardDelete: true },
  });
  assert.equal(del.status, 200, del.text);
  await node.kill9();
  await node.restart();
  const names = await http(`${node.url}/databases?namesOnly=true`);
  assert.deepEqual(names.json.Databases, ["keep"]);
  const gone = await http(`${node.url}/databases/drop/stats`);
  assert.equal(gone.status, 503);
});

test("kill -9 while databases are created and deleted", async (t) => {
  const node = await startNode();
  const acked = new Set();
  const deleted = new Set();
  const deleteSent = new Set();
  let stop = false;
  const worker = async (w) => {
    for (let i = 0; !stop; ++i) {
      const name = `db-${w}-${i}`;
      try {
        const res = await http(`${node.url}/admin/databases?name=${name}`, { method: "PUT", body: { DatabaseName: name }, timeoutMs: 10_000 });
        if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${res.text}`);
        acked.add(name);
        if (i % 3 === 2) {
          const victim = `db-${w}-${i - 1}`;
          deleteSent.add(victim); // an unacknowledged delete may or may not apply
          const del = await http(`${node.url}/admin/databases`, { method: "DELETE", body: { DatabaseNames: [victim], HardDelete: true }, timeoutMs: 10_000 });
          if (del.status !== 200) throw new Error(`delete ${victim}: ${del.status} ${del.text}`);
          deleted.add(victim);
        }
      } catch (err) {
        if (!stop) throw err;
        return;
      }
    }
  };
  const workers = Promise.all([0, 1, 2].map(worker));
  while (acked.size < 6) await sleep(10);
  await sleep(Math.floor(Math.random() * 300));
  stop = true;
  await node.kill9();
  await workers;
  await node.restart();
  assert.equal(node.bannerTag, "A");
  const names = new Set((await http(`${node.url}/databases?namesOnly=true&pageSize=1000`)).json.Databases);
  for (const name of acked) if (!deleteSent.has(name)) assert.ok(names.has(name), `acknowledged database ${name} is missing`);
  for (const name of deleted) assert.ok(!names.has(name), `deleted database ${name} is back`);
  // Every listed database works (no half-created ones).
  for (const name of names) {
    await waitForDatabase(node.url, name);
    const put = await http(`${node.url}/databases/${name}/docs?id=x`, { method: "PUT", body: { ok: 1 } });
    assert.equal(put.status, 201, `${name}: ${put.text}`);
  }
  t.diagnostic(`${acked.size} created, ${deleted.size} deleted before the kill; ${names.size} databases after the restart`);
});
