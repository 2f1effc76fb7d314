#pragma once

// What the HTTP threads know about the node: an immutable snapshot (node
// tag, cluster state, database instances with their actor and store
// handles) that the node actor replaces whenever something changes. Readers
// take the current snapshot without locking the node or waiting for it;
// reads of documents then go straight to a store, as RavenDB serves reads on
// the request thread while writes go through the transaction merger.

#include "messages/database.hpp"
#include "messages/ec.hpp"
#include "messages/introspection.hpp"
#include "messages/raft_member.hpp"
#include "runtime/cluster/cluster_summary.hpp"
#include "storage/document_store.hpp"

#include <map>
#include <memory>
#include <string>

namespace corvus {

/// A database instance as the HTTP layer sees it.
struct published_database {
  /// The name as created.
  std::string name;
  /// Null while the instance is restarting.
  database_actor actor;
  /// Null until the store is open.
  std::shared_ptr<document_store> store;
  /// Why the instance cannot serve yet; empty when it can.
  std::string unavailable_reason;

  bool ready() const {
    return actor && store != nullptr;
  }

  /// Starting up (not failed): worth waiting for.
  bool loading() const {
    return actor && store == nullptr;
  }
};

struct node_snapshot {
  /// The node's tag, "?" until it belongs to a cluster.
  std::string node_tag = "?";
  /// The URL clients and peers use for this node.
  std::string url;
  std::shared_ptr<const cluster_summary> cluster
    = std::make_shared<const cluster_summary>();
  /// The node's Raft member: cluster operations, linearizable reads.
  raft_member_actor member;
  /// Case-folded name → instance, for the databases this node hosts.
  std::map<std::string, std::shared_ptr<const published_database>> databases;
  /// The node's introspection registry.
  introspection_actor registry;
};

/// The slot holding the current snapshot; written by the node actor only.
class node_directory {
public:
  std::shared_ptr<const node_snapshot> current() const {
    return std::atomic_load(&current_);
  }

  void publish(std::shared_ptr<const node_snapshot> snapshot) {
    std::atomic_store(&current_, std::move(snapshot));
  }

private:
  std::shared_ptr<const node_snapshot> current_
    = std::make_shared<const node_snapshot>();
};

} // namespace corvus
