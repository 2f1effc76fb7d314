// HTTP/1.1 over a plain TCP socket, byte for byte: for requests fetch
// would refuse or normalise (bad escapes, raw invalid UTF-8, bodies on GET,
// odd methods, broken framing).

import { connect } from "node:net";

/**
 * Writes `chunks` (Buffers or strings; a number means "pause that many ms")
 * to 127.0.0.1:`port`, then half-closes unless `keepOpen`. Resolves when the
 * server closes the connection, when `expect` responses arrived, or after
 * `timeoutMs`: { responses, raw, closed, timedOut, error }.
 */
export function rawExchange(port, chunks, { timeoutMs = 10_000, keepOpen = false, expect = Infinity, head = false } = {}) {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const received = [];
    let settled = false;
    let error;
    const finish = (closed, timedOut) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(received);
      resolve({ responses: parseResponses(raw, { head }), raw, closed, timedOut, error });
    };
    const timer = setTimeout(() => finish(false, true), timeoutMs);
    socket.on("data", (d) => {
      received.push(d);
      if (parseResponses(Buffer.concat(received), { head }).filter((r) => r.complete).length >= expect) finish(false, false);
    });
    socket.on("error", (e) => {
      error = e.code ?? e.message;
    });
    socket.on("close", () => finish(true, false));
    socket.on("connect", async () => {
      for (const c of chunks) {
        if (typeof c === "number") await new Promise((r) => setTimeout(r, c));
        else if (!socket.destroyed) socket.write(c);
      }
      if (!keepOpen && !socket.destroyed) socket.end();
    });
  });
}

/** Parses consecutive HTTP/1.1 responses (Content-Length framing; no bodies when `head`). */
export function parseResponses(raw, { head: isHead = false } = {}) {
  const out = [];
  let pos = 0;
  while (pos < raw.length) {
    const headEnd = raw.indexOf("\r\n\r\n", pos);
    if (headEnd < 0) break;
    const head = raw.subarray(pos, headEnd).toString("latin1").split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
    if (!m) break;
    const headers = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(":");
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const status = Number(m[1]);
    const bodyless = status === 204 || status === 304 || isHead;
    const length = bodyless ? 0 : Number(headers["content-length"] ?? 0);
    const body = raw.subarray(headEnd + 4, headEnd + 4 + length);
    const complete = body.length === length;
    out.push({ status, headers, body: body.toString("utf8"), complete });
    pos = headEnd + 4 + length;
    if (!complete) break;
  }
  return out;
}

/**
 * One request on its own connection. `target` is sent verbatim (a Buffer
 * may hold raw non-UTF-8 bytes). Resolves to the first response plus
 * { closed, timedOut } or { status: undefined } when none came.
 */
export async function rawRequest(port, method, target, { headers = {}, body, timeoutMs = 10_000 } = {}) {
  const bodyBuf = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  const head = [Buffer.from(`${method} `, "latin1"), Buffer.isBuffer(target) ? target : Buffer.from(target, "utf8")];
  let text = " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  const all = { ...headers };
  if (bodyBuf && all["Content-Length"] === undefined) all["Content-Length"] = String(bodyBuf.length);
  if (bodyBuf && all["Content-Type"] === undefined) all["Content-Type"] = "application/json";
  for (const [k, v] of Object.entries(all)) text += `${k}: ${v}\r\n`;
  text += "\r\n";
  head.push(Buffer.from(text, "latin1"));
  if (bodyBuf) head.push(bodyBuf);
  const result = await rawExchange(port, [Buffer.concat(head)], { timeoutMs, expect: 1, head: method === "HEAD" });
  const first = result.responses[0];
  let json;
  try {
    json = first?.body ? JSON.parse(first.body) : undefined;
  } catch {}
  return {
    status: first?.complete ? first.status : undefined,
    headers: first?.headers ?? {},
    body: first?.body ?? "",
    json,
    closed: result.closed,
    timedOut: result.timedOut,
  };
}
