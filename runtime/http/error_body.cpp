#include "runtime/http/error_body.hpp"

#include "runtime/json/json.hpp"

#include <array>
#include <charconv>

namespace corvus {

namespace {

// Indexed by ec. Statuses follow the client's failover rules (§1.5): 503
// only where nothing was applied, so that a retry on another node is safe.
constexpr std::array<error_mapping, 21> mappings = {{
  /* none */ {500, "Raven.Client.Exceptions.RavenException"},
  /* bad_request */ {400, "Raven.Client.Exceptions.BadRequestException"},
  /* route_not_found */
  {400, "Raven.Client.Exceptions.Routing.RouteNotFoundException"},
  /* body_too_large */ {413, "Raven.Client.Exceptions.BadRequestException"},
  /* database_does_not_exist */
  {503, "Raven.Client.Exceptions.Database.DatabaseDoesNotExistException"},
  /* database_already_exists */
  {409, "Raven.Client.Exceptions.ConcurrencyException"},
  /* database_loading */
  {503, "Raven.Client.Exceptions.Database.DatabaseLoadTimeoutException"},
  /* shutting_down */
  {503, "Raven.Client.Exceptions.Database.DatabaseDisabledException"},
  /* concurrency_violation */
  {409, "Raven.Client.Exceptions.ConcurrencyException"},
  /* collection_mismatch */
  {400, "Raven.Client.Exceptions.Documents.DocumentCollectionMismatchException"},
  /* document_conflict */
  {409, "Raven.Client.Exceptions.Documents.DocumentConflictException"},
  /* storage_failure */ {500, "Raven.Client.Exceptions.RavenException"},
  /* unsupported_format */ {500, "Raven.Client.Exceptions.RavenException"},
  /* timeout */ {500, "Raven.Client.Exceptions.RavenTimeoutException"},
  /* not_supported */
  {400, "Raven.Client.Exceptions.NotSupportedException"},
  /* not_found */ {404, "Raven.Client.Exceptions.RavenException"},
  /* not_leader */
  {503, "Raven.Client.Exceptions.Cluster.NoLeaderException"},
  /* no_leader */
  {503, "Raven.Client.Exceptions.Cluster.NoLeaderException"},
  /* database_disabled */
  {503, "Raven.Client.Exceptions.Database.DatabaseDisabledException"},
  /* database_not_relevant: 410 makes a client pick another node of the
     group, refreshing its topology when none is left (not 503 with
     Database-Missing, on which it gives up: the database exists) */
  {410, "Raven.Client.Exceptions.Database.DatabaseNotRelevantException"},
  /* internal_error */ {500, "Raven.Client.Exceptions.RavenException"},
}};
static_assert(mappings.size() == ec_names.size(),
              "every ec needs an HTTP mapping");

// Fields RavenDB writes as numbers. A failure carries every field as text
// (its fields cross actors as strings); these go out unquoted when the text
// is an integer.
bool is_numeric_field(std::string_view key, std::string_view value) {
  if (key != "LargestEtag")
    return false;
  int64_t n = 0;
  auto [end, err] = std::from_chars(value.data(), value.data() + value.size(),
                                    n);
  return err == std::errc{} && end == value.data() + value.size();
}

} // namespace

error_mapping map_error(ec code) {
  return mappings[static_cast<size_t>(code)];
}

std::string render_error_body(const failure& err, std::string_view url) {
  auto mapping = map_error(err.code);
  return write_json([&](json_writer& w) {
    w.StartObject();
    w.Key("Url");
    write_string(w, url);
    w.Key("Type");
    write_string(w, mapping.type);
    w.Key("Message");
    write_string(w, err.message);
    w.Key("Error");
    std::string full{mapping.type};
    full += ": ";
    full += err.message;
    write_string(w, full);
    for (auto& [key, value] : err.fields) {
      write_key(w, key);
      if (is_numeric_field(key, value))
        w.RawValue(value.data(), value.size(), rapidjson::kNumberType);
      else
        write_string(w, value);
    }
    // Write assurance and similar timeouts must not be retried elsewhere.
    if (err.code == ec::timeout) {
      w.Key("FailImmediately");
      w.Bool(true);
    }
    w.EndObject();
  });
}

} // namespace corvus
