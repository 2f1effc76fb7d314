#pragma once

// The JSON bodies of successful responses (ravendb-http.md §2, §4, §5), in
// the exact PascalCase shapes the RavenDB clients parse. Pure: values in,
// text out; stored documents are embedded as stored, without re-parsing.

#include "runtime/cluster/cluster_command.hpp"
#include "runtime/cluster/cluster_summary.hpp"
#include "runtime/documents/document.hpp"
#include "runtime/documents/transaction.hpp"
#include "runtime/failure.hpp"
#include "runtime/http/results_in_pieces.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corvus {

/// RavenDB version whose protocol Corvus speaks (Raven-Server-Version; at
/// least 5.2 so that clients send OriginalChangeVector).
inline constexpr const char* raven_protocol_version = "7.2.0";

/// `{"Results":[doc|null,...],"Includes":{id:doc,...}}` for loads. With
/// `metadata_only`, each document is reduced to its `@metadata`.
std::string render_load(const std::vector<const document_record*>& results,
                        const std::vector<const document_record*>& includes,
                        bool metadata_only);

/// Gives the documents of a listing one at a time: the next, nothing after
/// the last, or why it cannot.
using document_source
  = std::function<outcome<std::optional<document_record>>()>;

/// `{"Results":[doc,...]}` for listings by prefix or page, rendered a piece
/// at a time from `docs` (a listing may be the whole store).
std::unique_ptr<results_in_pieces> render_listing(document_source docs,
                                                  bool metadata_only);

/// @returns an ETag value that changes whenever any of the documents
///          changes (a hash of ids and change vectors; missing ones count).
std::string load_etag(const std::vector<const document_record*>& results,
                      const std::vector<const document_record*>& includes);

/// The bulk_docs answer: one result per command, PUT results holding only
/// `Type` and `@` keys (ravendb-http §8 hazard 5).
std::string render_batch_result(const transaction_result& result);

/// `{"Id":..,"ChangeVector":..}` for the single-document PUT.
std::string render_put_result(const command_result& result);

/// The `hilo/next` answer.
std::string render_hilo_range(const hilo_range& range);

/// `GET /databases/{db}/stats`.
std::string render_stats(const database_stats& stats);

/// `GET /databases/{db}/collections/stats`.
std::string render_collection_stats(const database_stats& stats);

/// One entry of a database topology as clients see it.
struct topology_node {
  std::string url;
  std::string tag;
  /// "Member", "Rehab", "Promotable".
  std::string role;
};

/// `GET /topology?name=`.
std::string render_topology(const std::vector<topology_node>& nodes,
                            std::string_view database, int64_t etag);

/// `GET /cluster/topology` (ravendb-http §2.6): the topology, the Raft
/// state and, per other node, its connection and replication status. A node
/// in no cluster answers as RavenDB does: itself as the only member, tag A,
/// etag -1.
/// @param url this node's URL.
std::string render_cluster_topology(const cluster_summary& cluster,
                                    std::string_view url);

/// `GET /cluster/node-info` (§2.7).
std::string render_node_info(const cluster_summary& cluster);

/// `GET /info/tcp`: where this node takes cluster traffic.
std::string render_tcp_info(std::string_view tcp_url);

/// RavenDB's DatabasePutResult, the answer of `PUT /admin/databases`,
/// `PUT /admin/databases/node`, and (with no URLs) of promoting a node and
/// modifying a group's topology: the index of the change, the record's name
/// and topology, and the URLs of the nodes that got a copy.
std::string render_database_put_result(int64_t index,
                                       const database_record& record,
                                       const std::vector<std::string>& urls);

/// {"Status":[{"Name","Success","Disabled","Reason"}]} for the names a
/// client asked to disable or enable (RavenDB's answer), in its order:
/// `toggled` holds those the cluster found.
std::string render_toggle_status(const std::vector<std::string>& asked,
                                 const databases_toggled& toggled);

/// `POST /admin/replication/conflicts/solver` answer (RavenDB's
/// ModifySolverResult): the index, the database and its solver.
std::string render_conflict_solver_result(int64_t index,
                                         const database_record& record);

/// `DELETE /admin/databases` answer: the index and the nodes that did not
/// confirm the deletion in time (PendingDeletes).
std::string render_databases_deleted(int64_t index,
                                     const std::vector<std::string>& pending);

/// `{"Databases":[...]}`: names only, or RavenDB's database info objects.
std::string render_database_list(const std::vector<const database_record*>& dbs,
                                 bool names_only);

/// `GET /build/version`.
std::string render_build_version();

/// `1.5 MB` style sizes (RavenDB's HumaneSize).
std::string humane_size(int64_t bytes);

} // namespace corvus
