// A transactional write load for the shutdown and crash tests, and the
// checks that run on the restarted node.
//
// Writer w sends transactions one after another (the next only after the
// previous was answered). Transaction `seq` of writer w in round r is one
// bulk_docs batch that
//   - puts `size` new documents tx/r/w/seq/0..size-1, each carrying the
//     transaction marker `tx` = "r/w/seq" and the count `size`;
//   - puts writers/r/w = { seq } (an update of the same document every time).
// So after any crash: for each writer the documents of every transaction
// up to writers/r/w.seq are there, none of a later one, and every marker
// found has all `size` documents.

import assert from "node:assert/strict";
import { http } from "../support/corvus_node.mjs";

export const etagOf = (cv) => Number(/^A:(\d+)-/.exec(cv)[1]);

export async function createDatabase(url, name) {
  const res = await http(`${url}/admin/databases?name=${name}`, {
    method: "PUT",
    body: { DatabaseName: name },
  });
  assert.equal(res.status, 201, res.text);
}

/**
 * Runs `writers` concurrent writers against `url`/`db` until `stop()` is
 * called or the node goes away. Resolves to the acknowledged transactions:
 * [{ round, writer, seq, size, ids, changeVectors }].
 */
export function startWriters({ url, db, round, writers = 8, maxDocs = 6, padding = 2000 }) {
  let stopped = false;
  const acked = [];
  let errors = 0;
  const writer = async (w) => {
    for (let seq = 1; !stopped; ++seq) {
      const size = 1 + ((seq * 7 + w) % maxDocs);
      const marker = `${round}/${w}/${seq}`;
      const ids = [];
      const commands = [];
      for (let i = 0; i < size; ++i) {
        const id = `tx/${marker}/${i}`;
        ids.push(id);
        commands.push({
          Id: id,
          ChangeVector: null,
          Type: "PUT",
          Document: {
            tx: marker,
            count: size,
            i,
            pad: "x".repeat((seq * 131 + i * 17) % padding),
            "@metadata": { "@collection": "Tx" },
          },
        });
      }
      commands.push({
        Id: `writers/${round}/${w}`,
        ChangeVector: null,
        Type: "PUT",
        Document: { seq, "@metadata": { "@collection": "Writers" } },
      });
      let res;
      try {
        res = await http(`${url}/databases/${db}/bulk_docs?`, {
          method: "POST",
          body: { Commands: commands },
          timeoutMs: 20_000,
        });
      } catch {
        // The node went away; this transaction is not acknowledged.
        ++errors;
        return;
      }
      if (res.status !== 201) {
        // A node shutting down may refuse new work; anything else is a bug.
        if (res.status === 503) {
          ++errors;
          return;
        }
        throw new Error(`bulk_docs answered ${res.status}: ${res.text}`);
      }
      assert.equal(res.json.Results.length, size + 1);
      acked.push({
        round,
        writer: w,
        seq,
        size,
        ids,
        changeVectors: res.json.Results.slice(0, size).map((r) => r["@change-vector"]),
      });
    }
  };
  const done = Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
  return {
    acked,
    get errors() {
      return errors;
    },
    stop() {
      stopped = true;
      return done;
    },
    done,
  };
}

/**
 * Waits until `db` answers its stats (a restarted node loads its databases
 * in the background and answers 503 meanwhile). Resolves to the wait in ms.
 */
export async function waitForDatabase(url, db, timeoutMs = 30_000) {
  const start = Date.now();
  for (;;) {
    const res = await http(`${url}/databases/${db}/stats`);
    if (res.status === 200) return Date.now() - start;
    assert.equal(res.status, 503, res.text);
    assert.match(res.json.Type, /DatabaseLoadTimeoutException/);
    if (Date.now() - start > timeoutMs) throw new Error(`database ${db} still loading after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every document whose id starts with `prefix`, via startsWith paging. */
export async function listDocuments(url, db, prefix) {
  const docs = [];
  let startAfter = "";
  for (;;) {
    const q = new URLSearchParams({ startsWith: prefix, pageSize: "1024" });
    if (startAfter) q.set("startAfter", startAfter);
    const res = await http(`${url}/databases/${db}/docs?${q}`);
    assert.equal(res.status, 200, res.text);
    docs.push(...res.json.Results);
    if (res.json.Results.length < 1024) return docs;
    startAfter = res.json.Results.at(-1)["@metadata"]["@id"];
  }
}

/**
 * Checks the restarted node: every acknowledged transaction is complete
 * with the change vectors it was acknowledged with, and no transaction is
 * partially visible. Returns the number of transactions found.
 */
export async function verifyTransactions(url, db, acked) {
  const docs = await listDocuments(url, db, "tx/");
  const byId = new Map(docs.map((d) => [d["@metadata"]["@id"], d]));
  assert.equal(byId.size, docs.length, "listing has no duplicates");

  for (const tx of acked) {
    tx.ids.forEach((id, i) => {
      const doc = byId.get(id);
      assert.ok(doc, `acknowledged ${id} is missing`);
      assert.equal(doc.tx, `${tx.round}/${tx.writer}/${tx.seq}`);
      assert.equal(doc["@metadata"]["@change-vector"], tx.changeVectors[i], `change vector of ${id}`);
    });
  }

  const markers = new Map();
  for (const doc of docs) {
    const m = markers.get(doc.tx) ?? { count: doc.count, seen: new Set() };
    assert.equal(m.count, doc.count, `count of ${doc.tx}`);
    m.seen.add(doc.i);
    markers.set(doc.tx, m);
  }
  for (const [marker, m] of markers)
    assert.equal(m.seen.size, m.count, `transaction ${marker} is partially visible: ${m.seen.size} of ${m.count}`);

  // Per writer: the transactions present are exactly 1..writers/r/w.seq.
  const ackedMax = new Map();
  for (const tx of acked) {
    const key = `${tx.round}/${tx.writer}`;
    ackedMax.set(key, Math.max(ackedMax.get(key) ?? 0, tx.seq));
  }
  const present = new Map();
  for (const marker of markers.keys()) {
    const [round, writer, seq] = marker.split("/");
    const key = `${round}/${writer}`;
    present.set(key, [...(present.get(key) ?? []), Number(seq)]);
  }
  for (const [key, seqs] of present) {
    const res = await http(`${url}/databases/${db}/docs?id=${encodeURIComponent(`writers/${key}`)}`);
    assert.equal(res.status, 200, `writers/${key}`);
    const last = res.json.Results[0].seq;
    seqs.sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: last }, (_, i) => i + 1), `transactions of writer ${key}`);
    const acknowledged = ackedMax.get(key) ?? 0;
    assert.ok(last === acknowledged || last === acknowledged + 1, `writer ${key}: last ${last}, acknowledged ${acknowledged}`);
  }
  for (const [key, max] of ackedMax) assert.ok(present.has(key) || max === 0, `writer ${key} lost everything`);

  const stats = await http(`${url}/databases/${db}/stats`);
  assert.equal(stats.status, 200);
  return { transactions: markers.size, documents: docs.length, stats: stats.json };
}

/** The highest etag among acknowledged change vectors. */
export function maxAckedEtag(acked) {
  let max = 0;
  for (const tx of acked) for (const cv of tx.changeVectors) max = Math.max(max, etagOf(cv));
  return max;
}
