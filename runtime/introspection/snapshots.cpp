#include "runtime/introspection/snapshots.hpp"

#include "runtime/documents/timestamp.hpp"
#include "runtime/json/json.hpp"

#include <cstdio>

namespace corvus {

namespace {

void field(json_writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void field(json_writer& w, const char* key, int64_t value) {
  w.Key(key);
  w.Int64(value);
}

void field(json_writer& w, const char* key, bool value) {
  w.Key(key);
  w.Bool(value);
}

void fields(json_writer& w, const reconnect_view& r) {
  field(w, "Attempts", r.attempts);
  field(w, "Connections", r.connections);
  field(w, "BackoffMs", r.backoff_ms);
  field(w, "LastError", r.last_error);
}

} // namespace

reconnect_view view_of(const reconnect_schedule& schedule) {
  return reconnect_view{schedule.attempts(), schedule.connections(),
                        schedule.backoff().count(), schedule.last_error()};
}

std::string to_json(const node_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    field(w, "NodeTag", s.node_tag);
    field(w, "Url", s.url);
    field(w, "ClusterIndex", s.cluster_index);
    field(w, "Databases", s.databases);
    field(w, "Restarting", s.restarting);
    w.EndObject();
  });
}

std::string to_json(const gateway_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    field(w, "Port", s.port);
    field(w, "IoThreads", s.io_threads);
    field(w, "InFlight", s.in_flight);
    field(w, "Requests", s.requests);
    field(w, "Errors", s.errors);
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
    field(w, "Database", s.database);
    field(w, "Status", s.status);
    field(w, "LastEtag", s.last_etag);
    field(w, "ChangeVector", s.change_vector);
    field(w, "Documents", s.documents);
    field(w, "Tombstones", s.tombstones);
    field(w, "SizeBytes", s.size_bytes);
    field(w, "Outstanding", s.outstanding);
    w.EndObject();
  });
}

std::string to_json(const committer_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    field(w, "Database", s.database);
    field(w, "Batches", s.batches);
    field(w, "Transactions", s.transactions);
    field(w, "LastBatch", s.last_batch);
    field(w, "AverageCommitMicros", s.average_commit_micros);
    w.Key("Failed");
    if (s.failed.empty())
      w.Null();
    else
      w.String(s.failed.data(),
               static_cast<rapidjson::SizeType>(s.failed.size()));
    auto& f = s.id_filter;
    field(w, "IdFilter", f.state);
    field(w, "IdFilters", f.filters);
    field(w, "IdFilterCapacity", f.capacity);
    field(w, "IdFilterMemoryBytes", f.memory_bytes);
    field(w, "IdFilterScanned", f.scanned);
    field(w, "IdFilterBuildMs", f.build_ms);
    field(w, "IdFilterLookupsSpared", f.lookups_spared);
    field(w, "IdFilterFailure", f.failure);
    w.EndObject();
  });
}

std::string to_json(const peer_link_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    field(w, "Peer", s.peer);
    field(w, "Url", s.url);
    field(w, "TcpUrl", s.tcp_url);
    field(w, "Connected", s.connected);
    fields(w, s.reconnect);
    w.EndObject();
  });
}

std::string to_json(const link_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    field(w, "Database", s.database);
    field(w, "Source", s.source);
    field(w, "Destination", s.destination);
    field(w, "Url", s.url);
    field(w, "Connected", s.connected);
    field(w, "Cursor", s.cursor);
    field(w, "LagEtags", s.lag_etags);
    w.Key("LastHeartbeat");
    if (s.last_heartbeat == 0)
      w.Null();
    else
      write_string(w, format_timestamp(s.last_heartbeat));
    field(w, "DestinationChangeVector", s.destination_change_vector);
    field(w, "InFlight", s.in_flight);
    field(w, "Batches", s.batches);
    field(w, "ItemsSent", s.items_sent);
    field(w, "ItemsSkipped", s.items_skipped);
    fields(w, s.reconnect);
    w.EndObject();
  });
}

std::string to_json(const inbox_snapshot_view& s) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    field(w, "Database", s.database);
    field(w, "Source", s.source);
    field(w, "SourceDatabaseId", s.source_database_id);
    field(w, "Batches", s.batches);
    field(w, "Items", s.items);
    field(w, "AcceptedEtag", s.accepted_etag);
    w.EndObject();
  });
}

} // namespace corvus
