// The linearizability checker (test/support/linearizability.mjs) on its
// own, without nodes: hand-written histories with a known answer, then
// randomized histories from a simulated linearizable register (must pass),
// and the same with one injected anomaly (must fail). Seeds are printed;
// rerun one with LIN_SEED=<seed>, change the count with LIN_SEEDS=<n>.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkHistory, formatOp } from "../support/linearizability.mjs";

// --- hand-written histories -------------------------------------------------

const r = (client, [invoke, complete], output, key = "x") => ({ client, key, kind: "read", invoke, complete, output });
const w = (client, [invoke, complete], value, key = "x", output = { ok: true }) => ({
  client, key, kind: "write", invoke, complete, input: value, output: complete === null ? undefined : output,
});
const cas = (client, [invoke, complete], expected, value, output, key = "x") => ({
  client, key, kind: "cas", invoke, complete, input: { expected, value }, output: complete === null ? undefined : output,
});
const OK = { ok: true };
const FAIL = { ok: false };
const failSaw = (current) => ({ ok: false, current });

function expectValid(history) {
  const result = checkHistory(history);
  assert.equal(result.valid, true, result.explanation || "expected linearizable");
  return result;
}
function expectInvalid(history) {
  const result = checkHistory(history);
  assert.equal(result.valid, false, `expected not linearizable:\n${history.map((op, i) => formatOp({ ...op, index: i })).join("\n")}`);
  assert.match(result.explanation, /not linearizable/);
  return result;
}

describe("hand-written histories", () => {
  test("empty history, and only reads of the initial absent value", () => {
    expectValid([]);
    expectValid([r("c1", [0, 1], null), r("c2", [0.5, 2], null)]);
  });

  test("sequential writes and reads", () => {
    expectValid([w("c1", [0, 1], "a"), r("c2", [2, 3], "a"), w("c1", [4, 5], "b"), r("c2", [6, 7], "b")]);
  });

  test("stale read after a completed write", () => {
    const result = expectInvalid([w("c1", [0, 1], "a"), w("c1", [2, 3], "b"), r("c2", [4, 5], "a")]);
    const [key] = result.keys;
    assert.equal(key.culprit.index, 2);
    assert.deepEqual(key.possibleValues, ["b"]);
    assert.match(result.explanation, /#2 c2 read\(\) → "a"/);
    assert.match(result.explanation, /"a" was written by:\n  #0 c1 write\("a"\)/);
  });

  test("lost acknowledged write: a later read sees the value before it", () => {
    expectInvalid([w("c1", [0, 1], "a"), r("c2", [2, 3], null)]);
    expectInvalid([w("c1", [0, 1], "a"), w("c1", [2, 3], "b"), r("c2", [4, 5], "b"), r("c3", [6, 7], "a")]);
  });

  test("two successful cas from the same expected value", () => {
    const result = expectInvalid([
      w("c0", [0, 1], "a"),
      cas("c1", [2, 10], "a", "b", OK),
      cas("c2", [3, 11], "a", "c", OK),
    ]);
    assert.equal(result.keys[0].culprit.index, 2);
    // From the absent value too.
    expectInvalid([cas("c1", [0, 5], null, "a", OK), cas("c2", [1, 6], null, "b", OK)]);
  });

  test("read of a value never written", () => {
    const result = expectInvalid([w("c1", [0, 1], "a"), r("c2", [2, 3], "zzz")]);
    assert.match(result.explanation, /"zzz" was never written by any op/);
  });

  test("an unknown-outcome write that takes effect later is seen by a read", () => {
    // c1's write timed out at 5; the value shows up at 20.
    expectValid([w("c1", [0, null], "a"), r("c2", [1, 2], null), r("c2", [10, 11], null), r("c2", [20, 21], "a")]);
    // ... and may also never take effect.
    expectValid([w("c1", [0, null], "a"), r("c2", [10, 11], null)]);
    // But not before it was invoked.
    expectInvalid([r("c2", [0, 1], "a"), w("c1", [2, null], "a")]);
    // Once seen, it stays (unique values): no flip back to the old value.
    expectInvalid([w("c1", [0, null], "a"), r("c2", [10, 11], "a"), r("c2", [12, 13], null)]);
  });

  test("an unknown-outcome cas is seen or not, but only from its expected value", () => {
    expectValid([w("c0", [0, 1], "a"), cas("c1", [2, null], "a", "b"), r("c2", [3, 4], "a"), r("c2", [50, 51], "b")]);
    // It cannot apply after "a" was replaced by "c".
    expectInvalid([
      w("c0", [0, 1], "a"),
      cas("c1", [2, null], "a", "b"),
      w("c0", [3, 4], "c"),
      r("c2", [5, 6], "c"),
      r("c2", [50, 51], "b"),
    ]);
  });

  test("concurrent ops can be ordered either way", () => {
    // Two overlapping writes: later reads see one, then possibly the other, never back.
    const base = [w("c1", [0, 10], "a"), w("c2", [1, 11], "b")];
    expectValid([...base, r("c3", [12, 13], "a")]);
    expectValid([...base, r("c3", [12, 13], "b")]);
    expectValid([...base, r("c3", [2, 3], "b"), r("c3", [4, 5], "a")]);
    expectInvalid([...base, r("c3", [12, 13], "a"), r("c3", [14, 15], "b")]);
    // A read overlapping a write sees the old or the new value.
    expectValid([w("c1", [0, 1], "a"), w("c1", [2, 8], "b"), r("c2", [3, 4], "a"), r("c3", [5, 6], "b")]);
    expectInvalid([w("c1", [0, 1], "a"), w("c1", [2, 8], "b"), r("c2", [3, 4], "b"), r("c3", [5, 6], "a")]);
  });

  test("real-time order: a read that returned before a write was invoked cannot see it", () => {
    expectInvalid([r("c2", [0, 1], "a"), w("c1", [2, 3], "a")]);
  });

  test("equal timestamps count as concurrent", () => {
    // The read was invoked in the very ms the write completed.
    expectValid([w("c1", [0, 5], "a"), r("c2", [5, 6], null)]);
    expectInvalid([w("c1", [0, 5], "a"), r("c2", [5.001, 6], null)]);
  });

  test("failed cas: the observation is checked, with or without the current value", () => {
    expectValid([w("c1", [0, 1], "a"), cas("c2", [2, 3], "b", "c", failSaw("a")), cas("c2", [4, 5], "b", "c", FAIL)]);
    // Reporting a current value that cannot be current.
    expectInvalid([w("c1", [0, 1], "a"), cas("c2", [2, 3], "b", "c", failSaw("zzz"))]);
    expectInvalid([w("c1", [0, 1], "a"), w("c1", [2, 3], "b"), cas("c2", [4, 5], "x", "c", failSaw("a"))]);
    // Failing although the register surely held the expected value.
    expectInvalid([w("c1", [0, 1], "a"), cas("c2", [2, 3], "a", "c", FAIL)]);
    expectInvalid([cas("c2", [0, 1], null, "c", FAIL)]);
    // A failed cas has no effect.
    expectInvalid([w("c1", [0, 1], "a"), cas("c2", [2, 3], "b", "c", FAIL), r("c3", [4, 5], "c")]);
    // ... but may be explained by a concurrent unknown write of an unobserved value.
    expectValid([w("c1", [0, 1], "a"), w("c3", [1.5, null], "q"), cas("c2", [2, 3], "a", "c", FAIL)]);
  });

  test("cas chains, including a cas that timed out in the middle", () => {
    expectValid([
      cas("c1", [0, 1], null, "a", OK),
      cas("c2", [2, 3], "a", "b", OK),
      cas("c3", [4, null], "b", "c"),
      cas("c1", [5, 6], "b", "d", failSaw("c")),
      cas("c2", [7, 8], "c", "e", OK),
      r("c1", [9, 10], "e"),
    ]);
  });

  test("ops that definitely failed are ignored", () => {
    expectValid([
      w("c1", [0, 1], "a"),
      w("c2", [2, 3], "b", "x", { ok: false, error: "not leader" }),
      cas("c3", [4, 5], "a", "c", { ok: false, error: "timeout before sending" }),
      r("c1", [6, 7], "a"),
    ]);
  });

  test("keys are checked independently (and reported by key)", () => {
    const result = checkHistory([
      w("c1", [0, 1], "a", "k1"),
      w("c1", [0, 1], "b", "k2"),
      r("c2", [2, 3], "a", "k1"),
      r("c2", [2, 3], "a", "k2"),
    ]);
    assert.equal(result.valid, false);
    const byKey = Object.fromEntries(result.keys.map((k) => [k.key, k.valid]));
    assert.deepEqual(byKey, { k1: true, k2: false });
    assert.match(result.explanation, /key "k2"/);
    assert.doesNotMatch(result.explanation, /key "k1"/);
  });

  test("a search over budget says unknown, not 'not linearizable'", () => {
    const history = simulate(4242, { ops: 3000, clients: 10, keys: 1 });
    const bad = structuredClone(history);
    anomalies["stale read after a completed overwrite"](bad, random(4242));
    for (const [h, name] of [[history, "linearizable"], [bad, "not linearizable"]]) {
      for (const budget of [{ states: 100 }, { ms: 1 }]) {
        const result = checkHistory(h, { budget });
        assert.equal(result.valid, "unknown", `${name} history, budget ${JSON.stringify(budget)}`);
        assert.match(result.keys[0].reason, /^budget exceeded \(\d+ states, \d+ ms; budget/);
        assert.match(result.explanation, /unknown — budget exceeded/);
      }
      assert.equal(checkHistory(h).valid, name === "linearizable", `${name}, default budget`);
    }
  });

  test("malformed ops are rejected", () => {
    assert.throws(() => checkHistory([{ key: "x", kind: "inc", invoke: 0, complete: 1 }]), /unknown kind/);
    assert.throws(() => checkHistory([r("c", [5, 1], null)]), /complete must be/);
    assert.throws(() => checkHistory([{ key: "x", kind: "cas", invoke: 0, complete: 1, input: "a", output: OK }]), /cas input/);
  });
});

// --- randomized histories ---------------------------------------------------

/** mulberry32: a small seeded generator of floats in [0, 1). */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A history of a linearizable register: each op takes effect at a random
 * moment inside its interval (or, for some unknown-outcome and failed ops,
 * never); outputs come from applying the ops in that order. Times are
 * widened to whole ms in half the cases (ties). Values are unique.
 */
function simulate(seed, { ops = 400, clients = 1 + (seed % 8), keys = 1 + (seed % 3) } = {}) {
  const rand = random(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const quantum = rand() < 0.5 ? 1 : 0;
  const pUnknown = rand() * 0.08;
  const pError = rand() * 0.03;
  // Half the histories report the current value on every failed cas (as a
  // RavenDB client can): that enables more pruning, so test both.
  const pBlind = rand() < 0.5 ? 0 : rand() * 0.3;
  const list = [];
  const perClient = Math.ceil(ops / clients);
  for (let c = 0; c < clients; ++c) {
    let t = rand() * 5;
    for (let j = 0; j < perClient && list.length < ops; ++j) {
      const invoke = t + rand() * 3;
      const dur = 0.05 + (rand() < 0.1 ? rand() * 60 : rand() * 8);
      const complete = invoke + dur;
      const roll = rand();
      const kind = roll < 0.4 ? "read" : roll < 0.6 ? "write" : "cas";
      const fate = kind !== "read" && rand() < pError ? "error" : rand() < pUnknown ? (rand() < 0.4 ? "lost" : "unknown") : "ok";
      const effective = fate === "ok" || fate === "unknown";
      list.push({
        client: `c${c}`, key: `k${Math.floor(rand() * keys)}`, kind, fate,
        invoke: quantum ? Math.floor(invoke) : invoke,
        complete: quantum ? Math.ceil(complete) : complete,
        lin: effective ? invoke + rand() * dur : Infinity,
        value: `v${c}.${j}`,
      });
      t = complete;
    }
  }
  // Apply in linearization order; inputs of cas chosen from what the key holds.
  const current = new Map();
  const history = new Map(); // key -> values it held
  for (const op of [...list].sort((a, b) => a.lin - b.lin)) {
    const now = current.get(op.key) ?? null;
    const past = history.get(op.key) ?? [null];
    if (op.kind === "read") op.output = now;
    else if (op.kind === "write") {
      op.input = op.value;
      if (op.lin !== Infinity) current.set(op.key, op.value);
      op.output = { ok: true };
    } else {
      const roll = rand();
      const expected = roll < 0.55 ? now : roll < 0.85 ? pick(past) : pick([null, ...past.slice(-3)]);
      op.input = { expected, value: op.value };
      if (op.lin !== Infinity && expected === now) {
        current.set(op.key, op.value);
        op.output = { ok: true };
      } else op.output = rand() < pBlind ? { ok: false } : { ok: false, current: now };
    }
    if ((current.get(op.key) ?? null) !== now) past.push(current.get(op.key));
    history.set(op.key, past);
  }
  return list.map(({ client, key, kind, fate, invoke, complete, input, output }) => {
    if (fate === "lost" || fate === "unknown") return { client, key, kind, invoke, complete: null, input, output: undefined };
    if (fate === "error") return { client, key, kind, invoke, complete, input, output: { ok: false, error: "refused" } };
    return { client, key, kind, invoke, complete, input, output };
  });
}

const known = (op) => op.complete !== null && !(op.output && typeof op.output === "object" && "error" in op.output);
const changes = (op) => known(op) && ((op.kind === "write" && op.output.ok) || (op.kind === "cas" && op.output.ok));
const newValue = (op) => (op.kind === "write" ? op.input : op.input?.value);

/**
 * Injects one anomaly that no linearization can explain (given unique
 * values and no writes of null). Returns { kind, index } of the op changed,
 * or null when the history has no spot for this kind.
 */
const anomalies = {
  "read of a value never written": (h) => {
    const R = h.findIndex((op) => op.kind === "read" && known(op));
    if (R < 0) return null;
    h[R] = { ...h[R], output: "never-written" };
    return R;
  },
  "stale read after a completed overwrite": (h, rand) => {
    const reads = h.map((op, i) => i).filter((i) => h[i].kind === "read" && known(h[i]));
    for (const R of shuffle(reads, rand)) {
      const key = h[R].key;
      const W2s = h.map((op, i) => i).filter((i) => h[i].key === key && changes(h[i]) && h[i].complete < h[R].invoke);
      for (const W2 of shuffle(W2s, rand)) {
        // The overwritten value: one written before W2 started, or the initial null.
        const Ws = h.map((op, i) => i).filter((i) => h[i].key === key && changes(h[i]) && h[i].complete < h[W2].invoke);
        const stale = Ws.length && rand() < 0.8 ? newValue(h[Ws[Math.floor(rand() * Ws.length)]]) : null;
        if (stale === h[R].output) continue;
        h[R] = { ...h[R], output: stale };
        return R;
      }
    }
    return null;
  },
  "read of a value written only later": (h, rand) => {
    const reads = h.map((op, i) => i).filter((i) => h[i].kind === "read" && known(h[i]));
    for (const R of shuffle(reads, rand)) {
      const later = h.find((op) => op.key === h[R].key && op.kind !== "read" && op.invoke > h[R].complete);
      if (!later) continue;
      h[R] = { ...h[R], output: newValue(later) };
      return R;
    }
    return null;
  },
  "two successful cas from the same value": (h, rand) => {
    const oks = h.map((op, i) => i).filter((i) => h[i].kind === "cas" && known(h[i]) && h[i].output.ok && h[i].input.expected !== null);
    for (const S of shuffle(oks, rand)) {
      const F = h.findIndex((op, i) => i !== S && op.key === h[S].key && op.kind === "cas" && known(op));
      if (F < 0) continue;
      h[F] = { ...h[F], input: { expected: h[S].input.expected, value: h[F].input.value }, output: { ok: true } };
      return F;
    }
    return null;
  },
  "cas succeeding on a value never written": (h) => {
    const C = h.findIndex((op) => op.kind === "cas" && known(op) && op.output.ok);
    if (C < 0) return null;
    h[C] = { ...h[C], input: { ...h[C].input, expected: "never-written" } };
    return C;
  },
  "failed cas reporting an impossible current value": (h) => {
    const C = h.findIndex((op) => op.kind === "cas" && known(op) && !op.output.ok && "current" in op.output);
    if (C < 0) return null;
    h[C] = { ...h[C], output: { ok: false, current: "never-written" } };
    return C;
  },
};

function shuffle(xs, rand) {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; --i) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out.slice(0, 50);
}

/**
 * Linearizability by brute force, for tiny histories: every subset of the
 * unknown-outcome ops, every order of the chosen ops that respects real
 * time (a before b iff a completed strictly before b was invoked).
 */
function bruteForce(history) {
  const ops = history.filter((op) => {
    const error = op.output && typeof op.output === "object" && "error" in op.output;
    if (op.complete !== null && (error || (op.kind === "write" && op.output?.ok === false))) return false;
    return !(op.kind === "read" && op.complete === null);
  });
  const apply = (state, op) => {
    const unknown = op.complete === null;
    if (op.kind === "read") return state === op.output ? state : undefined;
    if (op.kind === "write") return op.input;
    const { expected, value } = op.input;
    if (unknown) return state === expected ? value : state;
    if (op.output.ok) return state === expected ? value : undefined;
    if (state === expected) return undefined;
    return "current" in op.output && op.output.current !== state ? undefined : state;
  };
  const before = (a, b) => a.complete !== null && a.complete < b.invoke;
  const unknowns = ops.filter((op) => op.complete === null);
  const known = ops.filter((op) => op.complete !== null);
  for (let mask = 0; mask < 1 << unknowns.length; ++mask) {
    const chosen = [...known, ...unknowns.filter((_, i) => mask & (1 << i))];
    const used = new Array(chosen.length).fill(false);
    const failed = new Set(); // "used mask/state" known to lead nowhere
    const extend = (state, count, mask) => {
      if (count === chosen.length) return true;
      const memo = `${mask}/${state}`;
      if (failed.has(memo)) return false;
      for (let i = 0; i < chosen.length; ++i) {
        if (used[i]) continue;
        // Minimal: every unused op that must precede chosen[i] is used.
        if (chosen.some((o, j) => !used[j] && j !== i && before(o, chosen[i]))) continue;
        const next = apply(state, chosen[i]);
        if (next === undefined) continue;
        used[i] = true;
        const ok = extend(next, count + 1, mask | (1 << i));
        used[i] = false;
        if (ok) return true;
      }
      failed.add(memo);
      return false;
    };
    if (extend(null, 0, 0)) return true;
  }
  return false;
}

/**
 * A tiny history over few values (not unique), times with ties: odd seeds
 * are random, even seeds come from a simulated register (many unknown
 * outcomes, failed cas with and without the current value), half of them
 * with one output changed.
 */
function tinyHistory(seed) {
  const rand = random(seed);
  if (seed % 2 === 0) {
    const history = [];
    let state = null;
    const n = 3 + Math.floor(rand() * 9);
    const pool = ["a", "b", "c"];
    const events = [];
    for (let i = 0; i < n; ++i) {
      const invoke = Math.floor(rand() * 2 * n);
      const dur = Math.floor(rand() * 8);
      const fate = rand() < 0.35 ? (rand() < 0.5 ? "lost" : "unknown") : "ok";
      events.push({ i, invoke, complete: invoke + dur, lin: fate === "lost" ? Infinity : invoke + rand() * dur, fate });
    }
    for (const e of [...events].sort((x, y) => x.lin - y.lin)) {
      const kind = ["read", "write", "cas", "cas"][Math.floor(rand() * 4)];
      const op = { client: `c${e.i}`, key: "x", kind, invoke: e.invoke, complete: e.fate === "ok" ? e.complete : null };
      const applied = e.lin !== Infinity;
      if (kind === "read") op.output = state;
      else if (kind === "write") {
        op.input = pool[Math.floor(rand() * 3)];
        if (applied) state = op.input;
        op.output = { ok: true };
      } else {
        const expected = rand() < 0.5 ? state : [null, ...pool][Math.floor(rand() * 4)];
        op.input = { expected, value: pool[Math.floor(rand() * 3)] };
        if (applied && expected === state) {
          state = op.input.value;
          op.output = { ok: true };
        } else op.output = rand() < 0.5 ? { ok: false } : { ok: false, current: state };
      }
      if (op.complete === null) op.output = undefined;
      history[e.i] = op;
    }
    if (rand() < 0.5) {
      const victims = history.filter((op) => op.complete !== null);
      const op = victims[Math.floor(rand() * victims.length)];
      if (op?.kind === "read") op.output = [null, ...pool][Math.floor(rand() * 4)];
      else if (op?.kind === "cas") op.output = op.output.ok ? { ok: false } : { ok: true };
    }
    return history;
  }
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const pool = [null, "a", "b", "c"];
  const n = 2 + Math.floor(rand() * 6);
  const history = [];
  for (let i = 0; i < n; ++i) {
    const invoke = Math.floor(rand() * 10);
    const complete = rand() < 0.2 ? null : invoke + Math.floor(rand() * 6);
    const kind = pick(["read", "write", "cas", "cas"]);
    const op = { client: `c${i}`, key: "x", kind, invoke, complete };
    if (kind === "read") op.output = complete === null ? undefined : pick(pool);
    else if (kind === "write") {
      op.input = pick(pool.slice(1));
      op.output = complete === null ? undefined : rand() < 0.1 ? { ok: false, error: "e" } : { ok: true };
    } else {
      op.input = { expected: pick(pool), value: pick(pool.slice(1)) };
      const roll = rand();
      op.output = complete === null ? undefined : roll < 0.5 ? { ok: true } : roll < 0.75 ? { ok: false } : { ok: false, current: pick(pool) };
    }
    history.push(op);
  }
  return history;
}

const seeds = process.env.LIN_SEED
  ? [Number(process.env.LIN_SEED)]
  : Array.from({ length: Number(process.env.LIN_SEEDS ?? 150) }, (_, i) => 1000 + i);

describe("randomized histories", () => {
  test(`histories of a linearizable register pass (${seeds.length} seeds)`, (t) => {
    let ops = 0;
    let maxMs = 0;
    let maxStates = 0;
    const started = performance.now();
    for (const seed of seeds) {
      const history = simulate(seed);
      const result = checkHistory(history);
      assert.equal(result.valid, true, `seed ${seed}: ${result.explanation}`);
      ops += history.length;
      maxMs = Math.max(maxMs, result.elapsedMs);
      maxStates = Math.max(maxStates, ...result.keys.map((k) => k.states));
    }
    t.diagnostic(
      `seeds ${seeds[0]}..${seeds.at(-1)}: ${ops} ops in ${Math.round(performance.now() - started)} ms, ` +
        `slowest history ${maxMs.toFixed(1)} ms, most states ${maxStates}`,
    );
  });

  test(`the same with one injected anomaly fail (${seeds.length} seeds)`, (t) => {
    const names = Object.keys(anomalies);
    const counts = Object.fromEntries(names.map((n) => [n, 0]));
    const started = performance.now();
    let sample;
    for (const seed of seeds) {
      const rand = random(seed * 7919);
      const history = simulate(seed);
      let kind;
      let index = null;
      for (let k = 0; k < names.length && index === null; ++k) {
        kind = names[(seed + k) % names.length];
        index = anomalies[kind](history, rand);
      }
      assert.notEqual(index, null, `seed ${seed}: no anomaly could be injected`);
      counts[kind]++;
      const result = checkHistory(history);
      assert.equal(result.valid, false, `seed ${seed}: ${kind} at #${index} not detected (valid = ${result.valid})`);
      const bad = result.keys.find((k) => k.valid === false);
      assert.equal(bad.key, history[index].key, `seed ${seed}: reported on the wrong key`);
      // A changed read or failed cas is itself the first op that cannot be
      // accommodated; a changed successful cas may be caught by a read.
      if (history[index].kind === "read" || !history[index].output.ok)
        assert.equal(bad.culprit.index, index, `seed ${seed}: ${kind}: culprit\n${result.explanation}`);
      if (kind === "stale read after a completed overwrite") sample ??= `seed ${seed}, ${kind}:\n${result.explanation}`;
    }
    t.diagnostic(`seeds ${seeds[0]}..${seeds.at(-1)} in ${Math.round(performance.now() - started)} ms; anomalies ${JSON.stringify(counts)}`);
    for (const line of `a sample explanation, ${sample}`.split("\n")) t.diagnostic(line);
  });

  test("agrees with a brute-force search on tiny histories (values not unique)", (t) => {
    const count = Number(process.env.LIN_TINY ?? 20000);
    let linearizable = 0;
    for (let seed = 1; seed <= count; ++seed) {
      const history = tinyHistory(seed);
      const expected = bruteForce(history);
      const result = checkHistory(history);
      if (result.valid !== expected)
        assert.fail(
          `tiny seed ${seed}: checker says ${result.valid}, brute force ${expected}:\n` +
            history.map((op, i) => formatOp({ ...op, index: i })).join("\n"),
        );
      linearizable += expected ? 1 : 0;
    }
    t.diagnostic(`tiny seeds 1..${count}: ${linearizable} linearizable, ${count - linearizable} not`);
  });

  test("a few thousand ops on one key check in well under a second", (t) => {
    // Clients on one key, each with one op in flight, 10% of the ops slow;
    // 5 or 10 is the typical case, 20 a stress case (timed, not bounded).
    for (const [seed, clients, boundMs] of [[7, 5, 1500], [8, 10, 1500], [9, 20, Infinity]]) {
      const history = simulate(seed, { ops: 5000, clients, keys: 1 });
      const result = checkHistory(history);
      assert.equal(result.valid, true, `seed ${seed}: ${result.explanation}`);
      t.diagnostic(`seed ${seed}: 5000 ops, ${clients} clients: ${result.elapsedMs.toFixed(1)} ms, ${result.keys[0].states} states`);
      assert.ok(result.elapsedMs < boundMs, `seed ${seed}: ${result.elapsedMs} ms`);
      const bad = structuredClone(history);
      const index = anomalies["stale read after a completed overwrite"](bad, random(seed));
      const checked = checkHistory(bad, { explain: false });
      assert.equal(checked.valid, false, `seed ${seed}: anomaly at #${index} not detected`);
      const explained = checkHistory(bad);
      assert.equal(explained.keys[0].culprit.index, index);
      t.diagnostic(
        `  with a stale read at #${index}: rejected in ${checked.elapsedMs.toFixed(1)} ms ` +
          `(${checked.keys[0].states} states), explained in ${explained.elapsedMs.toFixed(1)} ms`,
      );
    }
  });
});
