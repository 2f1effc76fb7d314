#pragma once

// The node actor (messages/node.hpp): root of the supervision tree. It owns
// the Raft member (which holds the cluster state and tells the node what
// changed), one database instance actor per database the cluster assigns
// to this node (restarted with back-off when one fails), and the HTTP
// gateway; it publishes what the HTTP threads need in the node directory.
// Spawn it detached: it writes the system store.

#include "actors/cluster/raft_member.hpp"
#include "actors/replication/outgoing_link.hpp"
#include "actors/http/http_server.hpp"
#include "actors/node/directory.hpp"
#include "messages/database.hpp"
#include "messages/http_gateway.hpp"
#include "messages/introspection.hpp"
#include "messages/node.hpp"
#include "storage/document_store.hpp"
#include "storage/system_store.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace corvus {

/// Everything a node actor needs from its process.
struct node_settings {
  std::string data_dir;
  /// The URL clients and peers use for this node.
  std::string public_url;
  store_options store;
  uint64_t max_group_commit_bytes = 32ull << 20;
  replication_settings replication;
  std::chrono::milliseconds restart_backoff_initial{500};
  std::chrono::milliseconds restart_backoff_max{30'000};
  std::chrono::milliseconds request_timeout{60'000};
  /// Bound on an actor describing itself to the introspection registry.
  std::chrono::milliseconds snapshot_timeout{500};
  /// Database instances on threads of their own (false only in tests).
  bool detached_databases = true;
  std::shared_ptr<node_directory> directory;
  /// The node's system store, opened by the process before the node starts.
  std::shared_ptr<system_store> system;
  /// The Raft member's settings; the node fills in its own handles.
  raft_member_settings raft;
  /// The Raft member on a thread of its own (false only in tests).
  bool detached_member = true;
  /// The bound HTTP server, or null (tests without HTTP).
  std::shared_ptr<http_server> http;
  std::shared_ptr<spdlog::logger> log;
};

/// One hosted database instance and its supervision record.
struct database_instance_record {
  std::string name;
  database_actor actor;
  std::shared_ptr<document_store> store;
  std::chrono::milliseconds backoff{0};
  std::chrono::steady_clock::time_point ready_since;
  std::string last_error;
  /// Set when the instance is being removed rather than restarted.
  bool removing = false;
  bool remove_files = false;
  /// Run once the instance serves (nullptr) or fails (the error).
  std::vector<std::function<void(const caf::error*)>> on_ready;
  /// Run once the instance is gone after `removing` was set.
  std::vector<std::function<void()>> on_removed;
  /// The group the instance was last told about.
  std::vector<replication_peer> destinations;
  bool resolve_to_latest = false;
  bool told = false;
};

struct node_state {
  explicit node_state(node_actor::pointer self) : self(self) {
    // nop
  }

  /// Starts the registry and the Raft member; the HTTP gateway follows
  /// with the member's first summary.
  caf::error init();

  /// Takes the member's news: carries out removals (once: see
  /// `reconciled_index`), then reconciles and publishes.
  void on_cluster_update(cluster_update& update);

  /// Submits `cmd` through the Raft member; `then` gets its outcome once
  /// applied on this node.
  void propose(const cluster_command& cmd,
               std::function<void(outcome<cluster_result>, int64_t)> then);

  /// Asks the member to wait, at most `limit`, until every node of
  /// `nodes` applied `index` (the wait of §1.10); `then` gets the nodes
  /// that did not confirm it.
  void wait_for_nodes(int64_t index, std::vector<std::string> nodes,
                      caf::timespan limit,
                      std::function<void(outcome<unconfirmed_nodes>)> then);

  /// Calls `then` once every node of `nodes` it can reach applied `index`
  /// and the local instances of those of `records` this node hosts serve;
  /// with ec::timeout naming the reachable nodes that did not apply it
  /// within `cluster.operation-timeout`, or with the first local instance's
  /// failure to start. Nodes that cannot be reached (down, or cut off) are
  /// not waited for, as RavenDB does not: they apply the change when they
  /// are back.
  /// The change is committed either way: a failure is logged and its
  /// message says "<change>, but …" (§2.3).
  void when_applied(int64_t index, std::vector<std::string> nodes,
                    const std::vector<const database_record*>& records,
                    std::string change,
                    std::function<void(outcome<done>)> then);

  /// Starts the instances the cluster assigns to this node and stops those
  /// it no longer does.
  void reconcile();

  void start_instance(const std::string& key, const std::string& name);
  void stop_instance(const std::string& key, bool remove_files);
  void on_instance_down(const caf::down_msg& msg);

  /// Tells ready instances about their groups when they changed.
  void inform_instances();

  /// Publishes a new snapshot for the HTTP threads.
  void publish();

  /// @returns whether this node hosts `record`.
  bool hosts(const database_record& record) const;

  /// Starts the HTTP gateway (once the first cluster summary is in, so that
  /// no request sees a node that does not know its databases yet).
  void start_gateway();

  /// Ends the node after its children: the gateway and the registry last.
  void quit_node();

  /// Announces the node under its current tag.
  void enlist_self();

  node_actor::pointer self;
  node_settings settings;
  std::shared_ptr<const cluster_summary> cluster
    = std::make_shared<const cluster_summary>();
  std::string node_tag;
  std::map<std::string, database_instance_record> instances;
  raft_member_actor member;
  http_gateway_actor gateway;
  introspection_actor registry;
  /// Removals up to this raft index were carried out (system store); a
  /// replay after a restart skips them.
  int64_t reconciled_index = 0;
  bool shutting_down = false;
  static inline const char* name = "node";
};

node_actor::behavior_type node(node_actor::stateful_pointer<node_state> self,
                               node_settings settings);

} // namespace corvus
