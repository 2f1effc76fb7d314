#include "runtime/introspection/snapshots.hpp"

#include "runtime/documents/timestamp.hpp"
#include "runtime/json/json.hpp"

#include <cstdio>

namespace corvus {

namespace {

void fields(json_writer& w, const reconnect_view& r) {
  write_field(w, "Attempts", r.attempts);
  write_field(w, "Connections", r.connections);
  write_field(w, "BackoffMs", r.backoff_ms);
  write_field(w, "LastError", r.last_error);
}

} // namespace

reconnect_view view_of(const reconnect_schedule& schedule) {
  return reconnect_view{schedule.attempts(), schedule.connections(),
                        schedule.backoff().count(), schedule.last_error()};
}

std::string to_json(const node_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_field(w, "NodeTag", s.node_tag);
    write_field(w, "Url", s.url);
    write_field(w, "ClusterIndex", s.cluster_index);
    write_field(w, "Databases", s.databases);
    write_field(w, "Restarting", s.restarting);
    w.EndObject();
  });
}

std::string to_json(const gateway_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_field(w, "Port", s.port);
    write_field(w, "IoThreads", s.io_threads);
    write_field(w, "InFlight", s.in_flight);
    write_field(w, "Requests", s.requests);
    write_field(w, "Errors", s.errors);
    w.Key("DurationSeconds");
    w.Double(s.duration_sum);
    // Bucket bounds as keys keep the object small and self-describing.
    w.Key("LatencyBuckets");
    w.StartObject();
    for (auto& [le, count] : s.buckets) {
      char key[32];
      std::snprintf(key, sizeof(key), "%g", le);
      w.Key(key);
      w.Int64(count);
    }
    w.EndObject();
    w.EndObject();
  });
}

std::string to_json(const database_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_field(w, "Database", s.database);
    write_field(w, "Status", s.status);
    write_field(w, "LastEtag", s.last_etag);
    write_field(w, "ChangeVector", s.change_vector);
    write_field(w, "Documents", s.documents);
    write_field(w, "Tombstones", s.tombstones);
    write_field(w, "SizeBytes", s.size_bytes);
    write_field(w, "Outstanding", s.outstanding);
    w.EndObject();
  });
}

std::string to_json(const committer_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_field(w, "Database", s.database);
    write_field(w, "Batches", s.batches);
    write_field(w, "Transactions", s.transactions);
    write_field(w, "LastBatch", s.last_batch);
    write_field(w, "AverageCommitMicros", s.average_commit_micros);
    w.Key("Failed");
    if (s.failed.empty())
      w.Null();
    else
      w.String(s.failed.data(),
               static_cast<rapidjson::SizeType>(s.failed.size()));
    auto& f = s.id_filter;
    write_field(w, "IdFilter", f.state);
    write_field(w, "IdFilters", f.filters);
    write_field(w, "IdFilterCapacity", f.capacity);
    write_field(w, "IdFilterMemoryBytes", f.memory_bytes);
    write_field(w, "IdFilterScanned", f.scanned);
    write_field(w, "IdFilterBuildMs", f.build_ms);
    write_field(w, "IdFilterLookupsSpared", f.lookups_spared);
    write_field(w, "IdFilterFailure", f.failure);
    w.EndObject();
  });
}

std::string to_json(const peer_link_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_field(w, "Peer", s.peer);
    write_field(w, "Url", s.url);
    write_field(w, "TcpUrl", s.tcp_url);
    write_field(w, "Connected", s.connected);
    fields(w, s.reconnect);
    w.EndObject();
  });
}

std::string to_json(const link_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_field(w, "Database", s.database);
    write_field(w, "Source", s.source);
    write_field(w, "Destination", s.destination);
    write_field(w, "Url", s.url);
    write_field(w, "Connected", s.connected);
    write_field(w, "Cursor", s.cursor);
    write_field(w, "LagEtags", s.lag_etags);
    w.Key("LastHeartbeat");
    if (s.last_heartbeat == 0)
      w.Null();
    else
      write_string(w, format_timestamp(s.last_heartbeat));
    write_field(w, "DestinationChangeVector", s.destination_change_vector);
    write_field(w, "InFlight", s.in_flight);
    write_field(w, "Batches", s.batches);
    write_field(w, "ItemsSent", s.items_sent);
    write_field(w, "ItemsSkipped", s.items_skipped);
    fields(w, s.reconnect);
    w.EndObject();
  });
}

std::string to_json(const inbox_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    write_field(w, "Database", s.database);
    write_field(w, "Source", s.source);
    write_field(w, "SourceDatabaseId", s.source_database_id);
    write_field(w, "Batches", s.batches);
    write_field(w, "Items", s.items);
    write_field(w, "AcceptedEtag", s.accepted_etag);
    w.EndObject();
  });
}

} // namespace corvus
