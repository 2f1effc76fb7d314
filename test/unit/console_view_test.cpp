// The console's layout: cells, tables fitted to 80 columns, key/value
// lists, trees, and the JSON document --json prints.

#include "runtime/console/view.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

using namespace corvus::console;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    REQUIRE(end != std::string::npos); // every line ends in '\n'
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

} // namespace

TEST_CASE("cells read naturally and keep their JSON") {
  CHECK(text_cell("a\"b") == cell{"a\"b", "\"a\\\"b\""});
  CHECK(number_cell(-7) == cell{"-7", "-7"});
  CHECK(flag_cell(true) == cell{"yes", "true"});
  CHECK(missing_cell() == cell{"-", "null"});
  CHECK(bytes_cell(512) == cell{"512 B", "512"});
  CHECK(bytes_cell(8893) == cell{"8.7 KiB", "8893"});
  CHECK(bytes_cell(3LL << 30).text == "3.0 GiB");
  auto doc = parse(R"({"s":"x","n":3,"d":0.25,"b":false,"z":null,
                      "l":["A","B"],"e":[],"o":{"k":1}})");
  CHECK(json_cell(doc["s"]) == cell{"x", "\"x\""});
  CHECK(json_cell(doc["n"]) == cell{"3", "3"});
  CHECK(json_cell(doc["d"]) == cell{"0.25", "0.25"});
  CHECK(json_cell(doc["b"]) == cell{"no", "false"});
  CHECK(json_cell(doc["z"]) == cell{"-", "null"});
  CHECK(json_cell(doc["l"]) == cell{"A,B", "[\"A\",\"B\"]"});
  CHECK(json_cell(doc["e"]) == cell{"-", "[]"});
  CHECK(json_cell(doc["o"]) == cell{"{\"k\":1}", "{\"k\":1}"});
}

TEST_CASE("fit cuts at code points and marks the cut") {
  CHECK(display_width("naïve") == 5);
  CHECK(fit("hello", 5) == "hello");
  CHECK(fit("hello!", 5) == "hell~");
  CHECK(fit("naïve text", 4) == "naï~");
  CHECK(fit("ab\ncd\t", 10) == "ab cd ");
  CHECK(fit("abc", 0) == "");
  CHECK(fit("", 3) == "");
}

TEST_CASE("a table: header, padded columns, numbers to the right") {
  table t;
  t.columns = {{"Name", "NAME"}, {"Docs", "DOCS", true}, {"Note", "NOTE"}};
  t.rows = {{text_cell("demo"), number_cell(12), text_cell("ok")},
            {text_cell("orders"), number_cell(3), missing_cell()}};
  CHECK(render_table(t, 80) == "NAME    DOCS  NOTE\n"
                               "demo      12  ok\n"
                               "orders     3  -\n");
  t.rows.clear();
  CHECK(render_table(t, 80) == "NAME  DOCS  NOTE\n");
  t.empty_note = "no databases";
  CHECK(render_table(t, 80) == "no databases\n");
}

TEST_CASE("wide tables fit 80 columns by shortening the widest cells") {
  table t;
  t.columns = {{"Tag", "TAG"}, {"Url", "URL"}, {"Reason", "REASON"}};
  auto reason = std::string(120, 'r');
  t.rows = {{text_cell("A"), text_cell("http://127.0.0.1:8080"),
             text_cell(reason)},
            {text_cell("B"), text_cell("http://a-very-long-host-name."
                                       "example.com:8080"),
             text_cell("short")}};
  auto lines = lines_of(render_table(t, 80));
  REQUIRE(lines.size() == 3);
  for (const auto& line : lines)
    CHECK(display_width(line) <= 80);
  CHECK(lines[0].rfind("TAG  URL", 0) == 0);
  CHECK(lines[1].back() == '~');
  CHECK(lines[1].find("http://127.0.0.1:8080") != std::string::npos);
  CHECK(lines[2].find("short") != std::string::npos);
  // Narrow terminals still get whole lines no wider than themselves.
  for (size_t width : {20, 10, 3})
    for (const auto& line : lines_of(render_table(t, width)))
      CHECK(display_width(line) <= width);
}

TEST_CASE("hidden columns are only in JSON") {
  table t;
  t.columns = {{"Id", "ID"}, {"Secret", "SECRET", false, true}};
  t.rows = {{number_cell(1), flag_cell(true)}};
  CHECK(render_table(t, 80) == "ID\n1\n");
  view v{{{"Rows", t}}};
  CHECK(render_json(v) == R"({"Rows":[{"Id":1,"Secret":true}]})");
}

TEST_CASE("key/value lists align their values") {
  view v{{{"", std::vector<field>{{"Leader", "Leader", text_cell("A")},
                                  {"TopologyId", "Topology id",
                                   text_cell("89f1")}}}}};
  CHECK(render_text(v, 80) == "Leader:      A\n"
                              "Topology id: 89f1\n");
  CHECK(render_json(v) == R"({"Leader":"A","TopologyId":"89f1"})");
  auto long_value = text_cell(std::string(90, 'v'));
  auto narrow = lines_of(render_text(
    view{{{"", std::vector<field>{{"K", "Key", long_value}}}}}, 40));
  CHECK(narrow.front().size() == 40);
}

TEST_CASE("trees draw their branches and nest in JSON") {
  tree_node storage{"#4 storage-committer demo", {{"Id", "Id", number_cell(4)}},
                    {}};
  tree_node database{"#3 database demo",
                     {{"Id", "Id", number_cell(3)}},
                     {storage}};
  tree_node gateway{"#2 http-gateway http", {{"Id", "Id", number_cell(2)}}, {}};
  tree_node other{"#5 database orders", {{"Id", "Id", number_cell(5)}}, {}};
  tree_node root{"#1 node A", {{"Id", "Id", number_cell(1)}},
                 {gateway, database, other}};
  view v{{{"Tree", forest{{root}}}}};
  CHECK(render_text(v, 80) == "#1 node A\n"
                              "|- #2 http-gateway http\n"
                              "|- #3 database demo\n"
                              "|  `- #4 storage-committer demo\n"
                              "`- #5 database orders\n");
  auto json = parse(render_json(v));
  const auto& top = json["Tree"][0];
  CHECK(top["Id"].GetInt() == 1);
  CHECK(top["Children"].Size() == 3);
  CHECK(top["Children"][1]["Children"][0]["Id"].GetInt() == 4);
  for (const auto& line : lines_of(render_text(v, 12)))
    CHECK(display_width(line) <= 12);
}

TEST_CASE("blocks are separated by a blank line; notes are sentences") {
  table t;
  t.columns = {{"A", "A"}};
  t.rows = {{text_cell("x")}};
  view v{{{"Rows", t},
          {"Result", note{"database 'demo' created"}},
          {"", std::vector<field>{{"Index", "Index", number_cell(2)}}, true}}};
  CHECK(render_text(v, 80) == "A\nx\n\ndatabase 'demo' created\n");
  CHECK(render_json(v)
        == R"({"Rows":[{"A":"x"}],"Result":"database 'demo' created",)"
           R"("Index":2})");
}
