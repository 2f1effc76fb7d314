#include "runtime/raft/topology.hpp"

#include "runtime/json/json.hpp"

#include <rapidjson/document.h>

namespace corvus::raft {

namespace {

const std::string no_url;

void write_map(json_writer& w, const char* key,
               const std::map<node_tag, std::string>& nodes) {
  w.Key(key);
  w.StartObject();
  for (auto& [tag, url] : nodes) {
    write_key(w, tag);
    write_string(w, url);
  }
  w.EndObject();
}

outcome<done> read_map(const rapidjson::Value& obj, const char* key,
                       std::map<node_tag, std::string>& out) {
  auto i = obj.FindMember(key);
  if (i == obj.MemberEnd())
    return done{};
  if (!i->value.IsObject())
    return make_failure(ec::bad_request,
                        std::string{"topology: "} + key
                          + " must be an object");
  for (auto& m : i->value.GetObject()) {
    if (!m.value.IsString() || !valid_node_tag(view_of(m.name)))
      return make_failure(ec::bad_request,
                          std::string{"topology: bad entry in "} + key);
    out.emplace(std::string{view_of(m.name)}, std::string{view_of(m.value)});
  }
  return done{};
}

} // namespace

const char* to_string(membership m) {
  switch (m) {
    case membership::member:
      return "Member";
    case membership::promotable:
      return "Promotable";
    case membership::watcher:
      return "Watcher";
  }
  return "?";
}

bool topology::contains(const node_tag& tag) const {
  return members.count(tag) > 0 || promotables.count(tag) > 0
         || watchers.count(tag) > 0;
}

const std::string& topology::url_of(const node_tag& tag) const {
  for (auto* nodes : {&members, &promotables, &watchers})
    if (auto i = nodes->find(tag); i != nodes->end())
      return i->second;
  return no_url;
}

std::vector<node_tag> topology::all_tags() const {
  std::map<node_tag, bool> sorted;
  for (auto* nodes : {&members, &promotables, &watchers})
    for (auto& [tag, url] : *nodes)
      sorted.emplace(tag, true);
  std::vector<node_tag> tags;
  tags.reserve(sorted.size());
  for (auto& [tag, unused] : sorted)
    tags.push_back(tag);
  return tags;
}

std::string to_json(const topology& t) {
  return write_json(256, [&](json_writer& w) {
    w.StartObject();
    w.Key("TopologyId");
    write_string(w, t.topology_id);
    write_map(w, "Members", t.members);
    write_map(w, "Promotables", t.promotables);
    write_map(w, "Watchers", t.watchers);
    w.Key("LastNodeId");
    write_string(w, t.last_node_id);
    w.EndObject();
  });
}

outcome<topology> topology_from_json(std::string_view text) {
  rapidjson::Document doc;
  if (auto parsed = parse_json(text, doc, "topology"); !parsed)
    return parsed.error();
  if (!doc.IsObject())
    return make_failure(ec::bad_request, "topology: not a JSON object");
  topology t;
  if (auto id = string_member(doc, "TopologyId"))
    t.topology_id = view_of(*id);
  if (auto last = string_member(doc, "LastNodeId"))
    t.last_node_id = view_of(*last);
  for (auto [key, map] : {std::pair{"Members", &t.members},
                          std::pair{"Promotables", &t.promotables},
                          std::pair{"Watchers", &t.watchers}})
    if (auto read = read_map(doc, key, *map); !read)
      return read.error();
  return t;
}

node_tag next_node_tag(const node_tag& last) {
  if (last.empty())
    return "A";
  auto next = last;
  if (next.back() == 'Z')
    next.push_back('A');
  else
    ++next.back();
  return next;
}

bool valid_node_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 4 || tag == "RAFT")
    return false;
  for (auto c : tag)
    if (c < 'A' || c > 'Z')
      return false;
  return true;
}

} // namespace corvus::raft
