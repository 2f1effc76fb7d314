#include "actors/http/request.hpp"

#include "runtime/documents/document_id.hpp"
#include "runtime/http/error_body.hpp"
#include "runtime/text/join.hpp"

#include <charconv>
#include <deque>

namespace corvus {

namespace {

// Etag-like headers arrive quoted, and sometimes as "undefined": anything
// that is not a number means "no value" (ravendb-http §1.2).
std::optional<int64_t> numeric_header(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    value = value.substr(1, value.size() - 2);
  int64_t n = 0;
  auto [end, err] = std::from_chars(value.data(), value.data() + value.size(),
                                    n);
  if (err != std::errc{} || end != value.data() + value.size()
      || value.empty())
    return std::nullopt;
  return n;
}

} // namespace

request::request(std::shared_ptr<http_exchange> ex,
                 const http_services& services, query_string query,
                 std::vector<std::string> params)
  : ex_(std::move(ex)),
    services_(services),
    query_(std::move(query)),
    params_(std::move(params)),
    node_(services.directory->current()) {
  // nop
}

void request::add_route_headers(http_reply& r) const {
  if (refresh_topology_)
    r.headers.emplace_back("Refresh-Topology", "true");
}

void request::reply(http_reply r) {
  add_route_headers(r);
  ex_->respond(std::move(r));
}

void request::reply_json_in_pieces(unsigned status, http_pieces next) {
  // Until two pieces are made, the answer can still be a plain one: a
  // failure then gets its error answer, and one piece its Content-Length.
  auto first = next();
  if (!first)
    return fail(first.error());
  auto second = *first ? next() : std::optional<std::string>{};
  if (!second)
    return fail(second.error());
  if (!*second)
    return reply_json(status, first->value_or(""));
  auto head = json_reply(status, {});
  add_route_headers(head);
  auto ahead = std::make_shared<std::deque<std::string>>();
  ahead->push_back(std::move(**first));
  ahead->push_back(std::move(**second));
  ex_->respond_in_pieces(
    std::move(head),
    [ahead, next = std::move(next), log = services_.log,
     what = ex_->method + " " + ex_->target]()
      -> outcome<std::optional<std::string>> {
      if (!ahead->empty()) {
        auto piece = std::move(ahead->front());
        ahead->pop_front();
        return std::optional<std::string>{std::move(piece)};
      }
      auto piece = next();
      if (!piece && log)
        log->error("http: the answer to {} is cut short: {}", what,
                   piece.error().message);
      return piece;
    });
}

void request::reply_json(unsigned status, std::string body) {
  reply(json_reply(status, std::move(body)));
}

void request::reply_empty(unsigned status) {
  reply(empty_reply(status));
}

void request::fail(const failure& f) {
  auto mapping = map_error(f.code);
  auto r = json_reply(mapping.status, render_error_body(f, ex_->target));
  // Clients recognise a missing database by this header (§2.3, §3).
  if (f.code == ec::database_does_not_exist) {
    auto name = params_.empty() ? std::string{query_.get("name").value_or("")}
                                : params_[0];
    r.headers.emplace_back("Database-Missing", name);
  }
  // The copy may come back here: nobody may answer from a cache meanwhile.
  if (f.code == ec::database_not_relevant)
    r.headers.emplace_back("Cache-Control", "must-revalidate, no-cache");
  ex_->respond(std::move(r));
}

detail::unanswered_guard::~unanswered_guard() {
  if (!answered_)
    r_->fail(make_failure(ec::database_loading,
                          "the database instance went away before it took "
                          "the request; nothing was applied"));
}

void request::when_loaded(std::function<void()> then) {
  auto self = shared_from_this();
  ask<void>(services_.node,
            continuation<void>{[self, then] {
              self->node_ = self->services_.directory->current();
              then();
            }},
            atom::ready_v, params_.at(0));
}

bool request::refused_as_disabled(const database_record& record) {
  if (!record.disabled)
    return false;
  fail(make_failure(ec::database_disabled,
                    "Database '" + record.name + "' is disabled"));
  return true;
}

std::shared_ptr<const published_database> request::database() {
  auto& name = params_.at(0);
  auto* record = node_->cluster->find_database(name);
  if (record != nullptr && refused_as_disabled(*record))
    return nullptr;
  if (record != nullptr && !record->topology.relevant_for(node_->node_tag)) {
    fail(make_failure(ec::database_not_relevant,
                      "Database '" + record->name + "' has no copy on node "
                        + node_->node_tag + "; its copies are on "
                        + join(record->topology.copies())));
    return nullptr;
  }
  auto i = node_->databases.find(fold_case(name));
  if (record == nullptr || i == node_->databases.end()) {
    fail(make_failure(ec::database_does_not_exist,
                      "Database '" + name + "' does not exist on node "
                        + node_->node_tag));
    return nullptr;
  }
  if (!i->second->ready()) {
    fail(make_failure(ec::database_loading, i->second->unavailable_reason));
    return nullptr;
  }
  if (auto known = numeric_header(ex_->header("Topology-Etag")))
    refresh_topology_ = *known < record->etag;
  return i->second;
}

} // namespace corvus
