#include "runtime/cluster/database_record.hpp"

#include "runtime/json/json.hpp"
#include "runtime/json/json_fields.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

namespace corvus {

namespace {

// Members of the DatabaseRecord that Corvus computes or owns.
bool is_owned_member(std::string_view key) {
  return key == "DatabaseName" || key == "Topology" || key == "Disabled"
         || key == "Etag";
}

bool is_true(const rapidjson::Value& v) {
  return v.IsBool() && v.GetBool();
}

bool has_entries(const rapidjson::Value& v) {
  return (v.IsArray() && !v.Empty()) || (v.IsObject() && v.MemberCount() > 0);
}

// A configuration object that is switched on: present, and its Disabled
// member not true (RavenDB's revision, expiration and refresh settings).
bool switched_on(const rapidjson::Value& v) {
  if (!v.IsObject())
    return false;
  auto disabled = v.FindMember("Disabled");
  return disabled == v.MemberEnd() || !is_true(disabled->value);
}

bool revisions_on(const rapidjson::Value& v) {
  if (!v.IsObject())
    return false;
  if (auto d = v.FindMember("Default");
      d != v.MemberEnd() && switched_on(d->value))
    return true;
  if (auto c = v.FindMember("Collections");
      c != v.MemberEnd() && c->value.IsObject())
    for (auto& entry : c->value.GetObject())
      if (switched_on(entry.value))
        return true;
  return false;
}

bool solver_scripts(const rapidjson::Value& v) {
  if (!v.IsObject())
    return false;
  auto scripts = v.FindMember("ResolveByCollection");
  return scripts != v.MemberEnd() && has_entries(scripts->value);
}

// Record members that ask for features Corvus does not have yet. Stored
// and echoed without effect, they would tell the client its revisions,
// expiration, scripts, indexes or tasks were in force; refused, the client
// knows. Empty, null or disabled forms (what clients send by default) pass.
struct unsupported_member {
  const char* name;
  bool (*asks_for_it)(const rapidjson::Value&);
  const char* what;
};

constexpr unsupported_member unsupported_members[] = {
  {"Encrypted", is_true, "encrypted databases"},
  {"ConflictSolverConfig", solver_scripts,
   "conflict resolution scripts (ConflictSolverConfig.ResolveByCollection; "
   "ResolveToLatest is supported)"},
  {"Revisions", revisions_on, "revisions"},
  {"RevisionsForConflicts", switched_on, "revisions of conflicts"},
  {"Expiration", switched_on, "document expiration"},
  {"Refresh", switched_on, "document refresh"},
  {"Indexes", has_entries, "static indexes"},
  {"AutoIndexes", has_entries, "auto indexes"},
  {"PeriodicBackups", has_entries, "periodic backups"},
  {"ExternalReplications", has_entries, "external replication"},
  {"SinkPullReplications", has_entries, "pull replication"},
  {"HubPullReplications", has_entries, "pull replication"},
  {"RavenEtls", has_entries, "ETL tasks"},
  {"SqlEtls", has_entries, "ETL tasks"},
  {"OlapEtls", has_entries, "ETL tasks"},
  {"ElasticSearchEtls", has_entries, "ETL tasks"},
  {"QueueEtls", has_entries, "ETL tasks"},
};

outcome<done> refuse_unsupported_members(const rapidjson::Value& doc) {
  for (auto& m : unsupported_members)
    if (auto i = doc.FindMember(m.name);
        i != doc.MemberEnd() && m.asks_for_it(i->value))
      return make_failure(ec::not_supported,
                          std::string{"Corvus does not support "} + m.what
                            + " yet (the record's '" + m.name
                            + "' asks for it)");
  return done{};
}

outcome<std::vector<std::string>> tag_list(const rapidjson::Value& topology,
                                           const char* key) {
  std::vector<std::string> tags;
  auto i = topology.FindMember(key);
  if (i == topology.MemberEnd() || i->value.IsNull())
    return tags;
  if (!i->value.IsArray())
    return make_failure(ec::bad_request,
                        std::string{"Topology."} + key
                          + " must be an array of node tags");
  for (auto& tag : i->value.GetArray()) {
    if (!tag.IsString() || tag.GetStringLength() == 0)
      return make_failure(ec::bad_request,
                          std::string{"Topology."} + key
                            + " must hold non-empty node tags");
    tags.emplace_back(view_of(tag));
  }
  return tags;
}

void write_topology(json_writer& w, const database_record& r) {
  auto& t = r.topology;
  w.StartObject();
  write_string_array(w, "Members", t.members);
  write_string_array(w, "Promotables", t.promotables);
  write_string_array(w, "Rehabs", t.rehabs);
  w.Key("PredefinedMentors");
  w.StartObject();
  w.EndObject();
  w.Key("DemotionReasons");
  w.StartObject();
  w.EndObject();
  w.Key("PromotablesStatus");
  w.StartObject();
  w.EndObject();
  w.Key("ReplicationFactor");
  w.Int(t.replication_factor);
  w.Key("DynamicNodesDistribution");
  w.Bool(t.dynamic_nodes_distribution);
  write_string_array(w, "PriorityOrder", t.priority_order);
  w.Key("Stamp");
  w.StartObject();
  w.Key("Index");
  w.Int64(r.etag);
  w.Key("Term");
  w.Int64(1);
  w.Key("LeadersTicks");
  w.Int64(-2);
  w.EndObject();
  w.EndObject();
}

} // namespace

std::vector<std::string> database_topology::copies() const {
  auto all = members;
  all.insert(all.end(), promotables.begin(), promotables.end());
  all.insert(all.end(), rehabs.begin(), rehabs.end());
  return all;
}

bool database_topology::relevant_for(const std::string& tag) const {
  auto all = copies();
  return std::find(all.begin(), all.end(), tag) != all.end();
}

outcome<done> validate_database_name(std::string_view name) {
  auto invalid = [&](const std::string& why) {
    return make_failure(ec::bad_request, "invalid database name '"
                                           + std::string{name.substr(0, 200)}
                                           + "': " + why);
  };
  if (name.empty())
    return invalid("the name is empty");
  if (name.size() > 128)
    return invalid("longer than 128 characters");
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-'
        && c != '.')
      return invalid("only letters, digits, '_', '-' and '.' are allowed");
  if (name.front() == '.' || name.back() == '.')
    return invalid("it must not start or end with '.'");
  return done{};
}

outcome<database_creation> parse_database_creation(std::string_view body,
                                                   std::string_view query_name,
                                                   int replication_factor) {
  rapidjson::Document doc;
  if (body.empty())
    doc.SetObject();
  else if (auto parsed = parse_json(body, doc, "the database record");
           !parsed)
    return parsed.error();
  if (!doc.IsObject())
    return make_failure(ec::bad_request,
                        "the database record must be a JSON object");
  database_creation result;
  auto& record = result.record;
  if (auto name = doc.FindMember("DatabaseName"); name != doc.MemberEnd()) {
    if (name->value.IsString())
      record.name = std::string{view_of(name->value)};
    else if (!name->value.IsNull())
      return make_failure(ec::bad_request,
                          "DatabaseName must be a string");
  }
  if (record.name.empty())
    record.name = std::string{query_name};
  else if (!query_name.empty() && query_name != record.name)
    return make_failure(ec::bad_request,
                        "the database name in the query ('"
                          + std::string{query_name}
                          + "') differs from DatabaseName in the body ('"
                          + record.name + "')");
  if (auto valid = validate_database_name(record.name); !valid)
    return valid.error();
  if (auto supported = refuse_unsupported_members(doc); !supported)
    return supported.error();
  if (auto dis = doc.FindMember("Disabled");
      dis != doc.MemberEnd() && !dis->value.IsNull()) {
    if (!dis->value.IsBool())
      return make_failure(ec::bad_request, "Disabled must be true or false");
    record.disabled = dis->value.GetBool();
  }
  // Settings are RavenDB configuration keys with string values.
  if (auto settings = doc.FindMember("Settings");
      settings != doc.MemberEnd() && !settings->value.IsNull()) {
    if (!settings->value.IsObject())
      return make_failure(ec::bad_request,
                          "Settings must be an object of strings");
    for (auto& m : settings->value.GetObject())
      if (!m.value.IsString() && !m.value.IsNull())
        return make_failure(ec::bad_request,
                            "Settings." + std::string{view_of(m.name)}
                              + " must be a string");
  }
  auto& topology = record.topology;
  topology.replication_factor = std::max(replication_factor, 1);
  if (auto t = doc.FindMember("Topology");
      t != doc.MemberEnd() && !t->value.IsNull()) {
    if (!t->value.IsObject())
      return make_failure(ec::bad_request, "Topology must be a JSON object");
    auto members = tag_list(t->value, "Members");
    if (!members)
      return members.error();
    topology.members = std::move(*members);
    result.explicit_members = !topology.members.empty();
    if (auto rf = t->value.FindMember("ReplicationFactor");
        rf != t->value.MemberEnd() && rf->value.IsInt() && replication_factor
        <= 0)
      topology.replication_factor = std::max(rf->value.GetInt(), 1);
    if (auto dyn = t->value.FindMember("DynamicNodesDistribution");
        dyn != t->value.MemberEnd() && dyn->value.IsBool())
      topology.dynamic_nodes_distribution = dyn->value.GetBool();
    auto priority = tag_list(t->value, "PriorityOrder");
    if (!priority)
      return priority.error();
    topology.priority_order = std::move(*priority);
  }
  // Keep everything else for features to come, echoed back on reads.
  rapidjson::Document others;
  others.SetObject();
  for (auto& m : doc.GetObject())
    if (!is_owned_member(view_of(m.name)))
      others.AddMember(rapidjson::Value{m.name, others.GetAllocator()},
                       rapidjson::Value{m.value, others.GetAllocator()},
                       others.GetAllocator());
  record.other_members = to_json_text(others);
  return result;
}

std::string render_database_record(const database_record& r) {
  rapidjson::Document others;
  others.Parse(r.other_members.data(), r.other_members.size());
  return write_json([&](json_writer& w) {
    w.StartObject();
    w.Key("DatabaseName");
    w.String(r.name.data(), static_cast<rapidjson::SizeType>(r.name.size()));
    w.Key("Disabled");
    w.Bool(r.disabled);
    w.Key("Encrypted");
    w.Bool(false);
    w.Key("Topology");
    write_topology(w, r);
    if (!others.HasParseError() && others.IsObject())
      for (auto& m : others.GetObject())
        if (view_of(m.name) != "Encrypted") {
          m.name.Accept(w);
          m.value.Accept(w);
        }
    w.Key("Etag");
    w.Int64(r.etag);
    w.EndObject();
  });
}

std::string render_database_topology(const database_record& r) {
  return write_json([&](json_writer& w) {
    write_topology(w, r);
  });
}

bool resolves_to_latest(const database_record& record) {
  rapidjson::Document doc;
  doc.Parse(record.other_members.data(), record.other_members.size());
  if (doc.HasParseError() || !doc.IsObject())
    return false;
  auto solver = doc.FindMember("ConflictSolverConfig");
  if (solver == doc.MemberEnd() || !solver->value.IsObject())
    return false;
  auto latest = solver->value.FindMember("ResolveToLatest");
  return latest != solver->value.MemberEnd() && latest->value.IsBool()
         && latest->value.GetBool();
}

void set_resolve_to_latest(database_record& record, bool resolve) {
  rapidjson::Document doc;
  doc.Parse(record.other_members.data(), record.other_members.size());
  if (doc.HasParseError() || !doc.IsObject())
    doc.SetObject();
  auto& a = doc.GetAllocator();
  rapidjson::Value solver{rapidjson::kObjectType};
  solver.AddMember("DatabaseResolverId", rapidjson::Value{}, a);
  solver.AddMember("ResolveByCollection",
                   rapidjson::Value{rapidjson::kObjectType}, a);
  solver.AddMember("ResolveToLatest", resolve, a);
  if (auto i = doc.FindMember("ConflictSolverConfig"); i != doc.MemberEnd())
    i->value = std::move(solver);
  else
    doc.AddMember("ConflictSolverConfig", std::move(solver), a);
  record.other_members = to_json_text(doc);
}

std::string render_conflict_solver(const database_record& record) {
  rapidjson::Document doc;
  doc.Parse(record.other_members.data(), record.other_members.size());
  if (doc.HasParseError() || !doc.IsObject())
    return "null";
  auto solver = doc.FindMember("ConflictSolverConfig");
  return solver == doc.MemberEnd() ? "null" : to_json_text(solver->value);
}

outcome<database_topology> parse_database_topology(std::string_view body) {
  rapidjson::Document doc;
  if (auto parsed = parse_json(body, doc, "the database topology"); !parsed)
    return parsed.error();
  if (!doc.IsObject())
    return make_failure(ec::bad_request,
                        "the database topology must be a JSON object");
  database_topology t;
  for (auto [key, tags] :
       {std::pair{"Members", &t.members},
        std::pair{"Promotables", &t.promotables},
        std::pair{"Rehabs", &t.rehabs},
        std::pair{"PriorityOrder", &t.priority_order}}) {
    auto read = tag_list(doc, key);
    if (!read)
      return read.error();
    *tags = std::move(*read);
  }
  auto dynamic = optional_bool(doc, "DynamicNodesDistribution", false,
                               "the database topology");
  if (!dynamic)
    return dynamic.error();
  t.dynamic_nodes_distribution = *dynamic;
  return t;
}

} // namespace corvus
