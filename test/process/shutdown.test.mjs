// Orderly shutdown: SIGTERM or SIGINT while a write load runs ends the
// process with exit code 0 within a bound, and every acknowledged write is
// there after a restart.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { http, sleep, startNode, stopAll } from "../support/corvus_node.mjs";
import { createDatabase, startWriters, verifyTransactions, waitForDatabase } from "./workload.mjs";

after(stopAll);

for (const signal of ["SIGTERM", "SIGINT"]) {
  test(`${signal} during a write load: exit 0, acknowledged writes survive`, async (t) => {
    const node = await startNode();
    await createDatabase(node.url, "orderly");
    await createDatabase(node.url, "second");
    const load = startWriters({ url: node.url, db: "orderly", round: 1, writers: 8 });
    const other = startWriters({ url: node.url, db: "second", round: 1, writers: 2 });
    while (load.acked.length < 30) await sleep(10);
    await sleep(Math.floor(Math.random() * 300));

    const started = Date.now();
    const result = await node.stop({ signal, timeoutMs: 20_000 });
    const took = Date.now() - started;
    assert.equal(result.forced, false, "the node ended by itself");
    assert.equal(result.code, 0, `exit code; stderr: ${node.stderr}`);
    assert.equal(result.signal, null);
    assert.ok(took < 10_000, `shutdown took ${took} ms`);
    await load.done;
    await other.done;

    const log = readFileSync(node.logFile, "utf8");
    assert.match(log, new RegExp(`received ${signal}`));

    await node.restart();
    await waitForDatabase(node.url, "orderly");
    await waitForDatabase(node.url, "second");
    const found = await verifyTransactions(node.url, "orderly", load.acked);
    await verifyTransactions(node.url, "second", other.acked);
    t.diagnostic(
      `${load.acked.length} acknowledged, ${load.errors} cut off, ${found.transactions} present; shutdown took ${took} ms`,
    );

    // The restarted node works normally.
    const res = await http(`${node.url}/databases/orderly/docs?id=after%2Frestart`, { method: "PUT", body: { ok: true } });
    assert.equal(res.status, 201);
    assert.equal((await node.stop()).code, 0);
  });
}

test("a second signal during shutdown does not break it", async () => {
  const node = await startNode();
  await createDatabase(node.url, "twice");
  const load = startWriters({ url: node.url, db: "twice", round: 1, writers: 4 });
  while (load.acked.length < 10) await sleep(10);
  const child = node.child;
  child.kill("SIGTERM");
  child.kill("SIGINT");
  child.kill("SIGTERM");
  const result = await node.stop({ timeoutMs: 20_000 });
  assert.equal(result.forced, false);
  assert.equal(result.code, 0);
  await load.done;
  await node.restart();
  await waitForDatabase(node.url, "twice");
  await verifyTransactions(node.url, "twice", load.acked);
});

test("shutdown with idle keep-alive connections open is prompt", async () => {
  const node = await startNode();
  // A few idle keep-alive connections (undici keeps them in its pool).
  await Promise.all(Array.from({ length: 10 }, () => http(`${node.url}/build/version`)));
  const started = Date.now();
  const result = await node.stop();
  assert.equal(result.code, 0);
  assert.equal(result.forced, false);
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
});
