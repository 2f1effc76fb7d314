// Shared set-up of the client suites: one corvus-node per test file and
// DocumentStores of the pinned npm `ravendb` client pointing at it.

import { after } from "node:test";
import { CreateDatabaseOperation, DocumentStore } from "ravendb";
import { startNode, stopAll } from "../support/corvus_node.mjs";

const stores = new Set();

after(async () => {
  for (const store of stores) store.dispose();
  stores.clear();
  await stopAll();
});

/** A fresh corvus-node for this test file. */
export async function startServer(options) {
  return startNode(options);
}

/**
 * An initialized DocumentStore on `database` of `target` (a node, or the
 * URLs of a cluster's nodes), disposed after the file.
 */
export function openStore(target, database) {
  const store = new DocumentStore(Array.isArray(target) ? target : [target.url], database);
  // No test may hang on a silent server.
  store.conventions.requestTimeout = 20_000;
  store.initialize();
  stores.add(store);
  return store;
}

/** Disposes `store` now (returns its HiLo ranges). */
export function disposeStore(store) {
  stores.delete(store);
  store.dispose();
}

/** Creates `database` on the node of `store`. */
export async function createDatabase(store, database = store.database) {
  return store.maintenance.server.send(
    new CreateDatabaseOperation({ databaseName: database }),
  );
}

/** The error `fn` throws (fails the test when it does not throw). */
export async function errorOf(fn) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error, but the call succeeded");
}

/** `A:<etag>-<22 characters of database id>` */
export const changeVectorPattern = /^A:\d+-[A-Za-z0-9+/_-]{22}$/;
/** ISO 8601 UTC with 7 fractional digits and Z. */
export const lastModifiedPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/;

/** The etag part of a single-entry change vector. */
export function etagOf(changeVector) {
  return Number(/^A:(\d+)-/.exec(changeVector)[1]);
}
