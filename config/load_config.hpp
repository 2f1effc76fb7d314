#pragma once

// Turns the command line and HOCON files into a node_config.
//
// Precedence, lowest first: the embedded config/node.conf, the file given
// with --config, then command-line overrides (--set key=value and the named
// flags). Every key a file or --set names must exist in the embedded
// defaults and have the same type; anything else is refused with one line
// naming the key and where it came from (file and line, or the flag).

#include "config/node_config.hpp"
#include "runtime/failure.hpp"

#include <string>
#include <string_view>

namespace corvus {

/// What the process should do after reading its command line.
enum class cli_action {
  /// Start the node with `config`.
  run,
  /// Print `text` (usage) and exit 0.
  print_help,
  /// Print `text` (version) and exit 0.
  print_version,
  /// Print `text` (the effective configuration as HOCON, documented like
  /// config/node.conf) and exit 0; `config` and `sources` are filled too.
  print_config,
};

struct loaded_config {
  cli_action action = cli_action::run;
  node_config config;
  /// Help, version or configuration text for the print actions.
  std::string text;
  /// Where the configuration came from, for the start-up log line, e.g.
  /// "embedded defaults, /etc/corvus/node.conf, 2 overrides".
  std::string sources;
};

/// Reads `argv` (RavenDB's `--ServerUrl=`, `--DataDir=`, `--Logs.Path=`
/// spellings included) and the files it names.
/// @returns the configuration, or a failure whose message is the one line
///          to print before exiting with a non-zero status.
outcome<loaded_config> load_node_config(int argc, const char* const* argv);

/// Parses `hocon_text` (described as `origin` in errors) on top of the
/// embedded defaults. For tests and tools.
outcome<node_config> parse_node_config(std::string_view hocon_text,
                                       std::string_view origin);

} // namespace corvus
