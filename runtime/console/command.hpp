#pragma once

// The console's command language. A line is a command name, positional
// arguments and options (`--rf 2` or `--rf=2`); quotes (single or double)
// keep spaces inside a word. `watch <command> [every N]` repeats a
// read-only command. One table describes every command: parsing, help and
// completion all read it.

#include "runtime/console/view.hpp"
#include "runtime/failure.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace corvus::console {

/// What a positional argument names, for completion.
enum class arg_kind {
  /// Free text (a URL, a name not yet existing): nothing to offer.
  text,
  /// A command name (`help <command>`).
  command,
  /// An existing database.
  database,
  /// An actor id or kind/name.
  actor,
  /// The word `tree` (`actors tree`).
  tree,
};

/// One command of the console.
struct command_spec {
  std::string_view name;
  /// Arguments and options as help shows them, e.g. "<db> [<tag>]".
  std::string_view synopsis;
  std::string_view summary;
  /// What the command does, for "this node does not support <operation>
  /// yet" and similar lines.
  std::string_view operation;
  size_t min_args = 0;
  size_t max_args = 0;
  /// What the first and second positional arguments name.
  arg_kind first = arg_kind::text;
  arg_kind second = arg_kind::text;
  /// Options taking a value, without the leading "--".
  std::vector<std::string_view> value_options;
  /// Options without a value.
  std::vector<std::string_view> flag_options;
  /// Read-only commands may be repeated by `watch`.
  bool watchable = false;
};

/// @returns every command, in the order help lists them.
const std::vector<command_spec>& command_specs();

/// @returns the command named `name` (aliases: exit = quit), or nullptr.
const command_spec* find_command(std::string_view name);

/// A parsed command line.
struct command {
  /// Empty for a blank line.
  std::string name;
  std::vector<std::string> args;
  /// Option name (without "--") to value; flags map to "".
  std::map<std::string, std::string, std::less<>> options;
  /// Seconds between repetitions for `watch`; 0 runs the command once.
  int watch_seconds = 0;

  /// @returns whether option `name` was given.
  bool has(std::string_view name) const;

  /// @returns the value of option `name`, or "" when absent.
  std::string option(std::string_view name) const;
};

/// Splits `line` at unquoted whitespace; quotes group and are removed.
/// @returns ec::bad_request for an unterminated quote.
outcome<std::vector<std::string>> split_words(std::string_view line);

/// Parses one console line; `watch` wraps the command it repeats (its
/// name and arguments, with watch_seconds set, default 2).
/// @returns ec::bad_request with a one-line reason (unknown command, wrong
///          arguments: the usage line) otherwise.
outcome<command> parse_command(std::string_view line);

/// @returns the command with its synopsis, e.g. "topology <db>".
std::string synopsis_line(const command_spec& spec);

/// @returns "usage: " and the synopsis line.
std::string usage(const command_spec& spec);

/// @returns every command with its synopsis and summary, or one command's
///          usage and summary when `name` is not empty.
/// @pre `name` is empty or a command.
view help_view(std::string_view name);

/// What TAB should complete: the word under the cursor and where it starts.
struct completion_request {
  /// Byte offset of the word being completed in the line.
  size_t word_start = 0;
  std::string prefix;
  /// What the word names; for options and keywords `fixed` holds them.
  arg_kind kind = arg_kind::text;
  /// Candidates that need no server (command names, options, keywords).
  std::vector<std::string> fixed;
};

/// @returns what to complete in `before_cursor` (the line up to the
///          cursor). Quotes are not interpreted here.
completion_request completion_for(std::string_view before_cursor);

/// The outcome of one TAB.
struct completion {
  /// Every candidate starting with the prefix, sorted, unique.
  std::vector<std::string> matches;
  /// What to insert at the cursor: the rest of the longest common prefix,
  /// plus a space when exactly one candidate matched.
  std::string insert;
};

/// @returns the candidates of `candidates` that extend `prefix`.
completion complete(std::string_view prefix,
                    std::vector<std::string> candidates);

} // namespace corvus::console
