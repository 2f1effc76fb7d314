// Malformed input on every route, for an existing and a missing database:
// invalid JSON, wrong JSON types, bodies above http.max-body-size, bad
// percent escapes and invalid UTF-8 in paths and query strings, invalid ids
// and change vectors, bad numbers, unknown command types, broken HTTP
// framing and raw garbage on the socket. Every answer must be a RavenDB
// error body with a sensible status (never 500, never a hang, never a
// crash), and afterwards the node must still serve the same data.
//
// Each test collects every problem it sees and reports them all at once.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { http, startNode, stopAll } from "../support/corvus_node.mjs";
import { rawExchange, rawRequest } from "./raw_http.mjs";
import { createDatabase, listDocuments, waitForDatabase } from "./workload.mjs";

after(stopAll);

const DB = "g";
const MISSING = "nodb";
const bodyLimit = 64 * 1024;
const goodCv = "A:1-AAAAAAAAAAAAAAAAAAAAAA";

let node;
let port;
let baseline; // every document before the garbage
let baselineStats;
let lenientWrites = 0; // 2xx answers to requests that may write

// Every route, with a request that succeeds on database DB, or with the
// status of the best request one node can take (`refused`).
const routes = [
  { method: "GET", path: "/databases/{db}/docs", query: "id=keep%2F1", read: true },
  { method: "POST", path: "/databases/{db}/docs", body: { Ids: ["keep/1"] }, read: true },
  { method: "PUT", path: "/databases/{db}/docs", query: "id=lenient%2Fput", body: { a: 1 } },
  { method: "DELETE", path: "/databases/{db}/docs", query: "id=lenient%2Fdel" },
  { method: "HEAD", path: "/databases/{db}/docs", query: "id=keep%2F1", read: true },
  { method: "POST", path: "/databases/{db}/bulk_docs", body: { Commands: [] } },
  { method: "GET", path: "/databases/{db}/hilo/next", query: "tag=lenient&lastBatchSize=0&lastMax=0" },
  { method: "PUT", path: "/databases/{db}/hilo/return", query: "tag=lenient&end=32&last=1" },
  { method: "GET", path: "/databases/{db}/stats", read: true },
  { method: "GET", path: "/databases/{db}/collections/stats", read: true },
  { method: "GET", path: "/databases/{db}/healthcheck", read: true },
  { method: "GET", path: "/databases/{db}/configuration/client", read: true },
  { method: "GET", path: "/databases/{db}/replication/conflicts", query: "docId=keep%2F1", read: true },
  { method: "GET", path: "/topology", query: "name={db}", read: true },
  { method: "GET", path: "/cluster/topology", read: true },
  { method: "GET", path: "/cluster/node-info", read: true },
  { method: "PUT", path: "/admin/databases", query: "name=lenient-db&replicationFactor=1", body: { DatabaseName: "lenient-db" } },
  { method: "GET", path: "/admin/databases", query: "name={db}", read: true },
  // The only node has every database already.
  { method: "PUT", path: "/admin/databases/node", query: "name={db}", refused: 400 },
  { method: "POST", path: "/admin/databases/promote", query: "name={db}&node=A" },
  { method: "POST", path: "/admin/databases/reorder", query: "name={db}", body: { MembersOrder: ["A"], Fixed: false } },
  { method: "POST", path: "/admin/databases/dynamic-node-distribution", query: "name={db}&enabled=false" },
  { method: "POST", path: "/admin/databases/topology/modify", query: "name={db}", body: { Members: ["A"], Promotables: [], Rehabs: [] } },
  { method: "POST", path: "/admin/replication/conflicts/solver", query: "name={db}", body: { ResolveToLatest: false, ResolveByCollection: {} } },
  // Corvus keeps no revisions yet.
  { method: "POST", path: "/databases/{db}/admin/revisions/conflicts/config", body: { Disabled: false }, refused: 400 },
  { method: "DELETE", path: "/admin/databases", body: { DatabaseNames: ["lenient-none"], HardDelete: true } },
  { method: "GET", path: "/databases", query: "start=0&pageSize=25", read: true },
  { method: "GET", path: "/build/version", read: true },
];
const usesDb = (r) => r.path.includes("{db}") || (r.query ?? "").includes("{db}");
const dbScoped = (r) => r.path.startsWith("/databases/{db}");
const label = (r, db) => `${r.method} ${fill(r.path, db)}`;
const fill = (text, db) => (text ?? "").replaceAll("{db}", db);
const target = (r, db, extraQuery) => {
  const q = [fill(r.query, db), extraQuery].filter(Boolean).join("&");
  return fill(r.path, db) + (q ? `?${q}` : "");
};

// What a missing database answers on route `r`.
function missingDbStatus(r) {
  if (r.path === "/admin/databases" && r.method === "GET") return 404;
  return 503;
}

/** Records every way `res` is not a proper RavenDB error answer. */
function checkError(problems, what, res, allowed, { db, method } = {}) {
  if (res.status === undefined) {
    problems.push(`${what}: no answer (${res.timedOut ? "timed out" : "connection closed"})`);
    return;
  }
  if (!allowed.includes(res.status)) {
    problems.push(`${what}: status ${res.status}, expected one of ${allowed.join("/")}: ${res.body.slice(0, 300)}`);
    return;
  }
  if (res.status < 400) {
    if (method && !["GET", "HEAD"].includes(method)) ++lenientWrites;
    return;
  }
  if (res.status === 503 && db === MISSING && res.headers["database-missing"] !== MISSING)
    problems.push(`${what}: 503 without 'Database-Missing: ${MISSING}' (got ${res.headers["database-missing"]})`);
  if (method === "HEAD" || (res.status === 404 && res.body === "")) return;
  const j = res.json;
  if (!j || typeof j !== "object" || ["Url", "Type", "Message", "Error"].some((k) => typeof j[k] !== "string")) {
    problems.push(`${what}: ${res.status} without a RavenDB error body {Url,Type,Message,Error}: ${res.body.slice(0, 300)}`);
    return;
  }
  if (!/^(Raven\.Client\.Exceptions\.|System\.)/.test(j.Type)) problems.push(`${what}: odd error Type ${j.Type}`);
  if (!/application\/json/.test(res.headers["content-type"] ?? ""))
    problems.push(`${what}: error with Content-Type ${res.headers["content-type"]}`);
}

/** Sends one raw request and checks the answer is an error in `allowed`. */
async function expectError(problems, r, db, { extraQuery, path, body, headers, allowed = [400] } = {}) {
  const t = path ?? target(r, db, extraQuery);
  const res = await rawRequest(port, r.method, t, { body, headers });
  const ok = [...allowed];
  if (db === MISSING && usesDb(r)) ok.push(missingDbStatus(r));
  const what = `${r.method} ${Buffer.isBuffer(t) ? t.toString("latin1") : t}`.slice(0, 200);
  checkError(problems, what, res, ok, { db, method: r.method });
  return res;
}

function report(problems) {
  assert.ok(problems.length === 0, `${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
}

async function assertAlive() {
  assert.equal(node.child?.exitCode, null, `node exited: ${node.stderr}`);
  const res = await http(`${node.url}/build/version`, { timeoutMs: 5_000 });
  assert.equal(res.status, 200);
}

before(async () => {
  node = await startNode({ set: { "http.max-body-size": `${bodyLimit}B` } });
  port = node.port;
  await createDatabase(node.url, DB);
  const commands = [];
  for (let i = 1; i <= 30; ++i)
    commands.push({ Id: `keep/${i}`, ChangeVector: null, Type: "PUT", Document: { i, text: `doc ${i} ü ✓`, "@metadata": { "@collection": "Keeps" } } });
  const res = await http(`${node.url}/databases/${DB}/bulk_docs?`, { method: "POST", body: { Commands: commands } });
  assert.equal(res.status, 201);
  // Some updates so that change vectors differ from creation order.
  for (const i of [3, 7, 11]) {
    const upd = await http(`${node.url}/databases/${DB}/docs?id=keep%2F${i}`, { method: "PUT", body: { i, updated: true, "@metadata": { "@collection": "Keeps" } } });
    assert.equal(upd.status, 201);
  }
  baseline = await listDocuments(node.url, DB, "");
  baselineStats = (await http(`${node.url}/databases/${DB}/stats`)).json;
});

describe("garbage input", () => {
  test("every route answers its valid request (sanity check of the table)", async () => {
    const problems = [];
    for (const r of routes) {
      const res = await rawRequest(port, r.method, target(r, DB), { body: r.body });
      const expected = r.refused ? res.status === r.refused : res.status >= 200 && res.status < 300;
      if (!expected) problems.push(`${label(r, DB)}: ${res.status} ${res.body.slice(0, 200)}`);
    }
    report(problems);
  });

  test("a missing database: 503 + Database-Missing on every database route", async () => {
    const problems = [];
    for (const r of routes.filter(usesDb)) {
      const res = await rawRequest(port, r.method, target(r, MISSING), { body: r.body });
      const expected = missingDbStatus(r);
      checkError(problems, label(r, MISSING), res, [expected], { db: MISSING, method: r.method });
      if (res.status === 503 && r.method !== "HEAD" && !/DatabaseDoesNotExistException$/.test(res.json?.Type ?? ""))
        problems.push(`${label(r, MISSING)}: Type ${res.json?.Type}`);
    }
    report(problems);
  });

  test("unknown routes and methods: 400 RouteNotFoundException", async () => {
    const problems = [];
    const cases = [
      ["GET", "/"],
      ["GET", "/nope"],
      ["GET", "/databases/g/nope"],
      ["GET", "/databases/nodb/nope"],
      ["GET", "/databases/g"],
      ["GET", "/databases/g/docs/extra"],
      ["GET", "/databases/g/hilo"],
      ["POST", "/build/version"],
      ["PATCH", "/databases/g/docs?id=keep%2F1"],
      ["OPTIONS", "/databases/g/docs"],
      ["TRACE", "/databases/g/docs"],
      ["PUT", "/databases/g/stats"],
      ["DELETE", "/databases/g/bulk_docs"],
      ["GET", "/admin/databases/node"],
      ["GET", "/databases/g/docs/../stats"],
      ["GET", "/" + "a/".repeat(2000)],
      ["GET", "*"],
      ["GET", "http://127.0.0.1/build/version/nope"],
    ];
    for (const [method, path] of cases) {
      const res = await rawRequest(port, method, path);
      checkError(problems, `${method} ${path.slice(0, 80)}`, res, [400, 404, 405]);
      if (res.status === 400 && res.json && !/RouteNotFoundException|BadRequestException/.test(res.json.Type))
        problems.push(`${method} ${path.slice(0, 80)}: Type ${res.json.Type}`);
    }
    // Unknown methods with a body.
    for (const method of ["BREW", "PROPFIND", "MKCOL"]) {
      const res = await rawRequest(port, method, "/databases/g/docs?id=x", { body: { a: 1 } });
      checkError(problems, `${method} /databases/g/docs`, res, [400, 404, 405, 501]);
    }
    report(problems);
  });

  test("bad percent escapes and invalid UTF-8 in paths", async () => {
    const problems = [];
    const segments = [
      "%zz", "%", "%4", "%G0", "%FF", "%C3%28", "%ED%A0%80", "%F4%90%80%80", "%C0%AF", "g%", "g%2",
      Buffer.from([0xff, 0xfe]), Buffer.from([0xc3, 0x28]), Buffer.from("g\u0000", "latin1"),
    ];
    for (const r of routes) {
      for (const seg of segments) {
        let path;
        if (dbScoped(r)) {
          const [before, afterDb] = target(r, DB).split("/databases/g");
          path = Buffer.concat([Buffer.from(`${before}/databases/`), Buffer.isBuffer(seg) ? seg : Buffer.from(seg), Buffer.from(afterDb)]);
        } else {
          // Garbage in a fixed segment: no such route.
          const t = target(r, DB);
          const q = t.indexOf("?");
          const p = q < 0 ? t : t.slice(0, q);
          path = Buffer.concat([Buffer.from(p), Buffer.isBuffer(seg) ? seg : Buffer.from(seg), Buffer.from(q < 0 ? "" : t.slice(q))]);
        }
        await expectError(problems, r, DB, { path, body: r.body, allowed: [400] });
      }
      // A database name that decodes fine but is not a valid name.
      if (dbScoped(r)) {
        for (const seg of ["a%2Fb", "%00", "%20", "..", "x".repeat(3000)])
          await expectError(problems, r, DB, { path: target(r, DB).replace("/databases/g", `/databases/${seg}`), body: r.body, allowed: [400, 404, 503] });
      }
    }
    report(problems);
  });

  test("bad percent escapes and invalid UTF-8 in query strings", async () => {
    const problems = [];
    const queries = [
      "x=%zz", "%zz=1", "x=%", "x=%F", "x=%FF", "x=%C3%28", "x=%F4%90%80%80", "x=%C0%AF", "x=%ED%A0%80", "%FF=1",
    ];
    for (const r of routes) {
      for (const db of usesDb(r) ? [DB, MISSING] : [DB]) {
        for (const q of queries) await expectError(problems, r, db, { extraQuery: q, body: r.body });
        // Raw bytes that are not UTF-8.
        const raw = Buffer.concat([Buffer.from(target(r, db, "x=")), Buffer.from([0xff, 0xc3, 0x28])]);
        await expectError(problems, r, db, { path: raw, body: r.body });
      }
    }
    // The parameters the routes actually read.
    const readParams = [
      ["GET", "/databases/g/docs?id=%FF"],
      ["GET", "/databases/g/docs?id=keep%2F1&include=%zz"],
      ["GET", "/databases/g/docs?startsWith=%C3%28"],
      ["HEAD", "/databases/g/docs?id=%C3%28"],
      ["PUT", "/databases/g/docs?id=%ED%A0%80", { a: 1 }],
      ["DELETE", "/databases/g/docs?id=%FF"],
      ["GET", "/databases/g/hilo/next?tag=%FF"],
      ["PUT", "/databases/g/hilo/return?tag=%zz&end=1&last=1"],
      ["GET", "/topology?name=%FF"],
      ["GET", "/admin/databases?name=%C3%28"],
      ["PUT", "/admin/databases?name=%FF", { DatabaseName: "x" }],
    ];
    for (const [method, path, body] of readParams) {
      const res = await rawRequest(port, method, path, { body });
      checkError(problems, `${method} ${path}`, res, [400], { method });
    }
    report(problems);
  });

  test("invalid JSON bodies", async () => {
    const problems = [];
    const invalid = [
      "{", "}", "[", '{"a":}', '{"a":1,}', "{'a':1}", "nul", "tru", '"unterminated', "NaN", "Infinity",
      '{"a":01}', '{"a":1e999}', '{"a":-}', '{"a":"\\x"}', '{"a":"\\ud800"}', "{}{}", '{"a":1} trailing',
      Buffer.from([0x00, 0x01, 0x02, 0xff]), Buffer.from('{"a":"\xff\xfe"}', "latin1"), Buffer.from('{"\xc3\x28":1}', "latin1"), Buffer.from('{"a":"\xed\xa0\x80"}', "latin1"), randomBytes(2000),
      "[".repeat(5000), "{\"a\":" .repeat(3000),
    ];
    const bodyRoutes = routes.filter((r) => r.body !== undefined);
    for (const r of bodyRoutes) {
      for (const db of usesDb(r) ? [DB, MISSING] : [DB]) {
        for (const body of invalid) {
          await expectError(problems, r, db, { body: Buffer.isBuffer(body) ? body : Buffer.from(body) });
          // Without a Content-Type, and with a misleading one.
          if (body === "{") {
            await expectError(problems, r, db, { body: Buffer.from(body), headers: { "Content-Type": "text/plain" } });
            await expectError(problems, r, db, { body: Buffer.from(body), headers: { "Content-Type": "multipart/form-data; boundary=x" } });
            await expectError(problems, r, db, { body: Buffer.from(body), headers: { "Content-Encoding": "gzip" } });
          }
        }
        // An empty body where one is needed (a database record may take
        // its name from ?name=; that database exists: 409).
        await expectError(problems, r, db, { body: Buffer.alloc(0), allowed: r.path === "/admin/databases" && r.method === "PUT" ? [400, 409] : [400] });
      }
    }
    // Routes without a body must ignore one (or refuse it), never break.
    for (const r of routes.filter((r) => r.body === undefined && r.method !== "HEAD")) {
      const res = await rawRequest(port, r.method, target(r, DB), { body: Buffer.from("{garbage") });
      checkError(problems, `${label(r, DB)} with a garbage body`, res, [200, 201, 204, 400, 404], { method: r.method });
    }
    report(problems);
  });

  test("wrong JSON types", async () => {
    const problems = [];
    const documents = [
      [], "str", 123, null, true,
      { "@metadata": 5 }, { "@metadata": [] }, { "@metadata": "x" },
      { "@metadata": { "@collection": 5 } }, { "@metadata": { "@collection": {} } }, { "@metadata": { "@collection": [] } },
    ];
    const cases = {
      "POST /databases/{db}/docs": [[], {}, { Ids: "keep/1" }, { Ids: [1] }, { Ids: [null] }, { Ids: [[]] }, { Ids: null }, 5, "x", null],
      "PUT /databases/{db}/docs": documents,
      "POST /databases/{db}/bulk_docs": [
        [], {}, null, 5, "x", { Commands: {} }, { Commands: null }, { Commands: "PUT" }, { Commands: [1] }, { Commands: [null] },
        { Commands: [{}] }, { Commands: [{ Type: 5 }] }, { Commands: [{ Type: null, Id: "lenient/t" }] },
        { Commands: [{ Type: "PUT", Id: "lenient/t" }] },
        { Commands: [{ Type: "PUT", Id: 5, Document: {} }] },
        { Commands: [{ Type: "PUT", Id: ["a"], Document: {} }] },
        { Commands: [{ Type: "PUT", Id: "lenient/t", Document: [] }] },
        { Commands: [{ Type: "PUT", Id: "lenient/t", Document: "x" }] },
        { Commands: [{ Type: "PUT", Id: "lenient/t", Document: null }] },
        ...documents.slice(5).map((d) => ({ Commands: [{ Type: "PUT", Id: "lenient/t", Document: d }] })),
        { Commands: [{ Type: "PUT", Id: "lenient/t", Document: {}, ChangeVector: 5 }] },
        { Commands: [{ Type: "PUT", Id: "lenient/t", Document: {}, ChangeVector: {} }] },
        { Commands: [{ Type: "PUT", Id: "lenient/t", Document: {}, ChangeVector: ["A:1-x"] }] },
        { Commands: [{ Type: "DELETE" }] },
        { Commands: [{ Type: "DELETE", Id: null }] },
        { Commands: [{ Type: "DELETE", Id: 5 }] },
      ],
      "PUT /admin/databases": [
        [], null, 5, { DatabaseName: 5 }, { DatabaseName: [] }, { DatabaseName: {} }, { DatabaseName: true },
        { DatabaseName: "lenient-db2", Topology: 5 }, { DatabaseName: "lenient-db2", Topology: { Members: "A" } },
        { DatabaseName: "lenient-db2", Topology: { Members: [5] } }, { DatabaseName: "lenient-db2", Topology: { Members: ["Z"] } },
        { DatabaseName: "lenient-db2", Settings: [] }, { DatabaseName: "lenient-db2", Settings: { a: {} } },
        { DatabaseName: "lenient-db2", Disabled: "yes" },
        { DatabaseName: "lenient-db2", Revisions: { Default: { MinimumRevisionsToKeep: 5 } } },
        { DatabaseName: "lenient-db2", ConflictSolverConfig: { ResolveByCollection: { Users: { Script: "return docs[0];" } } } },
        { DatabaseName: "different-name" },
      ],
      "DELETE /admin/databases": [
        [], null, 5, { DatabaseNames: "g" }, { DatabaseNames: [5] }, { DatabaseNames: null }, { DatabaseNames: [null] },
        { DatabaseNames: ["g"], HardDelete: "yes" },
        { DatabaseNames: ["g"], FromNodes: "A" },
        { DatabaseNames: ["g"], FromNodes: [5] },
        { DatabaseNames: ["g"], TimeToWaitForConfirmation: "garbage" },
        { DatabaseNames: ["g"], TimeToWaitForConfirmation: {} },
      ],
    };
    for (const [key, bodies] of Object.entries(cases)) {
      const r = routes.find((x) => `${x.method} ${x.path}` === key);
      for (const db of usesDb(r) ? [DB, MISSING] : [DB]) {
        for (const body of bodies) await expectError(problems, r, db, { body: Buffer.from(JSON.stringify(body)) });
      }
    }
    // Tolerated: a record without a name takes ?name= (here an existing
    // database: 409); an odd TransactionMode is ignored.
    const admin = routes.find((x) => x.method === "PUT" && x.path === "/admin/databases");
    for (const body of ["", "{}", '{"DatabaseName":null}'])
      await expectError(problems, admin, DB, { body: Buffer.from(body), allowed: [400, 409] });
    const bulk = routes.find((x) => x.path === "/databases/{db}/bulk_docs");
    await expectError(problems, bulk, DB, {
      body: { Commands: [{ Type: "PUT", Id: "lenient/t", Document: {} }], TransactionMode: 5 },
      allowed: [201, 400],
    });
    // Deleting 'g' from a node that is not in its group must not delete it.
    const fromZ = await rawRequest(port, "DELETE", "/admin/databases", { body: { DatabaseNames: ["g"], FromNodes: ["Z"], HardDelete: true } });
    checkError(problems, "DELETE /admin/databases FromNodes [Z]", fromZ, [400], { method: "GET" });
    report(problems);
  });

  test("bodies above http.max-body-size: 413 on every route", async () => {
    const problems = [];
    const big = Buffer.alloc(bodyLimit + 1024, "a");
    const bigJson = Buffer.from(JSON.stringify({ Commands: [{ Id: "big/1", Type: "PUT", Document: { pad: "x".repeat(bodyLimit) } }] }));
    for (const r of routes.filter((r) => r.method !== "HEAD")) {
      for (const db of usesDb(r) ? [DB, MISSING] : [DB]) {
        await expectError(problems, r, db, { body: big, allowed: [413] });
        await expectError(problems, r, db, { body: bigJson, allowed: [413] });
        // A Content-Length far above the limit, without sending the body.
        const res = await rawExchange(
          port,
          [`${r.method} ${target(r, db)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{`],
          { keepOpen: true, expect: 1, timeoutMs: 5_000 },
        );
        const first = res.responses[0];
        if (!first) problems.push(`${label(r, db)} Content-Length 10^10: no answer (${res.timedOut ? "timeout" : "closed"})`);
        else if (first.status !== 413) problems.push(`${label(r, db)} Content-Length 10^10: ${first.status}`);
      }
    }
    // Chunked bodies above the limit.
    const chunk = "x".repeat(16 * 1024);
    const chunks = [`POST /databases/${DB}/bulk_docs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n`];
    for (let i = 0; i < 5; ++i) chunks.push(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    // Give the 413 time to arrive before the rest (see the next test).
    chunks.push(200, `${chunk.length.toString(16)}\r\n${chunk}\r\n`, "0\r\n\r\n");
    const chunked = await rawExchange(port, chunks, { expect: 1 });
    if (chunked.responses[0]?.status !== 413) problems.push(`chunked body above the limit: ${chunked.responses[0]?.status ?? "no answer"}`);
    report(problems);
  });

  test("a client still sending a far larger body gets the 413, not a reset", async () => {
    // The npm client sends the whole body before it reads the answer: if the
    // server closes without draining, the client sees ECONNRESET instead.
    const problems = [];
    const body = JSON.stringify({ Commands: [{ Id: "huge/1", Type: "PUT", Document: { pad: "h".repeat(4 * 1024 * 1024) } }] });
    for (let i = 0; i < 5; ++i) {
      try {
        const res = await http(`${node.url}/databases/${DB}/bulk_docs?`, { method: "POST", body, headers: { "Content-Type": "application/json" } });
        if (res.status !== 413) problems.push(`attempt ${i}: status ${res.status}`);
      } catch (err) {
        problems.push(`attempt ${i}: ${err.message} (${err.cause?.code ?? err.cause?.message ?? ""})`);
      }
    }
    await assertAlive();
    report(problems);
  });

  test("a body just below the limit is accepted", async () => {
    const doc = { pad: "y".repeat(bodyLimit - 200) };
    const res = await http(`${node.url}/databases/${DB}/docs?id=lenient%2Fbig`, { method: "PUT", body: doc });
    assert.equal(res.status, 201, res.text);
    ++lenientWrites;
  });

  test("bad numbers and booleans in query parameters", async () => {
    const problems = [];
    const cases = [
      ["GET", "/databases/{db}/docs", ["startsWith=keep&start=abc", "startsWith=keep&pageSize=abc", "startsWith=keep&start=-1",
        "startsWith=keep&pageSize=-5", "startsWith=keep&start=1e3", "startsWith=keep&pageSize=99999999999999999999999",
        "startsWith=keep&start=0x10", "startsWith=keep&start=1.5", "startsWith=keep&start= 1", "startsWith=keep&metadataOnly=yes",
        "id=keep%2F1&metadataOnly=1"]],
      ["GET", "/databases", ["start=abc", "pageSize=abc", "pageSize=1e9999", "start=99999999999999999999", "namesOnly=perhaps"]],
      ["GET", "/databases/{db}/hilo/next", ["tag=lenient&lastBatchSize=abc", "tag=lenient&lastMax=abc", "tag=lenient&lastBatchSize=99999999999999999999",
        "tag=lenient&lastMax=1.5", "tag=lenient&lastRangeAt=not-a-date", "tag=", "lastBatchSize=0"]],
      ["PUT", "/databases/{db}/hilo/return", ["tag=lenient&end=abc&last=1", "tag=lenient&end=1&last=abc", "tag=lenient&end=1.5&last=1",
        "tag=lenient&end=99999999999999999999&last=1", "end=1&last=1"]],
      ["POST", "/databases/{db}/bulk_docs", ["waitForReplicasTimeout=garbage", "waitForReplicasTimeout=00:00:01&numberOfReplicasToWaitFor=abc",
        "waitForReplicasTimeout=00:00:01&numberOfReplicasToWaitFor=-1", "waitForReplicasTimeout=00:00:01&throwOnTimeoutInWaitForReplicas=maybe",
        "waitForReplicasTimeout=25:99:99", "waitForReplicasTimeout=-00:00:01"]],
      ["PUT", "/admin/databases", ["name=lenient-n&replicationFactor=abc", "name=lenient-n&replicationFactor=1.5",
        "name=lenient-n&replicationFactor=-1", "name=lenient-n&replicationFactor=1001"]],
      ["GET", "/topology", ["name=", ""]],
      ["GET", "/admin/databases", ["name="]],
      ["GET", "/databases/{db}/stats", ["failure=check&nodeTag=%zz"]],
    ];
    for (const [method, path, queries] of cases) {
      const r = routes.find((x) => x.method === method && x.path === path);
      for (const db of usesDb(r) ? [DB, MISSING] : [DB]) {
        for (const q of queries) {
          const body = method === "POST" && path.endsWith("bulk_docs")
            ? { Commands: [{ Id: "lenient/bad-number", Type: "PUT", ChangeVector: null, Document: { a: 1 } }] }
            : r.body;
          const allowed = path === "/admin/databases" && method === "GET" ? [400, 404] : [400];
          await expectError(problems, { ...r, query: "" }, db, { extraQuery: q, body, allowed });
        }
      }
    }
    // Negative paging values: refused or treated as 0 / empty page.
    for (const q of ["start=-1", "pageSize=-1"]) {
      const res = await rawRequest(port, "GET", `/databases?${q}`);
      checkError(problems, `GET /databases?${q}`, res, [200, 400]);
    }
    report(problems);
  });

  test("invalid document ids", async () => {
    const problems = [];
    const badIds = ["", "%FF", "%C3%28", "%01abc", "a%00b", "%2Fleading", "%7F", "x".repeat(2049), "%E2%82".repeat(10)];
    for (const db of [DB, MISSING]) {
      for (const id of badIds) {
        for (const method of ["GET", "PUT", "DELETE", "HEAD"]) {
          const r = routes.find((x) => x.method === method && x.path === "/databases/{db}/docs");
          await expectError(problems, { ...r, query: "" }, db, {
            extraQuery: `id=${id}`,
            body: method === "PUT" ? { a: 1 } : undefined,
            allowed: method === "GET" || method === "HEAD" ? [400, 404] : [400],
          });
        }
      }
      // An id asking for a cluster-wide identity: refused, as in bulk_docs.
      const put = routes.find((x) => x.method === "PUT" && x.path === "/databases/{db}/docs");
      await expectError(problems, { ...put, query: "" }, db, { extraQuery: "id=users%7C", body: { a: 1 } });
      // Missing id parameter.
      for (const method of ["PUT", "DELETE", "HEAD"]) {
        const r = routes.find((x) => x.method === method && x.path === "/databases/{db}/docs");
        await expectError(problems, { ...r, query: "" }, db, { body: method === "PUT" ? { a: 1 } : undefined });
      }
      // In bulk_docs: a good command first, so a non-atomic failure shows.
      const bulk = routes.find((x) => x.path === "/databases/{db}/bulk_docs");
      for (const id of ["", "/leading", "a\u0001b", "x".repeat(2049), "users|", "\ud800"]) {
        for (const type of ["PUT", "DELETE"]) {
          const commands = [
            { Id: "invalid-id/first", Type: "PUT", ChangeVector: null, Document: { a: 1 } },
            { Id: id, Type: type, ChangeVector: null, Document: { a: 2 } },
          ];
          await expectError(problems, bulk, db, { body: { Commands: commands } });
        }
      }
      const post = routes.find((x) => x.method === "POST" && x.path === "/databases/{db}/docs");
      for (const id of ["", "\u0001", "x".repeat(2049)])
        await expectError(problems, post, db, { body: { Ids: ["keep/1", id] }, allowed: [400, 200] });
    }
    report(problems);
  });

  test("invalid change vectors in If-Match and ChangeVector", async () => {
    const problems = [];
    const bad = [
      "garbage", "A:1", "A:x-AAAAAAAAAAAAAAAAAAAAAA", "A:1-short", "a:1-AAAAAAAAAAAAAAAAAAAAAA", "A:-1-AAAAAAAAAAAAAAAAAAAAAA",
      `${goodCv},`, "A:99999999999999999999-AAAAAAAAAAAAAAAAAAAAAA", ",", ":", "A:1-AAAAAAAAAAAAAAAAAAAAA!", " , ",
      "A:1-AAAAAAAAAAAAAAAAAAAAAA B:2-AAAAAAAAAAAAAAAAAAAAAA", "\u00e9:1-AAAAAAAAAAAAAAAAAAAAAA",
    ];
    for (const db of [DB, MISSING]) {
      for (const cv of bad) {
        for (const method of ["PUT", "DELETE"]) {
          const r = routes.find((x) => x.method === method && x.path === "/databases/{db}/docs");
          for (const header of [`"${cv}"`, cv]) {
            await expectError(problems, { ...r, query: "" }, db, {
              extraQuery: "id=keep%2F2",
              body: method === "PUT" ? { overwritten: true } : undefined,
              headers: { "If-Match": Buffer.from(header, "utf8").toString("latin1") },
              allowed: [400, 409],
            });
          }
        }
        const bulk = routes.find((x) => x.path === "/databases/{db}/bulk_docs");
        for (const type of ["PUT", "DELETE"]) {
          const commands = [
            { Id: "bad-cv/first", Type: "PUT", ChangeVector: null, Document: { a: 1 } },
            { Id: "keep/2", Type: type, ChangeVector: cv, Document: { overwritten: true } },
          ];
          await expectError(problems, bulk, db, { body: { Commands: commands }, allowed: [400, 409] });
        }
      }
    }
    // Well-formed but wrong: 409 ConcurrencyException.
    for (const method of ["PUT", "DELETE"]) {
      const res = await rawRequest(port, method, `/databases/${DB}/docs?id=keep%2F2`, {
        body: method === "PUT" ? { overwritten: true } : undefined,
        headers: { "If-Match": `"A:999-AAAAAAAAAAAAAAAAAAAAAA"` },
      });
      checkError(problems, `${method} with a stale If-Match`, res, [409]);
      if (res.json && !/ConcurrencyException$/.test(res.json.Type)) problems.push(`${method} stale If-Match: Type ${res.json.Type}`);
    }
    report(problems);
  });

  test("unknown and unsupported command types", async () => {
    const problems = [];
    const bulk = routes.find((x) => x.path === "/databases/{db}/bulk_docs");
    const unknown = ["FOO", "", " PUT", "PUT ", "PUTX", "DELETE2", "\u0000", "ÜBER"];
    const unsupported = ["PATCH", "BatchPATCH", "AttachmentPUT", "AttachmentDELETE", "Counters", "TimeSeries", "CompareExchangePUT", "ForceRevisionCreation"];
    for (const db of [DB, MISSING]) {
      for (const type of [...unknown, ...unsupported]) {
        const commands = [
          { Id: "cmd-type/first", Type: "PUT", ChangeVector: null, Document: { a: 1 } },
          { Id: "keep/4", Type: type, ChangeVector: null, Document: { a: 2 }, Name: "n", Patch: { Script: "" } },
        ];
        const res = await expectError(problems, bulk, db, { body: { Commands: commands } });
        if (db === DB && unsupported.includes(type) && res.json && !/NotSupportedException$/.test(res.json.Type))
          problems.push(`bulk_docs Type ${type}: expected a NotSupportedException, got ${res.json.Type}`);
      }
      const cluster = { Commands: [{ Id: "cw/1", Type: "PUT", ChangeVector: null, Document: {} }], TransactionMode: "ClusterWide" };
      await expectError(problems, bulk, db, { body: cluster });
    }
    report(problems);
  });

  test("broken HTTP framing and raw garbage on the socket", async () => {
    const problems = [];
    const exchanges = {
      "headers cut off": ["GET /build/version HTTP/1.1\r\nHost: x\r\n"],
      "request line cut off": ["GET /build/ver"],
      "body cut off": [`POST /databases/${DB}/bulk_docs HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"Commands":[{"Id":"cut/1","Type":"PUT","Document":{}}`],
      "chunked body cut off": [`POST /databases/${DB}/bulk_docs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"Commands":[{"`],
      "binary garbage": [randomBytes(4096)],
      "NUL bytes": [Buffer.alloc(100)],
      "TLS client hello": [Buffer.from("16030100a5010000a10303", "hex"), randomBytes(160)],
      "HTTP/2 preface": ["PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
      "no method": [" / HTTP/1.1\r\n\r\n"],
      "no version": ["GET /build/version\r\n\r\n"],
      "HTTP/0.9": ["GET /build/version\r\n"],
      "unknown version": ["GET /build/version HTTP/9.9\r\nHost: x\r\n\r\n"],
      "lowercase version": ["GET /build/version http/1.1\r\nHost: x\r\n\r\n"],
      "LF only": ["GET /build/version HTTP/1.1\nHost: x\n\n"],
      "header without colon": ["GET /build/version HTTP/1.1\r\nHost x\r\n\r\n"],
      "NUL in header": ["GET /build/version HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n"],
      "bad Content-Length": [`POST /databases/${DB}/bulk_docs HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}`],
      "negative Content-Length": [`POST /databases/${DB}/bulk_docs HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}`],
      "two Content-Lengths": [`POST /databases/${DB}/bulk_docs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}abc`],
      "bad chunk size": [`POST /databases/${DB}/bulk_docs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
      "chunked and Content-Length": [`POST /databases/${DB}/bulk_docs HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
      "unknown Transfer-Encoding": [`POST /databases/${DB}/bulk_docs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}`],
      "huge header": [`GET /build/version HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100 * 1024)}\r\n\r\n`],
      "many headers": [`GET /build/version HTTP/1.1\r\nHost: x\r\n${"X-H: v\r\n".repeat(20000)}\r\n`],
      "huge request line": [`GET /build/version?${"a=b&".repeat(30000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
      "slow bytes": ["GET /bu", 50, "ild/vers", 50, "ion HTTP/1.1\r\nHo", 50, "st: x\r\nConnection: close\r\n\r\n"],
    };
    for (const [name, chunks] of Object.entries(exchanges)) {
      const res = await rawExchange(port, chunks, { timeoutMs: 10_000 });
      if (res.timedOut) problems.push(`${name}: no answer and no close within 10 s`);
      for (const r of res.responses) {
        if (r.status >= 500 && ![501, 505].includes(r.status)) problems.push(`${name}: status ${r.status} ${r.body.slice(0, 200)}`);
        if (r.status === 400 || r.status === 413) {
          let j;
          try {
            j = JSON.parse(r.body);
          } catch {}
          if (!j || typeof j.Type !== "string" || typeof j.Message !== "string") problems.push(`${name}: ${r.status} without an error body: ${r.body.slice(0, 100)}`);
        }
      }
      if (name === "slow bytes" && res.responses[0]?.status !== 200) problems.push(`slow bytes: ${res.responses[0]?.status}`);
      await assertAlive();
    }
    // The cut-off batch must not have been applied.
    const cut = await http(`${node.url}/databases/${DB}/docs?id=cut%2F1`);
    if (cut.status !== 404) problems.push(`a cut-off bulk_docs body was applied: ${cut.status}`);
    report(problems);
  });

  test("half-open connections do not stop other requests", async () => {
    // 50 sockets that sent half a request and wait.
    const pending = Array.from({ length: 50 }, (_, i) =>
      rawExchange(port, [`POST /databases/${DB}/bulk_docs HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"Comm`], {
        keepOpen: true,
        timeoutMs: 1_500,
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const res = await http(`${node.url}/databases/${DB}/docs?id=keep%2F1`, { timeoutMs: 5_000 });
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started < 2_000, `served in ${Date.now() - started} ms`);
    await Promise.all(pending);
  });

  test("a burst of concurrent garbage", async () => {
    const problems = [];
    const jobs = [];
    for (let i = 0; i < 300; ++i) {
      const kind = i % 6;
      if (kind === 0) jobs.push(rawRequest(port, "POST", `/databases/${DB}/bulk_docs`, { body: Buffer.from("{broken") }).then((r) => checkError(problems, "burst invalid JSON", r, [400])));
      if (kind === 1) jobs.push(rawRequest(port, "GET", `/databases/${DB}/docs?id=%zz`).then((r) => checkError(problems, "burst bad escape", r, [400])));
      if (kind === 2) jobs.push(rawRequest(port, "PUT", `/databases/${MISSING}/docs?id=a`, { body: { a: 1 } }).then((r) => checkError(problems, "burst missing db", r, [503], { db: MISSING })));
      if (kind === 3) jobs.push(rawExchange(port, [randomBytes(512)]).then((r) => r.timedOut && problems.push("burst garbage bytes: timeout")));
      if (kind === 4) jobs.push(rawRequest(port, "POST", `/databases/${DB}/docs`, { body: Buffer.alloc(bodyLimit + 10, "z") }).then((r) => checkError(problems, "burst big body", r, [413])));
      if (kind === 5) jobs.push(rawRequest(port, "GET", `/databases/${DB}/docs?id=keep%2F5`).then((r) => r.status !== 200 && problems.push(`burst valid load: ${r.status}`)));
    }
    await Promise.all(jobs);
    report(problems);
  });

  test("afterwards the node serves and the data is intact", async () => {
    await assertAlive();
    const now = await listDocuments(node.url, DB, "");
    const byId = new Map(now.map((d) => [d["@metadata"]["@id"], d]));
    for (const doc of baseline) assert.deepEqual(byId.get(doc["@metadata"]["@id"]), doc, `document ${doc["@metadata"]["@id"]} unchanged`);
    const unexpected = now.filter((d) => !baseline.some((b) => b["@metadata"]["@id"] === d["@metadata"]["@id"]))
      .map((d) => d["@metadata"]["@id"])
      .filter((id) => !/^(lenient\/|Raven\/Hilo\/lenient)/i.test(id));
    assert.deepEqual(unexpected, [], "documents written by refused requests");
    const stats = (await http(`${node.url}/databases/${DB}/stats`)).json;
    if (lenientWrites === 0) assert.equal(stats.LastDocEtag, baselineStats.LastDocEtag);
    assert.equal(stats.DatabaseId, baselineStats.DatabaseId);
    const names = (await http(`${node.url}/databases?namesOnly=true`)).json.Databases;
    assert.ok(names.includes(DB));
    // Normal writes still work.
    const res = await http(`${node.url}/databases/${DB}/docs?id=after%2Fgarbage`, { method: "PUT", body: { ok: 1 } });
    assert.equal(res.status, 201);
    assert.doesNotMatch(readFileSync(node.logFile, "utf8"), /\bcritical\b/);
  });
});

describe("deeply nested JSON (default body limit)", () => {
  test("deep nesting is refused or stored, never a crash", async () => {
    const deep = await startNode();
    await createDatabase(deep.url, "deep");
    const problems = [];
    for (const depth of [10_000, 100_000, 1_000_000]) {
      const nested = "[".repeat(depth) + "]".repeat(depth);
      const cases = [
        ["PUT", `/databases/deep/docs?id=deep%2F${depth}`, `{"a":${nested}}`],
        ["POST", "/databases/deep/bulk_docs", `{"Commands":[{"Id":"deepb/${depth}","Type":"PUT","Document":{"a":${nested}}}]}`],
        ["POST", "/databases/deep/docs", `{"Ids":${nested}}`],
        ["PUT", `/admin/databases?name=deepdb${depth}`, `{"DatabaseName":"deepdb${depth}","Settings":{"a":${nested}}}`],
        ["DELETE", "/admin/databases", `{"DatabaseNames":["none"],"FromNodes":${nested}}`],
        ["PUT", `/databases/deep/docs?id=open%2F${depth}`, "[".repeat(depth)],
      ];
      for (const [method, path, body] of cases) {
        const what = `${method} ${path.slice(0, 50)} depth ${depth}`;
        let res;
        try {
          res = await http(`${deep.url}${path}`, { method, body, headers: { "Content-Type": "application/json" }, timeoutMs: 20_000 });
          if (![200, 201, 400].includes(res.status)) problems.push(`${what}: ${res.status}`);
          if (res.status === 201 && path.includes("/docs?id=")) {
            const load = await http(`${deep.url}/databases/deep/docs?id=${path.split("id=")[1]}`, { timeoutMs: 20_000 });
            if (load.status !== 200) problems.push(`${what}: loading it back: ${load.status}`);
          }
        } catch (err) {
          await deep.child?.exited;
          problems.push(`${what}: ${err.message}; node ended with ${deep.child?.signalCode ?? deep.child?.exitCode}`);
          await deep.restart();
          await waitForDatabase(deep.url, "deep");
        }
      }
    }
    report(problems);
  });
});
