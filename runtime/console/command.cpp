#include "runtime/console/command.hpp"

#include <algorithm>
#include <charconv>

namespace corvus::console {

const std::vector<command_spec>& command_specs() {
  static const std::vector<command_spec> specs = {
    {"nodes", "", "nodes, roles, leader, health",
     "listing nodes", 0, 0, arg_kind::text, arg_kind::text, {}, {}, true},
    {"actors", "[tree]", "this node's actors, or their tree",
     "listing actors", 0, 1, arg_kind::tree, arg_kind::text, {}, {}, true},
    {"show", "<actor>", "one actor (by id or kind/name)",
     "showing actors", 1, 1, arg_kind::actor, arg_kind::text, {}, {}, true},
    {"raft", "", "consensus: leader, term, voters",
     "showing the cluster state", 0, 0, arg_kind::text, arg_kind::text, {},
     {}, true},
    {"databases", "", "databases, their nodes and size",
     "listing databases", 0, 0, arg_kind::text, arg_kind::text, {}, {}, true},
    {"topology", "<db>", "a database's nodes and roles",
     "showing database topologies", 1, 1, arg_kind::database, arg_kind::text,
     {}, {}, true},
    {"links", "<db>", "replication links: cursor, lag",
     "showing replication links", 1, 1, arg_kind::database, arg_kind::text,
     {}, {}, true},
    {"restarts", "", "actor restarts and their reasons",
     "listing restarts", 0, 0, arg_kind::text, arg_kind::text, {}, {}, true},
    {"memory", "", "this node's memory and allocator",
     "showing memory", 0, 0, arg_kind::text, arg_kind::text, {}, {}, true},
    {"watch", "<command> [every N]",
     "repeat every N s (2) until Enter",
     "watching", 1, 1, arg_kind::command, arg_kind::text, {}, {}, false},
    {"add-node", "<url> [--watcher] [--tag T]", "add a node to the cluster",
     "adding nodes", 1, 1, arg_kind::text, arg_kind::text, {"tag"},
     {"watcher"}, false},
    {"remove-node", "<tag>", "remove a node from the cluster",
     "removing nodes", 1, 1, arg_kind::text, arg_kind::text, {}, {}, false},
    {"promote", "<tag>", "a watcher becomes a voter",
     "promoting nodes", 1, 1, arg_kind::text, arg_kind::text, {}, {}, false},
    {"demote", "<tag>", "a voter becomes a watcher",
     "demoting nodes", 1, 1, arg_kind::text, arg_kind::text, {}, {}, false},
    {"reelect", "", "the leader hands over",
     "reelecting", 0, 0, arg_kind::text, arg_kind::text, {}, {}, false},
    {"timeout", "", "act as if the leader fell silent",
     "timing out", 0, 0, arg_kind::text, arg_kind::text, {}, {}, false},
    {"create-db", "<name> [--rf N | --nodes A,B]", "create a database",
     "creating databases", 1, 1, arg_kind::text, arg_kind::text,
     {"rf", "nodes"}, {}, false},
    {"delete-db", "<name> [--from A,B] [--keep-files]",
     "delete a database or some copies",
     "deleting databases", 1, 1, arg_kind::database, arg_kind::text,
     {"from"}, {"keep-files"}, false},
    {"disable-db", "<name>", "stop serving a database (kept)",
     "disabling databases", 1, 1, arg_kind::database, arg_kind::text, {}, {},
     false},
    {"enable-db", "<name>", "serve a disabled database again",
     "enabling databases", 1, 1, arg_kind::database, arg_kind::text, {}, {},
     false},
    {"add-db-node", "<db> [<tag>]", "add a node to a database group",
     "adding nodes to database groups", 1, 2, arg_kind::database,
     arg_kind::text, {}, {}, false},
    {"connect", "<url>", "talk through another node",
     "connecting", 1, 1, arg_kind::text, arg_kind::text, {}, {}, false},
    {"help", "[<command>]", "this list, or one command's usage", "help", 0, 1,
     arg_kind::command, arg_kind::text, {}, {}, false},
    {"quit", "", "leave (also exit, Ctrl-D)", "quitting", 0, 0,
     arg_kind::text, arg_kind::text, {}, {}, false},
  };
  return specs;
}

const command_spec* find_command(std::string_view name) {
  if (name == "exit")
    name = "quit";
  const auto& specs = command_specs();
  auto i = std::find_if(specs.begin(), specs.end(),
                        [&](const auto& s) { return s.name == name; });
  return i == specs.end() ? nullptr : &*i;
}

bool command::has(std::string_view name) const {
  return options.find(name) != options.end();
}

std::string command::option(std::string_view name) const {
  auto i = options.find(name);
  return i == options.end() ? std::string{} : i->second;
}

outcome<std::vector<std::string>> split_words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : line) {
    if (quote) {
      if (c == quote)
        quote = 0;
      else
        word.push_back(c);
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word)
        words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (quote)
    return make_failure(ec::bad_request,
                        std::string{"unterminated "} + quote + " quote");
  if (in_word)
    words.push_back(std::move(word));
  return words;
}

std::string synopsis_line(const command_spec& spec) {
  auto line = std::string{spec.name};
  if (!spec.synopsis.empty())
    line.append(" ").append(spec.synopsis);
  return line;
}

std::string usage(const command_spec& spec) {
  return "usage: " + synopsis_line(spec);
}

namespace {

bool contains(const std::vector<std::string_view>& names,
              std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

outcome<command> parse_words(std::vector<std::string> words);

// `watch <command ...> [every N]`: the repeated command with its interval.
outcome<command> parse_watch(std::vector<std::string> words) {
  const auto& spec = *find_command("watch");
  int seconds = 2;
  if (words.size() >= 2 && words[words.size() - 2] == "every") {
    const auto& text = words.back();
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(),
                                      seconds);
    if (err != std::errc{} || end != text.data() + text.size() || seconds < 1
        || seconds > 3600)
      return make_failure(ec::bad_request,
                          "watch: every N takes 1 to 3600 seconds, not '"
                            + text + "'");
    words.resize(words.size() - 2);
  }
  if (words.empty())
    return make_failure(ec::bad_request, usage(spec));
  auto inner = find_command(words.front());
  if (inner && !inner->watchable)
    return make_failure(ec::bad_request,
                        "watch repeats only commands that change nothing; "
                        "not " + words.front());
  auto watched = parse_words(std::move(words));
  if (!watched)
    return watched;
  watched->watch_seconds = seconds;
  return watched;
}

outcome<command> parse_words(std::vector<std::string> words) {
  command cmd;
  if (words.empty())
    return cmd;
  auto spec = find_command(words.front());
  if (!spec)
    return make_failure(ec::bad_request, "unknown command '" + words.front()
                                           + "' (try help)");
  cmd.name = std::string{spec->name};
  words.erase(words.begin());
  if (spec->name == "watch")
    return parse_watch(std::move(words));
  for (size_t i = 0; i < words.size(); ++i) {
    const auto& word = words[i];
    if (word.size() < 3 || word.compare(0, 2, "--") != 0) {
      cmd.args.push_back(word);
      continue;
    }
    auto eq = word.find('=');
    auto name = word.substr(2, eq == std::string::npos ? eq : eq - 2);
    if (contains(spec->value_options, name)) {
      if (eq != std::string::npos)
        cmd.options[name] = word.substr(eq + 1);
      else if (i + 1 < words.size())
        cmd.options[name] = words[++i];
      else
        return make_failure(ec::bad_request, "option --" + name
                                               + " needs a value; "
                                               + usage(*spec));
    } else if (contains(spec->flag_options, name)
               && eq == std::string::npos) {
      cmd.options[name] = "";
    } else {
      return make_failure(ec::bad_request, "unknown option --" + name + " for "
                                             + cmd.name + "; "
                                             + usage(*spec));
    }
  }
  if (cmd.args.size() < spec->min_args || cmd.args.size() > spec->max_args)
    return make_failure(ec::bad_request, usage(*spec));
  if (spec->first == arg_kind::tree && !cmd.args.empty()
      && cmd.args.front() != "tree")
    return make_failure(ec::bad_request, usage(*spec));
  if (spec->first == arg_kind::command && !cmd.args.empty()
      && !find_command(cmd.args.front()))
    return make_failure(ec::bad_request,
                        "unknown command '" + cmd.args.front() + "'");
  return cmd;
}

} // namespace

outcome<command> parse_command(std::string_view line) {
  auto words = split_words(line);
  if (!words)
    return words.error();
  return parse_words(std::move(*words));
}

view help_view(std::string_view name) {
  if (!name.empty()) {
    const auto& spec = *find_command(name);
    return {{{"", std::vector<field>{
                    {"Usage", "Usage", text_cell(synopsis_line(spec))},
                    {"Summary", "Summary", text_cell(spec.summary)}}}}};
  }
  table t;
  t.columns = {{"Command", "COMMAND"}, {"Summary", "WHAT IT DOES"}};
  for (const auto& spec : command_specs())
    t.rows.push_back({text_cell(synopsis_line(spec)),
                      text_cell(spec.summary)});
  return {{{"Commands", std::move(t)}}};
}

completion_request completion_for(std::string_view before_cursor) {
  completion_request req;
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < before_cursor.size()) {
    if (before_cursor[i] == ' ' || before_cursor[i] == '\t') {
      ++i;
      continue;
    }
    auto end = before_cursor.find_first_of(" \t", i);
    if (end == std::string_view::npos)
      end = before_cursor.size();
    words.push_back(before_cursor.substr(i, end - i));
    i = end;
  }
  bool in_word = !before_cursor.empty() && before_cursor.back() != ' '
                 && before_cursor.back() != '\t';
  if (in_word) {
    req.prefix = std::string{words.back()};
    words.pop_back();
  }
  req.word_start = before_cursor.size() - req.prefix.size();
  auto command_names = [&](bool watchable_only) {
    req.kind = arg_kind::command;
    for (const auto& spec : command_specs())
      if (!watchable_only || spec.watchable)
        req.fixed.emplace_back(spec.name);
    if (!watchable_only)
      req.fixed.emplace_back("exit");
    return req;
  };
  if (words.empty())
    return command_names(false);
  if (words.front() == "watch") {
    words.erase(words.begin());
    if (words.empty())
      return command_names(true);
  }
  auto spec = find_command(words.front());
  if (!spec)
    return req;
  if (!req.prefix.empty() && req.prefix.front() == '-') {
    for (auto names : {&spec->value_options, &spec->flag_options})
      for (auto name : *names)
        req.fixed.push_back("--" + std::string{name});
    return req;
  }
  // Count the positional arguments before the cursor; a value option
  // given without '=' takes the next word.
  size_t position = 0;
  for (size_t w = 1; w < words.size(); ++w) {
    auto word = words[w];
    if (word.substr(0, 2) != "--") {
      ++position;
      continue;
    }
    auto name = word.substr(2);
    if (name.find('=') == std::string_view::npos
        && contains(spec->value_options, name))
      ++w;
  }
  req.kind = position == 0   ? spec->first
             : position == 1 ? spec->second
                             : arg_kind::text;
  if (req.kind == arg_kind::tree)
    req.fixed = {"tree"};
  else if (req.kind == arg_kind::command)
    return command_names(false);
  return req;
}

completion complete(std::string_view prefix,
                    std::vector<std::string> candidates) {
  completion result;
  for (auto& c : candidates)
    if (c.size() >= prefix.size() && c.compare(0, prefix.size(), prefix) == 0)
      result.matches.push_back(std::move(c));
  std::sort(result.matches.begin(), result.matches.end());
  result.matches.erase(std::unique(result.matches.begin(),
                                   result.matches.end()),
                       result.matches.end());
  if (result.matches.empty())
    return result;
  if (result.matches.size() == 1) {
    result.insert = result.matches.front().substr(prefix.size()) + " ";
    return result;
  }
  const auto& first = result.matches.front();
  const auto& last = result.matches.back();
  size_t common = 0;
  while (common < first.size() && common < last.size()
         && first[common] == last[common])
    ++common;
  result.insert = first.substr(prefix.size(), common - prefix.size());
  return result;
}

} // namespace corvus::console
