// Introspection of a real node: /admin/actors, /admin/actors/{id},
// /admin/restarts, /metrics and /admin/debug/memory/stats; and supervision seen through them when a
// database's disk really fills up (a small tmpfs, root only).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { http, makeTempDir, sleep, startNode, stopAll } from "../support/corvus_node.mjs";
import { createDatabase } from "./workload.mjs";

after(stopAll);

async function put(url, db, id, document) {
  return http(`${url}/databases/${db}/bulk_docs`, {
    method: "POST",
    body: { Commands: [{ Id: id, Document: document, Type: "PUT" }] },
  });
}

async function actors(url) {
  const res = await http(`${url}/admin/actors`);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

test("the actor tree, one actor, and the metrics of a running node", async () => {
  const node = await startNode();
  await createDatabase(node.url, "demo");
  assert.equal((await put(node.url, "demo", "users/1", { name: "Ada" })).status, 201);

  const list = await actors(node.url);
  assert.equal(list.NodeTag, "A");
  assert.equal(list.Url, node.url);
  const byKind = Object.fromEntries(list.Actors.map((a) => [a.Kind, a]));
  for (const kind of ["node", "introspection-registry", "http-gateway", "database", "storage-committer"])
    assert.ok(byKind[kind], `no ${kind} actor in ${JSON.stringify(list)}`);
  for (const a of list.Actors) {
    assert.equal(a.Responsive, true, `${a.Kind} did not answer`);
    assert.equal(typeof a.State, "object");
  }
  const { node: root, database: db, "storage-committer": committer } = byKind;
  assert.equal(root.Parent, 0);
  assert.equal(db.Name, "demo");
  assert.equal(db.Parent, root.Id);
  assert.equal(committer.Parent, db.Id);
  assert.equal(db.State.Status, "Ready");
  assert.equal(db.State.Documents, 1);
  assert.ok(db.State.LastEtag >= 1);
  assert.match(db.State.ChangeVector, /^A:\d+-[A-Za-z0-9+/]{22}$/);
  assert.ok(committer.State.Batches >= 1);
  assert.ok(byKind["http-gateway"].State.Requests >= 2);

  const one = await http(`${node.url}/admin/actors/${db.Id}`);
  assert.equal(one.status, 200);
  assert.equal(one.json.Kind, "database");
  assert.equal(one.json.State.Documents, 1);
  const missing = await http(`${node.url}/admin/actors/987654321`);
  assert.equal(missing.status, 404);
  assert.match(missing.json.Message, /no actor 987654321/);
  assert.equal((await http(`${node.url}/admin/actors/abc`)).status, 400);

  const restarts = await http(`${node.url}/admin/restarts`);
  assert.deepEqual(restarts.json, { Restarts: [] });

  const metrics = await fetch(`${node.url}/metrics`);
  assert.match(metrics.headers.get("content-type"), /^text\/plain/);
  const text = await metrics.text();
  const types = new Set();
  for (const line of text.trimEnd().split("\n")) {
    if (line.startsWith("# TYPE ")) {
      const name = line.split(" ")[2];
      assert.ok(!types.has(name), `${name} announced twice`);
      types.add(name);
      continue;
    }
    assert.match(line, /^[a-z_]+\{([a-z_]+="[^"]*",?)+\} -?[0-9.e+-]+$/, line);
  }
  assert.match(text, /^corvus_database_documents\{node="A",name="demo"\} 1$/m);
  assert.match(text, /^corvus_http_request_duration_seconds_count\{/m);
  assert.match(text, /^corvus_storage_committer_batches_total\{node="A",name="demo"\} \d+$/m);
  assert.match(text, /^process_resident_memory_bytes\{node="A"\} [1-9]\d*$/m);
  assert.match(text, /^corvus_allocator_allocated_bytes\{node="A"\} [1-9]\d*$/m);
  assert.equal((await node.stop()).code, 0);
});

test("a node's memory: the process's and jemalloc's, growing with what the node holds", async () => {
  const node = await startNode();
  await createDatabase(node.url, "demo");
  const memory = async () => {
    const res = await http(`${node.url}/admin/debug/memory/stats`);
    assert.equal(res.status, 200, res.text);
    return res.json;
  };
  const before = await memory();
  assert.ok(before.WorkingSet > 0 && before.Anonymous > 0 && before.MappedFiles > 0, JSON.stringify(before));
  assert.ok(before.PeakWorkingSet >= before.WorkingSet);
  assert.ok(before.VirtualSize >= before.WorkingSet);
  const a = before.Allocator;
  assert.equal(a.Name, "jemalloc");
  assert.ok(a.Allocated > 0 && a.Active >= a.Allocated && a.Resident >= a.Active && a.Mapped >= a.Resident, JSON.stringify(a));

  // 4,000 compare-exchange values of 1 KB live in the cluster state.
  const value = "v".repeat(1024);
  for (let i = 0; i < 4000; i += 50)
    await Promise.all(Array.from({ length: 50 }, async (_, j) => {
      const res = await http(`${node.url}/databases/demo/cmpxchg?key=held/${i + j}&index=0`, { method: "PUT", body: { Object: value } });
      assert.equal(res.status, 200, res.text);
    }));
  const after = await memory();
  assert.ok(after.Allocator.Allocated >= a.Allocated + 4000 * 1024, `allocated ${a.Allocated} then ${after.Allocator.Allocated}`);
  assert.ok(after.Anonymous >= before.Anonymous + 4000 * 1024, `anonymous ${before.Anonymous} then ${after.Anonymous}`);
  assert.equal((await node.stop()).code, 0);
});

test("a store's filter of ids: ready at once, built again after a restart", async () => {
  const node = await startNode();
  await createDatabase(node.url, "ids");
  for (let i = 0; i < 20; i++)
    assert.equal((await put(node.url, "ids", `users/${i}`, { i })).status, 201);
  // undefined while the node has no instance of the database: after a
  // restart it creates one only once it has applied its cluster state.
  const committer = async () =>
    (await actors(node.url)).Actors.find((a) => a.Kind === "storage-committer")?.State;
  let state = await committer();
  assert.equal(state.IdFilter, "ready");
  assert.equal(state.IdFilters, 1);
  assert.equal(state.IdFilterCapacity, 65536);
  assert.equal(state.IdFilterScanned, 0); // a new store needs no scan
  const spared = state.IdFilterLookupsSpared;
  const missing = await http(`${node.url}/databases/ids/docs?id=orders/1`);
  assert.equal(missing.status, 404);
  assert.ok((await committer()).IdFilterLookupsSpared > spared);

  await node.restart();
  for (let i = 0; (state = await committer())?.IdFilter !== "ready" && i < 100; i++)
    await sleep(100);
  assert.equal(state?.IdFilter, "ready", JSON.stringify(state));
  assert.equal(state.IdFilterScanned, 20);
  assert.equal(state.IdFilterFailure, "");
  const found = await http(`${node.url}/databases/ids/docs?id=users/7`);
  assert.equal(found.status, 200);
  assert.equal(found.json.Results[0].i, 7);
  assert.equal((await node.stop()).code, 0);
});

const isRoot = process.getuid?.() === 0;

test(
  "a database whose disk fills up is restarted with back-off and recovers",
  { skip: isRoot ? false : "needs root to mount a small tmpfs" },
  async (t) => {
    const mount = makeTempDir("corvus-tmpfs-");
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", mount]);
    t.after(() => {
      try {
        execFileSync("umount", ["-l", mount]);
      } catch {}
    });
    const node = await startNode({
      dataDir: path.join(mount, "data"),
      logsDir: path.join(makeTempDir(), "logs"),
      set: { "storage.write-buffer-size": "1MiB", "database.restart-backoff-max": "2s" },
    });
    t.after(() => node.kill9());
    await createDatabase(node.url, "full");
    assert.equal((await put(node.url, "full", "kept/1", { keep: true })).status, 201);

    // Leave about 1.5 MB, then write until the disk refuses.
    const filler = path.join(mount, "filler");
    const { bavail, bsize } = fs.statfsSync(mount);
    fs.writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 1_500_000)));
    // Random text: LevelDB's tables compress repeated text to almost
    // nothing, and the space its flushes free could then keep up.
    let failed = null;
    for (let i = 0; i < 50 && !failed; ++i) {
      const big = { blob: crypto.randomBytes(150_000).toString("base64") };
      const res = await put(node.url, "full", `big/${i}`, big);
      if (res.status !== 201) failed = res;
    }
    assert.ok(failed, "the disk never filled up");
    assert.ok([500, 503].includes(failed.status), `${failed.status} ${failed.text}`);

    // The supervisor records the failure and keeps retrying.
    let restarts = [];
    for (let i = 0; i < 50 && restarts.length === 0; ++i) {
      restarts = (await http(`${node.url}/admin/restarts`)).json.Restarts;
      if (restarts.length === 0) await sleep(100);
    }
    assert.ok(restarts.length >= 1, "no restart recorded");
    assert.equal(restarts[0].Kind, "database");
    assert.equal(restarts[0].Name, "full");
    assert.match(restarts[0].Reason, /space|storage|write/i);
    assert.ok(restarts[0].NextAttemptMs >= 500);

    // Free the disk: within the back-off the instance serves again, with
    // what was acknowledged before the failure.
    fs.rmSync(filler);
    let recovered = null;
    for (let i = 0; i < 100 && !recovered; ++i) {
      const res = await put(node.url, "full", "after/1", { after: true });
      if (res.status === 201) recovered = res;
      else await sleep(100);
    }
    assert.ok(recovered, "the database did not come back after the disk was freed");
    const kept = await http(`${node.url}/databases/full/docs?id=kept/1`);
    assert.equal(kept.status, 200);
    assert.equal(kept.json.Results[0].keep, true);
    const db = (await actors(node.url)).Actors.find((a) => a.Kind === "database");
    assert.equal(db.State.Status, "Ready");
    assert.ok(db.Restarts >= 1);
    assert.equal((await node.stop()).code, 0);
  },
);
