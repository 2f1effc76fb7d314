// corvus-console as an operator uses it: interactively in a real terminal
// (tmux, 80x40: send-keys, capture-pane) against running nodes, checking
// what a person would see; and as scripts use it, with --exec and --json.
//
// The first session works against one node holding a database plus two
// independent nodes (clusters of none) it connects to in turn; the last one
// forms a 3-node cluster from the console and watches it lose a node.
// tmux runs on a socket of its own (-S), so the operator's tmux sessions
// are never touched; that server is shut down at the end.

import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { corvusBinary, http, makeTempDir, sleep, startNode, stopAll }
  from "../support/corvus_node.mjs";

const consoleBinary = path.join(path.dirname(corvusBinary), "corvus-console");
const session = "console";
const clusterSession = "cluster";
const home = makeTempDir("corvus-console-home-");
// tmux's own server for this test, on a socket in a temp dir stopAll removes.
const socket = path.join(home, "tmux.sock");
const env = { ...process.env, HOME: home, LANG: "C.UTF-8" };

let nodes = [];
let tmuxStarted = false;
// Processes tmux started for this test (its server and the consoles in its
// panes), stopped by pid at the end whatever state tmux is in.
const tmuxPids = new Set();

/** Runs the console with `args`; resolves { code, stdout, stderr }. */
function runConsole(args) {
  return new Promise((resolve) => {
    execFile(consoleBinary, args, { env, timeout: 15_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

/** --exec <command> --json against `node`: the parsed document. */
async function execJson(node, command) {
  const r = await runConsole(["--url", node.url, "--exec", command, "--json"]);
  assert.equal(r.code, 0, `${command}: ${r.stderr}`);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout.trim().split("\n").length, 1, "one JSON document");
  return JSON.parse(r.stdout);
}

/** Starts the console in a new tmux session `name` (80x40) against `url`. */
function openSession(name, url) {
  tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "40",
       `${consoleBinary} --url ${url}`);
  tmuxStarted = true;
  tmuxPids.add(Number(tmux("display-message", "-p", "#{pid}").trim()));
  for (const pid of tmux("list-panes", "-s", "-t", name, "-F", "#{pane_pid}").trim().split("\n"))
    tmuxPids.add(Number(pid));
}

function tmux(...args) {
  return execFileSync("tmux", ["-S", socket, ...args],
                      { env, encoding: "utf8", stdio: "pipe" });
}

/** The visible screen, wrapped lines joined (so overlong lines show). */
const screen = (name = session) =>
  tmux("capture-pane", "-p", "-J", "-t", name);

/** Waits until the screen matches `pattern`; returns the screen. */
async function waitFor(pattern, timeoutMs = 5_000, name = session) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screen(name);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline)
      assert.fail(`screen never matched ${pattern}:\n${text}`);
    await sleep(50);
  }
}

/** Types `line` and Enter; waits for output matching `pattern`. */
async function run(line, pattern, { name = session, timeoutMs = 5_000 } = {}) {
  tmux("send-keys", "-t", name, "-l", line);
  tmux("send-keys", "-t", name, "Enter");
  return waitFor(pattern, timeoutMs, name);
}

/** Clears the screen (Ctrl-L redraws the prompt at the top). */
async function clear(name = session) {
  tmux("send-keys", "-t", name, "C-l");
  await waitFor(/^corvus \S+> $/m, 5_000, name);
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const hostPort = (node) => node.url.replace("http://", "");

before(async () => {
  nodes = await Promise.all([startNode(), startNode(), startNode()]);
  const [a] = nodes;
  const created = await http(`${a.url}/admin/databases?name=demo`, {
    method: "PUT", body: { DatabaseName: "demo" } });
  assert.equal(created.status, 201, created.text);
  const docs = await http(`${a.url}/databases/demo/bulk_docs`, {
    method: "POST",
    body: { Commands: [1, 2, 3].map((i) => ({
      Id: `users/${i}`, Document: { name: `user ${i}` }, Type: "PUT" })) },
  });
  assert.equal(docs.status, 201, docs.text);
});

after(async () => {
  if (tmuxStarted) {
    for (const name of [session, clusterSession])
      try {
        tmux("kill-session", "-t", name);
      } catch {} // the console may have quit, ending the session
    try {
      tmux("kill-server");
    } catch {}
    for (const pid of tmuxPids) {
      let cmdline = "";
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        continue; // already gone with its session or server
      }
      // Still ours (not a pid reused since): stop it.
      if (cmdline.includes("tmux") || cmdline.includes(consoleBinary))
        process.kill(pid, "SIGKILL");
    }
  }
  await stopAll();
});

describe("interactive, in a terminal", () => {
  test("a session: views, errors, watch, history, completion", async () => {
    const [a, b] = nodes;
    openSession(session, a.url);
    const prompt = `corvus A@${hostPort(a)}> `;
    await waitFor(new RegExp(`^Connected to node A at ${escape(a.url)}`, "m"));
    await waitFor(new RegExp(`^${escape(prompt)}$`, "m"));

    let text = await run("nodes", /^Term:/m);
    assert.match(text, /^TAG +URL +ROLE +LEADER +REACHABLE +STATE$/m);
    assert.match(text, new RegExp(`^A +${escape(a.url)} +Member +yes +yes +Leader$`, "m"));
    assert.match(text, /^Leader: +A$/m);

    await clear();
    text = await run("databases", /^demo /m);
    assert.match(text, /^NAME +RF +MEMBERS +PROMOTABLES +REHABS +DOCS +SIZE$/m);
    assert.match(text, /^demo +1 +A +- +- +3 +[\d.]+ (B|KiB|MiB)$/m);

    await clear();
    text = await run("actors", /storage-committer/);
    for (const kind of ["node", "http-gateway", "database", "storage-committer"])
      assert.match(text, new RegExp(`^ *\\d+ +${kind} `, "m"), kind);

    await clear();
    text = await run("actors tree", /`- #\d+ storage-committer demo/);
    assert.match(text, /^#\d+ node A {2}/m, "the node actor is the root");
    assert.match(text, /^\|- #\d+ http-gateway /m, "its children are indented");
    assert.match(text, /^[|`]- #\d+ database demo {2}Status=Ready/m);
    assert.match(text, /^ {3}`- #\d+ storage-committer demo /m,
                 "the committer is under its database");

    await clear();
    text = await run("show 9999", /error:/);
    assert.match(text, /^error: no actor 9999 on node A$/m);
    text = await run("show database/demo", /^Outstanding:/m);
    assert.match(text, /^Kind: +database$/m);
    assert.match(text, /^Status: +Ready$/m);
    assert.match(text, /^Documents: +3$/m);

    await clear();
    text = await run("topology nope", /error:/);
    assert.match(text, /^error: database 'nope' does not exist$/m);
    text = await run("add-node http://127.0.0.1:1", /error: cannot reach/);
    assert.match(text, /^error: cannot reach http:\/\/127\.0\.0\.1:1: Connection refused$/m);

    // watch redraws in place: the new document shows up without scrolling.
    await clear();
    await run("watch databases every 1", /^every 1 s: databases/m);
    await waitFor(/^demo +1 +A +- +- +3 /m);
    const put = await http(`${a.url}/databases/demo/bulk_docs`, {
      method: "POST",
      body: { Commands: [{ Id: "users/4", Document: {}, Type: "PUT" }] },
    });
    assert.equal(put.status, 201);
    text = await waitFor(/^demo +1 +A +- +- +4 /m, 4_000);
    assert.match(text, /^every 1 s: databases +\(Enter or Ctrl-C stops\)/m);
    assert.equal(text.match(/^NAME /gm).length, 1, "one table on the screen");
    tmux("send-keys", "-t", session, "Enter");
    await waitFor(new RegExp(`^${escape(prompt)}$`, "m"));

    // Up recalls the previous line; Ctrl-U clears it again.
    tmux("send-keys", "-t", session, "Up");
    await waitFor(new RegExp(`^${escape(prompt)}watch databases every 1$`, "m"));
    tmux("send-keys", "-t", session, "C-u");

    // Ctrl-C stops a watch, and drops a half-typed line; the console stays.
    await clear();
    await run("watch nodes every 1", /^every 1 s: nodes/m);
    tmux("send-keys", "-t", session, "C-c");
    await waitFor(new RegExp(`^${escape(prompt)}$`, "m"));
    tmux("send-keys", "-t", session, "-l", "garbage");
    tmux("send-keys", "-t", session, "C-c");
    await clear();
    text = await run("raft", /^Topology etag:/m);
    assert.doesNotMatch(text, /garbage/);
    assert.match(text, /^State: +Leader$/m);

    // TAB completes a command, then a database name.
    await clear();
    tmux("send-keys", "-t", session, "-l", "topo");
    tmux("send-keys", "-t", session, "Tab");
    await waitFor(new RegExp(`^${escape(prompt)}topology $`, "m"));
    tmux("send-keys", "-t", session, "-l", "de");
    tmux("send-keys", "-t", session, "Tab");
    await waitFor(new RegExp(`^${escape(prompt)}topology demo $`, "m"));
    tmux("send-keys", "-t", session, "Enter");
    text = await waitFor(/^A +Member /m);
    assert.match(text, /^Replication factor: 1$/m);

    // Another node, in no cluster yet: its tag is "?" and it has no leader.
    await clear();
    text = await run(`connect ${b.url}`, /connected to node/);
    assert.match(text, new RegExp(`^connected to node \\? at ${escape(b.url)}$`, "m"));
    await waitFor(new RegExp(`^${escape(`corvus ?@${hostPort(b)}> `)}$`, "m"));
    text = await run("nodes", /^Term:/m);
    assert.match(text, /^Leader: +none \(this node is in no cluster\)$/m);
    text = await run("connect http://127.0.0.1:1", /error: cannot reach/);
    assert.match(text, /^error: cannot reach http:\/\/127\.0\.0\.1:1: Connection refused$/m);

    // Every line a person saw fits the 80-column terminal.
    for (const line of screen().split("\n"))
      assert.ok(line.length <= 80, `line wider than 80 columns: ${line}`);

    // History survives the session, in ~/.corvus_console_history.
    tmux("send-keys", "-t", session, "-l", "quit");
    tmux("send-keys", "-t", session, "Enter");
    const deadline = Date.now() + 5_000;
    while (tmuxSessionAlive() && Date.now() < deadline) await sleep(50);
    assert.equal(tmuxSessionAlive(), false, "quit ends the console");
    const history = readFileSync(path.join(home, ".corvus_console_history"), "utf8");
    assert.match(history, /watch\\040databases\\040every\\0401/);
  });
});

function tmuxSessionAlive() {
  try {
    tmux("has-session", "-t", session);
    return true;
  } catch {
    return false;
  }
}

describe("scripts: --exec and --json", () => {
  test("views as JSON documents", async () => {
    const [a, b, c] = nodes;
    const viewA = await execJson(a, "nodes");
    assert.equal(viewA.Leader, "A");
    assert.deepEqual(viewA.Nodes.map((n) => [n.Tag, n.Url, n.Role, n.Reachable]),
                     [["A", a.url, "Member", true]]);
    // Independent nodes each see a cluster of themselves.
    for (const node of [b, c]) {
      const view = await execJson(node, "nodes");
      assert.equal(view.Leader, null);
      assert.equal(view.Nodes.length, 1);
      assert.equal(view.Nodes[0].Url, node.url);
      assert.equal(view.Nodes[0].State, "Passive");
    }

    const dbs = await execJson(a, "databases");
    const demo = dbs.Databases.find((d) => d.Name === "demo");
    assert.equal(demo.ReplicationFactor, 1);
    assert.deepEqual(demo.Members, ["A"]);
    assert.ok(demo.Documents >= 3);
    assert.ok(demo.SizeBytes > 0);

    const actors = await execJson(a, "actors");
    const kinds = new Set(actors.Actors.map((x) => x.Kind));
    for (const kind of ["node", "http-gateway", "database", "storage-committer"])
      assert.ok(kinds.has(kind), kind);
    const db = actors.Actors.find((x) => x.Kind === "database" && x.Name === "demo");
    assert.equal(db.Responsive, true);
    assert.equal(db.State.Status, "Ready");

    const tree = await execJson(a, "actors tree");
    assert.equal(tree.Tree[0].Kind, "node");
    const dbNode = tree.Tree[0].Children.find((x) => x.Kind === "database");
    assert.equal(dbNode.Children[0].Kind, "storage-committer");

    const shown = await execJson(a, `show ${db.Id}`);
    assert.equal(shown.Name, "demo");
    assert.equal(shown.State.Database, "demo");

    const raft = await execJson(a, "raft");
    assert.equal(raft.NodeTag, "A");
    assert.equal(raft.Leader, "A");
    assert.equal(raft.Nodes[0].Role, "Member");

    const topology = await execJson(a, "topology demo");
    assert.deepEqual(topology.Nodes.map((n) => [n.Tag, n.Role, n.Url]),
                     [["A", "Member", a.url]]);
    assert.deepEqual((await execJson(a, "links demo")).Links, []);
    assert.ok(Array.isArray((await execJson(a, "restarts")).Restarts));
    const memory = await execJson(a, "memory");
    assert.ok(memory.WorkingSet > 0 && memory.Anonymous > 0, JSON.stringify(memory));
    assert.equal(memory.Allocator.Name, "jemalloc");
    assert.ok(memory.Allocator.Allocated > 0);
  });

  test("operations: create, disable, enable and delete a database", async () => {
    const [a] = nodes;
    const created = await execJson(a, "create-db scratch --rf 1");
    assert.match(created.Result, /^database 'scratch' created on A/);
    assert.deepEqual(created.Members, ["A"]);
    assert.ok((await execJson(a, "databases")).Databases.some((d) => d.Name === "scratch"));
    const again = await runConsole(["--url", a.url, "--exec", "create-db scratch"]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, "error: database 'scratch' already exists\n");
    const disabled = await execJson(a, "disable-db scratch");
    assert.equal(disabled.Result, "database 'scratch' disabled");
    assert.equal((await execJson(a, "databases")).Databases.find((d) => d.Name === "scratch").Disabled, true);
    const enabled = await execJson(a, "enable-db scratch");
    assert.equal(enabled.Result, "database 'scratch' enabled");
    const deleted = await execJson(a, "delete-db scratch");
    assert.match(deleted.Result, /^database 'scratch' deleted/);
    assert.ok(!(await execJson(a, "databases")).Databases.some((d) => d.Name === "scratch"));
  });

  test("errors are one line on stderr and exit code 1", async () => {
    const [a] = nodes;
    const cases = [
      [["--url", a.url, "--exec", "show 9999"], /^error: no actor 9999 on node A\n$/],
      [["--url", a.url, "--exec", "topology nope"], /^error: database 'nope' does not exist\n$/],
      [["--url", a.url, "--exec", "delete-db nope"], /^error: database 'nope' does not exist\n$/],
      [["--url", a.url, "--exec", "remove-node B"],
       /^error: node B is not in the cluster\n$/],
      [["--url", a.url, "--exec", "add-db-node demo B"],
       /^error: node 'B' is not in the cluster\n$/],
      [["--url", a.url, "--exec", "frobnicate"],
       /^error: unknown command 'frobnicate' \(try help\)\n$/],
      [["--url", a.url, "--exec", "create-db"], /^error: usage: create-db <name> /],
      [["--url", "http://127.0.0.1:1", "--exec", "nodes", "--json"],
       /^error: cannot reach http:\/\/127\.0\.0\.1:1: Connection refused\n$/],
      [["--url", "nonsense", "--exec", "nodes"], /^error: --url 'nonsense' is not a valid/],
      [["--bogus"], /^error: .*bogus/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runConsole(args);
      assert.equal(r.code, 1, args.join(" "));
      assert.equal(r.stdout, "", args.join(" "));
      assert.match(r.stderr, pattern, args.join(" "));
      assert.equal(r.stderr.split("\n").filter(Boolean).length, 1, r.stderr);
    }
    // A node that accepts connections but never answers: one line after the
    // request's time bound, not a hung console.
    const silent = createServer(() => {});
    await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const started = Date.now();
    const stuck = await runConsole(["--url", `http://127.0.0.1:${silent.address().port}`,
                                    "--exec", "databases"]);
    silent.close();
    assert.equal(stuck.code, 1);
    assert.match(stuck.stderr, /^error: http:\/\/127\.0\.0\.1:\d+ did not answer within 5 s\n$/);
    assert.ok(Date.now() - started < 10_000);

    const version = await runConsole(["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^corvus-console \d+\.\d+\.\d+\n$/);
    const help = await runConsole(["--help"]);
    assert.match(help.stdout, /--exec/);
    assert.match(help.stdout, /^create-db <name> \[--rf N \| --nodes A,B\] +create a database$/m);
  });
});

describe("a 3-node cluster", () => {
  test("formed from the console; nodes, raft, databases and actors across it; a node lost and back", async () => {
    const [a, b, c] = await Promise.all([startNode(), startNode(), startNode()]);
    const name = clusterSession;
    openSession(name, a.url);
    const on = { name };
    const prompt = (tag) => `corvus ${tag}@${hostPort(a)}> `;
    await waitFor(new RegExp(`^${escape(prompt("?"))}$`, "m"), 5_000, name);

    // Founding: the first cluster operation makes A a cluster of one.
    let text = await run("create-db shop --rf 1", /created on A/, on);
    assert.match(text, /^database 'shop' created on A \(raft index \d+\)$/m);
    text = await run(`add-node ${b.url}`, /added|error/, on);
    assert.match(text, new RegExp(`^node ${escape(b.url)} added$`, "m"));
    text = await run(`add-node ${c.url}`, new RegExp(`node ${escape(c.url)} added|error`), on);
    assert.match(text, new RegExp(`^node ${escape(c.url)} added$`, "m"));

    // nodes: every node, its role, who leads, and that each answers.
    await clear(name);
    await run("watch nodes every 1", /^every 1 s: nodes/m, on);
    text = await waitFor(new RegExp(`^C +${escape(c.url)} +Member +no +yes +Follower$`, "m"), 10_000, name);
    assert.match(text, new RegExp(`^A +${escape(a.url)} +Member +yes +yes +Leader$`, "m"));
    assert.match(text, new RegExp(`^B +${escape(b.url)} +Member +no +yes +Follower$`, "m"));
    assert.match(text, /^Leader: +A$/m);

    // A node killed: the watch shows it unreachable, in place; A and C
    // are a majority, so A keeps the lead.
    await b.kill9();
    text = await waitFor(new RegExp(`^B +${escape(b.url)} +Member +no +no +`, "m"), 10_000, name);
    assert.match(text, /^Leader: +A$/m);
    assert.equal(text.match(/^TAG /gm).length, 1, "one table on the screen");
    tmux("send-keys", "-t", name, "Enter");
    await waitFor(new RegExp(`^${escape(prompt("A"))}$`, "m"), 5_000, name);
    await b.start();

    // A database on all three; its topology.
    await clear(name);
    text = await run("create-db orders --rf 3", /created on|error/, { name, timeoutMs: 20_000 });
    // The nodes are picked at random, as RavenDB does.
    const placed = text.match(/^database 'orders' created on ([A-C,]+) \(raft index \d+\)$/m);
    assert.ok(placed, text);
    assert.deepEqual(placed[1].split(",").sort(), ["A", "B", "C"]);
    await clear(name);
    text = await run("topology orders", /^Replication factor: 3$/m, on);
    for (const tag of ["A", "B", "C"]) assert.match(text, new RegExp(`^${tag} +Member `, "m"));

    // raft: this node's view of the consensus, with its peers (A's link to
    // the restarted B may still be in its back-off for a moment).
    await clear(name);
    await run("watch raft every 1", /^every 1 s: raft/m, on);
    text = await waitFor(/^ConnectedPeers: +2$/m, 10_000, name);
    assert.match(text, /^State: +Leader$/m);
    tmux("send-keys", "-t", name, "Enter");
    await waitFor(new RegExp(`^${escape(prompt("A"))}$`, "m"), 5_000, name);

    // actors tree: the Raft member with a peer link per peer.
    await clear(name);
    text = await run("actors tree", /peer-link C/, on);
    assert.match(text, /^\|- #\d+ raft-member A {2}State=Leader/m);
    assert.match(text, /^\| +\|- #\d+ peer-link B /m);
    assert.match(text, /^\| +`- #\d+ peer-link C /m);

    // Through a follower: the same cluster, seen from C.
    await clear(name);
    text = await run(`connect ${c.url}`, /connected to node/, on);
    assert.match(text, new RegExp(`^connected to node C at ${escape(c.url)}$`, "m"));
    text = await run("nodes", /^Term:/m, on);
    assert.match(text, new RegExp(`^C +${escape(c.url)} +Member +no +yes +Follower$`, "m"));
    assert.match(text, /^Leader: +A$/m);
    for (const line of screen(name).split("\n"))
      assert.ok(line.length <= 80, `line wider than 80 columns: ${line}`);

    // Scripts see the same through any node.
    for (const node of [a, b, c]) {
      const view = await execJson(node, "nodes");
      assert.equal(view.Leader, "A");
      assert.deepEqual(view.Nodes.map((n) => [n.Tag, n.Role, n.Reachable]),
                       [["A", "Member", true], ["B", "Member", true], ["C", "Member", true]]);
      const dbs = await execJson(node, "databases");
      assert.deepEqual([...dbs.Databases.find((d) => d.Name === "orders").Members].sort(), ["A", "B", "C"]);
    }
    const raft = await execJson(b, "raft");
    assert.equal(raft.NodeTag, "B");
    assert.equal(raft.State, "Follower");

    // The replication links of `orders` on B: to A and C, connected.
    let links;
    for (let i = 0; i < 100; ++i) {
      links = (await execJson(b, "links orders")).Links;
      if (links.length === 2 && links.every((l) => l.Connected)) break;
      await sleep(50);
    }
    assert.deepEqual(links.map((l) => [l.Source, l.Destination, l.Connected]).sort(),
                     [["B", "A", true], ["B", "C", true]]);

    // A database on A alone joins B's copy, from the console; B gets its
    // documents.
    await execJson(a, "create-db solo --nodes A");
    const put = await http(`${a.url}/databases/solo/docs?id=users/1`, { method: "PUT", body: { name: "solo" } });
    assert.equal(put.status, 201);
    await execJson(a, "add-db-node solo B");
    const grown = await execJson(a, "topology solo");
    assert.deepEqual(grown.Nodes.map((n) => [n.Tag, n.Role]), [["A", "Member"], ["B", "Member"]]);
    let copy;
    for (let i = 0; i < 100 && copy?.status !== 200; ++i) {
      copy = await http(`${b.url}/databases/solo/docs?id=users/1`);
      if (copy.status !== 200) await sleep(50);
    }
    assert.equal(copy.json.Results[0].name, "solo");

    // Leadership, from the console: asked of B, a follower, the leader
    // hands over to another member.
    const before = (await execJson(b, "raft")).Leader;
    const reelected = await execJson(b, "reelect");
    assert.equal(reelected.Result, "the leader hands over to another member");
    let leader;
    for (let i = 0; i < 100; ++i) {
      leader = (await execJson(b, "raft")).Leader;
      if (leader && leader !== before) break;
      await sleep(50);
    }
    assert.ok(leader && leader !== before, `a leader other than ${before}, got ${leader}`);

    // Removing a node, from the console.
    const removed = await execJson(a, "remove-node C");
    assert.match(removed.Result, /C/);
    const after = await execJson(a, "nodes");
    assert.deepEqual(after.Nodes.map((n) => n.Tag), ["A", "B"]);
  });
});
