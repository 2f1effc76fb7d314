#include "config/load_config.hpp"

#include "runtime/documents/compression.hpp"
#include "runtime/http/url.hpp"

#include "config/embedded_node_conf.hpp"

#include <boost/program_options.hpp>
#include <hocon/config.hpp>
#include <hocon/config_parse_options.hpp>
#include <hocon/config_render_options.hpp>
#include <hocon/config_value_factory.hpp>
#include <hocon/path.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace corvus {

namespace {

namespace po = boost::program_options;
using std::chrono::milliseconds;

/// Origin of the embedded defaults in error messages, e.g.
/// "embedded node.conf:42".
constexpr const char* embedded_origin = "embedded node.conf";

// -- decoding HOCON values ----------------------------------------------------

// Each decode() overload reads one kind of value. It returns nullptr on
// success, or what the value must be ("must be a number") otherwise.

const char* decode(const hocon::shared_value& value, std::string& out) {
  if (value->value_type() != hocon::config_value::type::STRING)
    return "must be a string";
  out = boost::get<std::string>(value->unwrapped());
  return nullptr;
}

const char* decode(const hocon::shared_value& value, bool& out) {
  if (value->value_type() != hocon::config_value::type::BOOLEAN)
    return "must be true or false";
  out = boost::get<bool>(value->unwrapped());
  return nullptr;
}

/// @returns the value if it is a whole number (HOCON keeps small ones as
///          int, larger ones as int64_t, fractions as double).
std::optional<int64_t> whole_number(const hocon::config_value& value) {
  auto unwrapped = value.unwrapped();
  if (auto small = boost::get<int>(&unwrapped))
    return *small;
  if (auto large = boost::get<int64_t>(&unwrapped))
    return *large;
  return std::nullopt;
}

const char* decode(const hocon::shared_value& value, int& out) {
  if (value->value_type() != hocon::config_value::type::NUMBER)
    return "must be a number";
  auto number = whole_number(*value);
  if (!number)
    return "must be a whole number";
  // Clamping lets the key's range check report a huge value the same way
  // as any other value out of range.
  constexpr int64_t lowest = std::numeric_limits<int>::min();
  constexpr int64_t highest = std::numeric_limits<int>::max();
  out = static_cast<int>(std::clamp(*number, lowest, highest));
  return nullptr;
}

const char* decode(const hocon::shared_value& value, milliseconds& out) {
  // cpp-hocon parses durations ("500ms", "2 minutes", or a plain number of
  // milliseconds) only through a config path, so the value gets one.
  try {
    auto holder = hocon::config::parse_string("")->with_value("v", value);
    out = milliseconds{
      holder->get_duration("v", hocon::time_unit::MILLISECONDS)};
    return nullptr;
  } catch (const hocon::config_exception&) {
    return "must be a duration such as \"500ms\" or \"2m\"";
  }
}

/// @returns `text` without leading and trailing white space.
std::string_view trimmed(std::string_view text) {
  constexpr const char* space = " \t\r\n";
  auto first = text.find_first_not_of(space);
  if (first == std::string_view::npos)
    return {};
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

/// @returns the number of bytes `text` stands for ("64MiB", "1 G", "500KB",
///          "4096"), or nothing if it is not a size. As in the HOCON
///          specification, single letters and IEC names are binary and SI
///          names decimal; unlike it, case does not matter.
std::optional<uint64_t> parse_size(std::string_view text) {
  text = trimmed(text);
  uint64_t number = 0;
  auto end = text.data() + text.size();
  auto [unit_begin, error] = std::from_chars(text.data(), end, number);
  if (error != std::errc{})
    return std::nullopt;
  std::string unit{trimmed({unit_begin, size_t(end - unit_begin)})};
  for (auto& c : unit)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::pair<std::string_view, uint64_t> units[] = {
    {"", 1},           {"b", 1},
    {"k", 1ull << 10}, {"kib", 1ull << 10}, {"kb", 1000},
    {"m", 1ull << 20}, {"mib", 1ull << 20}, {"mb", 1'000'000},
    {"g", 1ull << 30}, {"gib", 1ull << 30}, {"gb", 1'000'000'000},
  };
  for (auto [name, factor] : units)
    if (unit == name) {
      if (number > std::numeric_limits<uint64_t>::max() / factor)
        return std::nullopt;
      return number * factor;
    }
  return std::nullopt;
}

const char* decode(const hocon::shared_value& value, uint64_t& out) {
  constexpr auto expected = "must be a size such as \"64MiB\" or a number of "
                            "bytes";
  std::optional<uint64_t> bytes;
  if (value->value_type() == hocon::config_value::type::STRING) {
    bytes = parse_size(boost::get<std::string>(value->unwrapped()));
  } else if (value->value_type() == hocon::config_value::type::NUMBER) {
    if (auto number = whole_number(*value); number && *number >= 0)
      bytes = static_cast<uint64_t>(*number);
  }
  if (!bytes)
    return expected;
  out = *bytes;
  return nullptr;
}

// -- checks beyond the kind of a value ----------------------------------------

// Each check returns why a well-typed value is refused, or an empty string.

template <int min, int max>
std::string in_range(const int& x) {
  if (x >= min && x <= max)
    return {};
  return "must be between " + std::to_string(min) + " and "
         + std::to_string(max);
}

template <class T>
std::string positive(const T& x) {
  return x > T{} ? std::string{} : "must be greater than 0";
}

// Bodies end up as strings whose sizes are 32 bits wide: RapidJSON's, and
// the length prefixes of log entries and snapshots (runtime/text/
// byte_fields.hpp).
std::string body_size(const uint64_t& x) {
  constexpr uint64_t max = 2ull << 30;
  if (x > 0 && x <= max)
    return {};
  return "must be greater than 0 and at most 2GiB";
}

std::string non_empty(const std::string& x) {
  return x.empty() ? "must not be empty" : "";
}

/// @returns whether `url` is `scheme://host:port` (runtime/http/url.hpp,
/// which the node parses it with).
bool is_url(std::string_view url, std::string_view scheme) {
  return static_cast<bool>(parse_url(url, scheme, "url"));
}

std::string http_url(const std::string& x) {
  if (x.rfind("https://", 0) == 0)
    return "must use http:// (https is not supported yet)";
  return is_url(x, "http") ? "" : "must look like http://host:port";
}

std::string optional_http_url(const std::string& x) {
  return x.empty() ? "" : http_url(x);
}

std::string tcp_url(const std::string& x) {
  return x.empty() || is_url(x, "tcp") ? ""
                                       : "must look like tcp://host:port";
}

std::string log_level(const std::string& x) {
  for (auto level : {"trace", "debug", "info", "warn", "error", "off"})
    if (x == level)
      return {};
  return "must be one of trace, debug, info, warn, error, off";
}

std::string compression_choice(const std::string& x) {
  return parse_compression(x) ? ""
                              : "must be one of "
                                  + std::string{compression_words};
}

// -- the keys -----------------------------------------------------------------

template <class T>
struct typed_key {
  using value_type = T;
  /// The field of node_config the key fills.
  T& (*field)(node_config&);
  /// Refuses values of the right kind but out of bounds; may be null.
  std::string (*check)(const T&);
};

/// Keeps a parameter out of template argument deduction, so that `check`
/// below may be null or a template such as `positive` and T still comes
/// from `field` alone.
template <class T>
struct non_deduced {
  using type = T;
};

/// One key of node.conf: its name, the C++ type of its field (which decides
/// how the value is read) and its checks.
struct key_spec {
  template <class T>
  key_spec(std::string_view key, T& (*field)(node_config&),
           typename non_deduced<std::string (*)(const T&)>::type check
           = nullptr)
    : key{key}, target{typed_key<T>{field, check}} {
    // nop
  }

  /// Reads `value` into its field of `config`.
  /// @returns why the value was refused, or an empty string.
  std::string assign(const hocon::shared_value& value,
                     node_config& config) const {
    return std::visit(
      [&](const auto& typed) -> std::string {
        typename std::decay_t<decltype(typed)>::value_type x{};
        if (auto expected = decode(value, x))
          return expected;
        if (typed.check)
          if (auto problem = typed.check(x); !problem.empty())
            return problem;
        typed.field(config) = std::move(x);
        return {};
      },
      target);
  }

  std::string_view key;
  std::variant<typed_key<std::string>, typed_key<int>, typed_key<bool>,
               typed_key<milliseconds>, typed_key<uint64_t>>
    target;
};

// The single list of keys: it drives validation and assignment. Every key
// must also be in node.conf with the default of its field; the config tests
// guard that the two agree.
const key_spec key_specs[] = {
  {"server-url", +[](node_config& c) -> auto& { return c.server_url; },
   http_url},
  {"public-server-url",
   +[](node_config& c) -> auto& { return c.public_server_url; },
   optional_http_url},
  {"tcp-url", +[](node_config& c) -> auto& { return c.tcp_url; }, tcp_url},
  {"data-dir", +[](node_config& c) -> auto& { return c.data_dir; },
   non_empty},
  {"logs.path", +[](node_config& c) -> auto& { return c.logs.path; },
   non_empty},
  {"logs.level", +[](node_config& c) -> auto& { return c.logs.level; },
   log_level},
  {"http.io-threads",
   +[](node_config& c) -> auto& { return c.http.io_threads; },
   in_range<1, 64>},
  {"http.max-body-size",
   +[](node_config& c) -> auto& { return c.http.max_body_size; }, body_size},
  {"http.keep-alive-timeout",
   +[](node_config& c) -> auto& { return c.http.keep_alive_timeout; },
   positive},
  {"http.request-timeout",
   +[](node_config& c) -> auto& { return c.http.request_timeout; },
   positive},
  {"storage.sync", +[](node_config& c) -> auto& { return c.storage.sync; }},
  {"storage.compression",
   +[](node_config& c) -> auto& { return c.storage.compression; },
   compression_choice},
  {"storage.id-filter",
   +[](node_config& c) -> auto& { return c.storage.id_filter; }},
  {"storage.block-cache-size",
   +[](node_config& c) -> auto& { return c.storage.block_cache_size; },
   positive},
  {"storage.write-buffer-size",
   +[](node_config& c) -> auto& { return c.storage.write_buffer_size; },
   positive},
  {"storage.max-group-commit-bytes",
   +[](node_config& c) -> auto& { return c.storage.max_group_commit_bytes; },
   positive},
  {"database.restart-backoff-initial",
   +[](node_config& c) -> auto& {
     return c.database.restart_backoff_initial;
   },
   positive},
  {"database.restart-backoff-max",
   +[](node_config& c) -> auto& { return c.database.restart_backoff_max; },
   positive},
  {"replication.heartbeat",
   +[](node_config& c) -> auto& { return c.replication.heartbeat; },
   positive},
  {"replication.reply-timeout",
   +[](node_config& c) -> auto& { return c.replication.reply_timeout; },
   positive},
  {"replication.retry-initial",
   +[](node_config& c) -> auto& { return c.replication.retry_initial; },
   positive},
  {"replication.retry-factor",
   +[](node_config& c) -> auto& { return c.replication.retry_factor; },
   positive},
  {"replication.retry-max",
   +[](node_config& c) -> auto& { return c.replication.retry_max; },
   positive},
  {"replication.notify-delay",
   +[](node_config& c) -> auto& { return c.replication.notify_delay; },
   positive},
  {"replication.batches-in-flight",
   +[](node_config& c) -> auto& { return c.replication.window; }, positive},
  {"replication.max-items-per-batch",
   +[](node_config& c) -> auto& { return c.replication.max_items; },
   positive},
  {"replication.max-batch-size",
   +[](node_config& c) -> auto& { return c.replication.max_bytes; },
   positive},
  {"introspection.snapshot-timeout",
   +[](node_config& c) -> auto& {
     return c.introspection.snapshot_timeout;
   },
   positive},
  {"cluster.election-timeout",
   +[](node_config& c) -> auto& { return c.cluster.election_timeout; },
   positive},
  {"cluster.tick-interval",
   +[](node_config& c) -> auto& { return c.cluster.tick_interval; },
   positive},
  {"cluster.operation-timeout",
   +[](node_config& c) -> auto& { return c.cluster.operation_timeout; },
   positive},
  {"cluster.connect-timeout",
   +[](node_config& c) -> auto& { return c.cluster.connect_timeout; },
   positive},
  {"cluster.max-append-size",
   +[](node_config& c) -> auto& { return c.cluster.max_append_size; },
   positive},
  {"cluster.max-inflight-appends",
   +[](node_config& c) -> auto& { return c.cluster.max_inflight_appends; },
   in_range<1, 4096>},
  {"cluster.max-inflight-append-size",
   +[](node_config& c) -> auto& {
     return c.cluster.max_inflight_append_size;
   },
   positive},
  {"cluster.snapshot-piece-size",
   +[](node_config& c) -> auto& { return c.cluster.snapshot_piece_size; },
   positive},
  {"cluster.snapshot-pieces-ahead",
   +[](node_config& c) -> auto& { return c.cluster.snapshot_pieces_ahead; },
   in_range<1, 4096>},
  {"cluster.snapshot-every",
   +[](node_config& c) -> auto& { return c.cluster.snapshot_every; },
   positive},
  {"cluster.snapshot-keep",
   +[](node_config& c) -> auto& { return c.cluster.snapshot_keep; }},
  {"scheduler.threads",
   +[](node_config& c) -> auto& { return c.scheduler.threads; },
   in_range<0, 256>},
};

const key_spec* find_key(std::string_view key) {
  for (auto& spec : key_specs)
    if (spec.key == key)
      return &spec;
  return nullptr;
}

// -- errors -------------------------------------------------------------------

failure bad_request(std::string message) {
  return make_failure(ec::bad_request, std::move(message));
}

/// @returns `text` with line breaks turned into spaces: every error is
///          printed as one line.
std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r')
      c = ' ';
  return text;
}

/// @returns where `value` was set: "file:line" for files; for command-line
///          values the flag as typed, which always starts with '-' and is
///          parsed as one line, so a line number would say nothing.
std::string where(const hocon::config_value& value) {
  auto& origin = *value.origin();
  auto& description = origin.description();
  if (description.rfind('-', 0) == 0 || origin.line_number() <= 0)
    return description;
  return description + ":" + std::to_string(origin.line_number());
}

/// @returns `value` as written in HOCON, strings quoted.
std::string render(const hocon::config_value& value) {
  return value.render(hocon::config_render_options::concise());
}

// -- HOCON layers -------------------------------------------------------------

/// Parses `text`; values and errors name `origin`.
outcome<hocon::shared_config> parse_hocon(const std::string& text,
                                          const std::string& origin) {
  auto options = hocon::config_parse_options()
                   .set_origin_description(
                     std::make_shared<const std::string>(origin))
                   .set_syntax(config_syntax::CONF);
  try {
    return hocon::config::parse_string(text, options);
  } catch (const hocon::config_exception& e) {
    // cpp-hocon prefixes most messages with the origin, rarely with a line.
    std::string_view detail = e.what();
    auto prefix = origin + ": ";
    if (detail.substr(0, prefix.size()) == prefix)
      detail.remove_prefix(prefix.size());
    return bad_request(one_line(origin + ": syntax error: "
                                + std::string{detail}));
  }
}

/// Merges `layers` (lowest precedence first) and resolves substitutions,
/// so that `${data-dir}` in a file sees a value set on the command line.
outcome<hocon::shared_config>
merge(const std::vector<hocon::shared_config>& layers) {
  auto merged = layers.front();
  for (size_t i = 1; i < layers.size(); ++i)
    merged = std::dynamic_pointer_cast<const hocon::config>(
      layers[i]->with_fallback(merged));
  try {
    return merged->resolve();
  } catch (const hocon::config_exception& e) {
    return bad_request(one_line(e.what()));
  }
}

/// Collects every value of `object` that is not itself an object (nulls
/// included, so that `key = null` is refused like any other bad value).
void collect_leaves(const hocon::config_object& object,
                    std::vector<std::string>& prefix,
                    std::map<std::string, hocon::shared_value>& leaves) {
  for (auto& key : object.key_set()) {
    auto value = object.get(key);
    prefix.push_back(key);
    if (auto child = std::dynamic_pointer_cast<const hocon::config_object>(
          value))
      collect_leaves(*child, prefix, leaves);
    else
      leaves.emplace(hocon::path{prefix}.render(), value);
    prefix.pop_back();
  }
}

/// Checks every key of `merged` and builds the typed configuration.
outcome<node_config> to_node_config(const hocon::config& merged) {
  std::map<std::string, hocon::shared_value> leaves;
  std::vector<std::string> prefix;
  collect_leaves(*merged.root(), prefix, leaves);
  for (auto& [key, value] : leaves)
    if (!find_key(key))
      return bad_request(where(*value) + ": unknown key '" + key + "'");
  node_config result;
  for (auto& spec : key_specs) {
    auto leaf = leaves.find(std::string{spec.key});
    if (leaf == leaves.end())
      return bad_request(std::string{embedded_origin} + ": no key '"
                         + std::string{spec.key} + "'");
    auto& value = leaf->second;
    if (auto problem = spec.assign(value, result); !problem.empty())
      return bad_request(where(*value) + ": '" + leaf->first + "' " + problem
                         + ", got " + render(*value));
  }
  if (result.database.restart_backoff_initial
      > result.database.restart_backoff_max) {
    auto& initial = *leaves["database.restart-backoff-initial"];
    auto& max = *leaves["database.restart-backoff-max"];
    return bad_request(where(initial)
                       + ": 'database.restart-backoff-initial' must not "
                         "exceed 'database.restart-backoff-max' ("
                       + render(max) + " at " + where(max) + "), got "
                       + render(initial));
  }
  // A heartbeat every T/3 needs at least three ticks per election timeout.
  if (result.cluster.election_timeout < 3 * result.cluster.tick_interval) {
    auto& timeout = *leaves["cluster.election-timeout"];
    auto& tick = *leaves["cluster.tick-interval"];
    return bad_request(where(timeout)
                       + ": 'cluster.election-timeout' must be at least "
                         "three times 'cluster.tick-interval' ("
                       + render(tick) + " at " + where(tick) + "), got "
                       + render(timeout));
  }
  return result;
}

outcome<hocon::shared_config> embedded_defaults() {
  return parse_hocon(embedded_node_conf, embedded_origin);
}

// -- command line -------------------------------------------------------------

/// A flag that sets one key to its argument, taken literally.
struct named_flag {
  const char* name;
  /// The same flag as RavenDB spells it, so its documented command lines
  /// work unchanged.
  const char* ravendb_name;
  const char* key;
  const char* value_name;
  const char* help;
};

constexpr named_flag named_flags[] = {
  {"server-url", "ServerUrl", "server-url", "URL",
   "HTTP API address, http://host:port"},
  {"public-server-url", "PublicServerUrl", "public-server-url", "URL",
   "URL clients and peers are told to use"},
  {"tcp-url", "ServerUrl.Tcp", "tcp-url", "URL",
   "node-to-node address, tcp://host:port"},
  {"data-dir", "DataDir", "data-dir", "DIR", "folder of this node's stores"},
  {"logs-path", "Logs.Path", "logs.path", "DIR", "folder of the log files"},
};

const named_flag* find_flag(const std::string& name) {
  for (auto& flag : named_flags)
    if (name == flag.name || name == flag.ravendb_name)
      return &flag;
  return nullptr;
}

/// The flags corvus-node accepts, in two groups for --help.
struct cli_options {
  po::options_description general{"Options", 80};
  po::options_description ravendb{"RavenDB spellings", 80};
  /// Both groups; printing it aligns their columns.
  po::options_description all{80};

  cli_options() {
    general.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the version and exit")
      ("print-config",
       "print the effective configuration as HOCON and exit")
      ("config", po::value<std::string>()->value_name("FILE"),
       "read settings from this HOCON file")
      ("set",
       po::value<std::vector<std::string>>()->composing()->value_name(
         "KEY=VALUE"),
       "set any configuration key (repeatable)");
    for (auto& flag : named_flags) {
      general.add_options()(
        flag.name, po::value<std::string>()->value_name(flag.value_name),
        flag.help);
      auto same_as = std::string{"same as --"} + flag.name;
      ravendb.add_options()(
        flag.ravendb_name,
        po::value<std::string>()->value_name(flag.value_name),
        same_as.c_str());
    }
    all.add(general).add(ravendb);
  }

  std::string help() const {
    std::ostringstream out;
    out << "Usage: corvus-node [options]\n\n"
           "Starts a Corvus node, a document database server speaking "
           "RavenDB's protocol.\n"
        << all << '\n'
        << "Every key of the configuration can be set in the --config file "
           "or with\n"
           "--set KEY=VALUE. Precedence: built-in defaults, then the file, "
           "then flags in\n"
           "the order given. `corvus-node --print-config` lists every key, "
           "documented,\n"
           "with its effective value.\n";
    return out.str();
  }
};

/// @returns `text` as a quoted HOCON string.
std::string quoted(const std::string& text) {
  return render(*hocon::config_value_factory::from_any_ref(text));
}

/// @returns VALUE of `--set KEY=VALUE` in HOCON: itself when it is a number,
///          a boolean or a quoted string, otherwise the literal text quoted,
///          so that URLs and paths need no quoting ("http://h:1" is not
///          valid unquoted HOCON, and "//" would start a comment).
std::string set_value(const std::string& text) {
  try {
    auto parsed = hocon::config::parse_string("v = " + text)->get_value("v");
    auto is_quoted = trimmed(text).substr(0, 1) == "\"";
    if (parsed->value_type() != hocon::config_value::type::STRING
        || is_quoted)
      return render(*parsed);
  } catch (const hocon::config_exception&) {
    // Not HOCON: taken literally below.
  }
  return quoted(text);
}

/// @returns a layer setting `key` to `hocon_value`, for a command-line flag
///          described by `origin` (the flag as typed).
outcome<hocon::shared_config> override_layer(const std::string& key,
                                             const std::string& hocon_value,
                                             const std::string& origin) {
  // The layer is written as HOCON text and parsed because cpp-hocon 0.3's
  // config::with_value keeps a key's old value when replacing it and throws
  // bad_weak_ptr on dotted paths.
  std::string path;
  try {
    path = hocon::path::new_path(key).render();
  } catch (const hocon::config_exception&) {
    return bad_request(origin + ": invalid key '" + key + "'");
  }
  return parse_hocon(path + " = " + hocon_value, origin);
}

/// @returns the layer `option` adds when it sets a key (`--set` or a named
///          flag), or a null config for any other option.
outcome<hocon::shared_config> override_layer(const po::option& option) {
  auto flag = find_flag(option.string_key);
  if (!flag && option.string_key != "set")
    return hocon::shared_config{};
  std::string typed;
  for (auto& token : option.original_tokens)
    typed += (typed.empty() ? "" : " ") + token;
  auto& value = option.value.front();
  if (flag)
    return override_layer(flag->key, quoted(value), typed);
  auto eq = value.find('=');
  if (eq == std::string::npos)
    return bad_request(typed + ": expected KEY=VALUE");
  return override_layer(value.substr(0, eq), set_value(value.substr(eq + 1)),
                        typed);
}

/// @returns the layer of the `--config` file `path`.
outcome<hocon::shared_config> file_layer(const std::string& path) {
  // Read here rather than by cpp-hocon: its parse_file_any_syntax turns a
  // missing or unreadable file into an empty config and, for a name not
  // ending in .conf or .json, reads NAME.conf instead.
  auto cannot_read = [&] {
    return bad_request("--config " + path + ": cannot read file ("
                       + std::strerror(errno) + ")");
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{
    std::fopen(path.c_str(), "rb"), std::fclose};
  if (!file)
    return cannot_read();
  std::string text;
  char buffer[4096];
  while (auto n = std::fread(buffer, 1, sizeof buffer, file.get()))
    text.append(buffer, n);
  // fread fails on a directory (EISDIR), which fopen accepts.
  if (std::ferror(file.get()))
    return cannot_read();
  return parse_hocon(text, path);
}

std::string describe_sources(const std::string& file, size_t overrides) {
  std::string result = "embedded defaults";
  if (!file.empty())
    result += ", " + file;
  if (overrides > 0)
    result += ", " + std::to_string(overrides)
              + (overrides == 1 ? " override" : " overrides");
  return result;
}

} // namespace

outcome<loaded_config> load_node_config(int argc, const char* const* argv) {
  cli_options options;
  po::parsed_options parsed{&options.all};
  po::variables_map flags;
  try {
    // No prefix guessing: `--data` must not silently mean `--data-dir`.
    auto style = po::command_line_style::default_style
                 & ~po::command_line_style::allow_guessing;
    // An empty positional description makes any positional argument an
    // error instead of a silently ignored token.
    parsed = po::command_line_parser(argc, argv)
               .options(options.all)
               .positional(po::positional_options_description{})
               .style(style)
               .run();
    // Only to refuse a flag given twice; the overrides below keep order.
    po::store(parsed, flags);
  } catch (const po::error& e) {
    return bad_request(std::string{"command line: "} + e.what()
                       + " (see --help)");
  }
  loaded_config result;
  if (flags.count("help")) {
    result.action = cli_action::print_help;
    result.text = options.help();
    return result;
  }
  if (flags.count("version")) {
    result.action = cli_action::print_version;
    result.text = std::string{"corvus-node "} + CORVUS_VERSION + "\n";
    return result;
  }
  auto defaults = embedded_defaults();
  if (!defaults)
    return defaults.error();
  std::vector<hocon::shared_config> layers{*defaults};
  std::string file;
  if (flags.count("config")) {
    file = flags["config"].as<std::string>();
    auto layer = file_layer(file);
    if (!layer)
      return layer.error();
    layers.push_back(*layer);
  }
  size_t overrides = 0;
  for (auto& option : parsed.options) {
    auto layer = override_layer(option);
    if (!layer)
      return layer.error();
    if (*layer) {
      layers.push_back(*layer);
      ++overrides;
    }
  }
  auto merged = merge(layers);
  if (!merged)
    return merged.error();
  auto config = to_node_config(**merged);
  if (!config)
    return config.error();
  result.config = std::move(*config);
  result.sources = describe_sources(file, overrides);
  if (flags.count("print-config")) {
    result.action = cli_action::print_config;
    // Comments are kept: those of node.conf document each key.
    auto render_options = hocon::config_render_options{false, true, true,
                                                       false};
    result.text = "# Effective corvus-node configuration (" + result.sources
                  + ")\n" + (*merged)->root()->render(render_options);
  }
  return result;
}

outcome<node_config> parse_node_config(std::string_view hocon_text,
                                       std::string_view origin) {
  auto defaults = embedded_defaults();
  if (!defaults)
    return defaults.error();
  auto parsed = parse_hocon(std::string{hocon_text}, std::string{origin});
  if (!parsed)
    return parsed.error();
  auto merged = merge({*defaults, *parsed});
  if (!merged)
    return merged.error();
  return to_node_config(**merged);
}

} // namespace corvus
