#include "config/actor_system_config.hpp"

#include <caf/atom.hpp>

#include <algorithm>
#include <cstddef>
#include <thread>

namespace corvus {

void configure_actor_system(caf::actor_system_config& cfg,
                            const node_config& config) {
  // hardware_concurrency() may report 0 when it cannot tell; CAF needs at
  // least one worker.
  auto threads = config.scheduler.threads > 0
                   ? static_cast<size_t>(config.scheduler.threads)
                   : std::max(1u, std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads", threads);
  // One shared queue whose idle workers block on a condition variable: the
  // busy actors run detached, so the scheduled ones are few, and CAF's
  // work stealing would keep idle workers polling (about 8% of a core per
  // idle node here, and more under load on a machine shared by several
  // nodes), waking every 50 us, while the sharing queue wakes a worker as
  // soon as work arrives.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  // Debian's CAF is built without its logger, so these only matter for a
  // CAF built with one: it must neither write a log file nor print to the
  // console, where our own log lines go.
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console", caf::atom("none"));
  // Node-to-node connections: BASP heartbeats let a node notice a peer that
  // stopped answering (a paused process, a silent network) and drop the
  // connection, so that its peer link reconnects when the peer is back.
  cfg.set("middleman.heartbeat-interval", caf::timespan{
    std::chrono::milliseconds{500}});
  cfg.set("middleman.connection-timeout", caf::timespan{
    std::chrono::milliseconds{5000}});
  // Incoming node-to-node messages are small and latency-bound (Raft):
  // the multiplexer delivers them itself instead of handing each to a
  // deserialization worker, one thread hand-off less per message.
  cfg.set("middleman.workers", size_t{0});
}

} // namespace corvus
