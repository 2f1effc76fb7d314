// Database status routes: statistics, health check, client configuration.

#include "actors/http/routes.hpp"

#include "runtime/http/responses.hpp"

namespace corvus {

namespace {

// Answers with the database's statistics as `render` writes them.
void reply_with_stats(const request_ptr& r,
                      std::string (*render)(const database_stats&)) {
  auto db = r->database();
  if (!db)
    return;
  auto stats = db->store->stats();
  if (!stats)
    return r->fail(stats.error());
  r->reply_json(200, render(*stats));
}

} // namespace

void get_stats(const request_ptr& r) {
  reply_with_stats(r, render_stats);
}

void get_collection_stats(const request_ptr& r) {
  reply_with_stats(r, render_collection_stats);
}

void get_healthcheck(const request_ptr& r) {
  // The client has no parser for this answer: it must be empty (§1.6).
  if (r->database())
    r->reply_empty(204);
}

void get_client_configuration(const request_ptr& r) {
  if (!r->database())
    return;
  // No client configuration yet: etag 0, so clients never get
  // Refresh-Client-Configuration and never need this (§2.5).
  r->reply_json(200, R"({"Etag":0,"Configuration":null})");
}

} // namespace corvus
