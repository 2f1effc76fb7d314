// Connections: keep-alive (many requests on one socket, HEAD framing,
// pipelining), Connection: close and HTTP/1.0, the idle timeout, and
// hundreds of concurrent sockets served at once.

import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { http, sleep, startNode, stopAll } from "../support/corvus_node.mjs";
import { parseResponses, rawExchange, rawRequest } from "./raw_http.mjs";
import { createDatabase } from "./workload.mjs";

after(stopAll);

let node;

before(async () => {
  node = await startNode({ set: { "http.keep-alive-timeout": "1500ms" } });
  await createDatabase(node.url, "c");
  const res = await http(`${node.url}/databases/c/docs?id=seed%2F1`, { method: "PUT", body: { seed: 1 } });
  assert.equal(res.status, 201);
});

/** A persistent HTTP/1.1 connection; one request at a time. */
class Connection {
  constructor(port) {
    this.socket = connect(port, "127.0.0.1");
    this.buffer = Buffer.alloc(0);
    this.closed = false;
    this.waiter = null;
    this.socket.on("data", (d) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.waiter?.();
    });
    this.socket.on("close", () => {
      this.closed = true;
      this.waiter?.();
    });
    this.socket.on("error", () => {});
    this.ready = new Promise((resolve) => this.socket.once("connect", resolve));
  }

  async request(method, target, { body, headers = {}, timeoutMs = 10_000 } = {}) {
    await this.ready;
    const payload = body === undefined ? "" : JSON.stringify(body);
    let head = `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    if (body !== undefined) head += `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`;
    this.socket.write(head + "\r\n" + payload);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [res] = parseResponses(this.buffer, { head: method === "HEAD" });
      if (res?.complete) {
        const consumed = this.buffer.indexOf("\r\n\r\n") + 4 + (method === "HEAD" ? 0 : Buffer.byteLength(res.body));
        this.buffer = this.buffer.subarray(consumed);
        return res;
      }
      if (this.closed) throw new Error(`connection closed before the answer to ${method} ${target}`);
      if (Date.now() > deadline) throw new Error(`no answer to ${method} ${target}`);
      await new Promise((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
      this.waiter = null;
    }
  }

  close() {
    this.socket.destroy();
  }
}

test("keep-alive: 200 requests of every kind on one connection", async () => {
  const conn = new Connection(node.port);
  try {
    for (let i = 0; i < 40; ++i) {
      const put = await conn.request("PUT", `/databases/c/docs?id=ka%2F${i}`, { body: { i } });
      assert.equal(put.status, 201, put.body);
      const get = await conn.request("GET", `/databases/c/docs?id=ka%2F${i}`);
      assert.equal(get.status, 200);
      assert.equal(JSON.parse(get.body).Results[0].i, i);
      const head = await conn.request("HEAD", `/databases/c/docs?id=ka%2F${i}`);
      assert.equal(head.status, 200);
      assert.ok(head.headers.etag);
      const missing = await conn.request("GET", `/databases/c/docs?id=ka%2Fmissing`);
      assert.equal(missing.status, 404);
      const bad = await conn.request("GET", "/databases/c/docs?id=%zz");
      assert.equal(bad.status, 400, "an error answer keeps the connection usable");
    }
    assert.equal(conn.closed, false);
  } finally {
    conn.close();
  }
});

test("pipelined requests are answered in order", async () => {
  let wire = "";
  for (let i = 0; i < 30; ++i) wire += `GET /databases/c/docs?id=ka%2F${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
  wire += "GET /build/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const res = await rawExchange(node.port, [wire], { timeoutMs: 10_000 });
  assert.equal(res.timedOut, false);
  assert.equal(res.responses.length, 31);
  res.responses.slice(0, 30).forEach((r, i) => {
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).Results[0].i, i);
  });
});

test("Connection: close and HTTP/1.0 close the connection after the answer", async () => {
  const closeRes = await rawExchange(node.port, ["GET /build/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"], { keepOpen: true, timeoutMs: 5_000 });
  assert.equal(closeRes.closed, true, "server closed the connection");
  assert.equal(closeRes.responses[0].status, 200);
  const http10 = await rawExchange(node.port, ["GET /build/version HTTP/1.0\r\n\r\n"], { keepOpen: true, timeoutMs: 5_000 });
  assert.equal(http10.closed, true);
  assert.equal(http10.responses[0].status, 200);
});

test("an idle keep-alive connection is closed after http.keep-alive-timeout", async () => {
  const conn = new Connection(node.port);
  try {
    assert.equal((await conn.request("GET", "/build/version")).status, 200);
    await sleep(800);
    assert.equal(conn.closed, false, "still open before the timeout");
    assert.equal((await conn.request("GET", "/build/version")).status, 200, "activity resets the timer");
    const started = Date.now();
    while (!conn.closed && Date.now() - started < 6_000) await sleep(50);
    assert.equal(conn.closed, true, "closed after the idle timeout");
  } finally {
    conn.close();
  }
});

test("200 concurrent connections doing requests at once are all served", async () => {
  const count = 200;
  const conns = Array.from({ length: count }, () => new Connection(node.port));
  try {
    await Promise.all(conns.map((c) => c.ready));
    // Every connection: a write, a read of it, a bulk write, a stats read.
    const results = await Promise.all(
      conns.map(async (c, i) => {
        const put = await c.request("PUT", `/databases/c/docs?id=many%2F${i}`, { body: { i } });
        const get = await c.request("GET", `/databases/c/docs?id=many%2F${i}`);
        const bulk = await c.request("POST", "/databases/c/bulk_docs", {
          body: { Commands: [{ Id: `manyb/${i}`, Type: "PUT", ChangeVector: null, Document: { i } }] },
        });
        const stats = await c.request("GET", "/databases/c/stats");
        return [put.status, get.status, bulk.status, stats.status, JSON.parse(get.body).Results[0].i];
      }),
    );
    results.forEach(([put, get, bulk, stats, value], i) => {
      assert.deepEqual([put, get, bulk, stats], [201, 200, 201, 200], `connection ${i}`);
      assert.equal(value, i);
    });
  } finally {
    conns.forEach((c) => c.close());
  }
  const stats = await http(`${node.url}/databases/c/stats`);
  assert.ok(stats.json.CountOfDocuments >= 2 * count + 41);
});

test("200 one-shot connections opened at the same moment", async () => {
  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, i) => rawRequest(node.port, "GET", `/databases/c/docs?id=many%2F${i}`, { timeoutMs: 20_000 })),
  );
  answers.forEach((a, i) => {
    assert.equal(a.status, 200, `request ${i}: ${a.timedOut ? "timed out" : a.body}`);
    assert.equal(a.json.Results[0].i, i);
  });
});

test("hundreds of idle connections do not block service", async () => {
  const idle = Array.from({ length: 500 }, () => new Connection(node.port));
  try {
    await Promise.all(idle.map((c) => c.ready));
    const started = Date.now();
    const res = await http(`${node.url}/databases/c/docs?id=seed%2F1`, { timeoutMs: 5_000 });
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started < 2_000);
    // The idle ones can still talk.
    const some = await Promise.all(idle.slice(0, 50).map((c) => c.request("GET", "/build/version")));
    some.forEach((r) => assert.equal(r.status, 200));
  } finally {
    idle.forEach((c) => c.close());
  }
});

test("the npm-client style: many short fetches in parallel", async () => {
  const answers = await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      http(`${node.url}/databases/c/docs?&id=${encodeURIComponent(`many/${i % 200}`)}`, { timeoutMs: 20_000 }),
    ),
  );
  answers.forEach((a) => assert.equal(a.status, 200));
  assert.equal(node.child.exitCode, null);
});
