// Start-up and configuration of corvus-node as a process: --help and
// --version, configuration errors (one line on stderr, non-zero exit, no
// data dir written), a port in use, foreign data dirs, RavenDB flag
// spellings, the log file, and the node tag in the banner.

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { CorvusNode, http, makeTempDir, runNode, startNode, stopAll } from "../support/corvus_node.mjs";

after(stopAll);

/** Every file under `dir` with its content, or null when `dir` does not exist. */
function snapshot(dir) {
  if (!existsSync(dir)) return null;
  if (!statSync(dir).isDirectory()) return { file: readFileSync(dir).toString("base64") };
  const out = {};
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const rel = path.relative(dir, p);
      const st = statSync(p);
      if (st.isDirectory()) {
        out[rel + "/"] = "dir";
        walk(p);
      } else out[rel] = readFileSync(p).toString("base64") + `|${st.mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

/** Runs corvus-node with `args` plus fresh data/log locations; expects a start-up failure. */
async function expectStartFailure(args, { dataDir, logsDir } = {}) {
  const root = makeTempDir();
  dataDir ??= path.join(root, "data");
  logsDir ??= path.join(root, "logs");
  const before = snapshot(dataDir);
  const result = await runNode([...args, "--data-dir", dataDir, "--logs-path", logsDir]);
  assert.equal(result.timedOut, false, "the node exits by itself");
  assert.notEqual(result.code, 0, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.split("\n").filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `exactly one line on stderr: ${JSON.stringify(result.stderr)}`);
  assert.match(lines[0], /^corvus-node: /);
  assert.ok(result.stderr.endsWith("\n"));
  assert.deepEqual(snapshot(dataDir), before, "the data dir is untouched");
  if (before === null) assert.equal(existsSync(dataDir), false, "the data dir is not created");
  assert.equal(result.stdout.includes("URL:"), false, "no banner");
  return { ...result, line: lines[0], logsDir };
}

function writeConfig(text) {
  const file = path.join(makeTempDir(), "node.conf");
  writeFileSync(file, text);
  return file;
}

describe("informational flags", () => {
  test("--help and --version exit 0 and write nothing", async () => {
    const cwd = makeTempDir();
    const help = await runNode(["--help"], { cwd });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: corvus-node/);
    assert.match(help.stdout, /--ServerUrl/);
    assert.equal(help.stderr, "");
    const version = await runNode(["--version"], { cwd });
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^corvus-node \d+\.\d+\.\d+\n$/);
    const printed = await runNode(["--print-config", "--set", "http.io-threads=3"], { cwd });
    assert.equal(printed.code, 0);
    assert.match(printed.stdout, /io-threads\s*=\s*3/);
    assert.deepEqual(readdirSync(cwd), [], "no data or logs dir in the working directory");
  });

  test("precedence: defaults, then the --config file, then flags in order", async () => {
    const file = writeConfig('http.io-threads = 5\nstorage.sync = false\n');
    const printed = await runNode(["--config", file, "--set", "http.io-threads=7", "--print-config"]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /io-threads\s*=\s*7/);
    assert.match(printed.stdout, /sync\s*=\s*false/);
  });
});

describe("configuration errors", () => {
  test("unknown key in a --config file names the file, line and key", async () => {
    const file = writeConfig("# a comment\nhttp.io-threads = 2\nfoo.bar = 1\n");
    const { line } = await expectStartFailure(["--config", file]);
    assert.ok(line.includes(file) || line.includes("node.conf"), line);
    assert.match(line, /foo\.bar/);
    assert.match(line, /:3\b/, `line number in ${line}`);
  });

  test("unknown key inside a section", async () => {
    const file = writeConfig("http {\n  io-threads = 2\n  no-such-thing = 3\n}\n");
    const { line } = await expectStartFailure(["--config", file]);
    assert.match(line, /no-such-thing/);
  });

  test("wrong value type names the key", async () => {
    for (const [text, key] of [
      ['http.io-threads = "many"\n', "http.io-threads"],
      ["storage.sync = 42\n", "storage.sync"],
      ['http.max-body-size = "huge"\n', "http.max-body-size"],
      ['http.keep-alive-timeout = "forever"\n', "http.keep-alive-timeout"],
      ["server-url = 17\n", "server-url"],
      ["http = 3\n", "http"],
    ]) {
      const file = writeConfig(text);
      const { line } = await expectStartFailure(["--config", file]);
      assert.ok(line.includes(key), `${JSON.stringify(text)} -> ${line}`);
      assert.ok(line.includes(`${file}:1`), `file and line in ${line}`);
    }
  });

  test("out-of-range values name the key", async () => {
    const { line } = await expectStartFailure(["--set", "http.io-threads=0"]);
    assert.match(line, /http\.io-threads/);
    const { line: line2 } = await expectStartFailure(["--set", "scheduler.threads=1000"]);
    assert.match(line2, /scheduler\.threads/);
  });

  test("syntax errors name the file", async () => {
    for (const text of ["http {\n  io-threads = \n", "a = [1, 2\n", "{{{{\n", "\u0000\u0001garbage"]) {
      const file = writeConfig(text);
      const { line } = await expectStartFailure(["--config", file]);
      assert.ok(line.includes(file), `${JSON.stringify(text)} -> ${line}`);
    }
  });

  test("an unreadable --config file is named", async () => {
    const missing = path.join(makeTempDir(), "missing.conf");
    const { line } = await expectStartFailure(["--config", missing]);
    assert.ok(line.includes(missing), line);
    const dir = makeTempDir();
    const { line: line2 } = await expectStartFailure(["--config", dir]);
    assert.ok(line2.includes(dir), line2);
  });

  test("bad --set and command-line input", async () => {
    const cases = [
      [["--set", "nope.key=1"], /nope\.key/],
      [["--set", "http.io-threads=abc"], /http\.io-threads/],
      [["--set", "novalue"], /novalue/],
      [["--no-such-flag"], /no-such-flag/],
      [["--server-url", "ftp://127.0.0.1:1"], /server-url/],
      [["--server-url", "http://127.0.0.1:99999"], /99999|server-url/],
      [["--tcp-url", "127.0.0.1:1"], /tcp-url/],
      [["--set", "logs.level=loud"], /logs\.level/],
    ];
    for (const [args, pattern] of cases) {
      const { line } = await expectStartFailure(args);
      assert.match(line, pattern, `${args.join(" ")} -> ${line}`);
    }
  });
});

describe("port and data dir problems", () => {
  test("a port already in use is named and nothing is written", async () => {
    const blocker = createServer();
    await new Promise((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = blocker.address().port;
    try {
      const { line, logsDir } = await expectStartFailure(["--server-url", `http://127.0.0.1:${port}`]);
      assert.ok(line.includes(String(port)), line);
      assert.equal(existsSync(logsDir), false, "no logs dir either");

      // An existing data dir stays unchanged too.
      const node = await startNode();
      await http(`${node.url}/admin/databases?name=db1`, { method: "PUT", body: { DatabaseName: "db1" } });
      await node.stop();
      const { line: line2 } = await expectStartFailure(["--server-url", `http://127.0.0.1:${port}`], {
        dataDir: node.dataDir,
      });
      assert.ok(line2.includes(String(port)), line2);
    } finally {
      blocker.close();
    }
  });

  test("a data dir holding unrelated files is refused", async () => {
    const dir = path.join(makeTempDir(), "data");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "thesis.txt"), "my only copy");
    mkdirSync(path.join(dir, "photos"));
    const { line } = await expectStartFailure([], { dataDir: dir });
    assert.ok(line.includes(dir), line);
  });

  test("an unknown format marker is refused", async () => {
    for (const marker of [
      '{"Product":"corvus","FormatVersion":99}',
      '{"Product":"someone-else","FormatVersion":1}',
      "not json at all",
      "",
      '{"Product":"corvus","FormatVersion":"1"}',
    ]) {
      const dir = path.join(makeTempDir(), "data");
      mkdirSync(dir);
      writeFileSync(path.join(dir, "corvus-format.json"), marker);
      const { line } = await expectStartFailure([], { dataDir: dir });
      assert.ok(line.includes(dir), `${marker} -> ${line}`);
    }
  });

  test("a data dir that is a file is refused", async () => {
    const file = path.join(makeTempDir(), "data");
    writeFileSync(file, "x");
    const { line } = await expectStartFailure([], { dataDir: file });
    assert.ok(line.includes(file), line);
  });

  test("an empty existing data dir is accepted", async () => {
    const dir = path.join(makeTempDir(), "data");
    mkdirSync(dir);
    const node = await startNode({ dataDir: dir });
    assert.ok(existsSync(path.join(dir, "corvus-format.json")));
    const { code } = await node.stop();
    assert.equal(code, 0);
  });
});

describe("running nodes", () => {
  test("RavenDB spellings --ServerUrl= --DataDir= --Logs.Path= work", async () => {
    const root = makeTempDir();
    const node = new CorvusNode({
      dataDir: path.join(root, "raven-data"),
      logsDir: path.join(root, "raven-logs"),
      ravenSpellings: true,
    });
    await node.start();
    assert.match(node.stdout, new RegExp(`Data dir: ${root}/raven-data\\n`));
    assert.match(node.stdout, new RegExp(`Logs:\\s+${root}/raven-logs\\n`));
    assert.ok(existsSync(path.join(root, "raven-data", "corvus-format.json")));
    assert.ok(existsSync(path.join(root, "raven-logs", "corvus-node.log")));
    const res = await http(`${node.url}/build/version`);
    assert.equal(res.status, 200);
    assert.equal((await node.stop()).code, 0);
  });

  test("the banner and the log file", async () => {
    const node = await startNode();
    const lines = node.stdout.split("\n");
    assert.match(lines[0], /^Corvus /);
    assert.match(lines[1], /^ {2}URL: {6}http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(lines[2], "  Node tag: ?");
    assert.match(lines[3], /^  Cluster:  tcp:\/\/127\.0\.0\.1:0 \(any free port\)$/);
    assert.equal(lines[4], `  Data dir: ${node.dataDir}`);
    assert.match(lines[5], /^ {2}Logs: +/);

    const created = await http(`${node.url}/admin/databases?name=logged`, {
      method: "PUT",
      body: { DatabaseName: "logged" },
    });
    assert.equal(created.status, 201);
    assert.equal((await node.stop({ signal: "SIGTERM" })).code, 0);

    const log = readFileSync(node.logFile, "utf8");
    assert.ok(log.endsWith("\n"));
    const logLines = log.trimEnd().split("\n");
    for (const line of logLines)
      assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (trace|debug|info|warn|error|critical) +\S/, line);
    const has = (re) => assert.ok(logLines.some((l) => re.test(l)), `log line ${re} in\n${log}`);
    has(/starting/);
    has(new RegExp(`port ${node.port}`));
    has(/logged/);
    has(/SIGTERM/);
    assert.match(logLines.at(-1), /stop/);
  });

  test("the node tag is ? on a fresh node and A after a database was created", async () => {
    const node = await startNode();
    assert.equal(node.bannerTag, "?");
    await node.restart();
    assert.equal(node.bannerTag, "?", "a restart alone does not make a cluster");
    const info = await http(`${node.url}/cluster/node-info`);
    assert.equal(info.status, 200);
    assert.equal(info.json.NodeTag, "?");

    await http(`${node.url}/admin/databases?name=tagged`, { method: "PUT", body: { DatabaseName: "tagged" } });
    assert.equal((await http(`${node.url}/cluster/node-info`)).json.NodeTag, "A");
    await node.restart();
    assert.equal(node.bannerTag, "A");
    assert.equal((await http(`${node.url}/cluster/node-info`)).json.NodeTag, "A");
    const names = await http(`${node.url}/databases?namesOnly=true`);
    assert.deepEqual(names.json.Databases, ["tagged"]);

    // Deleting the last database keeps the node in its cluster.
    await http(`${node.url}/admin/databases`, { method: "DELETE", body: { DatabaseNames: ["tagged"], HardDelete: true } });
    await node.restart();
    assert.equal(node.bannerTag, "A");
  });

  test("SIGINT on an idle node exits 0", async () => {
    const node = await startNode();
    const result = await node.stop({ signal: "SIGINT" });
    assert.equal(result.code, 0);
    assert.equal(result.forced, false);
    assert.match(readFileSync(node.logFile, "utf8"), /SIGINT/);
  });

  test("two nodes cannot share one data dir", async () => {
    const first = await startNode();
    const root = makeTempDir();
    const result = await runNode([
      "--server-url", "http://127.0.0.1:0",
      "--data-dir", first.dataDir,
      "--logs-path", path.join(root, "logs"),
    ]);
    assert.notEqual(result.code, 0);
    assert.equal(result.timedOut, false);
    assert.match(result.stderr, /^corvus-node: .*\n$/);
    // The first one is unharmed.
    assert.equal((await http(`${first.url}/build/version`)).status, 200);
    assert.equal((await first.stop()).code, 0);
  });
});
