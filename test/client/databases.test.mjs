// Database management through store.maintenance.server with the npm client:
// create, "already exists", record, names, delete, and what a session on a
// deleted database sees, disabling and enabling; plus the server-wide read
// paths.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  CreateDatabaseOperation,
  DeleteDatabasesOperation,
  GetBuildNumberOperation,
  GetClusterTopologyCommand,
  GetDatabaseNamesOperation,
  GetDatabaseRecordOperation,
  GetNodeInfoCommand,
  GetStatisticsOperation,
  PutCompareExchangeValueOperation,
  ToggleDatabasesStateOperation,
} from "ravendb";
import { http } from "../support/corvus_node.mjs";
import { createDatabase, errorOf, openStore, startServer } from "./setup.mjs";

let node;
let store;

before(async () => {
  node = await startServer();
  store = openStore(node, "shop");
});

describe("database management", () => {
  test("a fresh node has no databases", async () => {
    const names = await store.maintenance.server.send(new GetDatabaseNamesOperation(0, 25));
    assert.deepEqual(names, []);
    assert.equal(await store.maintenance.server.send(new GetDatabaseRecordOperation("shop")), undefined);
  });

  test("CreateDatabaseOperation creates the database", async () => {
    const result = await createDatabase(store, "shop");
    assert.equal(result.name, "shop");
    assert.ok(result.raftCommandIndex > 0, `raftCommandIndex ${result.raftCommandIndex}`);
    assert.deepEqual(result.topology.members, ["A"]);
  });

  test("creating it again fails with ConcurrencyException", async () => {
    const err = await errorOf(() => createDatabase(store, "shop"));
    assert.equal(err.name, "ConcurrencyException", err.message);
  });

  test("database names are case-insensitive", async () => {
    const err = await errorOf(() => createDatabase(store, "SHOP"));
    assert.equal(err.name, "ConcurrencyException", err.message);
    const s = store.openSession();
    await s.store({ v: 1 }, "case/1");
    await s.saveChanges();
    const upper = openStore(node, "Shop");
    assert.equal((await upper.openSession().load("case/1")).v, 1);
  });

  test("a creation sent again with the same raft-request-id gets the first answer", async () => {
    // What a client does when the answer was lost (a failover); a new id
    // for the same name is the ConcurrencyException above.
    const url = `${node.url}/admin/databases?name=resent&replicationFactor=1&raft-request-id=8d1c2a4e-resent`;
    const first = await http(url, { method: "PUT", body: { DatabaseName: "resent" } });
    assert.equal(first.status, 201, first.text);
    const again = await http(url, { method: "PUT", body: { DatabaseName: "resent" } });
    assert.equal(again.status, 201, again.text);
    assert.equal(again.json.RaftCommandIndex, first.json.RaftCommandIndex);
    const other = await http(url.replace("8d1c2a4e-resent", "another-id"), { method: "PUT", body: { DatabaseName: "resent" } });
    assert.equal(other.status, 409, other.text);
    await store.maintenance.server.send(new DeleteDatabasesOperation({ databaseNames: ["resent"], hardDelete: true }));
  });

  test("of concurrent creations of one database exactly one succeeds", async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => createDatabase(openStore(node, "race"), "race")),
    );
    assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
    for (const o of outcomes.filter((o) => o.status === "rejected"))
      assert.equal(o.reason.name, "ConcurrencyException", o.reason.message);
    await store.maintenance.server.send(new DeleteDatabasesOperation({ databaseNames: ["race"], hardDelete: true }));
  });

  test("GetDatabaseRecordOperation returns the record", async () => {
    const record = await store.maintenance.server.send(new GetDatabaseRecordOperation("shop"));
    assert.equal(record.databaseName, "shop");
    assert.deepEqual(record.topology.members, ["A"]);
    assert.equal(typeof record.etag, "number");
  });

  test("GetDatabaseNamesOperation lists every database", async () => {
    await createDatabase(store, "other");
    const names = await store.maintenance.server.send(new GetDatabaseNamesOperation(0, 25));
    assert.deepEqual([...names].sort(), ["other", "shop"]);
    const paged = await store.maintenance.server.send(new GetDatabaseNamesOperation(1, 25));
    assert.equal(paged.length, 1);
  });

  test("an invalid database name is refused with a client error", async () => {
    for (const name of ["bad/name", "a b?", "x".repeat(300)]) {
      const err = await errorOf(() =>
        store.maintenance.server.send(new CreateDatabaseOperation({ databaseName: name })),
      );
      assert.equal(err.name, "BadRequestException", `name ${JSON.stringify(name)}: ${err.message}`);
    }
    const names = await store.maintenance.server.send(new GetDatabaseNamesOperation(0, 25));
    assert.deepEqual([...names].sort(), ["other", "shop"]);
  });

  test("DeleteDatabasesOperation removes a database and its documents", async () => {
    const otherStore = openStore(node, "other");
    {
      const session = otherStore.openSession();
      await session.store({ name: "doomed" }, "things/1");
      await session.saveChanges();
    }
    const result = await store.maintenance.server.send(
      new DeleteDatabasesOperation({ databaseNames: ["other"], hardDelete: true }),
    );
    assert.ok(result.raftCommandIndex > 0);

    const names = await store.maintenance.server.send(new GetDatabaseNamesOperation(0, 25));
    assert.deepEqual(names, ["shop"]);
    assert.equal(await store.maintenance.server.send(new GetDatabaseRecordOperation("other")), undefined);

    // A session of a store that used the database before it was deleted.
    const err = await errorOf(() => otherStore.openSession().load("things/1"));
    assert.equal(err.name, "DatabaseDoesNotExistException", err.message);

    // A new database of the same name starts empty.
    await createDatabase(store, "other");
    const fresh = openStore(node, "other");
    assert.equal(await fresh.openSession().load("things/1"), null);
    const stats = await fresh.maintenance.send(new GetStatisticsOperation());
    assert.equal(stats.countOfDocuments, 0);
  });

  test("deleting an unknown database is not an error", async () => {
    await store.maintenance.server.send(
      new DeleteDatabasesOperation({ databaseNames: ["never-existed"], hardDelete: true }),
    );
  });

  test("a session on a database that never existed fails with DatabaseDoesNotExistException", async () => {
    const ghost = openStore(node, "ghost");
    const session = ghost.openSession();
    await session.store({ a: 1 }, "x/1");
    const err = await errorOf(() => session.saveChanges());
    assert.equal(err.name, "DatabaseDoesNotExistException", err.message);
    const err2 = await errorOf(() => ghost.openSession().load("x/1"));
    assert.equal(err2.name, "DatabaseDoesNotExistException", err2.message);
    const err3 = await errorOf(() => ghost.maintenance.send(new GetStatisticsOperation()));
    assert.equal(err3.name, "DatabaseDoesNotExistException", err3.message);
  });
});

describe("disabling and enabling", () => {
  test("a disabled database keeps its documents and refuses every request until enabled", async () => {
    const dormant = openStore(node, "dormant");
    await createDatabase(dormant);
    const s = dormant.openSession();
    await s.store({ v: 1 }, "kept/1");
    await s.saveChanges();

    const off = await store.maintenance.server.send(new ToggleDatabasesStateOperation("dormant", true));
    assert.equal(off.name, "dormant");
    assert.equal(off.success, true);
    assert.equal(off.disabled, true);
    const record = await store.maintenance.server.send(new GetDatabaseRecordOperation("dormant"));
    assert.equal(record.disabled, true);

    const raw = await http(`${node.url}/databases/dormant/docs?id=kept%2F1`);
    assert.equal(raw.status, 503);
    assert.equal(raw.json.Type, "Raven.Client.Exceptions.Database.DatabaseDisabledException");
    assert.match(raw.json.Message, /'dormant' is disabled/);
    const write = dormant.openSession();
    await write.store({ v: 2 }, "kept/2");
    const err = await errorOf(() => write.saveChanges());
    assert.match(err.name + err.message, /DatabaseDisabledException/);
    const cmpxchg = await errorOf(() => dormant.operations.send(new PutCompareExchangeValueOperation("k", { a: 1 }, 0)));
    assert.match(cmpxchg.name + cmpxchg.message, /DatabaseDisabledException/);

    const on = await store.maintenance.server.send(new ToggleDatabasesStateOperation("DORMANT", false));
    assert.equal(on.success, true);
    assert.equal(on.disabled, false);
    assert.equal((await dormant.openSession().load("kept/1")).v, 1);
    assert.equal(await dormant.openSession().load("kept/2"), null, "the refused write wrote nothing");
    const after = dormant.openSession();
    await after.store({ v: 3 }, "kept/3");
    await after.saveChanges();
  });

  test("an unknown name is reported, not an error", async () => {
    const raw = await http(`${node.url}/admin/databases/disable`, {
      method: "POST",
      body: JSON.stringify({ DatabaseNames: ["no-such-db", "shop"] }),
    });
    assert.equal(raw.status, 200);
    assert.deepEqual(raw.json.Status.map((x) => [x.Name, x.Success]), [["no-such-db", false], ["shop", true]]);
    assert.equal(raw.json.Status[0].Reason, "database not found");
    await store.maintenance.server.send(new ToggleDatabasesStateOperation("shop", false));
    const bad = await http(`${node.url}/admin/databases/enable`, { method: "POST", body: JSON.stringify({ DatabaseNames: [] }) });
    assert.equal(bad.status, 400);
  });
});

describe("server-wide paths", () => {
  test("GetBuildNumberOperation", async () => {
    const build = await store.maintenance.server.send(new GetBuildNumberOperation());
    assert.equal(typeof build.productVersion, "string");
    assert.equal(typeof build.buildVersion, "number");
    assert.equal(typeof build.fullVersion, "string");
  });

  test("cluster topology names this node A with its URL", async () => {
    const command = new GetClusterTopologyCommand();
    await store.getRequestExecutor().execute(command);
    const topology = command.result;
    assert.equal(topology.leader, "A");
    assert.equal(topology.nodeTag, "A");
    assert.equal(topology.topology.members.A, node.url);
    assert.deepEqual(Object.keys(topology.topology.allNodes), ["A"]);
  });

  test("node info", async () => {
    const command = new GetNodeInfoCommand();
    await store.getRequestExecutor().execute(command);
    assert.equal(command.result.nodeTag, "A");
    assert.equal(command.result.serverRole, "Member");
  });

  test("database topology lists this node as the only member", async () => {
    const executor = store.getRequestExecutor();
    await store.openSession().load("warm/up"); // fetches the topology
    const topology = executor.getTopology();
    assert.equal(topology.nodes.length, 1);
    assert.equal(topology.nodes[0].url, node.url);
    assert.equal(topology.nodes[0].clusterTag, "A");
    assert.equal(topology.nodes[0].database, "shop");
    assert.equal(topology.nodes[0].serverRole, "Member");
  });

  test("raw GET /databases and /topology answer PascalCase JSON", async () => {
    const dbs = await http(`${node.url}/databases?namesOnly=true`);
    assert.equal(dbs.status, 200);
    assert.ok(Array.isArray(dbs.json.Databases));
    const topology = await http(`${node.url}/topology?name=shop`);
    assert.equal(topology.status, 200);
    assert.equal(topology.json.Nodes[0].Database, "shop");
    assert.equal(typeof topology.json.Etag, "number");
    const missing = await http(`${node.url}/topology?name=nope`);
    assert.equal(missing.status, 503);
    assert.equal(missing.headers.get("database-missing"), "nope");
  });
});
