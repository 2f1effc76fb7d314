// Helpers for the cluster process tests (cluster.test.mjs,
// linearizable_cluster.test.mjs): forming a Rachis cluster of real
// corvus-nodes on top of test/support/cluster.mjs, reading its state,
// compare-exchange calls, and a watcher of the leader claims every node
// makes, for "at most one leader per term".
//
//   const { cluster, watch } = await formCluster({ size: 3, network: "loopback" });
//   const leader = await waitForLeader(cluster.nodes, watch);
//   const put = await cxPut(leader, "k", 0, "v1");   // { status, json, ... }
//   watch.assertOneLeaderPerTerm();
//
// Every wait polls with a deadline; nothing sleeps for a fixed long time.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startCluster } from "../support/cluster.mjs";
import { http, sleep } from "../support/corvus_node.mjs";

/**
 * Settings for every test node: the default election timeout (300 ms),
 * short operation timeouts (so that failures come back quickly), and
 * frequent snapshots so that snapshotting, compaction and catching up
 * through a snapshot run in every scenario, sent between the processes in
 * many small pieces.
 */
export const testSettings = {
  "cluster.operation-timeout": "3s",
  "cluster.connect-timeout": "1s",
  "cluster.snapshot-every": 50,
  "cluster.snapshot-keep": 10,
  "cluster.snapshot-piece-size": "4KiB",
  "cluster.snapshot-pieces-ahead": 4,
};

export const DB = "demo";

/** Milliseconds since `since` (performance.now()), for diagnostics. */
export const ms = (since) => `${Math.round(performance.now() - since)} ms`;

/**
 * Polls `probe` (async; a truthy result ends the wait) every `intervalMs`
 * until `timeoutMs`; throws with `what` and the last result or error.
 */
export async function waitFor(probe, { timeoutMs = 10_000, intervalMs = 50, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`);
    }
    await sleep(intervalMs);
  }
}

// --- observing the cluster --------------------------------------------------

/**
 * Records every leader claim seen in a /cluster/topology answer: a node in
 * state Leader (or LeaderElect) for its term, and the leader a follower
 * names for its term. Two different leaders for one term is a safety
 * violation. poll() runs in the background until stop().
 */
export class LeaderWatch {
  constructor(nodes) {
    this.nodes = nodes;
    this.byTerm = new Map(); // term -> Map(leader tag -> [claims])
    this.timer = null;
    this.observations = 0;
  }

  record(node, t) {
    if (!t || typeof t.CurrentTerm !== "number") return;
    ++this.observations;
    const claims = [];
    if (t.CurrentState === "Leader" || t.CurrentState === "LeaderElect") claims.push(t.NodeTag);
    if (t.Leader && t.CurrentState !== "Passive") claims.push(t.Leader);
    for (const leader of claims) {
      const terms = this.byTerm.get(t.CurrentTerm) ?? new Map();
      this.byTerm.set(t.CurrentTerm, terms);
      const list = terms.get(leader) ?? [];
      terms.set(leader, list);
      if (list.length < 3) list.push(`${node.name}:${t.CurrentState}`);
    }
  }

  /** Polls every node every `intervalMs` until stop(). */
  start(intervalMs = 150) {
    if (this.timer) return this;
    const tick = async () => {
      await Promise.all(this.nodes.filter((n) => n.child && n.processState() === "running").map((n) => topology(n, this, 400).catch(() => null)));
      if (this.timer) this.timer = setTimeout(tick, intervalMs);
    };
    this.timer = setTimeout(tick, 0);
    return this;
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  /** Terms with more than one leader, as text; empty when safe. */
  violations() {
    const out = [];
    for (const [term, leaders] of this.byTerm)
      if (leaders.size > 1)
        out.push(`term ${term}: ${[...leaders].map(([l, who]) => `${l} (claimed by ${who.join(", ")})`).join(" and ")}`);
    return out;
  }

  assertOneLeaderPerTerm() {
    assert.deepEqual(this.violations(), [], "at most one leader per term");
  }

  /** "term: leader" pairs seen, for diagnostics. */
  summary() {
    return [...this.byTerm].sort((a, b) => a[0] - b[0]).map(([term, l]) => `${term}:${[...l.keys()].join("/")}`).join(" ");
  }
}

/** GET /cluster/topology of `node` (recorded by `watch` when given); null when it does not answer. */
export async function topology(node, watch, timeoutMs = 1000) {
  try {
    const res = await http(`${node.url}/cluster/topology`, { timeoutMs });
    if (res.status !== 200 || !res.json) return null;
    watch?.record(node, res.json);
    return res.json;
  } catch {
    return null;
  }
}

/** The raft-member actor's state from GET /admin/actors (Term, Commit, Applied, LastIndex, SnapshotIndex, ...). */
export async function raftState(node, timeoutMs = 1000) {
  const res = await http(`${node.url}/admin/actors`, { timeoutMs });
  const actor = res.json?.Actors?.find((a) => a.Kind === "raft-member");
  return actor?.State ?? null;
}

/**
 * Waits until exactly one of `nodes` is leader and every one of them
 * follows it in the same term; resolves { leader, term, topologies }.
 * `not` excludes nodes that must not be the leader (e.g. one just cut off).
 */
export async function waitForLeader(nodes, watch, { timeoutMs = 10_000, not = [], minTerm = 0 } = {}) {
  return waitFor(
    async () => {
      const ts = await Promise.all(nodes.map((n) => topology(n, watch, 800)));
      if (ts.some((t) => !t)) return null;
      const leaders = ts.filter((t) => t.CurrentState === "Leader");
      if (leaders.length !== 1) return null;
      const [l] = leaders;
      if (l.CurrentTerm < minTerm || not.some((n) => n.name === l.NodeTag)) return null;
      if (!ts.every((t) => t.Leader === l.NodeTag && t.CurrentTerm === l.CurrentTerm)) return null;
      return { leader: nodes.find((n) => n.name === l.NodeTag), term: l.CurrentTerm, topologies: ts };
    },
    { timeoutMs, what: `one leader among ${nodes.map((n) => n.name).join(", ")}` },
  );
}

/**
 * Waits until every node in `nodes` has applied at least `index` (the
 * raft member's own counters: /cluster/topology's are refreshed only about
 * once a second). Resolves their raft states.
 */
export async function waitCaughtUp(nodes, index, { timeoutMs = 15_000 } = {}) {
  return waitFor(
    async () => {
      const states = await Promise.all(nodes.map((n) => raftState(n, 800).catch(() => null)));
      if (states.some((s) => !s || s.Applied < index)) return null;
      return states;
    },
    { timeoutMs, what: `${nodes.map((n) => n.name).join(", ")} to apply index ${index}` },
  );
}

/** The highest commit index among `nodes` (those that answer), from their raft members. */
export async function maxCommit(nodes) {
  const states = await Promise.all(nodes.map((n) => raftState(n, 800).catch(() => null)));
  return Math.max(0, ...states.filter(Boolean).map((s) => s.Commit));
}

/** The cluster state as the given node sees it, in a form to compare across nodes. */
export function topologyShape(t) {
  const tags = (o) => Object.keys(o ?? {}).sort().join(",");
  return `members=${tags(t.Topology.Members)} promotables=${tags(t.Topology.Promotables)} watchers=${tags(t.Topology.Watchers)} id=${t.Topology.TopologyId}`;
}

// --- forming a cluster ------------------------------------------------------

/**
 * Starts `size` nodes (cluster.mjs), makes node A found a cluster and add
 * the others (B, C, ... keep their letters as tags), waits until all are
 * members following one leader, and creates database `db` with
 * replication factor `rf` (0: no database). Resolves { cluster, watch }
 * with the watch polling.
 */
export async function formCluster({ size = 3, network = "loopback", set = {}, rf = size, db = DB, join = size } = {}) {
  const cluster = await startCluster({ size, network, set: { ...testSettings, ...set } });
  const watch = new LeaderWatch(cluster.nodes);
  const [first, ...rest] = cluster.nodes.slice(0, join);
  for (const node of rest) {
    const res = await http(`${first.url}/admin/cluster/node?url=${encodeURIComponent(node.url)}&tag=${node.name}`, {
      method: "PUT",
      timeoutMs: 10_000,
    });
    assert.equal(res.status, 204, `adding ${node}: ${res.text}`);
  }
  const joined = cluster.nodes.slice(0, join);
  const tags = joined.map((n) => n.name).join(",");
  await waitFor(
    async () => {
      const ts = await Promise.all(joined.map((n) => topology(n, watch)));
      return ts.every((t) => t && Object.keys(t.Topology.Members).sort().join(",") === tags && t.Leader === first.name);
    },
    { timeoutMs: 15_000, what: `all of ${tags} to be members led by ${first.name}` },
  );
  if (rf > 0) await createDatabase(first, db, rf);
  watch.start();
  return { cluster, watch };
}

/** PUT /admin/databases: 201 once every chosen node applied the record. */
export async function createDatabase(node, name = DB, rf = 3) {
  const res = await http(`${node.url}/admin/databases?name=${name}&replicationFactor=${rf}`, {
    method: "PUT",
    body: { DatabaseName: name },
    timeoutMs: 15_000,
  });
  assert.equal(res.status, 201, `creating ${name}: ${res.text}`);
  return res.json;
}

// --- compare-exchange -------------------------------------------------------

/**
 * PUT cmpxchg: resolves { status, json, text } or { error } when the
 * request failed (connection refused, timeout). A fresh raft-request-id
 * unless `requestId` is given (a retry of the same operation).
 */
export async function cxPut(node, key, index, value, { db = DB, timeoutMs = 6_000, requestId = randomUUID() } = {}) {
  const url = `${node.url}/databases/${db}/cmpxchg?key=${encodeURIComponent(key)}&index=${index}&raft-request-id=${requestId}`;
  try {
    return await http(url, { method: "PUT", body: { Object: value }, timeoutMs });
  } catch (err) {
    return { error: err.name === "TimeoutError" ? "timeout" : String(err.cause?.code ?? err.message) };
  }
}

/** GET cmpxchg of one key: { status, value, index } (value null when absent), or { error }. */
export async function cxGet(node, key, { db = DB, timeoutMs = 6_000 } = {}) {
  try {
    const res = await http(`${node.url}/databases/${db}/cmpxchg?key=${encodeURIComponent(key)}`, { timeoutMs });
    if (res.status === 404) return { status: 404, value: null, index: 0 };
    if (res.status !== 200) return { status: res.status, text: res.text };
    const [entry] = res.json.Results;
    return { status: 200, value: entry?.Value?.Object ?? null, index: entry?.Index ?? 0 };
  } catch (err) {
    return { error: err.name === "TimeoutError" ? "timeout" : String(err.cause?.code ?? err.message) };
  }
}

/** Every compare-exchange value of `db` as `node` reads it: Map key -> { value, index }. */
export async function cxAll(node, { db = DB, timeoutMs = 6_000 } = {}) {
  const res = await http(`${node.url}/databases/${db}/cmpxchg`, { timeoutMs });
  if (res.status === 404) return new Map();
  assert.equal(res.status, 200, `listing compare-exchange values on ${node}: ${res.text}`);
  return new Map(res.json.Results.map((r) => [r.Key, { value: r.Value?.Object ?? null, index: r.Index }]));
}

/**
 * Creates key -> value for every entry of `values` through `nodes` (round
 * robin, `concurrency` at once), retrying an operation with the same
 * request id while the cluster answers NoLeader or times out (the retry
 * applies at most once). Resolves Map key -> index.
 */
export async function cxCreateMany(nodes, values, { concurrency = 6, deadlineMs = 30_000 } = {}) {
  const entries = [...values];
  const indexes = new Map();
  let next = 0;
  const deadline = Date.now() + deadlineMs;
  const worker = async (w) => {
    while (next < entries.length) {
      const i = next++;
      const [key, value] = entries[i];
      const requestId = randomUUID();
      for (let attempt = 0; ; ++attempt) {
        const node = nodes[(i + attempt) % nodes.length];
        const res = await cxPut(node, key, 0, value, { requestId });
        if (res.status === 200) {
          // A retry of an applied create answers the first outcome.
          assert.ok(res.json.Successful || res.json.Value?.Object === value, `create ${key}: ${res.text}`);
          indexes.set(key, res.json.Index);
          break;
        }
        if (Date.now() > deadline) throw new Error(`create ${key} did not succeed: ${res.error ?? res.text}`);
        await sleep(50);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return indexes;
}

/** Asserts that `node` reads exactly `expected` (Map key -> value) among its compare-exchange values. */
export async function assertValues(node, expected, what = "") {
  const got = await cxAll(node);
  const missing = [];
  for (const [key, value] of expected) {
    const entry = got.get(key);
    if (!entry || JSON.stringify(entry.value) !== JSON.stringify(value)) missing.push(`${key}=${JSON.stringify(entry?.value)} (want ${JSON.stringify(value)})`);
  }
  assert.deepEqual(missing.slice(0, 10), [], `${node} ${what}: ${missing.length} value(s) wrong or missing`);
  return got;
}
