#pragma once

// A request being served: the exchange, its parsed query and path
// parameters, the node snapshot it was routed against, and the ways to
// answer — directly, or after a call to an actor made through the gateway.

#include "actors/http/http_exchange.hpp"
#include "actors/node/directory.hpp"
#include "messages/error.hpp"
#include "messages/http_gateway.hpp"
#include "messages/node.hpp"
#include "runtime/http/query_string.hpp"

#include <caf/all.hpp>
#include <spdlog/logger.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace corvus {

/// What request handlers may use; shared by all requests.
struct http_services {
  std::shared_ptr<node_directory> directory;
  http_gateway_actor gateway;
  node_actor node;
  std::chrono::milliseconds request_timeout{60'000};
  std::shared_ptr<spdlog::logger> log;
};

class request : public std::enable_shared_from_this<request> {
public:
  request(std::shared_ptr<http_exchange> ex, const http_services& services,
          query_string query, std::vector<std::string> params);

  http_exchange& exchange() {
    return *ex_;
  }

  const query_string& query() const {
    return query_;
  }

  /// The path parameter at `index` (e.g. the database of
  /// `/databases/{db}/docs`), percent-decoded.
  const std::string& param(size_t index) const {
    return params_[index];
  }

  const node_snapshot& node() const {
    return *node_;
  }

  const http_services& services() const {
    return services_;
  }

  /// Sends `reply`, adding headers every answer of a database route needs.
  void reply(http_reply r);

  void reply_json(unsigned status, std::string body);

  /// An answer without a body (204, or 404 for a missing document).
  void reply_empty(unsigned status);

  /// Answers with RavenDB's error body for `f`.
  void fail(const failure& f);

  /// The database named by path parameter 0 when it can serve; otherwise
  /// answers (503 with Database-Missing, or 503 while it loads) and returns
  /// null.
  std::shared_ptr<const published_database> database();

  /// Sends `msg` to `dest` from the gateway and answers with
  /// `on_result(result)`, run on this request's I/O thread.
  template <class Result, class Dest, class Msg>
  void call(Dest dest, Msg msg, std::function<http_reply(Result&)> on_result);

  /// As `call`, for requests answered with an empty message.
  template <class Dest, class Msg>
  void call(Dest dest, Msg msg, std::function<http_reply()> on_done);

private:
  std::shared_ptr<http_exchange> ex_;
  const http_services& services_;
  query_string query_;
  std::vector<std::string> params_;
  std::shared_ptr<const node_snapshot> node_;
  /// Set for database routes whose client holds an older topology.
  bool refresh_topology_ = false;
};

using request_ptr = std::shared_ptr<request>;

template <class Result, class Dest, class Msg>
void request::call(Dest dest, Msg msg,
                   std::function<http_reply(Result&)> on_result) {
  auto self = shared_from_this();
  auto timeout = services_.request_timeout;
  caf::anon_send(
    services_.gateway,
    http_call{[self, dest, msg, on_result,
               timeout](http_gateway_actor::pointer gw) {
      gw->request(dest, timeout, msg)
        .then(
          [self, on_result](Result& result) {
            self->exchange().post(
              [self, on_result, result = std::move(result)]() mutable {
                self->reply(on_result(result));
              });
          },
          [self](caf::error& err) { self->fail(to_failure(err)); });
    }});
}

template <class Dest, class Msg>
void request::call(Dest dest, Msg msg, std::function<http_reply()> on_done) {
  auto self = shared_from_this();
  auto timeout = services_.request_timeout;
  caf::anon_send(services_.gateway,
                 http_call{[self, dest, msg, on_done,
                            timeout](http_gateway_actor::pointer gw) {
                   gw->request(dest, timeout, msg)
                     .then(
                       [self, on_done]() {
                         self->exchange().post(
                           [self, on_done] { self->reply(on_done()); });
                       },
                       [self](caf::error& err) {
                         self->fail(to_failure(err));
                       });
                 }});
}

/// Serves one HTTP request: routes it and runs its handler.
void route_request(const http_services& services,
                   std::shared_ptr<http_exchange> ex);

} // namespace corvus
