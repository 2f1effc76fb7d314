// Linearizability of the cluster-wide compare-exchange values under real
// faults. Concurrent clients run reads, creates and compare-and-swaps on a
// few keys through every node of a 3-node cluster while the test kills the
// leader with kill -9 (and restarts it), freezes a follower with SIGSTOP,
// and, in network namespaces, cuts the leader and then a follower away with
// iptables. Every operation is recorded with its invocation and completion
// times; test/support/linearizability.mjs then checks that each key's
// history is linearizable (a CAS register), which also proves that no
// acknowledged write was lost: the clients' final reads are part of it.
//
// The server's compare-and-swap compares versions (the raft index of the
// write that set the value), the register's compares values. Every value
// written is unique, so a value and its version name the same write: a
// client sends the version of the value it expects, as it last read it.
// Outcomes that a client cannot know (a timeout, a lost connection,
// NoLeader after the command may have been forwarded) are recorded as
// unknown: the operation may have taken effect at any time after it was
// invoked, or never.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { enterNetworkSandbox, stopAll } from "../support/cluster.mjs";
import { sleep } from "../support/corvus_node.mjs";
import { checkHistory } from "../support/linearizability.mjs";
import { cxGet, cxPut, formCluster, waitCaughtUp, maxCommit, waitForLeader } from "./rachis.mjs";

const sandbox = await enterNetworkSandbox();
after(stopAll);

const KEYS = ["lin/a", "lin/b", "lin/c"];
const CLIENTS = 6;
const REQUEST_TIMEOUT_MS = 4_000;

/**
 * Runs `count` clients against `nodes` until stop() is called; each picks a
 * random node and key and reads, or swaps from what it last read (a create
 * when it last saw the key absent). Resolves the recorded history.
 */
function startClients(nodes, count) {
  const history = [];
  let stopping = false;
  let written = 0;
  const client = async (id) => {
    // What this client last read of each key: { value, index }.
    const seen = new Map(KEYS.map((k) => [k, { value: null, index: 0 }]));
    while (!stopping) {
      const node = nodes[Math.floor(Math.random() * nodes.length)];
      const key = KEYS[Math.floor(Math.random() * KEYS.length)];
      if (Math.random() < 0.5) {
        const invoke = performance.now();
        const res = await cxGet(node, key, { timeoutMs: REQUEST_TIMEOUT_MS });
        if (res.status === 200 || res.status === 404) {
          history.push({ client: id, key, kind: "read", invoke, complete: performance.now(), output: res.value });
          seen.set(key, { value: res.value, index: res.index });
        }
        // A failed read constrains nothing: not recorded.
      } else {
        const expected = seen.get(key);
        const value = `c${id}-${++written}`;
        const invoke = performance.now();
        const res = await cxPut(node, key, expected.index, value, { timeoutMs: REQUEST_TIMEOUT_MS });
        const op = { client: id, key, kind: "cas", invoke, input: { expected: expected.value, value } };
        if (res.status === 200) {
          op.complete = performance.now();
          const current = res.json.Value?.Object ?? null;
          op.output = res.json.Successful ? { ok: true } : { ok: false, current };
          seen.set(key, { value: current, index: res.json.Index });
        } else {
          // Timed out, refused, NoLeader: it may still apply.
          op.complete = null;
        }
        history.push(op);
      }
      if (Math.random() < 0.2) await sleep(5);
    }
  };
  const running = Array.from({ length: count }, (_, id) => client(id));
  return {
    history,
    async stop() {
      stopping = true;
      await Promise.all(running);
      return history;
    },
  };
}

/** Final reads of every key through every node, once all caught up. */
async function finalReads(nodes, history) {
  for (const node of nodes)
    for (const key of KEYS) {
      const invoke = performance.now();
      const res = await cxGet(node, key, { timeoutMs: 10_000 });
      assert.ok(res.status === 200 || res.status === 404, `final read of ${key} on ${node}: ${JSON.stringify(res)}`);
      history.push({ client: `final-${node.name}`, key, kind: "read", invoke, complete: performance.now(), output: res.value });
    }
}

function summarize(history) {
  const count = (f) => history.filter(f).length;
  return (
    `${history.length} ops: ${count((o) => o.kind === "read")} reads, ` +
    `${count((o) => o.kind === "cas" && o.output?.ok)} successful and ${count((o) => o.kind === "cas" && o.output && !o.output.ok)} failed swaps, ` +
    `${count((o) => o.complete === null)} with unknown outcome`
  );
}

async function checkAndReport(t, cluster, watch, clients) {
  const history = await clients.stop();
  await waitCaughtUp(cluster.nodes, await maxCommit(cluster.nodes));
  await finalReads(cluster.nodes, history);
  const writes = history.filter((o) => o.kind === "cas" && o.output?.ok).length;
  assert.ok(writes >= 20, `only ${writes} successful writes: the load did not run`);
  const result = checkHistory(history);
  t.diagnostic(`${summarize(history)}; checked in ${Math.round(result.elapsedMs)} ms`);
  assert.equal(result.valid, true, result.explanation);
  watch.assertOneLeaderPerTerm();
  t.diagnostic(`leaders seen: ${watch.summary()}`);
}

test("compare-exchange stays linearizable through kill -9 of the leader and SIGSTOP of a follower", async (t) => {
  const { cluster, watch } = await formCluster({ size: 3 });
  try {
    const clients = startClients(cluster.nodes, CLIENTS);
    await sleep(1500);

    let { leader } = await waitForLeader(cluster.nodes, watch);
    await leader.kill9();
    t.diagnostic(`killed the leader ${leader.name}`);
    await sleep(2000);
    await leader.restart();
    await sleep(1500);

    ({ leader } = await waitForLeader(cluster.nodes, watch));
    const follower = cluster.nodes.find((n) => n !== leader);
    await follower.pause();
    t.diagnostic(`froze the follower ${follower.name}`);
    await sleep(2000);
    await follower.resume();
    await sleep(1500);

    ({ leader } = await waitForLeader(cluster.nodes, watch));
    await leader.kill9();
    t.diagnostic(`killed the leader ${leader.name} again`);
    await sleep(1500);
    await leader.restart();
    await sleep(1500);

    await checkAndReport(t, cluster, watch, clients);
  } finally {
    watch.stop();
    await cluster.stop();
  }
});

test("compare-exchange stays linearizable through partitions of the leader and of a follower", { skip: sandbox.skip }, async (t) => {
  const { cluster, watch } = await formCluster({ size: 3, network: "netns" });
  try {
    const clients = startClients(cluster.nodes, CLIENTS);
    await sleep(1500);

    let { leader } = await waitForLeader(cluster.nodes, watch);
    await cluster.isolate(leader);
    t.diagnostic(`cut the leader ${leader.name} away`);
    await sleep(2500);
    await cluster.heal();
    await sleep(1500);

    ({ leader } = await waitForLeader(cluster.nodes, watch));
    const follower = cluster.nodes.find((n) => n !== leader);
    await cluster.isolate(follower);
    t.diagnostic(`cut the follower ${follower.name} away`);
    await sleep(2500);
    await cluster.heal();
    await sleep(1500);

    await checkAndReport(t, cluster, watch, clients);
  } finally {
    watch.stop();
    await cluster.stop();
  }
});
