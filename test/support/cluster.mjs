// Clusters of real corvus-node processes for process tests, with real
// faults: kill -9, SIGSTOP / SIGCONT, restart on the same data dir, and
// (network "netns") links cut with iptables.
//
//   import { after, test } from "node:test";
//   import { enterNetworkSandbox, startCluster, stopAll } from "../support/cluster.mjs";
//   const sandbox = await enterNetworkSandbox();   // first, at the top level
//   after(stopAll);
//   test("...", { skip: sandbox.skip }, async () => {
//     const cluster = await startCluster({ size: 3, network: "netns" });
//     const [a, b, c] = cluster.nodes;              // tags A, B, C
//     await cluster.partition([[a, b], [c]]);
//     assert.equal(await cluster.canReach(a, c), false);
//     await cluster.heal();
//     await b.pause(); await b.resume(); await c.kill9(); await c.restart();
//   });
//
// Two networks:
//
// "loopback": node i listens on 127.0.0.(i+1), HTTP and TCP on the same
// two ports for every node, kept across restarts. No faults on links.
//
// "netns": every node runs in a network namespace of its own, attached by a
// veth pair to a bridge in the test's namespace; node i has 10.77.c.(11+i)
// (c numbers the clusters of this test process), the test process
// 10.77.c.1, every node listens on :8080 (HTTP) and :38888 (TCP). Links are
// cut by iptables rules inside the node namespaces (chain CORVUS-PART,
// jumped to from INPUT and OUTPUT); the test process always reaches every
// node.
//
// The "netns" network needs the test process itself in a namespace of its
// own: enterNetworkSandbox() re-executes the test file under
// `unshare --net` (stdout and stderr shared, so the test runner sees the
// inner process's report and exit code), unless it is not root or the
// kernel lacks what is needed; then it returns { ok: false, skip: reason }
// and the test file goes on in the namespace it started in, where only the
// "loopback" network is available. Nothing is ever created in the
// namespace the tests were started from: every address, link and rule lives
// in namespaces that die with the test process, so no traffic leaves them,
// two test files running at once cannot collide, and a dead run leaves
// nothing behind but temp dirs (removed by the next run).
//
// A node namespace is held by a `sleep` process (unshare --net), so that it
// survives the node's kill -9 and restart, with its address and its rules.
// Every process started here has the kernel kill it (PR_SET_PDEATHSIG,
// setpriv --pdeathsig) when the test process dies, and stopAll() stops them
// all by pid otherwise.

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { CorvusNode, sleep, stopAll as stopAllNodes } from "./corvus_node.mjs";

const SANDBOX_ENV = "CORVUS_NETNS_SANDBOX";
const CHAIN = "CORVUS-PART";
const HTTP_PORT = 8080;
const TCP_PORT = 38888;

// --- running a command -------------------------------------------------------

const children = new Set(); // helper processes (namespace holders) not yet exited

/**
 * Runs a command to its end: resolves { code, signal, stdout, stderr }.
 * `input` goes to its stdin. Killed after `timeoutMs`. Throws on a non-zero
 * exit when `check`.
 */
export function run(cmd, args, { input, timeoutMs = 10_000, check = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, stdout, stderr };
      if (check && code !== 0)
        reject(new Error(`${cmd} ${args.join(" ")}: exit ${code ?? signal}: ${stderr.trim()}`));
      else resolve(result);
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}

const runSync = (cmd, args) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });

function hasCommand(cmd) {
  try {
    runSync("sh", ["-c", `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

// --- the sandbox: the test process in a network namespace of its own -------

let sandbox = null;

/**
 * Call once, at the top level of a test file, before any test: re-executes
 * the file in a network namespace of its own (the returned promise never
 * resolves in the outer process, which ends with the inner one's exit
 * code). In the inner process, or when that is impossible, resolves
 * { ok, skip, reason }: ok means the "netns" network is available; skip is
 * false or the reason, for `test(name, { skip })`.
 */
export async function enterNetworkSandbox() {
  if (sandbox) return sandbox;
  if (process.env[SANDBOX_ENV] === "inner") {
    runSync("ip", ["link", "set", "lo", "up"]);
    sandbox = await probeNetns();
    return sandbox;
  }
  const missing = ["unshare", "nsenter", "setpriv", "ip", "iptables", "iptables-restore", "curl"].filter((c) => !hasCommand(c));
  const reason =
    process.getuid?.() !== 0
      ? `needs root for network namespaces (uid ${process.getuid?.()})`
      : missing.length
        ? `missing commands: ${missing.join(", ")} (scripts/install-deps)`
        : unshareProblem();
  if (reason) {
    sandbox = { ok: false, skip: reason, reason };
    return sandbox;
  }
  // The same node, flags and script, in a new network namespace, killed if
  // this process dies; signals that would end this one are passed on.
  const child = spawn(
    "unshare",
    ["--net", "--", "setpriv", "--pdeathsig", "KILL", "--", process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: "inherit", env: { ...process.env, [SANDBOX_ENV]: "inner" } },
  );
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? 128 + (signalNumber(signal) ?? 1)));
  return new Promise(() => {});
}

function signalNumber(signal) {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGABRT: 6, SIGSEGV: 11 }[signal];
}

function unshareProblem() {
  try {
    runSync("unshare", ["--net", "--", "true"]);
    return null;
  } catch (err) {
    return `unshare --net fails: ${String(err.stderr || err.message).trim()}`;
  }
}

// Inside the sandbox: can we build bridges, veth pairs and iptables rules?
// Tried in a scratch namespace that disappears with the probe.
async function probeNetns() {
  const script = [
    "ip link add cvprobe0 type bridge",
    "ip link add cvprobe1 type veth peer name cvprobe2",
    "ip link set cvprobe1 master cvprobe0",
    `iptables -w -N ${CHAIN}`,
    `iptables -w -A INPUT -j ${CHAIN}`,
    `iptables -w -A ${CHAIN} -s 10.77.0.2 -j DROP`,
  ].join(" && ");
  const probe = await run("unshare", ["--net", "--", "sh", "-c", script], { check: false });
  if (probe.code !== 0) {
    const reason = `the kernel or tools lack network namespace support (bridge, veth, iptables): ${probe.stderr.trim()}`;
    return { ok: false, skip: reason, reason };
  }
  return { ok: true, skip: false, reason: null };
}

/** True in a process that enterNetworkSandbox() moved to its own namespace. */
export const inSandbox = () => process.env[SANDBOX_ENV] === "inner";

// --- clusters ----------------------------------------------------------------

const clusters = new Set();
let clusterCount = 0;

/** A corvus-node of a cluster: a CorvusNode with a name, an address and its namespace. */
export class ClusterNode extends CorvusNode {
  constructor(cluster, index, options) {
    super(options);
    this.cluster = cluster;
    this.index = index;
    this.name = String.fromCharCode(65 + index); // A, B, C, ...
    this.ip = options.host;
    this.tcpPort = Number(new URL(options.tcpUrl.replace(/^tcp:/, "http:")).port);
    this.holder = null; // the process holding the namespace ("netns")
  }
  get netns() {
    return this.holder ? `/proc/${this.holder.pid}/ns/net` : null;
  }
  toString() {
    return `${this.name} (${this.ip})`;
  }
}

/**
 * Starts `size` nodes and waits until each answers GET /build/version.
 * network: "loopback" or "netns" (see the file comment); set / args: --set
 * keys and extra flags for every node.
 */
export async function startCluster({ size = 3, network = "loopback", set = {}, args = [] } = {}) {
  if (!["loopback", "netns"].includes(network)) throw new Error(`unknown network ${network}`);
  if (network === "netns") {
    if (!inSandbox()) throw new Error('network "netns" needs `await enterNetworkSandbox()` at the top of the test file');
    if (!sandbox?.ok) throw new Error(`network "netns" is not available: ${sandbox?.reason}`);
  }
  const cluster = new Cluster(++clusterCount, size, network);
  clusters.add(cluster);
  try {
    await cluster.setUp({ set, args });
    await Promise.all(cluster.nodes.map((node) => node.start()));
  } catch (err) {
    await cluster.stop().catch(() => {});
    throw err;
  }
  return cluster;
}

/** stopAll for test files: every cluster (namespaces, links, processes), then every node and temp dir. */
export async function stopAll() {
  for (const cluster of [...clusters]) await cluster.stop().catch((err) => console.error(err));
  await stopAllNodes();
}

class Cluster {
  constructor(id, size, network) {
    this.id = id;
    this.size = size;
    this.network = network;
    this.nodes = [];
    this.blocked = new Set(); // "from>to" node names: packets from → to dropped
    this.how = "drop";
    this.root = null;
    this.bridge = `cvbr${id}`;
    this.subnet = `10.77.${id % 250}`;
  }

  /** The nodes' HTTP URLs. */
  get urls() {
    return this.nodes.map((n) => n.url);
  }

  node(name) {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  async setUp({ set, args }) {
    removeStaleDirs();
    this.root = mkdtempSync(path.join(tmpdir(), `corvus-cluster-${process.pid}-`));
    let ips;
    let httpPort = HTTP_PORT;
    let tcpPort = TCP_PORT;
    if (this.network === "loopback") {
      ips = Array.from({ length: this.size }, (_, i) => `127.0.0.${i + 1}`);
      [httpPort, tcpPort] = await freePorts(ips, this.id);
    } else ips = Array.from({ length: this.size }, (_, i) => `${this.subnet}.${11 + i}`);
    for (let i = 0; i < this.size; ++i) {
      const dir = path.join(this.root, String.fromCharCode(65 + i));
      mkdirSync(dir);
      this.nodes.push(
        new ClusterNode(this, i, {
          dataDir: path.join(dir, "data"),
          logsDir: path.join(dir, "logs"),
          host: ips[i],
          port: httpPort,
          tcpUrl: `tcp://${ips[i]}:${tcpPort}`,
          set,
          args,
        }),
      );
    }
    if (this.network === "netns") await this.setUpNamespaces();
    // Nodes die with the test process even when it is killed (no after-hook).
    for (const node of this.nodes)
      node.wrap = [...(node.netns ? ["nsenter", `--net=${node.netns}`, "--"] : []), "setpriv", "--pdeathsig", "KILL", "--"];
  }

  async setUpNamespaces() {
    // Leftovers of an earlier cluster with this number in this process.
    await run("ip", ["link", "del", this.bridge], { check: false });
    await run("ip", ["-batch", "-"], {
      input: [`link add ${this.bridge} type bridge`, `addr add ${this.subnet}.1/24 dev ${this.bridge}`, `link set ${this.bridge} up`].join("\n") + "\n",
    });
    const ownNetns = readlinkSync("/proc/self/ns/net");
    await Promise.all(
      this.nodes.map(async (node) => {
        node.holder = await spawnHolder(ownNetns);
        const veth = `cv${this.id}n${node.index}`;
        await run("ip", ["link", "del", veth], { check: false });
        await run("ip", ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", String(node.holder.pid)]);
        await run("ip", ["link", "set", veth, "master", this.bridge, "up"]);
        await this.exec(node, "ip", ["-batch", "-"], {
          input: ["link set lo up", `addr add ${node.ip}/24 dev eth0`, "link set eth0 up"].join("\n") + "\n",
        });
        await this.exec(node, "iptables-restore", ["-w", "--noflush"], {
          input: `*filter\n:${CHAIN} - [0:0]\n-A INPUT -j ${CHAIN}\n-A OUTPUT -j ${CHAIN}\nCOMMIT\n`,
        });
      }),
    );
  }

  /**
   * Runs a command in `node`'s network namespace ("netns"; in "loopback",
   * in the test's own): resolves { code, signal, stdout, stderr }.
   */
  exec(node, cmd, args = [], options = {}) {
    if (!node.netns) return run(cmd, args, options);
    return run("nsenter", [`--net=${node.netns}`, "--", cmd, ...args], options);
  }

  /**
   * Does an HTTP request from `from` (a node, or null for the test
   * process) to `to`'s GET /build/version get an answer in `timeoutMs`?
   * From a node, curl runs in its namespace.
   */
  async canReach(from, to, { timeoutMs = 1000 } = {}) {
    const url = `${to.url}/build/version`;
    if (!from) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer();
        return res.ok;
      } catch {
        return false;
      }
    }
    const { stdout } = await this.exec(
      from,
      "curl",
      ["--noproxy", "*", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", String(timeoutMs / 1000), url],
      { check: false, timeoutMs: timeoutMs + 5000 },
    );
    return stdout.trim() === "200";
  }

  /**
   * Cuts the network between groups of nodes: nodes in different groups
   * exchange no packets; nodes not listed form one more group. Replaces any
   * earlier cut. how: "drop" (silence, like a real partition: connections
   * time out) or "reject" (connection refused at once).
   */
  async partition(groups, { how = "drop" } = {}) {
    this.requireNetns("partition");
    const groupOf = new Map();
    groups.forEach((group, g) => {
      for (const member of group) {
        const node = this.resolve(member);
        if (groupOf.has(node)) throw new Error(`${node.name} is in two groups`);
        groupOf.set(node, g);
      }
    });
    for (const node of this.nodes) if (!groupOf.has(node)) groupOf.set(node, groups.length);
    const blocked = new Set();
    for (const a of this.nodes)
      for (const b of this.nodes) if (groupOf.get(a) !== groupOf.get(b)) blocked.add(`${a.name}>${b.name}`);
    await this.apply(blocked, how);
  }

  /** Cuts `node` from every other node (the test process still reaches it). */
  async isolate(node, options) {
    node = this.resolve(node);
    return this.partition([[node]], options);
  }

  /** Cuts the link between two nodes, both ways, on top of the current cuts. */
  async cut(a, b, options = {}) {
    this.requireNetns("cut");
    [a, b] = [this.resolve(a), this.resolve(b)];
    return this.apply(new Set([...this.blocked, `${a.name}>${b.name}`, `${b.name}>${a.name}`]), options.how ?? this.how);
  }

  /**
   * Drops packets from `from` to `to` only. Note that TCP needs both
   * directions: connections fail both ways, but datagrams and established
   * flows see the asymmetry.
   */
  async block(from, to, options = {}) {
    this.requireNetns("block");
    [from, to] = [this.resolve(from), this.resolve(to)];
    return this.apply(new Set([...this.blocked, `${from.name}>${to.name}`]), options.how ?? this.how);
  }

  /** Removes every cut. */
  async heal() {
    this.requireNetns("heal");
    return this.apply(new Set(), "drop");
  }

  /** The current cuts, as "A>B" (packets from A to B dropped). */
  cuts() {
    return [...this.blocked].sort();
  }

  requireNetns(what) {
    if (this.network !== "netns") throw new Error(`${what} needs network "netns" (this cluster is "${this.network}")`);
  }

  resolve(member) {
    if (member instanceof ClusterNode && this.nodes.includes(member)) return member;
    if (typeof member === "string") return this.node(member);
    throw new Error(`not a node of this cluster: ${member}`);
  }

  // Rewrites the chain of every node whose rules change: on node X, drop
  // what goes to Y when X>Y is cut, and what comes from Y when Y>X is cut
  // (both ends drop, so that a node restarted or paused changes nothing).
  async apply(blocked, how) {
    const rules = (set, h) =>
      new Map(
        this.nodes.map((x) => {
          const lines = [];
          for (const y of this.nodes) {
            const target = h === "reject" ? "REJECT" : "DROP";
            if (set.has(`${x.name}>${y.name}`)) lines.push(`-A ${CHAIN} -d ${y.ip} -j ${target}`);
            if (set.has(`${y.name}>${x.name}`)) lines.push(`-A ${CHAIN} -s ${y.ip} -j ${target}`);
          }
          return [x, lines.join("\n")];
        }),
      );
    const before = rules(this.blocked, this.how);
    const after = rules(blocked, how);
    await Promise.all(
      this.nodes
        .filter((x) => before.get(x) !== after.get(x))
        .map((x) =>
          this.exec(x, "iptables-restore", ["-w", "--noflush"], {
            input: `*filter\n:${CHAIN} - [0:0]\n${after.get(x)}${after.get(x) ? "\n" : ""}COMMIT\n`,
          }),
        ),
    );
    this.blocked = blocked;
    this.how = how;
  }

  /** The rules in `node`'s namespace (iptables -S), for diagnostics. */
  async rules(node) {
    return (await this.exec(this.resolve(node), "iptables", ["-w", "-S", CHAIN])).stdout;
  }

  /**
   * Stops every node (SIGTERM, SIGKILL after a bound), the namespace
   * holders, and removes the bridge, the veth pairs and the cluster's dirs.
   * Idempotent; called by stopAll() for clusters a test left running.
   */
  async stop() {
    clusters.delete(this);
    await Promise.all(this.nodes.map((node) => node.stop({ timeoutMs: 10_000 }).catch(() => node.kill9())));
    await Promise.all(
      this.nodes.map(async (node) => {
        if (!node.holder) return;
        node.holder.kill("SIGKILL");
        await node.holder.exited;
      }),
    );
    if (this.network === "netns") {
      // The veth pairs go with the node namespaces; make sure anyway.
      for (const node of this.nodes) await run("ip", ["link", "del", `cv${this.id}n${node.index}`], { check: false });
      await run("ip", ["link", "del", this.bridge], { check: false });
    }
    if (this.root) rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * A process holding a new network namespace: `sleep infinity` after
 * unshare --net, killed by the kernel if the test process dies. Resolves
 * once it has exec'd sleep (so the namespace exists and is not ours).
 */
async function spawnHolder(ownNetns) {
  const child = spawn("unshare", ["--net", "--", "setpriv", "--pdeathsig", "KILL", "--", "sleep", "infinity"], {
    stdio: "ignore",
  });
  children.add(child);
  child.exited = new Promise((resolve) =>
    child.once("exit", () => {
      children.delete(child);
      resolve();
    }),
  );
  await new Promise((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const comm = readFileSync(`/proc/${child.pid}/comm`, "utf8").trim();
      if (comm === "sleep" && readlinkSync(`/proc/${child.pid}/ns/net`) !== ownNetns) return child;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("the namespace holder did not start");
    }
    await sleep(2);
  }
}

/**
 * Two ports free on every address in `ips` (HTTP, TCP), from a base that
 * depends on the pid and the cluster number, so that test files running at
 * once rarely even try the same ones.
 */
export async function freePorts(ips, id) {
  const canBind = (host, port) =>
    new Promise((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
    });
  let base = 20000 + (((process.pid * 7 + id * 131) % 2000) * 10);
  for (let attempt = 0; attempt < 200; ++attempt, base = base + 10 >= 40000 ? 20000 : base + 10) {
    let free = true;
    for (const ip of ips) if (!(await canBind(ip, base)) || !(await canBind(ip, base + 1))) free = false;
    if (free) return [base, base + 1];
  }
  throw new Error("no free port pair on the loopback addresses");
}

// Cluster dirs of test processes that are gone (killed before stopAll).
function removeStaleDirs() {
  for (const name of readdirSync(tmpdir())) {
    const m = /^corvus-cluster-(\d+)-/.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    let alive = true;
    try {
      process.kill(Number(m[1]), 0);
    } catch (err) {
      alive = err.code === "EPERM";
    }
    if (!alive) rmSync(path.join(tmpdir(), name), { recursive: true, force: true });
  }
}

// Last resort when the test file ends without its after-hook: the holders
// (nodes have PR_SET_PDEATHSIG and corvus_node.mjs's own exit hook).
process.on("exit", () => {
  for (const child of children) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {}
  }
});
