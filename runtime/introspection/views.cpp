#include "runtime/introspection/views.hpp"

#include "runtime/documents/timestamp.hpp"
#include "runtime/json/json.hpp"

#include <rapidjson/document.h>

#include <cctype>
#include <cstdio>
#include <map>

namespace corvus {

namespace {

void write_actor(json_writer& w, const actor_view& a) {
  w.StartObject();
  w.Key("Id");
  w.Uint64(a.id);
  w.Key("Kind");
  write_string(w, a.kind);
  w.Key("Name");
  write_string(w, a.name);
  w.Key("Parent");
  w.Uint64(a.parent);
  w.Key("Responsive");
  w.Bool(a.responsive);
  w.Key("Restarts");
  w.Int64(a.restarts);
  w.Key("State");
  if (a.responsive && !a.state.empty())
    w.RawValue(a.state.data(), a.state.size(), rapidjson::kObjectType);
  else
    w.Null();
  w.EndObject();
}

// "LastEtag" → "last_etag", "http-gateway" → "http_gateway".
std::string snake(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (std::isupper(c)) {
      if (i > 0 && !out.empty() && out.back() != '_')
        out += '_';
      out += static_cast<char>(std::tolower(c));
    } else if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  return out;
}

// Label values escape backslash, quote and newline.
std::string label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.12g", v);
  return buf;
}

// Fields that only grow; exported as counters with the `_total` suffix.
bool is_counter(std::string_view field) {
  return field == "Requests" || field == "Errors" || field == "Batches"
         || field == "Transactions";
}

struct family {
  std::string type;
  std::vector<std::string> samples;
};

} // namespace

std::string render_actor_list(const std::string& node_tag,
                              const std::string& url,
                              const std::vector<actor_view>& actors) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    w.Key("NodeTag");
    write_string(w, node_tag);
    w.Key("Url");
    write_string(w, url);
    w.Key("Actors");
    w.StartArray();
    for (auto& a : actors)
      write_actor(w, a);
    w.EndArray();
    w.EndObject();
  });
}

std::string render_actor(const actor_view& actor) {
  return write_json([&](json_writer& w) { write_actor(w, actor); });
}

std::string render_restarts(const std::vector<restart_view>& restarts) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    w.Key("Restarts");
    w.StartArray();
    for (auto& r : restarts) {
      w.StartObject();
      w.Key("Kind");
      write_string(w, r.kind);
      w.Key("Name");
      write_string(w, r.name);
      w.Key("Reason");
      write_string(w, r.reason);
      w.Key("At");
      write_string(w, format_timestamp(r.at));
      w.Key("NextAttemptMs");
      w.Int64(r.next_attempt_ms);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

std::string render_metrics(const std::string& node_tag,
                           const std::vector<actor_view>& actors,
                           const std::vector<restart_view>& restarts,
                           const process_memory* memory) {
  // Families by metric name, so that each is announced once.
  std::map<std::string, family> families;
  auto add = [&](const std::string& metric, const std::string& type,
                 const std::string& labels, const std::string& value) {
    auto& f = families[metric];
    f.type = type;
    f.samples.push_back(metric + "{" + labels + "} " + value);
  };
  auto node_label = "node=\"" + label(node_tag) + "\"";
  std::map<std::string, int64_t> actors_by_kind;
  for (auto& a : actors) {
    ++actors_by_kind[a.kind];
    auto labels = node_label + ",name=\"" + label(a.name) + "\"";
    add("corvus_actor_responsive", "gauge",
        labels + ",kind=\"" + label(a.kind) + "\"", a.responsive ? "1" : "0");
    if (!a.responsive || a.state.empty())
      continue;
    rapidjson::Document state;
    state.Parse(a.state.data(), a.state.size());
    if (state.HasParseError() || !state.IsObject())
      continue;
    auto prefix = "corvus_" + snake(a.kind) + "_";
    const char* histogram = "corvus_http_request_duration_seconds";
    for (auto& m : state.GetObject()) {
      std::string field{m.name.GetString(), m.name.GetStringLength()};
      // The gateway's durations go into the histogram below.
      if (field == "DurationSeconds")
        continue;
      if (m.value.IsNumber()) {
        auto counter = is_counter(field);
        add(prefix + snake(field) + (counter ? "_total" : ""),
            counter ? "counter" : "gauge", labels,
            number(m.value.GetDouble()));
      } else if (field == "LatencyBuckets" && m.value.IsObject()) {
        // The HTTP gateway's request durations, as a histogram.
        auto& f = families[histogram];
        f.type = "histogram";
        for (auto& b : m.value.GetObject())
          if (b.value.IsNumber())
            f.samples.push_back(std::string{histogram} + "_bucket{" + labels
                                + ",le=\"" + b.name.GetString() + "\"} "
                                + number(b.value.GetDouble()));
      }
    }
    if (auto requests = state.FindMember("Requests"),
        sum = state.FindMember("DurationSeconds");
        requests != state.MemberEnd() && sum != state.MemberEnd()
        && requests->value.IsNumber() && sum->value.IsNumber()) {
      auto& f = families[histogram];
      auto count = number(requests->value.GetDouble());
      f.samples.push_back(std::string{histogram} + "_bucket{" + labels
                          + ",le=\"+Inf\"} " + count);
      f.samples.push_back(std::string{histogram} + "_sum{" + labels + "} "
                          + number(sum->value.GetDouble()));
      f.samples.push_back(std::string{histogram} + "_count{" + labels + "} "
                          + count);
    }
  }
  for (auto& [kind, count] : actors_by_kind)
    add("corvus_actors", "gauge", node_label + ",kind=\"" + label(kind) + "\"",
        std::to_string(count));
  std::map<std::string, int64_t> restart_counts;
  for (auto& r : restarts)
    ++restart_counts["kind=\"" + label(r.kind) + "\",name=\"" + label(r.name)
                     + "\""];
  for (auto& [labels, count] : restart_counts)
    add("corvus_actor_restarts_total", "counter", node_label + "," + labels,
        std::to_string(count));
  if (memory) {
    auto bytes = [&](const std::string& metric, int64_t value) {
      add(metric, "gauge", node_label, std::to_string(value));
    };
    bytes("process_resident_memory_bytes", memory->resident);
    bytes("process_virtual_memory_bytes", memory->virtual_size);
    bytes("corvus_process_anonymous_memory_bytes", memory->anonymous);
    bytes("corvus_process_mapped_file_memory_bytes", memory->mapped_files);
    if (auto& a = memory->allocator) {
      bytes("corvus_allocator_allocated_bytes", a->allocated);
      bytes("corvus_allocator_active_bytes", a->active);
      bytes("corvus_allocator_metadata_bytes", a->metadata);
      bytes("corvus_allocator_resident_bytes", a->resident);
      bytes("corvus_allocator_retained_bytes", a->retained);
    }
  }
  std::string out;
  for (auto& [metric, f] : families) {
    out += "# TYPE " + metric + " " + f.type + "\n";
    for (auto& sample : f.samples)
      out += sample + "\n";
  }
  return out;
}

} // namespace corvus
