#include "runtime/console/operations.hpp"

#include "runtime/console/json_access.hpp"
#include "runtime/http/url.hpp"

#include <charconv>

namespace corvus::console {

namespace {

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos)
      comma = text.size();
    auto item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (!item.empty())
      items.emplace_back(item);
    start = comma + 1;
  }
  return items;
}

void write_strings(json_writer& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const auto& item : items)
    write_string(w, item);
  w.EndArray();
}

outcome<client_request> plan_create_database(const command& cmd) {
  const auto& name = cmd.args.front();
  auto nodes = split_list(cmd.option("nodes"));
  if (cmd.has("rf") && cmd.has("nodes"))
    return make_failure(ec::bad_request,
                        "create-db takes --rf or --nodes, not both");
  if (cmd.has("nodes") && nodes.empty())
    return make_failure(ec::bad_request,
                        "--nodes needs node tags, e.g. --nodes A,B");
  int rf = static_cast<int>(nodes.size());
  if (!cmd.has("nodes")) {
    auto text = cmd.has("rf") ? cmd.option("rf") : std::string{"1"};
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(),
                                      rf);
    if (err != std::errc{} || end != text.data() + text.size() || rf < 1)
      return make_failure(ec::bad_request, "--rf takes a positive number, not '"
                                             + text + "'");
  }
  client_request call;
  call.method = "PUT";
  call.target = "/admin/databases?name=" + percent_encode(name)
                + "&replicationFactor=" + std::to_string(rf);
  call.body = write_json([&](json_writer& w) {
    w.StartObject();
    w.Key("DatabaseName");
    write_string(w, name);
    if (!nodes.empty()) {
      w.Key("Topology");
      w.StartObject();
      w.Key("Members");
      write_strings(w, nodes);
      w.Key("ReplicationFactor");
      w.Int(rf);
      w.EndObject();
    }
    w.EndObject();
  });
  return call;
}

client_request plan_delete_database(const command& cmd) {
  auto from = split_list(cmd.option("from"));
  client_request call;
  call.method = "DELETE";
  call.target = "/admin/databases";
  call.body = write_json([&](json_writer& w) {
    w.StartObject();
    w.Key("DatabaseNames");
    write_strings(w, {cmd.args.front()});
    w.Key("HardDelete");
    w.Bool(!cmd.has("keep-files"));
    if (!from.empty()) {
      w.Key("FromNodes");
      write_strings(w, from);
    }
    w.EndObject();
  });
  return call;
}

client_request plan_toggle_database(const command& cmd) {
  client_request call;
  call.method = "POST";
  call.target = cmd.name == "disable-db" ? "/admin/databases/disable"
                                         : "/admin/databases/enable";
  call.body = write_json([&](json_writer& w) {
    w.StartObject();
    w.Key("DatabaseNames");
    write_strings(w, {cmd.args.front()});
    w.EndObject();
  });
  return call;
}

std::string quoted(std::string_view s) {
  return "'" + std::string{s} + "'";
}

} // namespace

std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                 || (c >= '0' && c <= '9') || c == '-' || c == '.'
                 || c == '_' || c == '~';
    if (plain) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

bool is_operation(const command& cmd) {
  for (auto name : {"add-node", "remove-node", "promote", "demote",
                    "reelect", "timeout", "create-db", "delete-db",
                    "disable-db", "enable-db", "add-db-node"})
    if (cmd.name == name)
      return true;
  return false;
}

outcome<client_request> plan_operation(const command& cmd) {
  if (cmd.name == "reelect" || cmd.name == "timeout")
    return client_request{"POST", "/admin/cluster/" + cmd.name, ""};
  const auto& arg = cmd.args.front();
  if (cmd.name == "promote" || cmd.name == "demote")
    return client_request{"POST", "/admin/cluster/" + cmd.name
                                    + "?nodeTag=" + percent_encode(arg),
                          ""};
  if (cmd.name == "create-db")
    return plan_create_database(cmd);
  if (cmd.name == "delete-db")
    return plan_delete_database(cmd);
  if (cmd.name == "disable-db" || cmd.name == "enable-db")
    return plan_toggle_database(cmd);
  if (cmd.name == "remove-node")
    return client_request{"DELETE", "/admin/cluster/node?nodeTag="
                                 + percent_encode(arg), ""};
  if (cmd.name == "add-db-node") {
    auto target = "/admin/databases/node?name=" + percent_encode(arg);
    if (cmd.args.size() > 1)
      target += "&node=" + percent_encode(cmd.args[1]);
    return client_request{"PUT", target, ""};
  }
  // add-node
  auto url = parse_url(arg, "http", "node URL");
  if (!url)
    return url.error();
  auto target = "/admin/cluster/node?url=" + percent_encode(format_url(*url))
                + "&watcher=" + (cmd.has("watcher") ? "true" : "false");
  if (cmd.has("tag"))
    target += "&tag=" + percent_encode(cmd.option("tag"));
  return client_request{"PUT", target, ""};
}

view operation_view(const command& cmd, const http_answer& answer) {
  if (cmd.name == "reelect")
    return {{{"Result", note{"the leader hands over to another member"}}}};
  if (cmd.name == "timeout")
    return {{{"Result", note{"this node tries a trial election (refused "
                             "while the others still hear a leader)"}}}};
  rapidjson::Document body;
  if (answer.body.empty()
      || !parse_json(answer.body, body, "the answer"))
    body.SetObject();
  const auto& arg = cmd.args.front();
  std::vector<field> data;
  std::string sentence;
  auto index = member(&body, "RaftCommandIndex");
  auto index_cell = cell_of(&body, "RaftCommandIndex");
  auto with_index = [&](std::string text) {
    if (index && index->IsInt64())
      text += " (raft index " + std::to_string(index->GetInt64()) + ")";
    return text;
  };
  if (cmd.name == "create-db") {
    auto members = cell_of(member(&body, "Topology"), "Members");
    auto on = members.text;
    sentence = with_index("database " + quoted(arg) + " created"
                          + (on == "-" ? "" : " on " + on));
    data = {{"Database", "Database", text_cell(arg)},
            {"Members", "Members", members},
            {"RaftCommandIndex", "Raft index", index_cell}};
  } else if (cmd.name == "delete-db") {
    auto from = cmd.option("from");
    sentence = with_index("database " + quoted(arg) + " deleted"
                          + (from.empty() ? "" : " from " + from)
                          + (cmd.has("keep-files") ? ", files kept" : ""));
    data = {{"Database", "Database", text_cell(arg)},
            {"PendingDeletes", "Pending deletes",
             cell_of(&body, "PendingDeletes")},
            {"RaftCommandIndex", "Raft index", index_cell}};
  } else if (cmd.name == "disable-db" || cmd.name == "enable-db") {
    // One status per name asked for; an unknown name is no failed request.
    auto* status = member(&body, "Status");
    const rapidjson::Value* first
      = status && status->IsArray() && !status->Empty()
                           ? &(*status)[0]
                           : nullptr;
    auto* success = member(first, "Success");
    bool changed = success && success->IsBool() && success->GetBool();
    auto done = cmd.name == "disable-db" ? "disabled" : "enabled";
    sentence = "database " + quoted(arg) + " "
               + (changed ? std::string{done}
                          : "was not changed: "
                              + cell_of(first, "Reason").text);
    data = {{"Database", "Database", text_cell(arg)},
            {"Success", "Success", flag_cell(changed)},
            {"Reason", "Reason", cell_of(first, "Reason")}};
  } else if (cmd.name == "add-node") {
    sentence = "node " + arg + " added"
               + (cmd.has("watcher") ? " as a watcher" : "")
               + (cmd.has("tag") ? " with tag " + cmd.option("tag") : "");
    data = {{"Url", "Url", text_cell(arg)},
            {"Watcher", "Watcher", flag_cell(cmd.has("watcher"))}};
  } else if (cmd.name == "remove-node") {
    sentence = "node " + arg + " removed from the cluster";
    data = {{"Tag", "Tag", text_cell(arg)}};
  } else if (cmd.name == "promote") {
    sentence = "node " + arg + " promoted: a voter once caught up";
    data = {{"Tag", "Tag", text_cell(arg)}};
  } else if (cmd.name == "demote") {
    sentence = "node " + arg + " demoted to watcher";
    data = {{"Tag", "Tag", text_cell(arg)}};
  } else {
    auto node = cmd.args.size() > 1 ? cmd.args[1] : std::string{};
    sentence = with_index((node.empty() ? "a node" : "node " + node)
                          + " added to the group of " + quoted(arg));
    data = {{"Database", "Database", text_cell(arg)},
            {"Node", "Node", node.empty() ? missing_cell() : text_cell(node)},
            {"RaftCommandIndex", "Raft index", index_cell}};
  }
  return {{{"Result", note{sentence}}, {"", std::move(data), true}}};
}

std::string error_line(const http_answer& answer,
                       std::string_view operation) {
  rapidjson::Document body;
  std::string type, message;
  if (!answer.body.empty() && parse_json(answer.body, body, "the answer")) {
    if (auto t = string_member(body, "Type"))
      type = std::string{view_of(*t)};
    if (auto m = string_member(body, "Message"))
      message = std::string{view_of(*m)};
  }
  if (ends_with(type, "RouteNotFoundException"))
    return "this node does not support " + std::string{operation} + " yet";
  if (auto missing = answer.header("Database-Missing"); !missing.empty())
    return "database " + quoted(missing) + " does not exist";
  if (type.find("NoLeader") != std::string::npos)
    return "no leader: " + (message.empty() ? "the cluster has none" : message);
  if (!message.empty())
    return message;
  return std::string{operation} + " failed: the node answered HTTP "
         + std::to_string(answer.status);
}

} // namespace corvus::console
