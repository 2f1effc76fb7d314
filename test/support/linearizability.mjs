// Linearizability checker for compare-and-swap registers, one per key (the
// cluster-wide compare-exchange values of the upcoming Raft layer).
//
//   import { checkHistory } from "../support/linearizability.mjs";
//   const result = checkHistory(ops);
//   assert.equal(result.valid, true, result.explanation);
//
// An operation, as recorded by a client:
//   { client, key, kind: "read" | "write" | "cas", invoke, complete, input, output }
//   invoke, complete   ms on a monotonic clock (performance.now()); complete
//                      is null when the outcome is unknown (timeout,
//                      connection lost): the op may have taken effect at any
//                      moment after `invoke`, or never.
//   read               input unused; output the value read (a string, or
//                      null when the key is absent).
//   write              input the value; output { ok: true }. { ok: false }
//                      or { error } means it definitely did not apply.
//   cas                input { expected, value } (or [expected, value]);
//                      expected null means "only if absent". output
//                      { ok: true } when it applied; { ok: false } when the
//                      current value was not `expected`, optionally with
//                      { current } (the value the server saw, checked too);
//                      { ok: false, error } when it definitely did not apply
//                      for another reason (no observation).
// A read with an unknown outcome, and any op with { error }, constrain
// nothing and are dropped. Values should be unique (each write or cas writes
// a value no other op writes): the verdict is right without that (the tests
// compare it with a brute-force search on histories with repeated values),
// but the search is much faster with it, and the explanations assume it.
//
// Ops with equal timestamps are taken as concurrent (an op invoked at the
// very ms another completed may be ordered before it): with millisecond
// clocks this avoids false alarms, and costs little detection power.
//
// The search is Wing & Gong's, as improved by Lowe ("Testing for
// linearizability", 2017) and used by Knossos and Porcupine: linearize a
// pending call if the model allows it, backtrack at a return whose call is
// not linearized yet, and remember every (set of linearized ops, register
// value) already explored; plus rules that cut classes of equivalent
// orders (observers first, lazy unknown ops, dominance; see search()).
// Keys are checked independently (P-compositionality: a history is
// linearizable iff each key's is).
//
// Result: { valid: true | false | "unknown", keys: [per-key results],
// explanation, elapsedMs }. "unknown" means the search hit its budget
// (options.budget = { ms, states }, per key) before deciding; it never
// means "not linearizable". For a non-linearizable key the explanation
// names the first completed op that no linearization can accommodate (the
// shortest non-linearizable prefix of the history), the values the
// register could hold while that op ran, where the values involved came
// from, and the ops around it.

const READ = 0; //    a: value read
const WRITE = 1; //   a: value written
const CAS_OK = 2; //  a: expected, b: new value
const CAS_FAIL = 3; // a: expected, b: observed current value or -1
const CAS_MAYBE = 4; // unknown outcome; a: expected, b: new value
const PROBE = 5; //   the explanation's stand-in: observes the register, any value

export const defaultBudget = { ms: 10_000, states: 2_000_000 };

/** Checks a whole history, key by key. See the file comment. */
export function checkHistory(history, { budget = {}, explain = true } = {}) {
  const started = performance.now();
  const limits = { ...defaultBudget, ...budget };
  const byKey = new Map();
  history.forEach((op, index) => {
    validate(op, index);
    const ops = byKey.get(op.key) ?? [];
    if (!byKey.has(op.key)) byKey.set(op.key, ops);
    ops.push({ ...op, index });
  });
  const keys = [...byKey].map(([key, ops]) => checkKey(key, ops, limits, explain));
  const failed = keys.filter((k) => k.valid === false);
  const unknown = keys.filter((k) => k.valid === "unknown");
  return {
    valid: failed.length ? false : unknown.length ? "unknown" : true,
    keys,
    explanation: [...failed, ...unknown].map((k) => k.explanation).join("\n\n"),
    elapsedMs: performance.now() - started,
  };
}

function validate(op, index) {
  const where = `op #${index}`;
  if (!["read", "write", "cas"].includes(op.kind)) throw new Error(`${where}: unknown kind ${op.kind}`);
  if (typeof op.invoke !== "number" || !Number.isFinite(op.invoke)) throw new Error(`${where}: invoke must be a number`);
  if (op.complete !== null && op.complete !== undefined) {
    if (typeof op.complete !== "number" || !(op.complete >= op.invoke))
      throw new Error(`${where}: complete must be null or a number >= invoke`);
  }
  if (op.kind === "cas") casInput(op, where);
}

function casInput(op, where = `op #${op.index}`) {
  const input = op.input;
  if (Array.isArray(input) && input.length === 2) return { expected: input[0], value: input[1] };
  if (input && typeof input === "object" && "expected" in input && "value" in input) return input;
  throw new Error(`${where}: cas input must be { expected, value }`);
}

const isUnknown = (op) => op.complete === null || op.complete === undefined;
const hasError = (output) => output !== null && typeof output === "object" && "error" in output;

/** Readable one-line form of an op (its index in the history, client, call, result, times). */
export function formatOp(op) {
  const v = (x) => (x === undefined ? "null" : JSON.stringify(x));
  let call;
  let result;
  const out = op.output;
  if (op.kind === "read") {
    call = "read()";
    result = isUnknown(op) ? "?" : hasError(out) ? `error ${v(out.error)}` : v(out);
  } else if (op.kind === "write") {
    call = `write(${v(op.input)})`;
    result = isUnknown(op) ? "?" : hasError(out) ? `error ${v(out.error)}` : out?.ok === false ? "not applied" : "ok";
  } else {
    const { expected, value } = casInput(op);
    call = `cas(${v(expected)} → ${v(value)})`;
    if (isUnknown(op)) result = "?";
    else if (hasError(out)) result = `error ${v(out.error)}`;
    else if (out?.ok) result = "ok";
    else result = "fail" + (out && "current" in out ? ` (current ${v(out.current)})` : "");
  }
  const who = op.client === undefined ? "" : ` ${op.client}`;
  return `#${op.index ?? "?"}${who} ${call} → ${result}   [${fmtTime(op.invoke)} … ${isUnknown(op) ? "never returned" : fmtTime(op.complete)}]`;
}

function fmtTime(x) {
  return typeof x === "number" ? String(Math.round(x * 1000) / 1000) : String(x);
}

// --- compilation: source ops → model ops -----------------------------------

class Values {
  constructor() {
    this.ids = new Map([[null, 0]]);
    this.list = [null];
  }
  id(v) {
    const k = v === undefined ? null : typeof v === "string" || v === null ? v : `\u0000${JSON.stringify(v)}`;
    let id = this.ids.get(k);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(k, id);
      this.list.push(v === undefined ? null : v);
    }
    return id;
  }
}

/**
 * Source ops (one key) → model ops { src, type, a, b, invoke, complete }
 * (complete Infinity when unknown), dropping ops that constrain nothing and
 * unknown-outcome writes that can be proven irrelevant (see prune).
 * `probe` is the source op to replace by a PROBE.
 */
function compile(ops, values, probe = null) {
  const mops = [];
  for (const op of ops) {
    const unknown = isUnknown(op);
    const base = { src: op, invoke: op.invoke, complete: unknown ? Infinity : op.complete, a: -1, b: -1 };
    if (op === probe) {
      mops.push({ ...base, type: PROBE });
      continue;
    }
    const out = op.output;
    if (!unknown && hasError(out)) continue; // definitely no effect, no observation
    if (op.kind === "read") {
      if (unknown) continue;
      mops.push({ ...base, type: READ, a: values.id(out) });
    } else if (op.kind === "write") {
      if (!unknown && out?.ok === false) continue;
      mops.push({ ...base, type: WRITE, a: values.id(op.input) });
    } else {
      const { expected, value } = casInput(op);
      const e = values.id(expected);
      const v = values.id(value);
      if (unknown) mops.push({ ...base, type: CAS_MAYBE, a: e, b: v });
      else if (out?.ok === true) mops.push({ ...base, type: CAS_OK, a: e, b: v });
      else if (out?.ok === false)
        mops.push({ ...base, type: CAS_FAIL, a: e, b: "current" in out ? values.id(out.current) : -1 });
      else throw new Error(`op #${op.index}: cas output must be { ok } or { error }`);
    }
  }
  return prune(mops);
}

/**
 * Drops unknown-outcome ops that no linearization needs:
 *  - an unknown write or cas of a value u that nothing observes (no read
 *    returns u, no cas expects u, no failed cas reports u as current), when
 *    no failed cas lacks its observed value: while the register holds u,
 *    only writes (which end that stretch) and unknown cas that cannot apply
 *    can be linearized, so the op and those cas can be taken as "never";
 *  - an unknown cas whose expected value nothing ever writes.
 * Repeated until nothing changes (dropping a cas drops what it observed).
 */
function prune(mops) {
  if (mops.some((m) => m.type === PROBE || (m.type === CAS_FAIL && m.b < 0))) return pruneNever(mops);
  for (;;) {
    const observed = new Set();
    for (const m of mops) {
      if (m.type === READ || m.type === CAS_OK || m.type === CAS_MAYBE) observed.add(m.a);
      else if (m.type === CAS_FAIL) observed.add(m.b);
    }
    const kept = mops.filter((m) => {
      if (m.type === WRITE && m.complete === Infinity) return observed.has(m.a);
      if (m.type === CAS_MAYBE) return observed.has(m.b);
      return true;
    });
    const next = pruneNever(kept);
    if (next.length === mops.length) return next;
    mops = next;
  }
}

function pruneNever(mops) {
  const written = new Set([0]);
  for (const m of mops) {
    if (m.type === WRITE) written.add(m.a);
    else if (m.type === CAS_OK || m.type === CAS_MAYBE) written.add(m.b);
  }
  return mops.filter((m) => m.type !== CAS_MAYBE || written.has(m.a));
}

// --- the search -------------------------------------------------------------

// Deterministic pseudo-random 32-bit words for Zobrist hashing of the
// linearized set (same history, same search, same timings).
function zobrist(n, seed) {
  const out = new Int32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; ++i) {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    out[i] = z ^ (z >>> 16);
  }
  return out;
}

/** A growable typed array: `a` (replaced when it grows), length `n`. */
class Grow {
  constructor(Type = Int32Array, capacity = 1024) {
    this.Type = Type;
    this.a = new Type(capacity);
    this.n = 0;
  }
  push(x) {
    if (this.n === this.a.length) {
      const bigger = new this.Type(this.a.length * 2);
      bigger.set(this.a);
      this.a = bigger;
    }
    this.a[this.n++] = x;
  }
}

/**
 * A bitset that tracks its first word not full (lo) and its end without
 * empty words (hi), so that it can be stored as words [lo, hi) only:
 * linearized sets are mostly "everything up to here, and a few more".
 */
class Bits {
  constructor(n) {
    this.words = new Int32Array((n + 31) >>> 5);
    this.lo = 0;
    this.hi = 0;
  }
  flip(b) {
    const words = this.words;
    const w = b >>> 5;
    const x = (words[w] ^= 1 << (b & 31));
    if (x === -1) {
      if (w === this.lo) while (this.lo < words.length && words[this.lo] === -1) ++this.lo;
    } else if (w < this.lo) this.lo = w;
    if (x !== 0) {
      if (w >= this.hi) this.hi = w + 1;
    } else if (w === this.hi - 1) while (this.hi > 0 && words[this.hi - 1] === 0) --this.hi;
  }
  get length() {
    return this.hi > this.lo ? this.hi - this.lo : 0;
  }
  /** Appends lo, length and the words [lo, hi) to `pool`. */
  store(pool) {
    const len = this.length;
    pool.push(this.lo);
    pool.push(len);
    for (let j = 0; j < len; ++j) pool.push(this.words[this.lo + j]);
  }
  /** Is the set stored at pool[off] (by store) a superset of this one? */
  within(pool, off) {
    const slo = pool[off];
    const slen = pool[off + 1];
    if (slo < this.lo) return false; // it has a word not full where this is full
    for (let j = this.lo; j < this.hi; ++j) {
      const x = this.words[j];
      const y = j < slo ? -1 : j - slo < slen ? pool[off + 2 + j - slo] : 0;
      if ((x & ~y) !== 0) return false;
    }
    return true;
  }
}

/**
 * Searches for a linearization of the model ops `mops` over `nvals` register
 * values (0 = absent, the initial value): Wing & Gong's search with Lowe's
 * memoization, plus rules that each cut whole classes of equivalent
 * linearizations (all checked against a brute-force search by the tests):
 *
 *  - Observers (reads, failed cas) that the current state allows are
 *    linearized at once, with no alternative tried: any linearization from
 *    here can be rearranged to start with them.
 *  - An unknown-outcome op that would change nothing is not linearized (that
 *    is the same as never), and neither is an unknown write right after an
 *    unknown op (that op's effect would be hidden: the write alone, one
 *    level up, covers it).
 *  - Lazy ops, unknown writes and cas of a value nothing observes, matter
 *    only right before an opener: a failed cas that did not report the
 *    current value (it needs "anything but e") or the probe. They are tried
 *    only when an opener is a candidate, and only an opener may follow them.
 *  - Dead writes, known writes of a value nothing observes when the history
 *    has no opener, can always be absorbed right before another write.
 *
 * Explored configurations are remembered as (linearized live known ops,
 * state, restricted) → a chain of (linearized dead writes, linearized
 * unknown ops). A configuration is skipped when an explored one has the
 * same key, at least its dead writes and at most its unknown ops: whatever
 * can follow this one can follow that one (unknown ops never have to be
 * linearized, dead writes vanish from any continuation). "Restricted" marks
 * a configuration reached by a lazy op, which is explored only partly.
 *
 * The search state is an int: register value + nvals * (1 + value the PROBE
 * saw, or 0 before it ran).
 *
 * Returns { outcome: "ok" | "fail" | "budget", states, seen }. With
 * `exhaustive`, every complete linearization is visited (for the PROBE's
 * seen values, collected in `seen`) and the outcome is "ok" when there was
 * at least one.
 */
function search(mops, nvals, { deadline, maxStates, exhaustive = false }) {
  const seen = new Set();
  // Ops in invoke order, so that the linearized sets are mostly prefixes.
  mops = [...mops].sort((x, y) => x.invoke - y.invoke);
  const n = mops.length;
  const type = new Uint8Array(n);
  const A = new Int32Array(n);
  const B = new Int32Array(n);
  const finite = new Uint8Array(n);
  for (let i = 0; i < n; ++i) {
    type[i] = mops[i].type;
    A[i] = mops[i].a;
    B[i] = mops[i].b;
    finite[i] = mops[i].complete !== Infinity ? 1 : 0;
  }
  const opener = (i) => (type[i] === CAS_FAIL && B[i] < 0) || type[i] === PROBE;
  const observer = (i) => type[i] === READ || type[i] === CAS_FAIL;
  const observed = new Set();
  let openers = false;
  for (let i = 0; i < n; ++i) {
    if (type[i] === READ || type[i] === CAS_OK || type[i] === CAS_MAYBE) observed.add(A[i]);
    else if (type[i] === CAS_FAIL && B[i] >= 0) observed.add(B[i]);
    if (opener(i)) openers = true;
  }
  const lazy = new Uint8Array(n);
  const dead = new Uint8Array(n);
  for (let i = 0; i < n; ++i) {
    if (!finite[i]) lazy[i] = observed.has(type[i] === WRITE ? A[i] : B[i]) ? 0 : 1;
    else if (type[i] === WRITE && !openers && !observed.has(A[i])) dead[i] = 1;
  }

  // Events: calls, then returns, by time; at equal times calls come first
  // (concurrent). Unknown-outcome ops have no return event: nothing forces
  // them, and leaving them out is the same as linearizing them at the end.
  const events = [];
  const bit = new Int32Array(n); // index in the op's own bitset
  let finiteRemaining = 0;
  let nLive = 0;
  let nDead = 0;
  let nUnknown = 0;
  for (let i = 0; i < n; ++i) {
    events.push({ t: mops[i].invoke, ret: 0, op: i });
    if (finite[i]) {
      events.push({ t: mops[i].complete, ret: 1, op: i });
      ++finiteRemaining;
      bit[i] = dead[i] ? nDead++ : nLive++;
    } else bit[i] = nUnknown++;
  }
  if (finiteRemaining === 0) return { outcome: "ok", states: 0, seen };
  events.sort((x, y) => x.t - y.t || x.ret - y.ret || x.op - y.op);

  // Two doubly-linked lists of event nodes: the calls and returns of the
  // known-outcome ops (the classic list), and the calls of the
  // unknown-outcome ops. Candidates are the calls before the first return
  // of the first list.
  const E = events.length;
  const MH = 0; // head and tail of the known list
  const MT = E + 1;
  const UH = E + 2; // head and tail of the unknown list
  const UT = E + 3;
  const next = new Int32Array(E + 4);
  const prev = new Int32Array(E + 4);
  const nodeOp = new Int32Array(E + 4);
  const nodeIsCall = new Uint8Array(E + 4);
  const pos = new Int32Array(E + 4);
  const retOf = new Int32Array(n).fill(-1);
  const rank = new Int32Array(n); // known ops by return
  let lastM = MH;
  let lastU = UH;
  for (let k = 0, r = 0; k < E; ++k) {
    const node = k + 1;
    const { op, ret } = events[k];
    nodeOp[node] = op;
    nodeIsCall[node] = ret ? 0 : 1;
    pos[node] = k;
    if (ret) {
      retOf[op] = node;
      rank[op] = r++;
    }
    if (finite[op]) {
      next[lastM] = node;
      prev[node] = lastM;
      lastM = node;
    } else {
      next[lastU] = node;
      prev[node] = lastU;
      lastU = node;
    }
  }
  next[lastM] = MT;
  prev[MT] = lastM;
  next[lastU] = UT;
  prev[UT] = lastU;
  pos[UT] = E;
  const unlink = (x) => {
    next[prev[x]] = next[x];
    prev[next[x]] = prev[x];
  };
  const relink = (x) => {
    next[prev[x]] = x;
    prev[next[x]] = x;
  };

  // The linearized sets, and two Zobrist hashes of the live one.
  const live = new Bits(nLive);
  const deadSet = new Bits(nDead);
  const unknown = new Int32Array((nUnknown + 31) >>> 5);
  const UW = unknown.length;
  const z1 = zobrist(nLive, 0x2545f491);
  const z2 = zobrist(nLive, 0x9e3779b9);
  let h1 = 0;
  let h2 = 0;
  const flip = (i) => {
    const b = bit[i];
    if (!finite[i]) unknown[b >>> 5] ^= 1 << (b & 31);
    else if (dead[i]) deadSet.flip(b);
    else {
      live.flip(b);
      h1 ^= z1[b];
      h2 ^= z2[b];
    }
  };

  // Explored configurations, in typed arrays to spare the garbage
  // collector: an open-addressing table of entries (hash, state, live set
  // stored in `pool`, chain of records in `pool`: [next, dead set...,
  // unknown words...]).
  const pool = new Grow();
  let slots = new Int32Array(1 << 12); // entry + 1, or 0
  let mask = slots.length - 1;
  const eHash = new Grow();
  const eState = new Grow(Float64Array); // state * 2 + restricted: may pass 2^31 with a probe
  const eLive = new Grow(); // offset of the live set in pool
  const eChain = new Grow(); // offset of the first record in pool, or -1
  let entries = 0;
  let states = 0;
  const insertSlot = (e) => {
    let k = eHash.a[e] & mask;
    while (slots[k] !== 0) k = (k + 1) & mask;
    slots[k] = e + 1;
  };
  const addRecord = (e) => {
    const off = pool.n;
    pool.push(eChain.a[e]);
    deadSet.store(pool);
    for (let j = 0; j < UW; ++j) pool.push(unknown[j]);
    eChain.a[e] = off;
    ++states;
  };
  const sameLive = (off) => {
    const p = pool.a;
    const len = live.length;
    if (p[off] !== live.lo || p[off + 1] !== len) return false;
    for (let j = 0; j < len; ++j) if (p[off + 2 + j] !== live.words[live.lo + j]) return false;
    return true;
  };
  const dominated = (e) => {
    for (let r = eChain.a[e]; r >= 0; r = pool.a[r]) {
      const p = pool.a;
      if (!deadSet.within(p, r + 1)) continue;
      const u = r + 3 + p[r + 2];
      let sub = true;
      for (let j = 0; j < UW; ++j)
        if ((p[u + j] & ~unknown[j]) !== 0) {
          sub = false;
          break;
        }
      if (sub) return true;
    }
    return false;
  };
  /** Records the current configuration with `key` (state * 2 + restricted); false if dominated. */
  const remember = (key) => {
    const hash = (h1 ^ Math.imul(key + 1, 0x9e3779b1) ^ Math.imul(h2, 0x27d4eb2d)) | 0;
    for (let k = hash & mask; ; k = (k + 1) & mask) {
      const slot = slots[k];
      if (slot === 0) break;
      const e = slot - 1;
      if (eHash.a[e] !== hash || eState.a[e] !== key || !sameLive(eLive.a[e])) continue;
      if (dominated(e)) return false;
      addRecord(e);
      return true;
    }
    const e = entries++;
    eHash.push(hash);
    eState.push(key);
    eLive.push(pool.n);
    live.store(pool);
    eChain.push(-1);
    addRecord(e);
    if (entries * 2 > slots.length) {
      slots = new Int32Array(slots.length * 2);
      mask = slots.length - 1;
      for (let x = 0; x < entries; ++x) insertSlot(x);
    } else insertSlot(e);
    return true;
  };

  // Model: the next state after op i in `state`, or -1 if not allowed.
  const step = (i, state) => {
    const reg = state % nvals;
    const upper = state - reg;
    switch (type[i]) {
      case READ:
        return reg === A[i] ? state : -1;
      case WRITE:
        // An unknown write that changes nothing might as well not happen.
        return finite[i] || reg !== A[i] ? upper + A[i] : -1;
      case CAS_OK:
        return reg === A[i] ? upper + B[i] : -1;
      case CAS_FAIL:
        return reg !== A[i] && (B[i] < 0 || reg === B[i]) ? state : -1;
      case CAS_MAYBE:
        // Only its applying is worth trying: failing is the same as never.
        return reg === A[i] && B[i] !== A[i] ? upper + B[i] : -1;
      case PROBE:
        return upper === 0 ? reg + nvals * (1 + reg) : -1;
    }
    return -1;
  };

  // The candidates of the current configuration, in the order tried: the
  // known calls before the first return, dead writes first (configurations
  // with more of them dominate), then earliest return first (the order in
  // which they most likely took effect); then the unknown calls invoked
  // before that return. Each level keeps its candidates in `cpool` at
  // [cbase, cbase + clen).
  const cpool = new Grow();
  let progress = -1; // the furthest first return of any configuration, and its op
  let stuckAt = -1;
  let cbase = 0;
  let clen = 0;
  let openerReady = false; // an opener is among the candidates
  const order = (i) => (dead[i] ? rank[i] - E : rank[i]);
  const candidates = () => {
    cbase = cpool.n;
    openerReady = false;
    let x = next[MH];
    for (; nodeIsCall[x]; x = next[x]) {
      const i = nodeOp[x];
      const r = order(i);
      if (opener(i)) openerReady = true;
      cpool.push(x);
      const c = cpool.a;
      let j = cpool.n - 1;
      while (j > cbase && order(nodeOp[c[j - 1]]) > r) {
        c[j] = c[j - 1];
        --j;
      }
      c[j] = x;
    }
    for (let y = next[UH]; pos[y] < pos[x]; y = next[y]) cpool.push(y);
    clen = cpool.n - cbase;
    if (x !== MT && rank[nodeOp[x]] > progress) {
      progress = rank[nodeOp[x]];
      stuckAt = nodeOp[x];
    }
  };

  // The search stack: per level the op linearized, the state before it, the
  // candidates it was chosen from and its index there (-1: forced).
  const stackNode = [];
  const stackState = [];
  const stackCBase = [];
  const stackCLen = [];
  const stackIndex = [];
  const stackOpener = [];
  // The state after linearizing candidate i now, or -1 (model or rules).
  const attempt = (i, state) => {
    const last = stackNode.length ? nodeOp[stackNode[stackNode.length - 1]] : -1;
    if (last >= 0 && lazy[last] && !opener(i)) return -1;
    if (lazy[i] && !openerReady) return -1;
    if (type[i] === WRITE && !finite[i] && last >= 0 && !finite[last]) return -1;
    return step(i, state);
  };
  let state = 0;
  let scanned = false; // the current configuration's candidates are built
  let index = 0;
  let iterations = 0;
  remember(0);
  for (;;) {
    if ((++iterations & 1023) === 0 && performance.now() > deadline) return { outcome: "budget", states, seen };
    let chosen = -1;
    let after = -1;
    if (finiteRemaining === 0) {
      if (!exhaustive) return { outcome: "ok", states, seen };
      if (state >= nvals) seen.add(Math.floor(state / nvals) - 1);
      cbase = cpool.n;
      clen = 0;
      index = 0; // nothing to try: backtrack
    } else if (!scanned) {
      scanned = true;
      candidates();
      index = 0;
      for (let k = 0; k < clen; ++k) {
        const i = nodeOp[cpool.a[cbase + k]];
        if (!observer(i)) continue;
        after = attempt(i, state);
        if (after < 0) continue;
        // Forced; if already explored, this configuration leads nowhere.
        flip(i);
        if (remember(after * 2)) chosen = cpool.a[cbase + k];
        else flip(i);
        index = chosen >= 0 ? -1 : clen;
        break;
      }
    }
    for (; chosen < 0 && index < clen; ++index) {
      const x = cpool.a[cbase + index];
      const i = nodeOp[x];
      after = attempt(i, state);
      if (after < 0) continue;
      flip(i);
      if (remember(after * 2 + lazy[i])) {
        chosen = x;
        break;
      }
      flip(i);
    }
    if (chosen >= 0) {
      if (states > maxStates) return { outcome: "budget", states, seen };
      const i = nodeOp[chosen];
      stackNode.push(chosen);
      stackState.push(state);
      stackCBase.push(cbase);
      stackCLen.push(clen);
      stackIndex.push(index);
      stackOpener.push(openerReady);
      state = after;
      unlink(chosen);
      if (retOf[i] >= 0) unlink(retOf[i]);
      finiteRemaining -= finite[i];
      scanned = false;
      continue;
    }
    // No candidate left (or, exhaustive, a complete linearization): undo
    // the last choice and go on with the candidate after it. A forced
    // choice has no alternative: undo further.
    do {
      if (stackNode.length === 0) {
        if (exhaustive && seen.size > 0) return { outcome: "ok", states, seen };
        // No configuration got past this op's return.
        return { outcome: "fail", states, seen, stuckAt: stuckAt >= 0 ? mops[stuckAt].src : null };
      }
      const x = stackNode.pop();
      const i = nodeOp[x];
      state = stackState.pop();
      cbase = stackCBase.pop();
      clen = stackCLen.pop();
      index = stackIndex.pop();
      openerReady = stackOpener.pop();
      if (retOf[i] >= 0) relink(retOf[i]);
      relink(x);
      flip(i);
      finiteRemaining += finite[i];
    } while (index < 0);
    cpool.n = cbase + clen;
    ++index;
  }
}

// --- one key: check, then explain -------------------------------------------

function checkKey(key, ops, limits, explain) {
  const started = performance.now();
  const values = new Values();
  const mops = compile(ops, values);
  const run = (m, exhaustive = false, deadline = started + limits.ms) =>
    search(m, values.list.length, { deadline, maxStates: limits.states, exhaustive });
  // Values seen only in later compilations (prefixes) grow the list; keep
  // one Values for the key so ids stay stable.
  const result = run(mops);
  const base = {
    key,
    ops: ops.length,
    checkedOps: mops.length,
    states: result.states,
    elapsedMs: performance.now() - started,
  };
  if (result.outcome === "ok") return { ...base, valid: true };
  if (result.outcome === "budget") {
    const reason = `budget exceeded (${result.states} states, ${Math.round(base.elapsedMs)} ms; budget ${limits.states} states / ${limits.ms} ms)`;
    return { ...base, valid: "unknown", reason, explanation: `key ${JSON.stringify(key)}: unknown — ${reason}` };
  }
  const out = { ...base, valid: false, reason: "not linearizable" };
  if (!explain) return { ...out, explanation: `key ${JSON.stringify(key)}: not linearizable` };
  return { ...out, ...explainFailure(key, ops, values, limits, result.stuckAt) };
}

/** Source ops of the prefix ending with the k-th return event (1-based). */
function prefixOf(order, k) {
  const out = [];
  let returns = 0;
  const cut = new Set();
  for (const e of order) {
    if (e.ret) {
      if (returns >= k) continue;
      ++returns;
      cut.add(e.op);
    } else if (returns < k) out.push(e.op);
  }
  return out.map((op) => (cut.has(op) ? op : { ...op, complete: null, output: undefined, truncated: op }));
}

function explainFailure(key, ops, values, limits, stuckAt) {
  const deadline = performance.now() + limits.ms;
  const run = (m, exhaustive = false, end = deadline) =>
    search(m, values.list.length, { deadline: end, maxStates: limits.states, exhaustive });
  // Events of the source history, ordered as the search orders them.
  const order = [];
  for (const op of ops) {
    order.push({ t: op.invoke, ret: 0, op });
    if (!isUnknown(op)) order.push({ t: op.complete, ret: 1, op });
  }
  order.sort((x, y) => x.t - y.t || x.ret - y.ret || x.op.index - y.op.index);
  const returns = order.filter((e) => e.ret);
  const outcome = (k) => (k === 0 ? "ok" : run(compile(prefixOf(order, k), values)).outcome);

  // The shortest failing prefix: prefixes only relax as they shrink (an op
  // not yet returned becomes unknown), so failure is monotonic in k. The
  // search got past every return before the one it got stuck at, so the
  // prefix before it passes, and usually the prefix with it fails; check
  // that, else bisect.
  let lo = 0; // largest k known to pass
  let hi = returns.length; // smallest k known to fail
  let cutShort = false;
  const k = returns.findIndex((e) => e.op === stuckAt) + 1;
  if (k > 0) {
    const at = outcome(k);
    if (at === "fail" && outcome(k - 1) === "ok") lo = (hi = k) - 1;
    else if (at === "ok") lo = k;
    else if (at === "fail") hi = k;
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const r = outcome(mid);
    if (r === "budget") {
      cutShort = true;
      break;
    }
    if (r === "ok") lo = mid;
    else hi = mid;
  }
  const culprit = returns[hi - 1].op;
  const prefix = prefixOf(order, hi);

  // The values the register could hold while the culprit ran: replace it by
  // a probe that accepts any value and enumerate every linearization.
  const probeOp = prefix.find((op) => op.index === culprit.index);
  const probed = cutShort
    ? { outcome: "budget" }
    : run(compile(prefix, values, probeOp), true, Math.min(deadline, performance.now() + limits.ms / 2));
  const possible = probed.outcome === "ok" ? [...probed.seen].sort((x, y) => x - y).map((id) => values.list[id]) : null;

  const v = (x) => JSON.stringify(x ?? null);
  const lines = [`key ${JSON.stringify(key)}: not linearizable.`];
  lines.push(
    cutShort
      ? `(The search for the shortest failing prefix ran out of budget; the op below completes a failing prefix, maybe not the shortest.)`
      : hi === 1
        ? `Already the first op to complete cannot be accommodated:`
        : `The history is linearizable up to its ${ordinal(hi - 1)} completion (in time order); the ${ordinal(hi)} cannot be accommodated:`,
  );
  lines.push(`  ${formatOp(culprit)}`);
  if (!possible) lines.push(`(The values the register could hold while it ran were not computed: budget.)`);
  else {
    lines.push(
      possible.length
        ? `While it ran, given every op completed before it, the register could only hold: ${possible.map(v).join(", ")}.`
        : `No value of the register is consistent with the ops completed before it.`,
    );
  }

  // Where the values the culprit involves came from.
  const involved = [];
  if (culprit.kind === "read") involved.push(culprit.output);
  else if (culprit.kind === "cas") {
    involved.push(casInput(culprit).expected);
    if (culprit.output && "current" in culprit.output) involved.push(culprit.output.current);
  }
  for (const x of new Set(involved.map((y) => y ?? null))) {
    if (x === null) {
      lines.push(`${v(x)} is the initial (absent) value${writersOf(ops, x).length ? "; also written by:" : "."}`);
    } else {
      const w = writersOf(ops, x);
      lines.push(w.length ? `${v(x)} was written by:` : `${v(x)} was never written by any op.`);
    }
    for (const op of writersOf(ops, x)) lines.push(`  ${formatOp(op)}`);
  }

  // Ops around the culprit: the last few completed before it was invoked,
  // every op overlapping it.
  const before = ops
    .filter((op) => !isUnknown(op) && op.complete < culprit.invoke)
    .sort((x, y) => x.complete - y.complete)
    .slice(-5);
  const overlapping = ops.filter(
    (op) => op !== culprit && op.invoke <= culprit.complete && (isUnknown(op) || op.complete >= culprit.invoke),
  );
  const around = [...new Set([...before, culprit, ...overlapping])].sort((x, y) => x.invoke - y.invoke || x.index - y.index);
  const shown = around.length > 31 ? around.filter((op) => op === culprit || overlapping.includes(op)).slice(-30) : around;
  lines.push(`Ops around it (the last ${before.length} completed before it, it (=>), and the ${overlapping.length} overlapping it):`);
  if (around.length > shown.length) lines.push(`  … ${around.length - shown.length} more not shown`);
  for (const op of shown) lines.push(`${op === culprit ? "=> " : "   "}${formatOp(op)}`);
  return {
    explanation: lines.join("\n"),
    culprit,
    possibleValues: possible,
    linearizableCompletions: hi - 1,
  };
}

function writersOf(ops, value) {
  return ops.filter((op) => {
    if (op.kind === "write") return (op.input ?? null) === value;
    if (op.kind === "cas") return (casInput(op).value ?? null) === value;
    return false;
  });
}

function ordinal(k) {
  const s = k % 100 >= 11 && k % 100 <= 13 ? "th" : ["th", "st", "nd", "rd"][k % 10] ?? "th";
  return `${k}${s}`;
}
