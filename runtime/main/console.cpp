// corvus-console: an operator's view of a Corvus cluster through any one of
// its nodes, over the node's HTTP API.
//
// This file is the I/O shell: options, the session with the node it talks
// to, the interactive loop and `watch`. Parsing, views, layout and
// completion are pure and live in runtime/console/. Every failure of a
// command ends as one line on stderr; the console itself never dies of one.

#include "actors/http/http_client.hpp"
#include "runtime/console/command.hpp"
#include "runtime/console/operations.hpp"
#include "runtime/console/view.hpp"
#include "runtime/console/views.hpp"
#include "runtime/json/json.hpp"
#include "runtime/main/console_edit.hpp"

#include <boost/program_options.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <iostream>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

namespace {

using namespace corvus;
using namespace corvus::console;
using namespace std::chrono_literals;
using rapidjson::Document;

// Set by SIGINT (Ctrl-C): it stops `watch` and abandons the line being
// edited, but never ends the console.
volatile std::sig_atomic_t interrupted = 0;

void on_interrupt(int) {
  interrupted = 1;
}

/// From here on Ctrl-C sets `interrupted` instead of ending the process.
void catch_interrupts() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: Ctrl-C must interrupt the read of a line or a wait.
  sigaction(SIGINT, &action, nullptr);
}

constexpr std::string_view user_agent = "corvus-console/" CORVUS_VERSION;

/// Bound on one request to the node the console talks to.
constexpr auto request_timeout = 5000ms;
/// Bound on probing another node, and on completion's look-ups (TAB must
/// not hang).
constexpr auto quick_timeout = 2000ms;
/// How long completion reuses the database names and actors it fetched.
constexpr auto completion_cache_life = 5s;

size_t terminal_width() {
  winsize size{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0
      && size.ws_col > 0)
    return size.ws_col;
  return 80;
}

failure error(std::string line) {
  return make_failure(ec::bad_request, std::move(line));
}

/// The node the console talks to, and what it caches for completion.
class session {
public:
  explicit session(url_parts node) : node_(std::move(node)) {
    // nop
  }

  /// Runs `cmd` (anything but quit; watch repeats this).
  outcome<view> run(const command& cmd) {
    const auto& spec = *find_command(cmd.name);
    auto op = spec.operation;
    if (cmd.name == "help")
      return help_view(cmd.args.empty() ? "" : cmd.args.front());
    if (cmd.name == "connect")
      return connect(cmd.args.front());
    if (is_operation(cmd))
      return operate(cmd, op);
    if (cmd.name == "nodes")
      return nodes(op);
    if (cmd.name == "raft") {
      auto topology = get("/cluster/topology", op);
      if (!topology)
        return topology.error();
      auto actors = get("/admin/actors", op);
      return raft_view(*topology, actors ? &*actors : nullptr);
    }
    if (cmd.name == "databases")
      return databases(op);
    if (cmd.name == "topology")
      return topology(cmd.args.front(), op);
    if (cmd.name == "restarts") {
      auto restarts = get("/admin/restarts", op);
      if (!restarts)
        return restarts.error();
      return restarts_view(*restarts);
    }
    if (cmd.name == "memory") {
      auto stats = get("/admin/debug/memory/stats", op);
      if (!stats)
        return stats.error();
      return memory_view(*stats);
    }
    if (cmd.name == "links") {
      auto record = database_record(cmd.args.front(), op);
      if (!record)
        return record.error();
      auto actors = get("/admin/actors", op);
      if (!actors)
        return actors.error();
      return links_view(cmd.args.front(), *actors, group_size(*record));
    }
    // actors, actors tree, show
    auto actors = get("/admin/actors", op);
    if (!actors)
      return actors.error();
    if (cmd.name == "actors")
      return cmd.args.empty() ? actors_view(*actors)
                              : actor_tree_view(*actors);
    auto actor = find_actor(*actors, cmd.args.front());
    if (!actor)
      return actor.error();
    return actor_detail_view(**actor);
  }

  /// @returns e.g. "corvus A@127.0.0.1:8080> ".
  std::string prompt() const {
    return "corvus " + tag_ + "@" + node_.host + ":"
           + std::to_string(node_.port) + "> ";
  }

  /// Asks the node for its tag (it changes when a node joins a cluster).
  /// @returns the failure when the node cannot be reached.
  outcome<done> refresh_tag() {
    auto info = get_from(node_, "/cluster/node-info", "showing node info",
                         quick_timeout);
    if (!info) {
      tag_ = "?";
      return info.error();
    }
    auto tag = string_member(*info, "NodeTag");
    tag_ = tag ? std::string{view_of(*tag)} : "?";
    return done{};
  }

  const url_parts& node() const {
    return node_;
  }

  const std::string& tag() const {
    return tag_;
  }

  /// What TAB offers for `before_cursor`.
  completion complete_line(std::string_view before_cursor) {
    auto req = completion_for(before_cursor);
    auto candidates = req.fixed;
    if (req.kind == arg_kind::database)
      candidates = cached(databases_cache_, "/databases?namesOnly=false",
                          database_names);
    else if (req.kind == arg_kind::actor)
      candidates = cached(actors_cache_, "/admin/actors", actor_names);
    return complete(req.prefix, std::move(candidates));
  }

private:
  struct word_cache {
    std::vector<std::string> words;
    std::chrono::steady_clock::time_point fetched;
  };

  outcome<Document> get_from(const url_parts& node, const std::string& target,
                             std::string_view operation,
                             std::chrono::milliseconds timeout) {
    auto answer = send_request(node, {"GET", target, ""}, timeout, user_agent);
    if (!answer)
      return answer.error();
    if (answer->status / 100 != 2)
      return error(error_line(*answer, operation));
    Document doc;
    if (!parse_json(answer->body, doc, "the answer") || !doc.IsObject())
      return error(format_url(node) + " answered GET " + target
                   + " with something other than a JSON object");
    return doc;
  }

  outcome<Document> get(const std::string& target,
                        std::string_view operation) {
    return get_from(node_, target, operation, request_timeout);
  }

  outcome<Document> database_record(const std::string& name,
                                    std::string_view operation) {
    return get("/admin/databases?name=" + percent_encode(name), operation);
  }

  outcome<view> connect(const std::string& text) {
    auto url = parse_url(text, "http", "the node URL");
    if (!url)
      return url.error();
    session other{*url};
    if (auto reached = other.refresh_tag(); !reached)
      return reached.error();
    *this = std::move(other);
    return view{{{"Result", note{"connected to node " + tag_ + " at "
                                 + format_url(node_)}}}};
  }

  outcome<view> operate(const command& cmd, std::string_view operation) {
    if (cmd.name == "delete-db" || cmd.name == "add-db-node") {
      auto record = database_record(cmd.args.front(), operation);
      if (!record)
        return record.error();
    }
    auto call = plan_operation(cmd);
    if (!call)
      return call.error();
    auto answer = send_request(node_, *call, request_timeout, user_agent);
    if (!answer)
      return answer.error();
    if (answer->status / 100 != 2)
      return error(error_line(*answer, operation));
    databases_cache_.reset();
    return operation_view(cmd, *answer);
  }

  outcome<view> nodes(std::string_view operation) {
    auto topology = get("/cluster/topology", operation);
    if (!topology)
      return topology.error();
    std::map<std::string, node_probe> probes;
    for (const auto& [tag, text] : cluster_urls(*topology)) {
      auto url = parse_url(text, "http", "the node URL");
      if (!url) {
        probes[tag] = {false, "bad URL"};
        continue;
      }
      auto info = get_from(*url, "/cluster/node-info", operation,
                           quick_timeout);
      auto state = info ? string_member(*info, "CurrentState") : nullptr;
      probes[tag] = {static_cast<bool>(info),
                     info ? (state ? std::string{view_of(*state)} : "-")
                          : info.error().message};
    }
    return nodes_view(*topology, probes);
  }

  outcome<view> databases(std::string_view operation) {
    auto list = get("/databases?namesOnly=false", operation);
    if (!list)
      return list.error();
    // Records and statistics only add columns: a database whose record or
    // statistics cannot be read still gets its row.
    std::map<std::string, Document> records, stats;
    std::map<std::string, database_details> details;
    for (const auto& name : database_names(*list)) {
      auto encoded = percent_encode(name);
      if (auto r = get("/admin/databases?name=" + encoded, operation))
        details[name].record = &(records[name] = std::move(*r));
      if (auto s = get("/databases/" + encoded + "/stats", operation))
        details[name].stats = &(stats[name] = std::move(*s));
    }
    return databases_view(*list, details);
  }

  outcome<view> topology(const std::string& name,
                         std::string_view operation) {
    auto record = database_record(name, operation);
    if (!record)
      return record.error();
    auto client = get("/topology?name=" + percent_encode(name), operation);
    auto cluster = get("/cluster/topology", operation);
    return topology_view(name, *record, client ? &*client : nullptr,
                         cluster ? &*cluster : nullptr);
  }

  std::vector<std::string>
  cached(std::optional<word_cache>& cache, const std::string& target,
         std::vector<std::string> (*words_of)(const rapidjson::Value&)) {
    auto now = std::chrono::steady_clock::now();
    if (!cache || now - cache->fetched > completion_cache_life) {
      auto doc = get_from(node_, target, "completing", quick_timeout);
      if (!doc)
        return {};
      cache = word_cache{words_of(*doc), now};
    }
    return cache->words;
  }

  url_parts node_;
  std::string tag_ = "?";
  std::optional<word_cache> databases_cache_;
  std::optional<word_cache> actors_cache_;
};

/// Runs `cmd`, turning anything thrown into an error line: one command's
/// failure never ends the console.
outcome<view> run_safely(session& s, const command& cmd) {
  try {
    return s.run(cmd);
  } catch (const std::exception& e) {
    return error(std::string{"unexpected failure: "} + e.what());
  }
}

/// Prints what a command produced. @returns whether it succeeded.
bool print(const outcome<view>& result, bool json) {
  if (!result) {
    std::fprintf(stderr, "error: %s\n", result.error().message.c_str());
    return false;
  }
  auto text = json ? render_json(*result) + "\n"
                   : render_text(*result, terminal_width());
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  return true;
}

/// Puts the terminal in a mode where one key press (Enter) is seen at once
/// and not echoed over the redrawn screen; restores it when destroyed.
class key_mode {
public:
  key_mode() {
    active_ = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_) == 0;
    if (!active_)
      return;
    auto raw = saved_;
    raw.c_lflag &= ~(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }

  ~key_mode() {
    if (active_)
      tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

  key_mode(const key_mode&) = delete;
  key_mode& operator=(const key_mode&) = delete;

private:
  termios saved_{};
  bool active_ = false;
};

/// Waits up to `period`; @returns false when the operator asked to stop
/// (Ctrl-C, Enter, q, or the end of input).
bool wait_for_next(std::chrono::milliseconds period) {
  auto deadline = std::chrono::steady_clock::now() + period;
  while (!interrupted && std::chrono::steady_clock::now() < deadline) {
    pollfd input{STDIN_FILENO, POLLIN, 0};
    if (poll(&input, 1, 100) <= 0)
      continue;
    char key = 0;
    auto n = ::read(STDIN_FILENO, &key, 1);
    if (n == 0 && !isatty(STDIN_FILENO))
      return false;
    if (n == 1 && (key == '\n' || key == '\r' || key == 'q'))
      return false;
  }
  return !interrupted;
}

/// `watch`: clears the screen and shows the command again every period.
void watch(session& s, const command& cmd, bool json) {
  catch_interrupts();
  interrupted = 0;
  key_mode keys;
  std::string title = "every " + std::to_string(cmd.watch_seconds) + " s: "
                      + cmd.name;
  for (const auto& arg : cmd.args)
    title += " " + arg;
  do {
    auto result = run_safely(s, cmd);
    char clock[16];
    auto now = std::time(nullptr);
    std::strftime(clock, sizeof clock, "%H:%M:%S", std::localtime(&now));
    // Home + clear screen: redraw in place instead of scrolling.
    std::fputs("\x1b[H\x1b[2J", stdout);
    auto hint = std::string{"  (Enter or Ctrl-C stops)  "} + clock;
    auto room = terminal_width() - std::min(terminal_width(), hint.size());
    std::printf("%s%s\n\n", fit(title, room).c_str(), hint.c_str());
    print(result, json);
  } while (wait_for_next(std::chrono::seconds{cmd.watch_seconds}));
  interrupted = 0;
}

/// Runs one parsed line. @returns false for quit.
bool dispatch(session& s, const outcome<command>& cmd, bool json,
              bool& failed) {
  if (!cmd) {
    std::fprintf(stderr, "error: %s\n", cmd.error().message.c_str());
    failed = true;
    return true;
  }
  if (cmd->name == "quit")
    return false;
  if (cmd->name.empty())
    return true;
  if (cmd->watch_seconds > 0)
    watch(s, *cmd, json);
  else if (!print(run_safely(s, *cmd), json))
    failed = true;
  return true;
}

std::string history_path() {
  auto home = std::getenv("HOME");
  return home && *home ? std::string{home} + "/.corvus_console_history" : "";
}

int interactive(session& s, bool json) {
  catch_interrupts();
  if (auto reached = s.refresh_tag(); !reached)
    std::fprintf(stderr, "error: %s\n", reached.error().message.c_str());
  else
    std::printf("Connected to node %s at %s. Type help for commands.\n",
                s.tag().c_str(), format_url(s.node()).c_str());
  line_editor editor{"corvus-console", history_path(),
                     [&](std::string_view before) {
                       return s.complete_line(before);
                     }};
  while (true) {
    interrupted = 0;
    auto line = editor.read(s.prompt());
    if (!line)
      break;
    if (line->find_first_not_of(" \t") == std::string::npos)
      continue;
    editor.remember(*line);
    bool failed = false;
    if (!dispatch(s, parse_command(*line), json, failed))
      break;
    // The node may have joined a cluster or gone down meanwhile.
    (void) s.refresh_tag();
  }
  std::fputs("\n", stdout);
  return 0;
}

/// Commands read from a pipe: no prompt, no editing.
int scripted(session& s, bool json) {
  bool failed = false;
  std::string line;
  while (std::getline(std::cin, line))
    if (!dispatch(s, parse_command(line), json, failed))
      break;
  return failed ? 1 : 0;
}

int run(int argc, char** argv) {
  namespace po = boost::program_options;
  po::options_description options{"Usage: corvus-console [options]\n\n"
                                   "Options"};
  std::string url_text, exec;
  options.add_options()
    ("url", po::value(&url_text)->default_value("http://127.0.0.1:8080"),
     "node to talk to")
    ("exec", po::value(&exec), "run one command, then exit (0 or 1)")
    ("json", "print each command's data as one JSON document")
    ("help", "show this help")
    ("version", "show the version");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "error: %s (see --help)\n", e.what());
    return 1;
  }
  if (vm.count("help")) {
    std::cout << options << "\nCommands (interactive or with --exec):\n"
              << render_text(help_view(""), 80);
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "corvus-console " CORVUS_VERSION "\n";
    return 0;
  }
  auto url = parse_url(url_text, "http", "--url");
  if (!url) {
    std::fprintf(stderr, "error: %s\n", url.error().message.c_str());
    return 1;
  }
  bool json = vm.count("json") > 0;
  session s{*url};
  if (vm.count("exec")) {
    bool failed = false;
    dispatch(s, parse_command(exec), json, failed);
    return failed ? 1 : 0;
  }
  return isatty(STDIN_FILENO) ? interactive(s, json) : scripted(s, json);
}

} // namespace

int main(int argc, char** argv) {
  // The command boundary catches everything already; this is the last line
  // of defence against a stack dump (bad_alloc, a library throwing).
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "error: unexpected failure\n");
  }
  return 1;
}
