// Starting, stopping and talking to real corvus-node processes from tests
// run by Node's test runner (test/client and test/process). No npm
// dependencies.
//
//   import { after } from "node:test";
//   import { startNode, stopAll } from "../support/corvus_node.mjs";
//   after(stopAll);                      // every process stopped, temp dirs gone
//   const node = await startNode();      // port 0, fresh temp data and logs
//   await node.restart();                // same dirs, same port
//   await node.kill9();                  // crash it
//
// Every process is stopped by its own pid; nothing is ever killed by name.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The corvus-node binary: $CORVUS_NODE, else the one in build/bin. */
export const corvusBinary =
  process.env.CORVUS_NODE || path.resolve(here, "../../build/bin/corvus-node");

const running = new Set(); // ChildProcess objects not yet exited
const tempDirs = new Set();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh directory under the system temp dir, removed by stopAll(). */
export function makeTempDir(prefix = "corvus-test-") {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

// Another developer may be relinking the binary: wait for it a little.
async function waitForBinary(timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(corvusBinary)) {
    if (Date.now() > deadline)
      throw new Error(`corvus-node binary not found at ${corvusBinary}`);
    await sleep(500);
  }
}

// Spawns corvus-node with `args`, cwd in a temp dir so that relative
// defaults ("data", "logs") never land in the repository. Retries while the
// binary is being replaced. `wrap` is a command that execs its arguments
// (nsenter ... --): the process is then still corvus-node, same pid.
async function spawnNode(args, { cwd, wrap = [] } = {}) {
  for (let attempt = 0; ; ++attempt) {
    await waitForBinary();
    const argv = [...wrap, corvusBinary, ...args];
    const child = spawn(argv[0], argv.slice(1), {
      cwd: cwd ?? makeTempDir("corvus-cwd-"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const spawned = await new Promise((resolve) => {
      child.once("spawn", () => resolve(null));
      child.once("error", (err) => resolve(err));
    });
    if (!spawned) {
      running.add(child);
      child.stdout.setEncoding("utf8");
      child.stderr.setEncoding("utf8");
      child.out = "";
      child.err = "";
      child.stdout.on("data", (s) => (child.out += s));
      child.stderr.on("data", (s) => (child.err += s));
      child.exited = new Promise((resolve) =>
        child.once("exit", (code, signal) => {
          running.delete(child);
          resolve({ code, signal });
        }),
      );
      return child;
    }
    if (!["ENOENT", "ETXTBSY", "EACCES"].includes(spawned.code) || attempt >= 20)
      throw spawned;
    await sleep(500);
  }
}

/**
 * Runs corvus-node expecting it to end by itself (a start-up failure,
 * --help, --version): resolves { code, signal, stdout, stderr, timedOut }.
 * A process still running after `timeoutMs` is killed (timedOut = true).
 */
export async function runNode(args, { timeoutMs = 10_000, cwd } = {}) {
  const child = await spawnNode(args, { cwd });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  return { code, signal, stdout: child.out, stderr: child.err, timedOut };
}

/** A corvus-node process on its own data and log dirs; see startNode. */
/**
 * The state of process `pid` from /proc/<pid>/stat: "running" (R, S, D:
 * alive and scheduled), "paused" (T: SIGSTOP) or "exited" (no process, or
 * a zombie not yet reaped).
 */
export function processState(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return "exited";
  }
  const letter = stat.slice(stat.lastIndexOf(")") + 2)[0];
  return letter === "T" || letter === "t" ? "paused" : letter === "Z" || letter === "X" ? "exited" : "running";
}

/** Whether process `pid` is still there, running or paused. */
export const pidAlive = (pid) => processState(pid) !== "exited";

export class CorvusNode {
  /**
   * dataDir / logsDir default to fresh temp dirs; `set` holds --set keys;
   * `args` are extra flags; `ravenSpellings` passes the location flags as
   * --ServerUrl=, --DataDir=, --Logs.Path=. `host` is the HTTP address
   * (127.0.0.1), `port` the first port (0: any); `tcpUrl` is passed as
   * --tcp-url when given; `wrap` is a command prefix that execs corvus-node
   * (e.g. nsenter into a network namespace).
   */
  constructor({
    dataDir, logsDir, args = [], set = {}, ravenSpellings = false,
    host = "127.0.0.1", port = 0, tcpUrl, wrap = [],
  } = {}) {
    this.dataDir = dataDir ?? path.join(makeTempDir(), "data");
    this.logsDir = logsDir ?? path.join(path.dirname(this.dataDir), "logs");
    this.extraArgs = args;
    this.ravenSpellings = ravenSpellings;
    this.settings = set;
    this.host = host;
    this.port = port;
    this.tcpUrl = tcpUrl;
    this.wrap = wrap;
    this.child = null;
    this.lastChild = null;
  }

  get pid() {
    return this.child?.pid;
  }
  get url() {
    return `http://${this.host}:${this.port}`;
  }
  /** Output of the running process, or of the last one after it ended. */
  get stdout() {
    return this.lastChild?.out ?? "";
  }
  get stderr() {
    return this.lastChild?.err ?? "";
  }
  get logFile() {
    return path.join(this.logsDir, "corvus-node.log");
  }
  /** The node tag the banner showed ("?" or "A"). */
  get bannerTag() {
    return /Node tag:\s*(\S+)/.exec(this.stdout)?.[1];
  }

  /** Starts the process and waits until it answers HTTP. */
  async start({ port = this.port, timeoutMs = 15_000 } = {}) {
    if (this.child) throw new Error("node already running");
    const url = `http://${this.host}:${port}`;
    const args = [
      ...(this.ravenSpellings
        ? [`--ServerUrl=${url}`, `--DataDir=${this.dataDir}`, `--Logs.Path=${this.logsDir}`]
        : ["--server-url", url, "--data-dir", this.dataDir, "--logs-path", this.logsDir]),
      ...(this.tcpUrl ? (this.ravenSpellings ? [`--ServerUrl.Tcp=${this.tcpUrl}`] : ["--tcp-url", this.tcpUrl]) : []),
      ...Object.entries(this.settings).flatMap(([k, v]) => ["--set", `${k}=${v}`]),
      ...this.extraArgs,
    ];
    const deadline = Date.now() + timeoutMs;
    let child;
    for (let attempt = 0; ; ++attempt) {
      child = await spawnNode(args, { wrap: this.wrap });
      this.child = child;
      this.lastChild = child;
      const banner = () => /URL:\s+http:\/\/[^\s]+:\d+\s/.test(child.out);
      let ended;
      while (!banner()) {
        ended = await Promise.race([child.exited, sleep(20)]);
        if (ended || Date.now() > deadline) break;
      }
      if (banner()) break;
      if (!ended) await this.kill9();
      this.child = null;
      // Through a wrapper, a binary being relinked shows as its exec failing.
      const relinking = /Text file busy|No such file|Permission denied/.test(child.err);
      if (ended && [126, 127].includes(ended.code) && this.wrap.length && relinking && attempt < 20) {
        await sleep(500);
        await waitForBinary();
        continue;
      }
      throw new Error(
        `corvus-node did not start (${ended ? `exit ${ended.code}` : "no banner"}): ${child.err.trim()}`,
      );
    }
    this.port = Number(/URL:\s+http:\/\/[^\s]+:(\d+)\s/.exec(child.out)[1]);
    // The banner comes after bind(); wait until requests are served.
    while (true) {
      try {
        const res = await fetch(`${this.url}/build/version`, {
          signal: AbortSignal.timeout(2_000),
        });
        await res.arrayBuffer();
        if (res.ok) return this;
      } catch {}
      if (Date.now() > deadline) {
        await this.kill9();
        throw new Error("corvus-node printed its banner but does not answer");
      }
      await sleep(50);
    }
  }

  /**
   * Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. A
   * paused (SIGSTOP) node is continued so that it can handle the signal.
   */
  async stop({ signal = "SIGTERM", timeoutMs = 15_000 } = {}) {
    const child = this.child;
    if (!child) return { code: null, signal: null };
    child.kill(signal);
    child.kill("SIGCONT");
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    const result = await child.exited;
    clearTimeout(timer);
    this.child = null;
    return { ...result, forced };
  }

  /** kill -9: no chance to flush or close anything. */
  async kill9() {
    const child = this.child;
    if (!child) return;
    child.kill("SIGKILL");
    await child.exited;
    this.child = null;
  }

  /**
   * The process state from /proc/<pid>/stat: "running" (R, S, D: alive and
   * scheduled), "paused" (T: SIGSTOP), "exited" (no process, or a zombie),
   * or "none" when this node has no process.
   */
  processState() {
    const pid = this.child?.pid;
    return pid ? processState(pid) : "none";
  }

  /** SIGSTOP: the process freezes (its sockets stay open, nothing answers). */
  async pause() {
    if (!this.child) throw new Error("node not running");
    this.child.kill("SIGSTOP");
    while (this.processState() === "running") await sleep(5);
  }

  /** SIGCONT after pause(). */
  async resume() {
    if (!this.child) throw new Error("node not running");
    this.child.kill("SIGCONT");
    while (this.processState() === "paused") await sleep(5);
  }

  /**
   * Starts again on the same dirs, by default on the same port (clients
   * keep their URL). Retries briefly if the port is not free yet.
   */
  async restart({ samePort = true } = {}) {
    if (this.child) await this.stop();
    const port = samePort ? this.port : 0;
    for (let attempt = 0; ; ++attempt) {
      try {
        return await this.start({ port });
      } catch (err) {
        if (attempt >= 20 || !/in use|bind/i.test(err.message)) throw err;
        await sleep(250);
      }
    }
  }
}

/** Starts a node on a free port with fresh temp dirs (see CorvusNode). */
export async function startNode(options = {}) {
  return new CorvusNode(options).start();
}

/**
 * The after-hook: stops every process these helpers started (SIGTERM by
 * pid, SIGKILL after a bound) and removes every temp dir.
 */
export async function stopAll() {
  await Promise.all(
    [...running].map(async (child) => {
      child.kill("SIGTERM");
      child.kill("SIGCONT"); // in case it was paused
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.exited;
      clearTimeout(timer);
    }),
  );
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// Last resort when a test file dies without its after-hook.
process.on("exit", () => {
  for (const child of running) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {}
  }
});

/**
 * fetch with JSON: an object body is sent as JSON, a string or Buffer as
 * is. Resolves { status, headers, text, json } (json undefined when the
 * body is not JSON). Never waits longer than `timeoutMs`.
 */
export async function http(url, { method = "GET", body, headers = {}, timeoutMs = 30_000 } = {}) {
  const isRaw = typeof body === "string" || body instanceof Uint8Array;
  const res = await fetch(url, {
    method,
    headers: body !== undefined && !isRaw
      ? { "Content-Type": "application/json", ...headers }
      : headers,
    body: body === undefined ? undefined : isRaw ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, headers: res.headers, text, json };
}
