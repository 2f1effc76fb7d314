// corvus-node: one Corvus node process.
//
// Start-up order matters: read the configuration, check the data directory
// and bind the HTTP port before writing anything, so that a wrong key, an
// unknown data directory or a port in use ends the process with one clear
// line and an untouched data directory. Then logs, stores, the actor system
// and the node actor; SIGINT/SIGTERM start an orderly shutdown.

#include "actors/http/http_server.hpp"
#include "actors/node/directory.hpp"
#include "actors/entropy.hpp"
#include "actors/node/node.hpp"
#include "config/actor_system_config.hpp"
#include "config/load_config.hpp"
#include "messages/error.hpp"
#include "messages/type_ids.hpp"
#include "runtime/documents/compression.hpp"
#include "runtime/http/responses.hpp"
#include "runtime/http/url.hpp"
#include "storage/data_dir.hpp"
#include "storage/mapped_text.hpp"
#include "storage/raft_store.hpp"
#include "storage/system_store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <pthread.h>
#include <thread>

namespace {

using namespace corvus;

int fail(const std::string& message) {
  std::fprintf(stderr, "corvus-node: %s\n", message.c_str());
  return 1;
}

std::shared_ptr<spdlog::logger> make_logger(const node_config& cfg) {
  auto file = (std::filesystem::path{cfg.logs.path} / "corvus-node.log")
                .string();
  auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
    file, 64 << 20, 5);
  auto log = std::make_shared<spdlog::logger>("corvus", sink);
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %-5l %v",
                   spdlog::pattern_time_type::utc);
  log->set_level(spdlog::level::from_str(cfg.logs.level));
  // Events above debug are rare and must survive a kill -9.
  log->flush_on(spdlog::level::info);
  return log;
}

/// @returns why `host`:`port` cannot be listened on, or "" when it can. The
/// port is released at once; the Raft member takes it when it starts.
std::string check_listen(const std::string& host, uint16_t port) {
  namespace asio = boost::asio;
  asio::io_context io;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    asio::ip::tcp::resolver resolver{io};
    auto found = resolver.resolve(host, std::to_string(port), ec);
    if (ec || found.empty())
      return "cannot resolve '" + host + "'";
    address = found.begin()->endpoint().address();
  }
  asio::ip::tcp::acceptor acceptor{io};
  asio::ip::tcp::endpoint endpoint{address, port};
  acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor.bind(endpoint, ec);
  return ec ? ec.message() : std::string{};
}

/// Ends the process at once, with what is written so far flushed: the
/// node's stores are closed or crash-safe whenever this is called.
[[noreturn]] void end_process(spdlog::logger& log, int status) {
  log.flush();
  std::fflush(nullptr);
  std::_Exit(status);
}

std::string absolute(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

} // namespace

int main(int argc, char** argv) {
  // Signals are taken by sigwait below; every thread started from here on
  // inherits the mask, so none of them is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  report_unreadable_mappings();

  auto loaded = load_node_config(argc, argv);
  if (!loaded)
    return fail(loaded.error().message);
  if (loaded->action != cli_action::run) {
    std::cout << loaded->text;
    return 0;
  }
  auto& cfg = loaded->config;
  auto server_url = parse_url(cfg.server_url, "http", "server-url");
  if (!server_url)
    return fail(server_url.error().message);
  if (auto checked = check_data_dir(cfg.data_dir); !checked)
    return fail(checked.error().message);

  http_server_settings http;
  http.io_threads = cfg.http.io_threads;
  http.max_body_size = cfg.http.max_body_size;
  http.keep_alive_timeout = cfg.http.keep_alive_timeout;
  http.product = "Corvus/" CORVUS_VERSION;
  http.raven_version = raven_protocol_version;
  auto server = http_server::bind(server_url->host, server_url->port, http);
  if (!server)
    return fail(server.error().message);
  // Cluster traffic: server-url's host and any free port unless tcp-url
  // says otherwise (peers ask GET /info/tcp).
  url_parts tcp{"tcp", server_url->host, 0};
  if (!cfg.tcp_url.empty()) {
    auto parsed = parse_url(cfg.tcp_url, "tcp", "tcp-url");
    if (!parsed)
      return fail(parsed.error().message);
    tcp = *parsed;
  }
  if (tcp.port != 0)
    if (auto problem = check_listen(tcp.host, tcp.port); !problem.empty())
      return fail("cannot listen on tcp-url " + format_url(tcp) + ": "
                  + problem);
  server_url->port = (*server)->port();
  auto public_url = cfg.public_server_url.empty() ? format_url(*server_url)
                                                  : cfg.public_server_url;
  while (!public_url.empty() && public_url.back() == '/')
    public_url.pop_back();

  // From here on the node writes: logs, data directory, stores.
  std::error_code dir_error;
  std::filesystem::create_directories(cfg.logs.path, dir_error);
  if (dir_error)
    return fail("cannot create logs.path '" + cfg.logs.path
                + "': " + dir_error.message());
  std::shared_ptr<spdlog::logger> log;
  try {
    log = make_logger(cfg);
  } catch (const spdlog::spdlog_ex& e) {
    return fail(std::string{"cannot open the log file: "} + e.what());
  }
  if (auto prepared = prepare_data_dir(cfg.data_dir); !prepared)
    return fail(prepared.error().message);
  auto system = system_store::open(system_store_dir(cfg.data_dir));
  if (!system)
    return fail(system.error().message);
  auto raft = raft_store::open(raft_store_dir(cfg.data_dir));
  if (!raft)
    return fail(raft.error().message);
  // The member loads the whole store when it starts; the banner needs the
  // tag alone.
  auto own_tag = (*raft)->tag();
  if (!own_tag)
    return fail(own_tag.error().message);
  auto tag = own_tag->empty() ? std::string{"?"} : *own_tag;

  std::cout << "Corvus " CORVUS_VERSION " (RavenDB " << raven_protocol_version
            << " protocol)\n"
            << "  URL:      " << public_url << "\n"
            << "  Node tag: " << tag << "\n"
            << "  Cluster:  " << format_url(tcp)
            << (tcp.port == 0 ? " (any free port)" : "") << "\n"
            << "  Data dir: " << absolute(cfg.data_dir) << "\n"
            << "  Logs:     " << absolute(cfg.logs.path) << "\n"
            << std::flush;
  log->info("corvus-node {} starting: url {}, data dir {}, config from {}",
            CORVUS_VERSION, public_url, absolute(cfg.data_dir),
            loaded->sources);

  caf::actor_system_config caf_cfg;
  configure_actor_system(caf_cfg, cfg);
  caf_cfg.load<caf::io::middleman>();
  caf_cfg.add_message_types<caf::id_block::corvus>();
  register_error_category(caf_cfg);
  caf::actor_system sys{caf_cfg};

  node_settings settings;
  settings.data_dir = cfg.data_dir;
  settings.public_url = public_url;
  settings.store.sync = cfg.storage.sync;
  // Validated when the config was read.
  settings.store.compression = *parse_compression(cfg.storage.compression);
  settings.store.id_filter = cfg.storage.id_filter;
  settings.store.block_cache_size = cfg.storage.block_cache_size;
  settings.store.write_buffer_size = cfg.storage.write_buffer_size;
  settings.max_group_commit_bytes = cfg.storage.max_group_commit_bytes;
  auto& repl = settings.replication;
  repl.heartbeat = cfg.replication.heartbeat;
  repl.reply_timeout = cfg.replication.reply_timeout;
  repl.reconnect = backoff_policy{cfg.replication.retry_initial,
                                  cfg.replication.retry_factor,
                                  cfg.replication.retry_max};
  repl.limits.max_items = cfg.replication.max_items;
  repl.window = cfg.replication.window;
  repl.notify_delay = cfg.replication.notify_delay;
  repl.limits.max_bytes = cfg.replication.max_bytes;
  settings.restart_backoff_initial = cfg.database.restart_backoff_initial;
  settings.restart_backoff_max = cfg.database.restart_backoff_max;
  settings.request_timeout = cfg.http.request_timeout;
  settings.snapshot_timeout = cfg.introspection.snapshot_timeout;
  settings.directory = std::make_shared<node_directory>();
  settings.system = std::shared_ptr<system_store>{std::move(*system)};
  auto& rs = settings.raft;
  rs.store = std::shared_ptr<raft_store>{std::move(*raft)};
  rs.tcp_host = tcp.host;
  rs.tcp_port = tcp.port;
  rs.tick_interval = cfg.cluster.tick_interval;
  rs.election_ticks = static_cast<int>(cfg.cluster.election_timeout
                                       / cfg.cluster.tick_interval);
  rs.heartbeat_ticks = std::max(1, rs.election_ticks / 3);
  rs.max_append_bytes = cfg.cluster.max_append_size;
  rs.max_inflight = static_cast<size_t>(cfg.cluster.max_inflight_appends);
  rs.max_inflight_bytes = cfg.cluster.max_inflight_append_size;
  rs.snapshot_piece_bytes = cfg.cluster.snapshot_piece_size;
  rs.snapshot_window_pieces
    = static_cast<size_t>(cfg.cluster.snapshot_pieces_ahead);
  rs.snapshot_every = cfg.cluster.snapshot_every;
  rs.snapshot_keep = cfg.cluster.snapshot_keep;
  rs.operation_timeout = cfg.cluster.operation_timeout;
  rs.connect_timeout = cfg.cluster.connect_timeout;
  rs.seed = random_seed();
  settings.http = *server;
  settings.log = log;
  // Detached: the node writes the system store on its own thread.
  auto node_handle = sys.spawn<caf::detached>(node, std::move(settings));

  // A signal starts the orderly shutdown; the node's end ends the process.
  std::thread([node_handle, signals, log]() mutable {
    int sig = 0;
    sigwait(&signals, &sig);
    log->info("received {}, shutting down", sig == SIGINT ? "SIGINT"
                                                          : "SIGTERM");
    caf::anon_send_exit(node_handle, caf::exit_reason::user_shutdown);
  }).detach();
  caf::error reason;
  {
    caf::scoped_actor self{sys};
    self->monitor(node_handle);
    self->receive(
      [&](const caf::down_msg& msg) { reason = msg.reason; });
  }
  bool orderly = !reason || reason == caf::exit_reason::user_shutdown;
  if (!orderly) {
    log->critical("node ended: {}", describe(reason));
    std::fprintf(stderr, "corvus-node: %s\n", describe(reason).c_str());
    // The node failed without stopping its children in order; waiting for
    // them could hang. Everything acknowledged is durable, so the process
    // ends as after a crash.
    end_process(*log, 1);
  }
  log->flush();
  // The node's children hold nothing undurable by now, but a peer link
  // blocked in connecting to a peer that is going away too would hold up
  // the end of the actors: they get a bounded time.
  std::thread([log] {
    std::this_thread::sleep_for(std::chrono::seconds{5});
    log->warn("actors still running 5 s after the node stopped; exiting");
    end_process(*log, 0);
  }).detach();
  sys.await_all_actors_done();
  // Every actor has ended, and each closed what it owned (CAF destroys an
  // actor's state before the actor counts as ended). The process ends here
  // rather than in CAF's own teardown, which waits until the object of every
  // detached actor is released: when a whole cluster stopped at once, an
  // ended Raft member stayed referenced from within CAF (a timer event of
  // its clock, by a scan of the heap) and that wait ran into the bound above
  // in most runs.
  end_process(*log, 0);
}
