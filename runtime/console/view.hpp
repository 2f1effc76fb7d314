#pragma once

// What a console command shows, independent of how: a view is a list of
// blocks (tables, key/value lists, trees, notes). The same view renders as
// plain text for a person (fitted to the terminal's width) and as one JSON
// document for scripts (--json), so no command formats its data twice.

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace corvus::console {

/// One value: how it reads on screen and what it is in JSON.
struct cell {
  std::string text;
  /// A JSON literal: "\"demo\"", "42", "true", "null", "{...}".
  std::string json;

  friend bool operator==(const cell& x, const cell& y) {
    return x.text == y.text && x.json == y.json;
  }
};

/// @returns a JSON string shown as is.
cell text_cell(std::string_view s);

/// @returns a JSON integer.
cell number_cell(int64_t n);

/// @returns a JSON boolean shown as "yes" or "no".
cell flag_cell(bool b);

/// @returns a byte count shown as "8.7 KiB"; JSON keeps the exact number.
cell bytes_cell(int64_t n);

/// @returns JSON null shown as "-".
cell missing_cell();

/// @returns any JSON value: strings shown without quotes, booleans as
///          yes/no, null as "-", arrays of strings as "A,B", anything else
///          as compact JSON.
cell json_cell(const rapidjson::Value& v);

/// A table column; `key` names the member in JSON rows.
struct column {
  std::string key;
  std::string header;
  /// Numbers read better right-aligned.
  bool right = false;
  /// Only in JSON: data a script needs that another column already shows.
  bool hidden = false;
};

/// Rows of cells under a header line.
struct table {
  std::vector<column> columns;
  std::vector<std::vector<cell>> rows;
  /// Shown instead of the header when there are no rows, e.g. "no restarts".
  std::string empty_note;
};

/// One line of a key/value list.
struct field {
  std::string key;
  std::string label;
  cell value;
};

/// A node of a tree: one line of text, its data for JSON, its children.
struct tree_node {
  std::string label;
  std::vector<field> data;
  std::vector<tree_node> children;
};

/// A tree as its roots.
struct forest {
  std::vector<tree_node> roots;
};

/// A sentence, e.g. "database 'demo' created on A".
struct note {
  std::string text;
};

/// One part of a view. `key` names it in the JSON document; a key/value
/// list with an empty key puts its fields at the top level instead.
struct block {
  std::string key;
  std::variant<table, std::vector<field>, forest, note> content;
  /// Only in JSON: data a script needs that a note already says in words.
  bool json_only = false;
};

/// Everything one command shows.
struct view {
  std::vector<block> blocks;
};

/// @returns the number of terminal columns `s` takes (one per code point).
size_t display_width(std::string_view s);

/// @returns `s` cut to `width` columns, the last one replaced by '~' when
///          something was cut; control characters become spaces.
std::string fit(std::string_view s, size_t width);

/// @returns `t` as lines of at most `width` columns: columns two spaces
///          apart, the widest cells shortened first when the natural layout
///          is too wide.
std::string render_table(const table& t, size_t width);

/// @returns the view as text for a terminal `width` columns wide; blocks
///          are separated by an empty line and every line ends in '\n'.
std::string render_text(const view& v, size_t width);

/// @returns the view as one compact JSON object (see block::key).
std::string render_json(const view& v);

} // namespace corvus::console
