// Replication routes (ravendb-http.md §6.2), under /databases/{db}/:
// the conflict versions of a document, read on the I/O thread straight from
// the store.

#include "actors/http/routes.hpp"

#include "runtime/documents/document_id.hpp"
#include "runtime/http/conflict_responses.hpp"

namespace corvus {

void get_replication_conflicts(const request_ptr& r) {
  auto db = r->database();
  if (!db)
    return;
  auto id = r->query().get("docId");
  // Without docId RavenDB pages through every id in conflict; the npm
  // client never asks for that.
  if (!id)
    return r->fail(make_failure(ec::not_supported,
                                "Corvus lists the conflicts of one document "
                                "only: the query parameter 'docId' is "
                                "required"));
  if (auto valid = validate_document_id(*id); !valid)
    return r->fail(valid.error());
  auto versions = db->store->conflicts(fold_case(*id));
  if (!versions)
    return r->fail(versions.error());
  r->reply_json(200, render_conflicts(*id, *versions));
}

} // namespace corvus
