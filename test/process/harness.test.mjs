// The multi-node harness (test/support/cluster.mjs) itself, before there is
// a cluster: three standalone corvus-nodes, each answering GET
// /build/version. In network namespaces: the test reaches every node,
// nodes reach each other, partitions cut exactly the links they should and
// heal; kill -9, SIGSTOP / SIGCONT and restart on the same data dir. On
// loopback: three nodes on 127.0.0.1-3. And every process, link and
// namespace is gone afterwards.

import assert from "node:assert/strict";
import { readlinkSync } from "node:fs";
import { after, describe, test } from "node:test";
import { enterNetworkSandbox, run, startCluster, stopAll } from "../support/cluster.mjs";
import { http, pidAlive } from "../support/corvus_node.mjs";

const sandbox = await enterNetworkSandbox();
after(stopAll);

const ms = (since) => `${Math.round(performance.now() - since)} ms`;

/**
 * Who reaches whom: "A>B" for every pair (and "T>A" for the test process).
 * A dropped pair costs the whole timeout; a rejected one fails at once.
 */
async function reachability(cluster, timeoutMs = 1500) {
  const pairs = [];
  for (const from of [null, ...cluster.nodes])
    for (const to of cluster.nodes) if (from !== to) pairs.push([from, to]);
  const results = await Promise.all(pairs.map(([from, to]) => cluster.canReach(from, to, { timeoutMs })));
  return pairs.filter((_, i) => results[i]).map(([from, to]) => `${from?.name ?? "T"}>${to.name}`).sort();
}
const all = (names) => {
  const out = [];
  for (const from of ["T", ...names]) for (const to of names) if (from !== to) out.push(`${from}>${to}`);
  return out.sort();
};
const without = (list, ...gone) => list.filter((x) => !gone.includes(x));

describe("network namespaces", { skip: sandbox.skip }, () => {
  test("the test process runs in a namespace of its own, with no way out", async () => {
    // The parent is the same test file, started in the runner's namespace.
    assert.notEqual(readlinkSync("/proc/self/ns/net"), readlinkSync(`/proc/${process.ppid}/ns/net`));
    const links = (await run("ip", ["-o", "link"])).stdout;
    assert.deepEqual([...links.matchAll(/^\d+: ([^:@]+)/gm)].map((m) => m[1]), ["lo"], "nothing but lo yet");
    const routes = (await run("ip", ["route", "show", "table", "all"])).stdout;
    assert.doesNotMatch(routes, /^default/m, routes);
  });

  test("three standalone nodes: reachability, partitions, heal", async (t) => {
    let since = performance.now();
    const cluster = await startCluster({ size: 3, network: "netns" });
    t.diagnostic(`3 nodes in namespaces started in ${ms(since)}`);
    const [a, b, c] = cluster.nodes;
    assert.deepEqual(cluster.nodes.map((n) => n.url), [11, 12, 13].map((x) => `http://${cluster.subnet}.${x}:8080`));
    for (const node of cluster.nodes) {
      const res = await http(`${node.url}/build/version`, { timeoutMs: 2000 });
      assert.equal(res.status, 200);
      assert.equal(res.json.ProductVersion, "7.2");
      // Its own namespace: only lo and eth0, no route out of the subnet.
      const links = (await cluster.exec(node, "ip", ["-o", "link"])).stdout;
      assert.deepEqual([...links.matchAll(/^\d+: ([^:@]+)/gm)].map((m) => m[1]).sort(), ["eth0", "lo"]);
      assert.doesNotMatch((await cluster.exec(node, "ip", ["route"])).stdout, /default/);
    }
    const everyone = all(["A", "B", "C"]);
    since = performance.now();
    assert.deepEqual(await reachability(cluster, 5000), everyone);
    t.diagnostic(`reachability of all 9 pairs checked in ${ms(since)}`);

    // Cut A-B (packets dropped): neither reaches the other; C and the test
    // reach both.
    since = performance.now();
    await cluster.cut(a, b);
    t.diagnostic(`cut applied in ${ms(since)}`);
    assert.deepEqual(cluster.cuts(), ["A>B", "B>A"]);
    assert.match(await cluster.rules(a), new RegExp(`-d ${b.ip}/32 -j DROP`));
    since = performance.now();
    assert.deepEqual(await reachability(cluster), without(everyone, "A>B", "B>A"));
    t.diagnostic(`reachability under the cut checked in ${ms(since)} (1.5 s timeouts)`);
    since = performance.now();
    await cluster.heal();
    t.diagnostic(`healed in ${ms(since)}`);
    assert.deepEqual(await reachability(cluster, 5000), everyone);

    // Rejected instead of dropped from here on: refused at once, so that
    // long timeouts cost nothing.
    await cluster.partition([[a, b], [c]], { how: "reject" });
    since = performance.now();
    assert.equal(await cluster.canReach(a, c, { timeoutMs: 5000 }), false);
    const rejectMs = performance.now() - since;
    assert.ok(rejectMs < 2000, `a rejected connection fails fast (${rejectMs} ms)`);
    assert.match(await cluster.rules(c), /-s \S+ -j REJECT/);
    assert.deepEqual(await reachability(cluster, 5000), without(everyone, "A>C", "C>A", "B>C", "C>B"));
    // Groups: A alone, B with C (replaces the earlier partition).
    await cluster.partition([[a], [b, c]], { how: "reject" });
    assert.deepEqual(await reachability(cluster, 5000), without(everyone, "A>B", "B>A", "A>C", "C>A"));
    // isolate(B): nodes not listed (A, C) form the other group.
    await cluster.isolate(b, { how: "reject" });
    assert.deepEqual(await reachability(cluster, 5000), without(everyone, "A>B", "B>A", "C>B", "B>C"));
    // One way: packets from A to B dropped (TCP then fails both ways).
    await cluster.heal();
    await cluster.block(a, b);
    assert.deepEqual(cluster.cuts(), ["A>B"]);
    assert.equal(await cluster.canReach(a, b), false);
    assert.equal(await cluster.canReach(b, c, { timeoutMs: 5000 }), true);
    await cluster.heal();
    assert.deepEqual(await reachability(cluster, 5000), everyone);
    assert.equal(await cluster.rules(a), "-N CORVUS-PART\n");

    await assert.rejects(cluster.partition([[a], [a, b]]), /A is in two groups/);
    await cluster.stop();
  });

  test("kill -9, SIGSTOP / SIGCONT and restart on the same data dir", async (t) => {
    const cluster = await startCluster({ size: 3, network: "netns" });
    const [a, b, c] = cluster.nodes;

    // SIGSTOP: the process is frozen; connections are accepted by the
    // kernel but nothing answers, from the test or from another node.
    let since = performance.now();
    await b.pause();
    t.diagnostic(`paused in ${ms(since)}`);
    assert.equal(b.processState(), "paused");
    await assert.rejects(http(`${b.url}/build/version`, { timeoutMs: 500 }), /timeout|aborted/i);
    assert.equal(await cluster.canReach(a, b, { timeoutMs: 500 }), false);
    await b.resume();
    assert.equal(b.processState(), "running");
    assert.equal((await http(`${b.url}/build/version`)).status, 200);
    assert.equal(await cluster.canReach(a, b, { timeoutMs: 5000 }), true);

    // State written before a kill -9 is there after the restart: same data
    // dir, same address, same namespace (the cut made before is still on).
    const db = await http(`${c.url}/admin/databases?name=keep`, { method: "PUT", body: { DatabaseName: "keep" } });
    assert.equal(db.status, 201, db.text);
    const put = await http(`${c.url}/databases/keep/docs?id=doc/1`, { method: "PUT", body: { v: 1 } });
    assert.equal(put.status, 201, put.text);
    await cluster.cut(a, c);
    const oldPid = c.pid;
    since = performance.now();
    await c.kill9();
    t.diagnostic(`kill -9 in ${ms(since)}`);
    assert.equal(c.processState(), "none");
    assert.equal(pidAlive(oldPid), false);
    // Nothing listens any more: refused at once (the namespace is still there).
    await assert.rejects(http(`${c.url}/build/version`, { timeoutMs: 2000 }), /fetch failed/);
    since = performance.now();
    await c.restart();
    t.diagnostic(`restarted in ${ms(since)}`);
    assert.notEqual(c.pid, oldPid);
    assert.equal(c.processState(), "running");
    assert.equal(c.url, `http://${cluster.subnet}.13:8080`);
    let doc;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      doc = await http(`${c.url}/databases/keep/docs?id=doc%2F1`);
      if (doc.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(doc.status, 200, doc.text);
    assert.equal(doc.json.Results[0].v, 1);
    assert.equal(await cluster.canReach(a, c), false, "the cut survives the restart");
    assert.equal(await cluster.canReach(b, c, { timeoutMs: 5000 }), true);
    await cluster.heal();
    assert.equal(await cluster.canReach(a, c, { timeoutMs: 5000 }), true);

    // A paused node is stopped cleanly too.
    await a.pause();
    const stopped = await a.stop({ timeoutMs: 5000 });
    assert.equal(stopped.forced, false);
    await cluster.stop();
  });

  test("stop removes every process, link and namespace it made", async () => {
    const cluster = await startCluster({ size: 3, network: "netns" });
    const pids = cluster.nodes.flatMap((n) => [n.pid, n.holder.pid]);
    const namespaces = cluster.nodes.map((n) => readlinkSync(n.netns));
    assert.ok(pids.every(pidAlive));
    const links = () => run("ip", ["-o", "link"]).then((r) => r.stdout);
    assert.match(await links(), new RegExp(`${cluster.bridge}|cv${cluster.id}n0`));
    // A node killed behind the harness's back is no trouble either.
    process.kill(cluster.nodes[1].pid, "SIGKILL");
    await cluster.stop();
    assert.deepEqual(pids.filter(pidAlive), []);
    assert.doesNotMatch(await links(), new RegExp(`${cluster.bridge}|cv${cluster.id}n`));
    // No process is left in those namespaces (so the kernel freed them).
    const left = [];
    for (const pid of (await run("ps", ["-e", "-o", "pid="])).stdout.trim().split(/\s+/)) {
      try {
        if (namespaces.includes(readlinkSync(`/proc/${pid}/ns/net`))) left.push(pid);
      } catch {}
    }
    assert.deepEqual(left, []);
    await cluster.stop(); // idempotent
  });
});

describe("loopback", () => {
  test("three nodes on 127.0.0.1-3 with the same fixed ports", async (t) => {
    const since = performance.now();
    const cluster = await startCluster({ size: 3, network: "loopback" });
    t.diagnostic(`3 loopback nodes started in ${ms(since)}; ports ${cluster.nodes[0].port}/${cluster.nodes[0].tcpPort}`);
    const port = cluster.nodes[0].port;
    assert.deepEqual(cluster.nodes.map((n) => n.url), [1, 2, 3].map((i) => `http://127.0.0.${i}:${port}`));
    assert.deepEqual(cluster.nodes.map((n) => n.tcpUrl), [1, 2, 3].map((i) => `tcp://127.0.0.${i}:${port + 1}`));
    for (const node of cluster.nodes) assert.equal((await http(`${node.url}/build/version`)).status, 200);
    await cluster.nodes[1].kill9();
    await cluster.nodes[1].restart();
    assert.equal(cluster.nodes[1].url, `http://127.0.0.2:${port}`);
    assert.equal((await http(`${cluster.nodes[1].url}/build/version`)).status, 200);
    assert.equal(await cluster.canReach(cluster.nodes[0], cluster.nodes[2], { timeoutMs: 5000 }), true);
    await assert.rejects(cluster.partition([[cluster.nodes[0]]]), /needs network "netns"/);
    const pids = cluster.nodes.map((n) => n.pid);
    await cluster.stop();
    assert.deepEqual(pids.filter(pidAlive), []);
  });
});
