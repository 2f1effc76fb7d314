#include "runtime/http/responses.hpp"

#include "runtime/documents/document_id.hpp"
#include "runtime/documents/timestamp.hpp"
#include "runtime/json/json.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>

namespace corvus {

namespace {

void write_document(json_writer& w, const document_record& doc,
                    bool metadata_only) {
  if (!metadata_only) {
    w.RawValue(doc.json.data(), doc.json.size(), rapidjson::kObjectType);
    return;
  }
  rapidjson::Document parsed;
  parsed.Parse(doc.json.data(), doc.json.size());
  w.StartObject();
  if (!parsed.HasParseError() && parsed.IsObject())
    if (auto m = parsed.FindMember("@metadata"); m != parsed.MemberEnd()) {
      write_key(w, "@metadata");
      m->value.Accept(w);
    }
  w.EndObject();
}

void write_tag_map(json_writer& w, std::string_view name,
                   const std::map<std::string, std::string>& tags) {
  write_key(w, name);
  w.StartObject();
  for (auto& [tag, url] : tags) {
    write_key(w, tag);
    write_string(w, url);
  }
  w.EndObject();
}

// FNV-1a, 64 bit: a cheap, stable content hash for ETags.
void fnv(uint64_t& h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= 0xFF; // separator, so that ("ab","c") and ("a","bc") differ
  h *= 1099511628211ull;
}

} // namespace

std::string render_load(const std::vector<const document_record*>& results,
                        const std::vector<const document_record*>& includes,
                        bool metadata_only) {
  size_t reserve = 32;
  for (auto* r : results)
    reserve += r ? r->json.size() + 1 : 5;
  return write_json(reserve, [&](json_writer& w) {
    w.StartObject();
    write_key(w, "Results");
    w.StartArray();
    for (auto* r : results) {
      if (r == nullptr)
        w.Null();
      else
        write_document(w, *r, metadata_only);
    }
    w.EndArray();
    write_key(w, "Includes");
    w.StartObject();
    for (auto* inc : includes) {
      write_key(w, inc->id);
      write_document(w, *inc, metadata_only);
    }
    w.EndObject();
    w.EndObject();
  });
}

std::unique_ptr<results_in_pieces> render_listing(document_source docs,
                                                  bool metadata_only) {
  return std::make_unique<results_in_pieces>(
    [docs = std::move(docs), metadata_only](json_writer& w) -> outcome<bool> {
      auto doc = docs();
      if (!doc)
        return doc.error();
      if (!*doc)
        return false;
      write_document(w, **doc, metadata_only);
      return true;
    });
}

std::string load_etag(const std::vector<const document_record*>& results,
                      const std::vector<const document_record*>& includes) {
  uint64_t h = 14695981039346656037ull;
  for (auto* list : {&results, &includes})
    for (auto* r : *list) {
      if (r == nullptr) {
        fnv(h, "missing");
        continue;
      }
      fnv(h, r->id);
      fnv(h, r->change_vector);
    }
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(h));
  return buf;
}

std::string render_batch_result(const transaction_result& result) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_key(w, "Results");
    w.StartArray();
    for (auto& r : result.results) {
      w.StartObject();
      if (r.kind == command_kind::put) {
        write_key(w, "Type");
        write_string(w, "PUT");
        write_key(w, "@id");
        write_string(w, r.id);
        write_key(w, "@collection");
        write_string(w, r.collection);
        write_key(w, "@change-vector");
        write_string(w, r.change_vector);
        write_key(w, "@last-modified");
        write_string(w, format_timestamp(r.last_modified));
      } else {
        write_key(w, "Type");
        write_string(w, "DELETE");
        write_key(w, "Id");
        write_string(w, r.id);
        write_key(w, "Deleted");
        w.Bool(r.deleted);
        write_key(w, "ChangeVector");
        if (r.deleted)
          write_string(w, r.change_vector);
        else
          w.Null();
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

std::string render_put_result(const command_result& result) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_key(w, "Id");
    write_string(w, result.id);
    write_key(w, "ChangeVector");
    write_string(w, result.change_vector);
    w.EndObject();
  });
}

std::string render_hilo_range(const hilo_range& range) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_key(w, "Prefix");
    write_string(w, range.prefix);
    write_key(w, "Low");
    w.Int64(range.low);
    write_key(w, "High");
    w.Int64(range.high);
    write_key(w, "LastSize");
    w.Int64(range.last_size);
    write_key(w, "ServerTag");
    write_string(w, range.server_tag);
    write_key(w, "LastRangeAt");
    write_string(w, format_timestamp(range.last_range_at));
    w.EndObject();
  });
}

std::string humane_size(int64_t bytes) {
  static constexpr const char* units[] = {"Bytes", "KBytes", "MBytes",
                                          "GBytes", "TBytes"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0)
    std::snprintf(buf, sizeof(buf), "%lld %s", static_cast<long long>(bytes),
                  units[0]);
  else
    std::snprintf(buf, sizeof(buf), "%.2f %s", value, units[unit]);
  return buf;
}

std::string render_stats(const database_stats& stats) {
  return write_json([&](json_writer& w) {
    auto count = [&](std::string_view k, int64_t v) {
      write_key(w, k);
      w.Int64(v);
    };
    auto size = [&](std::string_view k, int64_t bytes) {
      write_key(w, k);
      w.StartObject();
      write_key(w, "HumaneSize");
      write_string(w, humane_size(bytes));
      write_key(w, "SizeInBytes");
      w.Int64(bytes);
      w.EndObject();
    };
    w.StartObject();
    count("CountOfDocuments", stats.document_count);
    count("CountOfRevisionDocuments", 0);
    count("CountOfDocumentsConflicts", stats.conflicted_documents);
    count("CountOfTombstones", stats.tombstone_count);
    count("CountOfConflicts", stats.conflict_count);
    count("CountOfAttachments", 0);
    count("CountOfUniqueAttachments", 0);
    count("CountOfCounterEntries", 0);
    count("CountOfTimeSeriesSegments", 0);
    count("CountOfIndexes", 0);
    write_key(w, "Indexes");
    w.StartArray();
    w.EndArray();
    count("LastDocEtag", stats.state.last_etag);
    count("LastDatabaseEtag", stats.state.last_etag);
    write_key(w, "DatabaseChangeVector");
    write_string(w, stats.state.change_vector);
    write_key(w, "DatabaseId");
    write_string(w, stats.state.db_id);
    write_key(w, "Is64Bit");
    w.Bool(true);
    write_key(w, "Pager");
    write_string(w, "LevelDB");
    write_key(w, "LastIndexingTime");
    w.Null();
    size("SizeOnDisk", stats.size_on_disk);
    size("TempBuffersSizeOnDisk", 0);
    count("NumberOfTransactionMergerQueueOperations", 0);
    w.EndObject();
  });
}

std::string render_collection_stats(const database_stats& stats) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_key(w, "CountOfDocuments");
    w.Int64(stats.document_count);
    write_key(w, "CountOfConflicts");
    w.Int64(stats.conflict_count);
    write_key(w, "Collections");
    w.StartObject();
    for (auto& c : stats.collections) {
      write_key(w, c.name);
      w.Int64(c.count);
    }
    w.EndObject();
    w.EndObject();
  });
}

std::string render_topology(const std::vector<topology_node>& nodes,
                            std::string_view database, int64_t etag) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_key(w, "Nodes");
    w.StartArray();
    for (auto& n : nodes) {
      w.StartObject();
      write_key(w, "Url");
      write_string(w, n.url);
      write_key(w, "ClusterTag");
      write_string(w, n.tag);
      write_key(w, "ServerRole");
      write_string(w, n.role);
      write_key(w, "Database");
      write_string(w, database);
      w.EndObject();
    }
    w.EndArray();
    write_key(w, "Etag");
    w.Int64(etag);
    w.EndObject();
  });
}

std::string render_cluster_topology(const cluster_summary& cluster,
                                    std::string_view url) {
  auto& raft = cluster.raft;
  auto in_cluster = cluster.bootstrapped();
  auto topology = cluster.topology;
  auto tag = raft.node_tag;
  if (!in_cluster) {
    tag = "A";
    topology.members = {{"A", std::string{url}}};
    topology.last_node_id = "A";
  }
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_key(w, "Topology");
    w.StartObject();
    write_key(w, "TopologyId");
    write_string(w, topology.topology_id);
    std::map<std::string, std::string> all = topology.members;
    all.insert(topology.watchers.begin(), topology.watchers.end());
    all.insert(topology.promotables.begin(), topology.promotables.end());
    write_tag_map(w, "AllNodes", all);
    write_tag_map(w, "Members", topology.members);
    write_tag_map(w, "Promotables", topology.promotables);
    write_tag_map(w, "Watchers", topology.watchers);
    write_key(w, "LastNodeId");
    write_string(w, topology.last_node_id);
    write_key(w, "Etag");
    w.Int64(cluster.topology_etag);
    w.EndObject();
    write_key(w, "Etag");
    w.Int64(cluster.topology_etag);
    write_key(w, "Leader");
    write_string(w, in_cluster ? raft.leader : std::string{});
    write_key(w, "LeaderShipDuration");
    w.Int64(raft.leadership_ms);
    write_key(w, "CurrentState");
    write_string(w, raft.state);
    write_key(w, "NodeTag");
    write_string(w, tag);
    write_key(w, "CurrentTerm");
    w.Int64(static_cast<int64_t>(raft.term));
    write_key(w, "CommitIndex");
    w.Int64(static_cast<int64_t>(raft.commit));
    write_key(w, "AppliedIndex");
    w.Int64(static_cast<int64_t>(raft.applied));
    write_key(w, "NodeLicenseDetails");
    w.StartObject();
    w.EndObject();
    write_key(w, "LastStateChangeReason");
    write_string(w, "");
    // Per other node, RavenDB's NodeStatus fields the console and tests
    // read (the client only needs an object here).
    write_key(w, "Status");
    w.StartObject();
    for (auto& p : raft.peers) {
      write_key(w, p.tag);
      w.StartObject();
      write_key(w, "Name");
      write_string(w, p.tag);
      write_key(w, "Url");
      write_string(w, p.url);
      write_key(w, "Connected");
      w.Bool(p.connected);
      write_key(w, "ErrorDetails");
      if (p.last_error.empty())
        w.Null();
      else
        write_string(w, p.last_error);
      if (!p.replication.empty()) {
        write_key(w, "Replication");
        write_string(w, p.replication);
        write_key(w, "LastMatchingIndex");
        w.Int64(static_cast<int64_t>(p.match));
        write_key(w, "SilentMs");
        w.Int64(p.silent_ms);
      }
      if (p.preparing_snapshot) {
        write_key(w, "PreparingSnapshot");
        w.Bool(true);
      }
      if (p.snapshot) {
        // A snapshot transfer's progress, until it is installed.
        auto& t = *p.snapshot;
        write_key(w, t.sending ? "SendingSnapshot" : "ReceivingSnapshot");
        w.StartObject();
        write_key(w, "Index");
        w.Uint64(t.index);
        write_key(w, "Size");
        w.Uint64(t.size);
        write_key(w, t.sending ? "Acknowledged" : "Received");
        w.Uint64(t.held);
        if (t.installing) {
          write_key(w, "Installing");
          w.Bool(true);
        }
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();
  });
}

std::string render_node_info(const cluster_summary& cluster) {
  auto& raft = cluster.raft;
  auto& t = cluster.topology;
  auto role = t.promotables.count(raft.node_tag) > 0 ? "Promotable"
              : t.watchers.count(raft.node_tag) > 0  ? "Watcher"
                                                     : "Member";
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_key(w, "NodeTag");
    write_string(w, raft.node_tag);
    write_key(w, "TopologyId");
    write_string(w, t.topology_id);
    write_key(w, "Certificate");
    w.Null();
    write_key(w, "ClusterStatus");
    write_string(w, cluster.bootstrapped() ? "Joined" : "Passive");
    write_key(w, "BuildInfo");
    auto build = render_build_version();
    w.RawValue(build.data(), build.size(), rapidjson::kObjectType);
    write_key(w, "CurrentState");
    write_string(w, raft.state);
    write_key(w, "HasFixedPort");
    w.Bool(true);
    write_key(w, "ServerRole");
    write_string(w, role);
    w.EndObject();
  });
}

std::string render_tcp_info(std::string_view tcp_url) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_key(w, "Url");
    write_string(w, tcp_url);
    write_key(w, "Certificate");
    w.Null();
    w.EndObject();
  });
}

std::string render_database_put_result(int64_t index,
                                       const database_record& record,
                                       const std::vector<std::string>& urls) {
  return write_json([&](json_writer& w) {
    auto topology = render_database_topology(record);
    w.StartObject();
    write_key(w, "RaftCommandIndex");
    w.Int64(index);
    write_key(w, "Name");
    write_string(w, record.name);
    write_key(w, "Topology");
    w.RawValue(topology.data(), topology.size(), rapidjson::kObjectType);
    write_key(w, "NodesAddedTo");
    w.StartArray();
    for (auto& u : urls)
      write_string(w, u);
    w.EndArray();
    w.EndObject();
  });
}

std::string render_conflict_solver_result(int64_t index,
                                         const database_record& record) {
  return write_json([&](json_writer& w) {
    auto solver = render_conflict_solver(record);
    w.StartObject();
    write_key(w, "RaftCommandIndex");
    w.Int64(index);
    write_key(w, "Key");
    write_string(w, record.name);
    write_key(w, "ConflictSolverConfig");
    w.RawValue(solver.data(), solver.size(), rapidjson::kObjectType);
    w.EndObject();
  });
}

std::string render_databases_deleted(int64_t index,
                                     const std::vector<std::string>& pending) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_key(w, "RaftCommandIndex");
    w.Int64(index);
    write_key(w, "PendingDeletes");
    w.StartArray();
    for (auto& n : pending)
      write_string(w, n);
    w.EndArray();
    w.EndObject();
  });
}

std::string render_toggle_status(const std::vector<std::string>& asked,
                                 const databases_toggled& toggled) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_key(w, "Status");
    w.StartArray();
    for (auto& name : asked) {
      auto found = std::find_if(
        toggled.names.begin(), toggled.names.end(),
        [&](const std::string& n) { return fold_case(n) == fold_case(name); });
      w.StartObject();
      write_key(w, "Name");
      write_string(w, name);
      write_key(w, "Success");
      w.Bool(found != toggled.names.end());
      if (found != toggled.names.end()) {
        write_key(w, "Disabled");
        w.Bool(toggled.disabled);
        write_key(w, "Reason");
        // Nodes that could not be reached were not waited for: "every
        // node" would claim more than the answer knows.
        write_string(w, std::string{"the database is "}
                          + (toggled.disabled ? "disabled" : "enabled")
                          + " (raft index " + std::to_string(toggled.index)
                          + ")");
      } else {
        write_key(w, "Reason");
        write_string(w, "database not found");
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

std::string
render_database_list(const std::vector<const database_record*>& dbs,
                     bool names_only) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_key(w, "Databases");
    w.StartArray();
    for (auto* db : dbs) {
      if (names_only) {
        write_string(w, db->name);
        continue;
      }
      w.StartObject();
      write_key(w, "Name");
      write_string(w, db->name);
      write_key(w, "Disabled");
      w.Bool(db->disabled);
      write_key(w, "IsEncrypted");
      w.Bool(false);
      write_key(w, "ReplicationFactor");
      w.Int(db->topology.replication_factor);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

std::string render_build_version() {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_key(w, "BuildVersion");
    w.Int(72000);
    write_key(w, "ProductVersion");
    write_string(w, "7.2");
    write_key(w, "CommitHash");
    write_string(w, "corvus-" CORVUS_VERSION);
    write_key(w, "FullVersion");
    write_string(w, raven_protocol_version);
    write_key(w, "AssemblyVersion");
    write_string(w, "7.2.0.0");
    w.EndObject();
  });
}

} // namespace corvus
