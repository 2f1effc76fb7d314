// Rachis, the cluster layer, with real corvus-node processes and real
// faults (test/support/cluster.mjs): forming a cluster, a database and
// compare-exchange values through Raft; the leader killed with kill -9; a
// follower frozen with SIGSTOP; a follower so far behind that it catches up
// through a snapshot; a five-node cluster cut by iptables partitions
// (minority, then the leader's side); membership changes; a node added to
// a database group.
//
// Every fault scenario checks the same three things: at most one leader per
// term among every claim observed (a LeaderWatch polls each node's
// /cluster/topology throughout), the committed state intact (the database
// record and every acknowledged compare-exchange value, read on every
// node), and the node that was away caught up (same applied index, same
// values, read on that node: a compare-exchange GET answers from the
// node's own state machine once it has applied the leader's read index).
//
// Nodes use the default election timeout (300 ms), a 3 s operation
// timeout, and a snapshot every 50 entries keeping 10 (rachis.mjs), so
// that snapshots are taken and installed throughout.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, afterEach, describe, test } from "node:test";
import { enterNetworkSandbox, stopAll } from "../support/cluster.mjs";
import { http, sleep } from "../support/corvus_node.mjs";
import {
  DB,
  assertValues,
  cxCreateMany,
  cxGet,
  cxPut,
  formCluster,
  ms,
  raftState,
  topology,
  topologyShape,
  maxCommit,
  waitCaughtUp,
  waitFor,
  waitForLeader,
} from "./rachis.mjs";

const sandbox = await enterNetworkSandbox();
after(stopAll);

// The cluster of the running test, stopped after it even when it fails.
let current = null;
afterEach(async () => {
  current?.watch.stop();
  await current?.cluster.stop();
  current = null;
});
async function form(options) {
  current = await formCluster(options);
  return current;
}

const values = (prefix, n, tag = prefix) => new Map(Array.from({ length: n }, (_, i) => [`${prefix}/${i}`, `${tag}-${i}`]));
const leaderOf = (ts) => ts.find((t) => t.CurrentState === "Leader");

/** The database record as `node` holds it locally (GET /admin/databases). */
async function databaseMembers(node, name = DB) {
  const res = await http(`${node.url}/admin/databases?name=${name}`, { timeoutMs: 2000 });
  assert.equal(res.status, 200, `the record of ${name} on ${node}: ${res.status} ${res.text}`);
  return [...res.json.Topology.Members].sort().join(",");
}

/** Document writes and reads on `node`'s own copy: no cluster involved. */
async function assertDocumentsWork(node, id, db = DB) {
  const put = await http(`${node.url}/databases/${db}/docs?id=${encodeURIComponent(id)}`, {
    method: "PUT",
    body: { Name: id, "@metadata": { "@collection": "Things" } },
    timeoutMs: 2000,
  });
  assert.equal(put.status, 201, `document write on ${node}: ${put.text}`);
  const get = await http(`${node.url}/databases/${db}/docs?id=${encodeURIComponent(id)}`, { timeoutMs: 2000 });
  assert.equal(get.status, 200, `document read on ${node}: ${get.text}`);
  assert.equal(get.json.Results[0].Name, id);
}

describe("three nodes on loopback", () => {
  test("formation: every node agrees on leader, term and members; a database; compare-exchange from any node", async (t) => {
    let since = performance.now();
    const { cluster, watch } = await form({ size: 3 });
    t.diagnostic(`3 nodes formed a cluster with a database in ${ms(since)}`);
    const [a, b, c] = cluster.nodes;

    await waitCaughtUp(cluster.nodes, 1);
    const ts = await Promise.all(cluster.nodes.map((n) => topology(n, watch)));
    assert.deepEqual(ts.map((x) => x.NodeTag), ["A", "B", "C"]);
    assert.deepEqual(ts.map((x) => x.Leader), ["A", "A", "A"]);
    assert.deepEqual(ts.map((x) => x.CurrentState), ["Leader", "Follower", "Follower"]);
    assert.equal(new Set(ts.map((x) => x.CurrentTerm)).size, 1, "one term");
    assert.equal(new Set(ts.map(topologyShape)).size, 1, ts.map(topologyShape).join("\n"));
    assert.match(topologyShape(ts[0]), /^members=A,B,C promotables= watchers= id=[0-9a-f-]{36}$/);
    assert.deepEqual(ts[0].Topology.Members, { A: a.url, B: b.url, C: c.url });
    // The leader sees both followers connected and replicating.
    for (const tag of ["B", "C"]) assert.equal(ts[0].Status[tag].Connected, true, JSON.stringify(ts[0].Status));
    for (const node of cluster.nodes) assert.equal(await databaseMembers(node), "A,B,C");

    // Compare-exchange created through each node, read from every node.
    const created = new Map();
    for (const node of cluster.nodes) {
      const res = await cxPut(node, `from/${node.name}`, 0, `by-${node.name}`);
      assert.equal(res.status, 200, res.text ?? res.error);
      assert.equal(res.json.Successful, true);
      assert.deepEqual(res.json.Value, { Object: `by-${node.name}` });
      created.set(`from/${node.name}`, res.json.Index);
    }
    for (const reader of cluster.nodes)
      for (const [key, index] of created) {
        const got = await cxGet(reader, key);
        assert.deepEqual(got, { status: 200, value: `by-${key.slice(5)}`, index }, `${key} read on ${reader}`);
      }
    // A create of an existing key fails and returns the current value; a
    // compare-and-swap with the right index succeeds through another node;
    // one with the old index then fails, showing the new value.
    const again = await cxPut(b, "from/A", 0, "nope");
    assert.equal(again.json.Successful, false);
    assert.deepEqual([again.json.Index, again.json.Value], [created.get("from/A"), { Object: "by-A" }]);
    const swapped = await cxPut(c, "from/A", created.get("from/A"), "swapped");
    assert.equal(swapped.json.Successful, true, swapped.text);
    const stale = await cxPut(a, "from/A", created.get("from/A"), "stale");
    assert.equal(stale.json.Successful, false);
    assert.deepEqual([stale.json.Index, stale.json.Value], [swapped.json.Index, { Object: "swapped" }]);
    for (const reader of cluster.nodes) assert.equal((await cxGet(reader, "from/A")).value, "swapped");

    // Every node applies the same log.
    const commit = await maxCommit(cluster.nodes);
    const after = await waitCaughtUp(cluster.nodes, commit);
    assert.equal(new Set(after.map((x) => x.Term)).size, 1);
    watch.assertOneLeaderPerTerm();
    t.diagnostic(`leaders seen: ${watch.summary()}`);
  });

  test("kill -9 of the leader: a new leader, the committed state intact, writes go on, the old leader catches up on restart", async (t) => {
    const { cluster, watch } = await form({ size: 3 });
    const before = values("before", 60);
    await cxCreateMany(cluster.nodes, before);
    const { leader: old, term } = await waitForLeader(cluster.nodes, watch);
    const others = cluster.nodes.filter((n) => n !== old);

    let since = performance.now();
    await old.kill9();
    const { leader, term: newTerm } = await waitForLeader(others, watch, { not: [old] });
    t.diagnostic(`${old.name} killed: ${leader.name} leads term ${newTerm} after ${ms(since)}`);
    assert.ok(newTerm > term, `term ${newTerm} > ${term}`);

    // Committed before the crash: still there, on both survivors.
    for (const node of others) {
      assert.equal(await databaseMembers(node), "A,B,C");
      await assertValues(node, before, "after the leader's crash");
    }
    // Writes continue, through either survivor.
    const during = values("during", 60);
    await cxCreateMany(others, during);
    for (const node of others) await assertValues(node, during, "written while the old leader was down");

    since = performance.now();
    await old.restart();
    const commit = await maxCommit(others);
    const ts = await waitCaughtUp(cluster.nodes, commit);
    t.diagnostic(`${old.name} restarted and applied index ${commit} in ${ms(since)}`);
    const back = ts[cluster.nodes.indexOf(old)];
    assert.equal(back.Leader, leader.name);
    assert.equal(back.Term, newTerm, "the restarted node follows the new term");
    assert.equal(await databaseMembers(old), "A,B,C");
    await assertValues(old, new Map([...before, ...during]), "after restarting");
    // And it takes part again: a write through it.
    const res = await cxPut(old, "after/restart", 0, "x");
    assert.equal(res.json?.Successful, true, res.text ?? res.error);
    watch.assertOneLeaderPerTerm();
    t.diagnostic(`leaders seen: ${watch.summary()}`);
  });

  test("SIGSTOP of a follower: cluster operations go on; after SIGCONT it catches up", async (t) => {
    const { cluster, watch } = await form({ size: 3 });
    const { leader, term } = await waitForLeader(cluster.nodes, watch);
    const follower = cluster.nodes.find((n) => n !== leader);
    const others = cluster.nodes.filter((n) => n !== follower);
    await follower.pause();
    const since = performance.now();
    const written = values("paused", 40);
    await cxCreateMany(others, written);
    t.diagnostic(`40 writes with ${follower.name} frozen in ${ms(since)}`);
    for (const node of others) await assertValues(node, written, `with ${follower.name} frozen`);
    await follower.resume();
    const commit = await maxCommit(others);
    const ts = await waitCaughtUp(cluster.nodes, commit);
    const back = ts[cluster.nodes.indexOf(follower)];
    assert.equal(back.Leader, leader.name);
    assert.equal(back.Term, term, "a follower waking up does not disturb the leader (pre-vote)");
    await assertValues(follower, written, "after SIGCONT");
    watch.assertOneLeaderPerTerm();
  });

  test("a follower far behind catches up through a snapshot", async (t) => {
    const { cluster, watch } = await form({ size: 3 });
    const { leader } = await waitForLeader(cluster.nodes, watch);
    const follower = cluster.nodes.find((n) => n !== leader);
    const others = cluster.nodes.filter((n) => n !== follower);
    const snapBefore = await raftState(follower);
    await follower.pause();
    let since = performance.now();
    const written = values("far", 300);
    await cxCreateMany(others, written, { concurrency: 8 });
    t.diagnostic(`300 writes with ${follower.name} frozen in ${ms(since)}`);
    // The leader has compacted its log past what the follower has.
    const leaderState = await raftState(leader);
    assert.ok(leaderState.SnapshotIndex > snapBefore.Applied + 1, `leader snapshot ${leaderState.SnapshotIndex}, follower applied ${snapBefore.Applied}`);

    since = performance.now();
    await follower.resume();
    const commit = await maxCommit(others);
    await waitCaughtUp(cluster.nodes, commit);
    t.diagnostic(`${follower.name} caught up to ${commit} in ${ms(since)}`);
    const state = await raftState(follower);
    assert.ok(state.SnapshotIndex >= leaderState.SnapshotIndex, `the follower's snapshot is at ${state.SnapshotIndex}`);
    await waitFor(async () => /installed a snapshot at index \d+/.test(readFileSync(follower.logFile, "utf8")), {
      timeoutMs: 3000,
      what: "the log line of the installed snapshot",
    });
    // It travelled in pieces of 4 KiB, more than the four sent ahead.
    const sent = readFileSync(leader.logFile, "utf8").match(
      new RegExp(`sends node ${follower.name} the snapshot at index \\d+ \\((\\d+) bytes\\)`));
    assert.ok(sent, "the leader logged sending the snapshot");
    assert.ok(Number(sent[1]) > 4 * 4096, `a snapshot of ${sent[1]} bytes`);
    assert.match(readFileSync(leader.logFile, "utf8"), new RegExp(`node ${follower.name} received the snapshot`));
    // The pieces went to the snapshot's file as they came, which took the
    // snapshot's name once whole.
    const raftFiles = readdirSync(path.join(follower.dataDir, "raft"));
    assert.ok(raftFiles.some((f) => f.startsWith(`snapshot-${state.SnapshotIndex}-`)), `raft files: ${raftFiles.join(" ")}`);
    assert.deepEqual(raftFiles.filter((f) => f.startsWith("partial-")), []);
    await assertValues(follower, written, "after catching up through a snapshot");
    assert.equal(await databaseMembers(follower), "A,B,C");
    t.diagnostic(`values checked at ${ms(since)}`);
    // Then it follows the log as usual.
    const more = values("later", 10);
    await cxCreateMany(cluster.nodes, more);
    await waitCaughtUp(cluster.nodes, await maxCommit(cluster.nodes));
    await assertValues(follower, more, "written after the snapshot");
    watch.assertOneLeaderPerTerm();
  });
});

describe("membership", () => {
  test("add a watcher, promote, demote, remove a follower, remove the leader", async (t) => {
    // Four nodes; D is started but joins later.
    const { cluster, watch } = await form({ size: 4, join: 3, rf: 3 });
    const [a, b, c, d] = cluster.nodes;
    const tags = async (node) => {
      const t0 = await topology(node, watch);
      return topologyShape(t0).replace(/ id=.*/, "");
    };
    const converge = async (nodes, shape, what) =>
      waitFor(async () => (await Promise.all(nodes.map(tags))).every((s) => s === shape), { timeoutMs: 10_000, what: `${what}: ${shape}` });

    // Watcher: replicated to, not voting, not promoted by itself.
    let res = await http(`${b.url}/admin/cluster/node?url=${encodeURIComponent(d.url)}&watcher=true`, { method: "PUT", timeoutMs: 10_000 });
    assert.equal(res.status, 204, res.text);
    await converge(cluster.nodes, "members=A,B,C promotables= watchers=D", "D joins as a watcher");
    const written = values("m", 20);
    await cxCreateMany([a, b, c], written);
    await waitCaughtUp(cluster.nodes, await maxCommit([a, b, c]));
    await assertValues(d, written, "on the watcher");
    assert.equal((await topology(d, watch)).CurrentState, "Follower");

    // Promote: watcher -> promotable -> member once caught up.
    res = await http(`${c.url}/admin/cluster/promote?nodeTag=D`, { method: "POST", timeoutMs: 10_000 });
    assert.equal(res.status, 204, res.text);
    await converge(cluster.nodes, "members=A,B,C,D promotables= watchers=", "D promoted to member");
    // Demote: member -> watcher.
    res = await http(`${a.url}/admin/cluster/demote?nodeTag=D`, { method: "POST", timeoutMs: 10_000 });
    assert.equal(res.status, 204, res.text);
    await converge(cluster.nodes, "members=A,B,C promotables= watchers=D", "D demoted");
    // Errors are 400s and change nothing.
    res = await http(`${a.url}/admin/cluster/promote?nodeTag=Q`, { method: "POST", timeoutMs: 10_000 });
    assert.equal(res.status, 400, res.text);
    res = await http(`${a.url}/admin/cluster/node?nodeTag=Q`, { method: "DELETE", timeoutMs: 10_000 });
    assert.equal(res.status, 400, res.text);

    // Remove a follower: it leaves (Passive), the others go on without it.
    let { leader } = await waitForLeader([a, b, c], watch);
    const gone = [a, b, c].find((n) => n !== leader);
    res = await http(`${leader.url}/admin/cluster/node?nodeTag=${gone.name}`, { method: "DELETE", timeoutMs: 10_000 });
    assert.equal(res.status, 204, res.text);
    let rest = cluster.nodes.filter((n) => n !== gone);
    const restTags = (nodes, state) => nodes.filter((n) => n.name !== "D").map((n) => n.name).join(",");
    await converge(rest, `members=${restTags(rest)} promotables= watchers=D`, `${gone.name} removed`);
    // It applies its own removal: Passive (as soon as its log holds the
    // removal), then, once the leader said the removal committed, it
    // follows nobody and its view of the cluster is the one without it.
    // Its copy of the database left the group (a client is sent to the
    // others).
    const goneView = await waitFor(
      async () => {
        const t = await topology(gone, watch);
        return t?.CurrentState === "Passive" && t.Leader === "" && !(gone.name in t.Topology.Members) ? t : null;
      },
      { what: `${gone.name} to apply its removal` },
    );
    assert.equal(goneView.Leader, "");
    assert.ok(!(gone.name in goneView.Topology.Members), JSON.stringify(goneView.Topology));
    const left = await http(`${gone.url}/databases/${DB}/docs?id=x`, { timeoutMs: 5000 });
    assert.equal(left.status, 410, left.text);
    assert.equal(left.json.Type, "Raven.Client.Exceptions.Database.DatabaseNotRelevantException");
    // It refuses cluster commands at once, saying how to bring it back.
    const refused = await http(`${gone.url}/admin/databases?name=Elsewhere`, {
      method: "PUT",
      body: { DatabaseName: "Elsewhere" },
      timeoutMs: 5000,
    });
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.json.Message, /was removed from its cluster.*add it again/, refused.text);
    // A wait for an index it will never apply is refused too, not waited out.
    const waited = await http(`${gone.url}/rachis/waitfor?index=1000000`, { timeoutMs: 5000 });
    assert.equal(waited.status, 400, waited.text);
    assert.match(waited.json.Message, /was removed from its cluster/, waited.text);
    // Nor does it pass a reelect on to its old leader.
    const reelect = await http(`${gone.url}/admin/cluster/reelect`, { method: "POST", timeoutMs: 5000 });
    assert.equal(reelect.status, 400, reelect.text);
    assert.match(reelect.json.Message, /was removed from its cluster/, reelect.text);
    const afterRemoval = values("removed", 10);
    await cxCreateMany(rest, afterRemoval);
    for (const node of rest) await assertValues(node, afterRemoval, `after removing ${gone.name}`);

    // Remove the leader: it steps down first, the other member leads.
    ({ leader } = await waitForLeader(rest, watch));
    const survivor = rest.find((n) => n !== leader && n.name !== "D");
    let since = performance.now();
    res = await http(`${survivor.url}/admin/cluster/node?nodeTag=${leader.name}`, { method: "DELETE", timeoutMs: 10_000 });
    assert.equal(res.status, 204, res.text);
    t.diagnostic(`removing the leader ${leader.name} took ${ms(since)}`);
    rest = rest.filter((n) => n !== leader);
    await converge(rest, `members=${survivor.name} promotables= watchers=D`, `leader ${leader.name} removed`);
    await waitFor(async () => (await topology(leader, watch))?.CurrentState === "Passive", { what: `${leader.name} to be Passive` });
    const { leader: next } = await waitForLeader(rest, watch);
    assert.equal(next, survivor);
    const last = values("last", 5);
    await cxCreateMany(rest, last);
    await waitCaughtUp(rest, await maxCommit(rest));
    for (const node of rest) await assertValues(node, new Map([...written, ...afterRemoval, ...last]), "at the end");
    watch.assertOneLeaderPerTerm();
    t.diagnostic(`leaders seen: ${watch.summary()}`);
  });
});

describe("leadership", () => {
  test("reelect hands leadership over, asked of the leader or of a follower; a timeout on a follower of a live leader changes nothing", async (t) => {
    const { cluster, watch } = await form({ size: 3, rf: 3 });
    const post = (node, route) => http(`${node.url}${route}`, { method: "POST", timeoutMs: 10_000 });
    let { leader, term } = await waitForLeader(cluster.nodes, watch);

    // A follower told to time out tries a trial election, which the others
    // refuse while they hear the leader: no new term, the same leader.
    const follower = cluster.nodes.find((n) => n !== leader);
    let res = await post(follower, "/admin/cluster/timeout");
    assert.equal(res.status, 204, res.text);
    await sleep(1000); // three election timeouts
    let now = await waitForLeader(cluster.nodes, watch);
    assert.equal(now.leader, leader);
    assert.equal(now.term, term);
    // On the leader it does nothing either.
    res = await post(leader, "/admin/cluster/timeout");
    assert.equal(res.status, 204, res.text);

    // Reelect on the leader: another member leads, in a later term.
    res = await post(leader, "/admin/cluster/reelect");
    assert.equal(res.status, 204, res.text);
    now = await waitForLeader(cluster.nodes, watch, { not: [leader], minTerm: term + 1 });
    t.diagnostic(`reelect on ${leader.name}: ${now.leader.name} leads in term ${now.term}`);
    ({ leader, term } = now);

    // Reelect on a follower is passed on to the leader.
    const other = cluster.nodes.find((n) => n !== leader);
    res = await post(other, "/admin/cluster/reelect");
    assert.equal(res.status, 204, res.text);
    now = await waitForLeader(cluster.nodes, watch, { not: [leader], minTerm: term + 1 });
    t.diagnostic(`reelect on follower ${other.name}: ${now.leader.name} leads in term ${now.term}`);

    // Cluster operations go on with the new leader.
    const written = values("led", 5);
    await cxCreateMany(cluster.nodes, written);
    for (const node of cluster.nodes) await assertValues(node, written, `on ${node.name}`);
    watch.assertOneLeaderPerTerm();
  });
});

describe("a node removed while it is down", () => {
  // With few writes after the removal the leader sends the returning node
  // the log up to its removal; with many, the log was compacted past what
  // the node holds and it gets the snapshot.
  for (const { writes, through } of [
    { writes: 5, through: "the log" },
    { writes: 120, through: "a snapshot" },
  ]) {
    test(`restarted, it learns its removal from the leader through ${through}, applies it and leaves its database groups`, async () => {
      const { cluster, watch } = await form({ size: 3, rf: 3 });
      const { leader } = await waitForLeader(cluster.nodes, watch);
      const gone = cluster.nodes.find((n) => n !== leader);
      const rest = cluster.nodes.filter((n) => n !== gone);
      await gone.kill9();
      // What it may hold: nothing past what the leader had when it died.
      const heldAtMost = (await raftState(leader)).Applied;
      const res = await http(`${leader.url}/admin/cluster/node?nodeTag=${gone.name}`, { method: "DELETE", timeoutMs: 10_000 });
      assert.equal(res.status, 204, res.text);
      // Entries it never saw: its log ends before its removal.
      const written = values("while-down", writes);
      await cxCreateMany(rest, written, { concurrency: 8 });
      const snapshotAt = (await raftState(leader)).SnapshotIndex;
      if (through === "a snapshot") assert.ok(snapshotAt > heldAtMost + 10, `the leader's snapshot is at ${snapshotAt}, the node held at most ${heldAtMost}`);

      await gone.restart();
      const view = await waitFor(
        async () => {
          const t = await topology(gone, watch);
          return t?.CurrentState === "Passive" && !(gone.name in t.Topology.Members) ? t : null;
        },
        { timeoutMs: 10_000, what: `${gone.name} to apply its removal` },
      );
      assert.equal(view.Leader, "");
      const sentSnapshot = new RegExp(`sends node ${gone.name} the snapshot`).test(readFileSync(leader.logFile, "utf8"));
      assert.equal(sentSnapshot, through === "a snapshot", "whether the leader sent the snapshot");
      const left = await http(`${gone.url}/databases/${DB}/docs?id=x`, { timeoutMs: 5000 });
      assert.equal(left.status, 410, left.text);
      // The leader no longer lists it, and the others go on.
      const lead = await topology(leader, watch);
      assert.ok(!(gone.name in (lead.Status ?? {})), JSON.stringify(lead.Status));
      for (const node of rest) await assertValues(node, written, `on ${node.name}`);
      watch.assertOneLeaderPerTerm();
    });
  }
});

describe("database groups", () => {
  /** GET /topology?name= on `node`: the database's nodes and its etag. */
  async function databaseTopology(node, name = DB) {
    const res = await http(`${node.url}/topology?name=${name}`, { timeoutMs: 2000 });
    assert.equal(res.status, 200, `the topology of ${name} on ${node}: ${res.status} ${res.text}`);
    return { tags: res.json.Nodes.map((n) => n.ClusterTag).join(","), etag: res.json.Etag };
  }
  /** PUT /admin/databases/node on `node`. */
  const addNode = (node, query) =>
    http(`${node.url}/admin/databases/node?${query}&raft-request-id=${randomUUID()}`, { method: "PUT", timeoutMs: 15_000 });

  test("a node joins a database group through Raft; unknown databases and nodes and a node that has it already are refused", async () => {
    const { cluster } = await form({ size: 2, rf: 0 });
    const [a, b] = cluster.nodes;
    let res = await http(`${a.url}/admin/databases?name=${DB}`, {
      method: "PUT",
      body: { DatabaseName: DB, Topology: { Members: ["A"] } },
      timeoutMs: 15_000,
    });
    assert.equal(res.status, 201, res.text);
    const before = await databaseTopology(a);
    assert.equal(before.tags, "A");

    // Asked on B, which does not host the database yet.
    res = await addNode(b, `name=${DB}&node=B`);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.Name, DB);
    assert.deepEqual(res.json.Topology.Members, ["A", "B"]);
    assert.equal(res.json.Topology.ReplicationFactor, 2);
    assert.deepEqual(res.json.NodesAddedTo, [b.url]);
    const index = res.json.RaftCommandIndex;
    assert.ok(index > before.etag, `index ${index} after etag ${before.etag}`);
    for (const node of [a, b])
      await waitFor(async () => {
        const now = await databaseTopology(node);
        return now.tags === "A,B" && now.etag === index;
      }, { timeoutMs: 5000, what: `${node} to list A,B at etag ${index}` });
    // B hosts its own copy now.
    await assertDocumentsWork(b, "docs/on-b");

    const refused = async (query, status, type, message) => {
      const r = await addNode(a, query);
      assert.equal(r.status, status, `${query}: ${r.text}`);
      assert.equal(r.json?.Type, `Raven.Client.Exceptions.${type}`, r.text);
      assert.match(r.json.Message, message);
      return r;
    };
    const missing = await refused("name=nowhere&node=B", 503, "Database.DatabaseDoesNotExistException", /nowhere/);
    assert.equal(missing.headers.get("database-missing"), "nowhere");
    await refused(`name=${DB}&node=A`, 400, "BadRequestException", /node A already has database 'demo'/);
    await refused(`name=${DB}&node=Q`, 400, "BadRequestException", /node 'Q' is not in the cluster/);
    await refused(`name=${DB}`, 400, "BadRequestException", /already on every node/);
    await refused("node=B", 400, "BadRequestException", /'name' is required/);
    // None of them changed the group.
    for (const node of [a, b]) assert.deepEqual(await databaseTopology(node), { tags: "A,B", etag: index });
  });
});

describe("database operations with a node down", () => {
  test("creating, disabling, enabling and deleting are answered without waiting for a killed node; restarted, it catches up its copies", async () => {
    const { cluster } = await form({ size: 3, rf: 0 });
    const [a, b, c] = cluster.nodes;
    await c.kill9();
    const admin = (method, route, body) =>
      http(`${a.url}${route}${route.includes("?") ? "&" : "?"}raft-request-id=${randomUUID()}`, { method, body, timeoutMs: 15_000 });
    // Not waited for: C is down, not slow (the operation timeout is 3 s,
    // after which a node that is connected but silent fails the request).
    for (const name of ["kept", "gone"]) {
      const res = await admin("PUT", `/admin/databases?name=${name}`, { DatabaseName: name, Topology: { Members: ["A", "B", "C"] } });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(res.json.Topology.Members, ["A", "B", "C"]);
    }
    for (const action of ["disable", "enable"]) {
      const res = await admin("POST", `/admin/databases/${action}`, { DatabaseNames: ["kept"] });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.Status[0].Success, true, res.text);
    }
    const deleted = await admin("DELETE", "/admin/databases", { DatabaseNames: ["gone"], HardDelete: true });
    assert.equal(deleted.status, 200, deleted.text);
    assert.deepEqual(deleted.json.PendingDeletes, ["C"], "C could not confirm the deletion");
    assert.ok(deleted.json.RaftCommandIndex > 0);
    // With every holder up, nobody is pending.
    const res = await admin("PUT", "/admin/databases?name=brief", { DatabaseName: "brief", Topology: { Members: ["A", "B"] } });
    assert.equal(res.status, 201, res.text);
    const confirmed = await admin("DELETE", "/admin/databases", { DatabaseNames: ["brief"], HardDelete: true });
    assert.equal(confirmed.status, 200, confirmed.text);
    assert.deepEqual(confirmed.json.PendingDeletes, []);
    for (const node of [a, b]) await assertDocumentsWork(node, `docs/on-${node.name}`, "kept");

    await c.restart();
    await waitFor(async () => (await http(`${c.url}/databases/kept/docs?id=docs/on-A`, { timeoutMs: 2000 })).status === 200, {
      timeoutMs: 15_000,
      what: "C to serve its copy of kept, replicated from A",
    });
    await assertDocumentsWork(c, "docs/on-C", "kept");
    const gone = await http(`${c.url}/databases/gone/docs?id=x`, { timeoutMs: 2000 });
    assert.equal(gone.status, 503, gone.text);
    assert.equal(gone.headers.get("database-missing"), "gone");
  });
});

describe("five nodes in network namespaces", { skip: sandbox.skip }, () => {
  test("partitions: a minority fails cleanly and catches up; the leader's side cut off loses leadership", async (t) => {
    let since = performance.now();
    const { cluster, watch } = await form({ size: 5, network: "netns" });
    t.diagnostic(`5 nodes formed a cluster in ${ms(since)}`);
    const all = cluster.nodes;
    const committed = values("start", 20);
    await cxCreateMany(all, committed);
    let { leader, term } = await waitForLeader(all, watch);

    // 1. Two followers cut off from the other three (leader among them).
    const minority = all.filter((n) => n !== leader).slice(0, 2);
    const majority = all.filter((n) => !minority.includes(n));
    await cluster.partition([minority, majority]);
    since = performance.now();
    const inMajority = values("majority", 30);
    await cxCreateMany(majority, inMajority);
    t.diagnostic(`minority ${minority.map((n) => n.name)} cut off; 30 writes on the majority in ${ms(since)}`);
    ({ leader } = await waitForLeader(majority, watch));
    // On the minority: cluster commands fail within the operation timeout
    // (3 s) with NoLeaderException; their own documents keep working.
    await Promise.all(
      minority.map(async (node) => {
        const started = performance.now();
        const res = await cxPut(node, `minority/${node.name}`, 0, "never", { timeoutMs: 10_000 });
        const took = performance.now() - started;
        assert.equal(res.status, 503, `${node}: ${res.text ?? res.error}`);
        assert.equal(res.json?.Type, "Raven.Client.Exceptions.Cluster.NoLeaderException", res.text);
        assert.ok(took < 6000, `${node} answered after ${Math.round(took)} ms`);
        const read = await cxGet(node, "start/0", { timeoutMs: 10_000 });
        assert.equal(read.status, 503, `a linearizable read on ${node} without a majority: ${JSON.stringify(read)}`);
        await assertDocumentsWork(node, `docs/${node.name}/cut`);
      }),
    );
    for (const node of majority) await assertDocumentsWork(node, `docs/${node.name}/cut`);
    since = performance.now();
    await cluster.heal();
    let commit = await maxCommit(majority);
    let ts = await waitCaughtUp(all, commit);
    t.diagnostic(`healed: the minority applied ${commit} in ${ms(since)}`);
    ({ leader, term } = await waitForLeader(all, watch));
    for (const node of minority) {
      await assertValues(node, new Map([...committed, ...inMajority]), "after the heal");
      // A 503 is no promise that nothing applied (the forward may arrive
      // after the heal): only noted.
      const late = await cxGet(node, `minority/${node.name}`);
      if (late.value !== null) t.diagnostic(`the write that failed on ${node.name} applied after the heal`);
    }

    // 2. The leader and one follower cut off from the other three.
    const oldLeader = leader;
    const leaderSide = [oldLeader, all.find((n) => n !== oldLeader)];
    const otherSide = all.filter((n) => !leaderSide.includes(n));
    since = performance.now();
    await cluster.partition([leaderSide, otherSide]);
    const elected = await waitForLeader(otherSide, watch, { minTerm: term + 1 });
    t.diagnostic(`leader ${oldLeader.name} cut off: ${elected.leader.name} leads term ${elected.term} after ${ms(since)}`);
    // The old leader steps down (check-quorum) and cannot commit.
    await waitFor(async () => (await topology(oldLeader, watch))?.CurrentState !== "Leader", {
      timeoutMs: 5000,
      what: `${oldLeader.name} to step down`,
    });
    const stuck = await cxPut(oldLeader, "old-leader/write", 0, "never", { timeoutMs: 10_000 });
    assert.equal(stuck.status, 503, stuck.text ?? stuck.error);
    const inNewTerm = values("new-term", 30);
    await cxCreateMany(otherSide, inNewTerm);
    for (const node of leaderSide) await assertDocumentsWork(node, `docs/${node.name}/cut2`);
    since = performance.now();
    await cluster.heal();
    commit = await maxCommit(otherSide);
    ts = await waitCaughtUp(all, commit);
    t.diagnostic(`healed: the old leader's side applied ${commit} in ${ms(since)}`);
    const final = await waitForLeader(all, watch);
    assert.ok(final.term >= elected.term);
    const everything = new Map([...committed, ...inMajority, ...inNewTerm]);
    for (const node of all) {
      assert.equal(await databaseMembers(node), "A,B,C,D,E");
      await assertValues(node, everything, "at the end");
    }
    if ((await cxGet(oldLeader, "old-leader/write")).value !== null) t.diagnostic("the write that failed on the old leader applied after the heal");
    watch.assertOneLeaderPerTerm();
    t.diagnostic(`leaders seen: ${watch.summary()}`);
  });
});
