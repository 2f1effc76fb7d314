// scripts/local-cluster, the README's main job (scripts/run builds and runs
// it): real corvus-node processes joined into a cluster, the same cluster
// back on the same folders without adding anyone twice, every node stopped
// in order by pid, a node that cannot start, and the data folder of a single
// node from before the main job ran a cluster.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { freePorts } from "../support/cluster.mjs";
import { CorvusNode, corvusBinary, http, makeTempDir, pidAlive, stopAll } from "../support/corvus_node.mjs";
import { waitFor } from "./rachis.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.resolve(here, "../../scripts/local-cluster");
const ips = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];

/** Every process a run started (the script and its nodes), for the clean-up. */
const started = new Set();

after(async () => {
  for (const pid of started) if (pidAlive(pid)) process.kill(pid, "SIGKILL");
  await stopAll();
});

/** One run of scripts/local-cluster in `dir` (its data and logs in there). */
class Run {
  constructor(dir, port, args = []) {
    this.dir = dir;
    this.out = "";
    this.err = "";
    this.child = spawn(
      script,
      ["--port", String(port), "--data", path.join(dir, "data"), "--logs", path.join(dir, "logs"), ...args],
      { cwd: dir, env: { ...process.env, CORVUS_NODE: corvusBinary }, stdio: ["ignore", "pipe", "pipe"] },
    );
    started.add(this.child.pid);
    this.child.stdout.on("data", (d) => {
      this.out += d;
      for (const [, pid] of this.out.matchAll(/\(pid (\d+), data/g)) started.add(Number(pid));
    });
    this.child.stderr.on("data", (d) => (this.err += d));
    this.exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve(code ?? signal)));
  }

  /** The pids of the nodes, in the order started. */
  get nodePids() {
    return [...this.out.matchAll(/\(pid (\d+), data/g)].map((m) => Number(m[1]));
  }

  async until(text, timeoutMs = 60_000) {
    await waitFor(() => this.out.includes(text) || this.child.exitCode !== null, {
      timeoutMs,
      what: `"${text}" from local-cluster`,
    });
    assert.ok(this.out.includes(text), `local-cluster exited (${this.child.exitCode}) before "${text}":\n${this.out}\n${this.err}`);
  }

  /** SIGTERM (as Ctrl+C), then the exit code; every node must be gone by then. */
  async stop() {
    this.child.kill("SIGTERM");
    const code = await this.exited;
    for (const pid of this.nodePids) assert.equal(pidAlive(pid), false, `node pid ${pid} still runs`);
    return code;
  }
}

const urlOf = (i, port) => `http://${ips[i]}:${port}`;

async function topology(i, port) {
  return (await http(`${urlOf(i, port)}/cluster/topology`, { timeoutMs: 5000 })).json;
}

async function databases(i, port) {
  return (await http(`${urlOf(i, port)}/databases?namesOnly=true`, { timeoutMs: 5000 })).json?.Databases ?? [];
}

test("three nodes form a cluster, come back on the same folders without being added again, and stop in order", async () => {
  const [port] = await freePorts(ips, 41);
  const dir = makeTempDir();
  const first = new Run(dir, port);
  await first.until("ready: a cluster of 3, leader ");
  assert.equal(first.nodePids.length, 3);
  const expected = { A: urlOf(0, port), B: urlOf(1, port), C: urlOf(2, port) };
  for (let i = 0; i < 3; ++i) {
    const t = await topology(i, port);
    assert.deepEqual(t.Topology.Members, expected, `members seen by node ${i + 1}`);
    assert.ok(["A", "B", "C"].includes(t.Leader), `node ${i + 1} names a leader`);
  }
  const created = await http(`${urlOf(0, port)}/admin/databases?name=kept&replicationFactor=3`, {
    method: "PUT",
    body: { DatabaseName: "kept" },
  });
  assert.ok([200, 201].includes(created.status), created.text);
  await waitFor(async () => (await databases(2, port)).includes("kept"), { what: "the database on node 3" });

  const again = new Run(dir, port);
  assert.equal(await again.exited, 1);
  assert.match(again.err, /another local-cluster runs on .*data; stop it first/);
  assert.equal(again.nodePids.length, 0, "the second run started no node");
  assert.ok((await databases(0, port)).includes("kept"), "the first run still serves");

  assert.equal(await first.stop(), 0, first.err);
  assert.match(first.out, /stopping the nodes[\s\S]*stopped/);
  for (const ip of ips) {
    const log = readFileSync(path.join(dir, "logs", ip, "corvus-node.log"), "utf8");
    assert.match(log, /received SIGTERM, shutting down/, `node ${ip} shut down in order`);
  }

  const second = new Run(dir, port);
  await second.until("ready: a cluster of 3, leader ");
  assert.doesNotMatch(second.out, /adding node/);
  assert.deepEqual((await topology(1, port)).Topology.Members, expected);
  assert.ok((await databases(1, port)).includes("kept"));
  assert.equal(await second.stop(), 0, second.err);
  for (const ip of ips) {
    // A whole cluster stopping at once used to leave an ended actor
    // referenced inside CAF, and the process waited out its 5 s bound.
    const log = readFileSync(path.join(dir, "logs", ip, "corvus-node.log"), "utf8");
    assert.doesNotMatch(log, /actors still running/, `node ${ip} ended with its actors (both runs)`);
  }
});

test("a node that cannot start stops the others, and the run says which and why", async () => {
  const [port] = await freePorts(ips, 42);
  const taken = createServer();
  await new Promise((resolve) => taken.listen({ host: ips[1], port, exclusive: true }, resolve));
  try {
    const run = new Run(makeTempDir(), port);
    assert.equal(await run.exited, 1);
    assert.match(run.err, new RegExp(`node 2 \\(${urlOf(1, port).replace(/\./g, "\\.")}\\) exited while starting`));
    assert.match(run.err, /already in use/, "the node's own reason follows");
    assert.match(run.err, new RegExp(`listens on port ${port} of 127\\.0\\.0\\.2; choose another port with --port`));
    assert.equal(run.nodePids.length, 3);
    for (const pid of run.nodePids) assert.equal(pidAlive(pid), false, `node pid ${pid} still runs`);
  } finally {
    taken.close();
  }
});

test("the data folder of a single node becomes node 1's, once when two runs start together, and keeps its databases and founds the cluster", async () => {
  const [port] = await freePorts(ips, 43);
  const dir = makeTempDir();
  const data = path.join(dir, "data");
  const single = new CorvusNode({ dataDir: data, logsDir: path.join(dir, "logs"), port });
  await single.start();
  const created = await http(`${single.url}/admin/databases?name=old`, { method: "PUT", body: { DatabaseName: "old" } });
  assert.ok([200, 201].includes(created.status), created.text);
  await single.stop();
  assert.ok(existsSync(path.join(data, "corvus-format.json")));

  // Two runs at once: one moves the stores and runs, the other finds it
  // running and starts nothing.
  const runs = [new Run(dir, port, ["--nodes", "2"]), new Run(dir, port, ["--nodes", "2"])];
  const first = await Promise.race(runs.map((r, i) => r.exited.then(() => i)));
  const [loser, run] = [runs[first], runs[1 - first]];
  assert.equal(await loser.exited, 1);
  assert.match(loser.err, /another local-cluster runs on .*data; stop it first/);
  assert.doesNotMatch(loser.out, /moving them/);
  assert.deepEqual(loser.nodePids, []);
  await run.until("ready: a cluster of 2, leader A");
  assert.match(run.out, /holds the stores of a single node; moving them to/);
  assert.ok(existsSync(path.join(data, ips[0], "corvus-format.json")));
  assert.ok(!existsSync(path.join(data, "corvus-format.json")));
  const t = await topology(1, port);
  assert.deepEqual(t.Topology.Members, { A: urlOf(0, port), B: urlOf(1, port) });
  assert.ok((await databases(0, port)).includes("old"));
  assert.equal(await run.stop(), 0, run.err);
});
