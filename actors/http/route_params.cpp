#include "actors/http/route_params.hpp"

#include "runtime/json/json.hpp"

namespace corvus {

std::optional<std::string> required_name(const request_ptr& r) {
  auto name = r->query().get("name");
  if (!name || name->empty()) {
    r->fail(make_failure(ec::bad_request,
                         "the query parameter 'name' is required"));
    return std::nullopt;
  }
  return std::string{*name};
}

bool database_exists(const request_ptr& r) {
  auto* record = r->node().cluster->find_database(r->param(0));
  if (record == nullptr) {
    r->fail(make_failure(ec::database_does_not_exist,
                         "Database '" + r->param(0) + "' does not exist"));
    return false;
  }
  return !r->refused_as_disabled(*record);
}

std::string raft_request_id(const request_ptr& r) {
  return std::string{r->query().get("raft-request-id").value_or("")};
}

outcome<done> json_object_body(const request_ptr& r,
                               rapidjson::Document& body) {
  if (auto parsed = parse_json(r->exchange().body, body, request_body);
      !parsed)
    return parsed.error();
  if (!body.IsObject())
    return make_failure(ec::bad_request,
                        "the request body must be a JSON object");
  return done{};
}

} // namespace corvus
