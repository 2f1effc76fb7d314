#pragma once

// The one registry of Corvus message types and atoms (style.md §3). Every
// type listed here can cross process boundaries and has a round-trip test in
// test/wire/. Local-only handles (store pointers, HTTP calls) are not listed:
// they are allowed as unsafe message types next to their definitions.

#include "messages/cluster.hpp"
#include "messages/documents.hpp"
#include "messages/raft.hpp"
#include "messages/replication.hpp"
#include "messages/views.hpp"

#include <caf/type_id.hpp>

CAF_BEGIN_TYPE_ID_BLOCK(corvus, caf::first_custom_type_id)

  // A storage committer syncs what it gathered (group commit).
  CAF_ADD_ATOM(corvus, corvus::atom, drain, "drain")
  // Asks a database instance for its opened store.
  CAF_ADD_ATOM(corvus, corvus::atom, open_store, "open_store")
  // Asks the node to answer once a database's instance can serve.
  CAF_ADD_ATOM(corvus, corvus::atom, ready, "ready")
  // The node's timer to restart a failed database instance.
  CAF_ADD_ATOM(corvus, corvus::atom, restart, "restart")
  // Stop taking new work (orderly shutdown).
  CAF_ADD_ATOM(corvus, corvus::atom, stop, "stop")
  // Introspection: an actor's live state; the registry's answers.
  CAF_ADD_ATOM(corvus, corvus::atom, snapshot, "snapshot")
  CAF_ADD_ATOM(corvus, corvus::atom, list, "list")
  CAF_ADD_ATOM(corvus, corvus::atom, show, "show")
  CAF_ADD_ATOM(corvus, corvus::atom, restarts, "restarts")
  // Rachis: the member's logical clock, a cluster command submitted on this
  // node or forwarded by a follower, a topology change (local or
  // forwarded), waiting for an applied index, founding a cluster of one,
  // handing over leadership, and a peer link's connection attempt.
  CAF_ADD_ATOM(corvus, corvus::atom, tick, "raft_tick")
  CAF_ADD_ATOM(corvus, corvus::atom, propose, "propose")
  CAF_ADD_ATOM(corvus, corvus::atom, forward, "forward")
  CAF_ADD_ATOM(corvus, corvus::atom, topology, "topology")
  CAF_ADD_ATOM(corvus, corvus::atom, wait, "wait_index")
  CAF_ADD_ATOM(corvus, corvus::atom, bootstrap, "bootstrap")
  CAF_ADD_ATOM(corvus, corvus::atom, reelect, "reelect")
  CAF_ADD_ATOM(corvus, corvus::atom, connect, "link_try")
  // Replication: an instance's timer to tell its sources what it holds;
  // a link's idle heartbeat timer, and an inbox's keep-alive timer.
  CAF_ADD_ATOM(corvus, corvus::atom, notify, "repl_ntfy")
  CAF_ADD_ATOM(corvus, corvus::atom, heartbeat, "repl_beat")

  CAF_ADD_TYPE_ID(corvus, (corvus::cv_expectation))
  CAF_ADD_TYPE_ID(corvus, (corvus::incoming_document))
  CAF_ADD_TYPE_ID(corvus, (corvus::write_command))
  CAF_ADD_TYPE_ID(corvus, (corvus::write_transaction))
  CAF_ADD_TYPE_ID(corvus, (corvus::command_result))
  CAF_ADD_TYPE_ID(corvus, (corvus::transaction_result))
  CAF_ADD_TYPE_ID(corvus, (corvus::hilo_request))
  CAF_ADD_TYPE_ID(corvus, (corvus::hilo_range))
  CAF_ADD_TYPE_ID(corvus, (corvus::hilo_return))
  CAF_ADD_TYPE_ID(corvus, (corvus::database_topology))
  CAF_ADD_TYPE_ID(corvus, (corvus::database_record))
  CAF_ADD_TYPE_ID(corvus, (corvus::database_creation))
  CAF_ADD_TYPE_ID(corvus, (corvus::delete_databases_command))
  CAF_ADD_TYPE_ID(corvus, (corvus::database_created))
  CAF_ADD_TYPE_ID(corvus, (corvus::databases_deleted))
  CAF_ADD_TYPE_ID(corvus, (corvus::add_database_node_command))
  CAF_ADD_TYPE_ID(corvus, (corvus::database_node_added))
  CAF_ADD_TYPE_ID(corvus, (corvus::put_compare_exchange_command))
  CAF_ADD_TYPE_ID(corvus, (corvus::remove_compare_exchange_command))
  CAF_ADD_TYPE_ID(corvus, (corvus::compare_exchange_result))
  CAF_ADD_TYPE_ID(corvus, (corvus::raft::entry))
  CAF_ADD_TYPE_ID(corvus, (corvus::raft::topology))
  CAF_ADD_TYPE_ID(corvus, (corvus::raft::snapshot))
  CAF_ADD_TYPE_ID(corvus, (corvus::raft::message))
  CAF_ADD_TYPE_ID(corvus, (corvus::raft_envelope))
  CAF_ADD_TYPE_ID(corvus, (corvus::raft_hello))
  CAF_ADD_TYPE_ID(corvus, (corvus::command_reply))
  CAF_ADD_TYPE_ID(corvus, (corvus::topology_request))
  CAF_ADD_TYPE_ID(corvus, (corvus::document_record))
  CAF_ADD_TYPE_ID(corvus, (corvus::replication_ack))
  CAF_ADD_TYPE_ID(corvus, (corvus::replication_batch))
  CAF_ADD_TYPE_ID(corvus, (corvus::replication_processing))
  CAF_ADD_TYPE_ID(corvus, (corvus::replication_hello))
  CAF_ADD_TYPE_ID(corvus, (corvus::replication_welcome))
  CAF_ADD_TYPE_ID(corvus, (corvus::actor_view))
  CAF_ADD_TYPE_ID(corvus, (corvus::restart_view))
  CAF_ADD_TYPE_ID(corvus, (std::vector<corvus::actor_view>))
  CAF_ADD_TYPE_ID(corvus, (std::vector<corvus::restart_view>))
  // Last, so that the ids of older types (the hello's) stay as they were.
  CAF_ADD_TYPE_ID(corvus, (corvus::raft_snapshot_piece))
  CAF_ADD_TYPE_ID(corvus, (corvus::raft_snapshot_ack))
  CAF_ADD_TYPE_ID(corvus, (corvus::create_database_command))
  CAF_ADD_TYPE_ID(corvus, (corvus::toggle_databases_command))
  CAF_ADD_TYPE_ID(corvus, (corvus::databases_toggled))
  CAF_ADD_TYPE_ID(corvus, (corvus::change_database_group_command))
  CAF_ADD_TYPE_ID(corvus, (corvus::database_group_changed))
  // Rachis: act as if the election timer ran out (/admin/cluster/timeout).
  CAF_ADD_ATOM(corvus, corvus::atom, election_timeout, "elect_tmo")

CAF_END_TYPE_ID_BLOCK(corvus)
