#include "runtime/console/view.hpp"

#include "runtime/json/json.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace corvus::console {

cell text_cell(std::string_view s) {
  std::string json;
  append_json_string(json, s);
  return {std::string{s}, std::move(json)};
}

cell number_cell(int64_t n) {
  auto s = std::to_string(n);
  return {s, s};
}

cell flag_cell(bool b) {
  return {b ? "yes" : "no", b ? "true" : "false"};
}

cell bytes_cell(int64_t n) {
  if (n < 1024)
    return {std::to_string(n) + " B", std::to_string(n)};
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(n) / 1024;
  size_t unit = 0;
  for (; value >= 1024 && unit + 1 < std::size(units); ++unit)
    value /= 1024;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, units[unit]);
  return {buf, std::to_string(n)};
}

cell missing_cell() {
  return {"-", "null"};
}

cell json_cell(const rapidjson::Value& v) {
  if (v.IsString())
    return text_cell(view_of(v));
  if (v.IsBool())
    return flag_cell(v.GetBool());
  if (v.IsNull())
    return missing_cell();
  auto json = to_json_text(v);
  if (v.IsDouble()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", v.GetDouble());
    return {text, json};
  }
  if (v.IsArray()
      && std::all_of(v.Begin(), v.End(),
                     [](const auto& item) { return item.IsString(); })) {
    std::string text;
    for (const auto& item : v.GetArray())
      text.append(text.empty() ? "" : ",").append(view_of(item));
    return {text.empty() ? "-" : text, json};
  }
  return {json, json};
}

size_t display_width(std::string_view s) {
  // UTF-8 continuation bytes (10xxxxxx) share the column of their lead.
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string fit(std::string_view s, size_t width) {
  std::string out;
  size_t columns = 0;
  bool cut = false;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (columns == width) {
        cut = true;
        break;
      }
      ++columns;
    }
    out.push_back(c < 0x20 || c == 0x7F ? ' ' : s[i]);
  }
  if (!cut || width == 0)
    return out;
  // Drop the last code point (with its continuation bytes) for the mark.
  while (!out.empty()
         && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80)
    out.pop_back();
  if (!out.empty())
    out.pop_back();
  out.push_back('~');
  return out;
}

namespace {

constexpr size_t column_gap = 2;

// Narrowest a column may get before the layout gives up on fitting: its
// header, or three characters when the header is longer than the content.
size_t narrowest(size_t natural, size_t header) {
  return std::min(natural, std::max<size_t>(header, 3));
}

void pad_to(std::string& out, size_t from, size_t to) {
  if (to > from)
    out.append(to - from, ' ');
}

std::string trim_right(std::string s) {
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
  return s;
}

std::string render_fields(const std::vector<field>& fields, size_t width) {
  size_t label_width = 0;
  for (const auto& f : fields)
    label_width = std::max(label_width, display_width(f.label) + 1);
  std::string out;
  for (const auto& f : fields) {
    std::string line = f.label + ":";
    pad_to(line, display_width(line), label_width + 1);
    auto room = width > label_width + 1 ? width - label_width - 1 : 1;
    line += fit(f.value.text, room);
    out += fit(trim_right(std::move(line)), width);
    out += '\n';
  }
  return out;
}

void render_node(const tree_node& node, const std::string& prefix,
                 bool last, bool root, size_t width, std::string& out) {
  auto line = root ? node.label : prefix + (last ? "`- " : "|- ") + node.label;
  out += fit(line, width);
  out += '\n';
  auto inner = root ? prefix : prefix + (last ? "   " : "|  ");
  for (size_t i = 0; i < node.children.size(); ++i)
    render_node(node.children[i], inner, i + 1 == node.children.size(),
                false, width, out);
}

void write_raw(json_writer& w, const cell& c) {
  w.RawValue(c.json.data(), c.json.size(), rapidjson::kObjectType);
}

void write_fields(json_writer& w, const std::vector<field>& fields) {
  for (const auto& f : fields) {
    write_key(w, f.key);
    write_raw(w, f.value);
  }
}

void write_node(json_writer& w, const tree_node& node) {
  w.StartObject();
  write_fields(w, node.data);
  w.Key("Children");
  w.StartArray();
  for (const auto& child : node.children)
    write_node(w, child);
  w.EndArray();
  w.EndObject();
}

// Overload set for std::visit.
template <class... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

} // namespace

std::string render_table(const table& t, size_t width) {
  if (t.rows.empty() && !t.empty_note.empty())
    return fit(t.empty_note, width) + "\n";
  std::vector<size_t> shown; // indexes of the columns text shows
  for (size_t i = 0; i < t.columns.size(); ++i)
    if (!t.columns[i].hidden)
      shown.push_back(i);
  auto n = shown.size();
  auto text_at = [&](const std::vector<cell>& row, size_t k) {
    return shown[k] < row.size() ? row[shown[k]].text : std::string{};
  };
  std::vector<size_t> widths(n), floors(n);
  for (size_t k = 0; k < n; ++k) {
    auto header = display_width(t.columns[shown[k]].header);
    widths[k] = header;
    for (const auto& row : t.rows)
      widths[k] = std::max(widths[k], display_width(text_at(row, k)));
    floors[k] = narrowest(widths[k], header);
  }
  auto total = [&] {
    return std::accumulate(widths.begin(), widths.end(), size_t{0})
           + (n > 0 ? (n - 1) * column_gap : 0);
  };
  // Take one column from the widest shrinkable column at a time, so that
  // long cells (URLs, reasons, states) give way before short ones.
  while (total() > width) {
    size_t widest = n;
    for (size_t k = 0; k < n; ++k)
      if (widths[k] > floors[k] && (widest == n || widths[k] >= widths[widest]))
        widest = k;
    if (widest == n)
      break;
    --widths[widest];
  }
  auto render_row = [&](auto&& text_of) {
    std::string line;
    for (size_t k = 0; k < n; ++k) {
      auto text = fit(text_of(k), widths[k]);
      auto used = display_width(text);
      bool right = t.columns[shown[k]].right;
      if (k > 0)
        line.append(column_gap, ' ');
      if (right)
        pad_to(line, used, widths[k]);
      line += text;
      if (!right && k + 1 < n)
        pad_to(line, used, widths[k]);
    }
    return fit(trim_right(std::move(line)), width) + "\n";
  };
  auto out = render_row([&](size_t k) { return t.columns[shown[k]].header; });
  for (const auto& row : t.rows)
    out += render_row([&](size_t k) { return text_at(row, k); });
  return out;
}

std::string render_text(const view& v, size_t width) {
  std::string out;
  for (const auto& b : v.blocks) {
    if (b.json_only)
      continue;
    if (!out.empty())
      out += '\n';
    out += std::visit(
      overloaded{
        [&](const table& t) { return render_table(t, width); },
        [&](const std::vector<field>& f) { return render_fields(f, width); },
        [&](const forest& f) {
          std::string text;
          for (const auto& root : f.roots)
            render_node(root, "", true, true, width, text);
          return text;
        },
        [&](const note& n) { return fit(n.text, width) + "\n"; },
      },
      b.content);
  }
  return out;
}

std::string render_json(const view& v) {
  return write_json([&](json_writer& w) {
    w.StartObject();
    for (const auto& b : v.blocks) {
      std::visit(overloaded{
                   [&](const table& t) {
                     write_key(w, b.key);
                     w.StartArray();
                     for (const auto& row : t.rows) {
                       w.StartObject();
                       for (size_t i = 0; i < t.columns.size(); ++i) {
                         write_key(w, t.columns[i].key);
                         write_raw(w, i < row.size() ? row[i]
                                                     : missing_cell());
                       }
                       w.EndObject();
                     }
                     w.EndArray();
                   },
                   [&](const std::vector<field>& f) {
                     if (b.key.empty())
                       return write_fields(w, f);
                     write_key(w, b.key);
                     w.StartObject();
                     write_fields(w, f);
                     w.EndObject();
                   },
                   [&](const forest& f) {
                     write_key(w, b.key);
                     w.StartArray();
                     for (const auto& root : f.roots)
                       write_node(w, root);
                     w.EndArray();
                   },
                   [&](const note& n) {
                     write_key(w, b.key);
                     w.String(n.text.data(),
                              static_cast<rapidjson::SizeType>(n.text.size()));
                   },
                 },
                 b.content);
    }
    w.EndObject();
  });
}

} // namespace corvus::console
