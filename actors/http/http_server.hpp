#pragma once

// The HTTP/1.1 server: Boost.Beast on a pool of I/O threads of its own (never
// the actor scheduler's), keep-alive, one request in flight per connection,
// bounded bodies. It only speaks HTTP; what a request means is decided by
// the handler it is started with.

#include "actors/http/http_exchange.hpp"
#include "runtime/failure.hpp"
#include "runtime/introspection/snapshots.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace corvus {

struct http_server_settings {
  int io_threads = 2;
  uint64_t max_body_size = 128ull << 20;
  std::chrono::milliseconds keep_alive_timeout{120'000};
  /// Value of the `Server` header, e.g. "Corvus/0.1.0".
  std::string product;
  /// Value of the `Raven-Server-Version` header: the RavenDB version whose
  /// protocol we speak (clients switch features on it).
  std::string raven_version;
};

using http_handler = std::function<void(std::shared_ptr<http_exchange>)>;

class http_server {
public:
  /// Binds and listens on `host:port` right away, so that a port in use ends
  /// start-up before anything else happens. Port 0 picks a free port.
  static outcome<std::shared_ptr<http_server>>
  bind(const std::string& host, uint16_t port, http_server_settings settings);

  virtual ~http_server() = default;

  /// @returns the port actually bound.
  virtual uint16_t port() const = 0;

  /// Starts the I/O threads; every request goes to `handler`.
  virtual void start(http_handler handler) = 0;

  /// Closes the listening socket and lets connections end after their
  /// current response; `on_idle` runs once no request is in flight.
  virtual void stop_accepting(std::function<void()> on_idle) = 0;

  /// Stops the I/O threads and closes every connection. Blocks until the
  /// threads are joined; never call it from an I/O thread.
  virtual void stop() = 0;

  /// @returns what the server has done so far (requests, errors, latency
  ///          buckets) and is doing now (requests in flight).
  virtual gateway_snapshot_view statistics() const = 0;
};

} // namespace corvus
