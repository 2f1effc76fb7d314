// The console's command language: words and quotes, options, usage errors,
// watch, help, and what TAB completes.

#include "runtime/console/command.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace corvus;
using namespace corvus::console;

namespace {

std::string error_of(std::string_view line) {
  auto cmd = parse_command(line);
  REQUIRE_FALSE(cmd);
  return cmd.error().message;
}

} // namespace

TEST_CASE("words split at whitespace; quotes keep spaces") {
  auto words = split_words("  create-db 'my db'\t--nodes \"A, B\"  ");
  REQUIRE(words);
  CHECK(*words == std::vector<std::string>{"create-db", "my db", "--nodes",
                                           "A, B"});
  CHECK(split_words("")->empty());
  CHECK(*split_words("a''b \"\"") == std::vector<std::string>{"ab", ""});
  auto open = split_words("show 'database");
  REQUIRE_FALSE(open);
  CHECK(open.error().message == "unterminated ' quote");
}

TEST_CASE("commands parse into name, arguments and options") {
  auto blank = parse_command("   ");
  REQUIRE(blank);
  CHECK(blank->name.empty());

  auto create = parse_command("create-db demo --rf 3");
  REQUIRE(create);
  CHECK(create->name == "create-db");
  CHECK(create->args == std::vector<std::string>{"demo"});
  CHECK(create->option("rf") == "3");
  CHECK(create->watch_seconds == 0);

  auto eq = parse_command("create-db demo --nodes=A,B");
  REQUIRE(eq);
  CHECK(eq->option("nodes") == "A,B");
  CHECK_FALSE(eq->has("rf"));

  auto del = parse_command("delete-db demo --keep-files --from B");
  REQUIRE(del);
  CHECK(del->has("keep-files"));
  CHECK(del->option("keep-files") == "");
  CHECK(del->option("from") == "B");

  CHECK(parse_command("exit")->name == "quit");
  CHECK(parse_command("actors tree")->args
        == std::vector<std::string>{"tree"});
  CHECK(parse_command("add-db-node demo B")->args.size() == 2);
}

TEST_CASE("wrong commands explain themselves in one line") {
  CHECK(error_of("frobnicate") == "unknown command 'frobnicate' (try help)");
  CHECK(error_of("topology") == "usage: topology <db>");
  CHECK(error_of("nodes extra") == "usage: nodes");
  CHECK(error_of("actors forest") == "usage: actors [tree]");
  CHECK(error_of("create-db demo --replicas 2")
        == "unknown option --replicas for create-db; usage: create-db "
           "<name> [--rf N | --nodes A,B]");
  CHECK(error_of("create-db demo --rf")
        == "option --rf needs a value; usage: create-db <name> "
           "[--rf N | --nodes A,B]");
  CHECK(error_of("delete-db demo --keep-files=yes").find("unknown option")
        == 0);
  CHECK(error_of("help frob") == "unknown command 'frob'");
  for (auto line : {"nodes", "show 12", "create-db x"})
    CHECK(error_of(std::string{line} + " 'open").find('\n')
          == std::string::npos);
}

TEST_CASE("watch wraps a read-only command with its period") {
  auto plain = parse_command("watch nodes");
  REQUIRE(plain);
  CHECK(plain->name == "nodes");
  CHECK(plain->watch_seconds == 2);

  auto every = parse_command("watch topology demo every 5");
  REQUIRE(every);
  CHECK(every->name == "topology");
  CHECK(every->args == std::vector<std::string>{"demo"});
  CHECK(every->watch_seconds == 5);

  CHECK(error_of("watch") == "usage: watch <command> [every N]");
  CHECK(error_of("watch nodes every 0").find("1 to 3600") != std::string::npos);
  CHECK(error_of("watch nodes every x").find("not 'x'") != std::string::npos);
  CHECK(error_of("watch create-db demo")
        == "watch repeats only commands that change nothing; not create-db");
  CHECK(error_of("watch watch nodes").find("not watch") != std::string::npos);
  CHECK(error_of("watch topology") == "usage: topology <db>");
}

TEST_CASE("every command has a usage line and a help row within 80 columns") {
  auto text = render_text(help_view(""), 80);
  for (const auto& spec : command_specs()) {
    CHECK(text.find(synopsis_line(spec)) != std::string::npos);
    CHECK(text.find(std::string{spec.summary}) != std::string::npos);
    CHECK_FALSE(spec.operation.empty());
  }
  size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    CHECK(end - start <= 80);
    start = end + 1;
  }
  auto one = render_text(help_view("create-db"), 80);
  CHECK(one == "Usage:   create-db <name> [--rf N | --nodes A,B]\n"
               "Summary: create a database\n");
}

TEST_CASE("completion knows what the word under the cursor names") {
  auto first = completion_for("wat");
  CHECK(first.kind == arg_kind::command);
  CHECK(first.prefix == "wat");
  CHECK(first.word_start == 0);
  CHECK(complete(first.prefix, first.fixed).insert == "ch ");

  auto empty = completion_for("");
  CHECK(empty.kind == arg_kind::command);
  CHECK(empty.fixed.size() == command_specs().size() + 1); // and "exit"

  auto db = completion_for("topology de");
  CHECK(db.kind == arg_kind::database);
  CHECK(db.prefix == "de");
  CHECK(db.word_start == 9);
  CHECK(db.fixed.empty());

  CHECK(completion_for("show ").kind == arg_kind::actor);
  CHECK(completion_for("show ").prefix.empty());
  CHECK(completion_for("delete-db --from A ").kind == arg_kind::database);
  CHECK(completion_for("add-db-node demo ").kind == arg_kind::text);
  CHECK(completion_for("connect ").kind == arg_kind::text);
  CHECK(completion_for("nope x").fixed.empty());

  auto tree = completion_for("actors t");
  CHECK(tree.kind == arg_kind::tree);
  CHECK(tree.fixed == std::vector<std::string>{"tree"});

  auto watched = completion_for("watch ");
  CHECK(watched.kind == arg_kind::command);
  CHECK(std::find(watched.fixed.begin(), watched.fixed.end(), "create-db")
        == watched.fixed.end());
  CHECK(completion_for("watch links ").kind == arg_kind::database);

  auto options = completion_for("create-db x --");
  CHECK(complete(options.prefix, options.fixed).matches
        == std::vector<std::string>{"--nodes", "--rf"});
  CHECK(completion_for("help to").kind == arg_kind::command);
}

TEST_CASE("complete inserts the common part, or the word and a space") {
  auto several = complete("d", {"delete-db", "databases", "demo"});
  CHECK(several.matches
        == std::vector<std::string>{"databases", "delete-db", "demo"});
  CHECK(several.insert == "");
  auto common = complete("de", {"delete-db", "demo", "databases"});
  CHECK(common.insert == "");
  CHECK(complete("del", {"delete-db", "demo"}).insert == "ete-db ");
  CHECK(complete("a", {"add-node", "add-db-node"}).insert == "dd-");
  auto none = complete("x", {"nodes"});
  CHECK(none.matches.empty());
  CHECK(none.insert.empty());
  CHECK(complete("", {"b", "a", "a"}).matches
        == std::vector<std::string>{"a", "b"});
}
