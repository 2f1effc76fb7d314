#pragma once

// Interface of the node actor: the root of a node's supervision tree. It
// owns the Raft member (which holds the cluster state), the database
// instances the cluster state assigns to this node (restarting failed ones
// with back-off), and the HTTP gateway.

#include "messages/introspection.hpp"
#include "messages/replication.hpp"
#include "messages/type_ids.hpp"
#include "runtime/cluster/cluster_summary.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <memory>
#include <string>
#include <vector>

namespace corvus {

/// A database copy this node no longer hosts, as of a cluster change.
struct database_removal {
  /// Case-folded name (the instance's key) and the name as created.
  std::string key;
  std::string name;
  /// A hard delete: the files go too.
  bool remove_files = false;
  /// Raft index of the change: a node that replays its log after a restart
  /// skips removals it already carried out (a database re-created since
  /// must keep its new files).
  int64_t index = 0;
};

/// The Raft member tells its node what changed: the new summary, and the
/// copies this node lost since the previous update, in order.
struct cluster_update {
  std::shared_ptr<const cluster_summary> summary;
  std::vector<database_removal> removals;
};

} // namespace corvus

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::cluster_update)

namespace corvus {

using node_actor = introspectable_actor::extend<
  // Creates a database through the cluster; answered when the nodes that
  // host it applied the change (those that cannot be reached are not
  // waited for) and the local instance (if any) can serve.
  // The node draws the command's node offset, and a request id when it has
  // none; a retry with the request id of an applied creation is answered
  // as that one was. Errors: ec::database_already_exists,
  // ec::bad_request, ec::no_leader.
  caf::replies_to<create_database_command>::with<database_created>,
  // Deletes databases (or copies of them) through the cluster; answered
  // when the local instances are stopped (for a hard delete, their files
  // removed) and the other nodes that held copies applied the deletion,
  // waiting for them at most the given time (RavenDB's
  // TimeToWaitForConfirmation); the reply names those that did not
  // confirm, in tag order. Errors: ec::no_leader, ec::bad_request.
  caf::replies_to<delete_databases_command,
                  caf::timespan>::with<databases_deleted>,
  // Adds a node to a database group through the cluster; answered when the
  // added node applied the change (or cannot be reached) and, when it is
  // this node, the local instance can serve. Errors:
  // ec::database_does_not_exist, ec::bad_request, ec::timeout (added, but
  // not confirmed in time).
  caf::replies_to<add_database_node_command>::with<database_node_added>,
  // Disables or enables databases through the cluster; answered when every
  // node of their groups it can reach applied the change and, on enabling,
  // the local instances can serve. Errors: ec::no_leader, ec::timeout
  // (changed, but not confirmed in time).
  caf::replies_to<toggle_databases_command>::with<databases_toggled>,
  // Reorders, promotes in, re-forms or re-configures a database group
  // through the cluster; answered when every node of the changed group it
  // can reach applied the change and the local instance, if any, serves.
  // Errors: ec::database_does_not_exist, ec::bad_request, ec::no_leader,
  // ec::timeout (changed, but not confirmed in time).
  caf::replies_to<change_database_group_command>::with<
    database_group_changed>,
  // Answered once this node's instance of a database (any casing) can
  // serve: at once when it can, later while it loads. Errors:
  // ec::database_does_not_exist (not hosted here), ec::database_loading
  // (it failed and waits for a restart).
  caf::replies_to<atom::ready, std::string>::with<void>,
  // The Raft member's barrier before it tells another node that this one
  // applied an index: the member sent the updates through it first, and
  // one actor's messages arrive in order, so once this is answered the
  // node has acted on them (instances started or stopped, published).
  // Answered with the index.
  caf::replies_to<atom::wait, int64_t>::with<int64_t>,
  // The Raft member's news: start and stop instances accordingly.
  caf::reacts_to<cluster_update>,
  // Timer: restart the failed instance of a database (case-folded name).
  caf::reacts_to<atom::restart, std::string>,
  // A replication link of another node, for one of this node's instances
  // (handed on by the Raft member); see raft_peer_actor.
  caf::replies_to<replication_hello>::with<replication_welcome>>;

} // namespace corvus
