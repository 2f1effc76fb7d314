#pragma once

// A request being served: the exchange, its parsed query and path
// parameters, the node snapshot it was routed against, and the ways to
// answer — directly, or after a call to an actor made through the gateway.

#include "actors/http/http_exchange.hpp"
#include "actors/node/directory.hpp"
#include "messages/database.hpp"
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
#include <tuple>
#include <type_traits>
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

namespace detail {

template <class Result>
struct continuation_of {
  using type = std::function<void(Result&)>;
};

template <>
struct continuation_of<void> {
  using type = std::function<void()>;
};

} // namespace detail

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

  /// Answers with JSON that `next` makes a piece at a time (nothing ends
  /// it; see http_exchange::respond_in_pieces): a body of one piece goes
  /// as a plain answer, a longer one chunked, so that a large answer never
  /// sits in memory whole.
  void reply_json_in_pieces(unsigned status, http_pieces next);

  /// An answer without a body (204, or 404 for a missing document).
  void reply_empty(unsigned status);

  /// Answers with RavenDB's error body for `f`.
  void fail(const failure& f);

  /// The database named by path parameter 0 when it can serve; otherwise
  /// answers (503 with Database-Missing, 503 while it loads or while it is
  /// disabled, 410 on a node without a copy) and returns null.
  std::shared_ptr<const published_database> database();

  /// Answers 503 DatabaseDisabledException when `record` is disabled: as in
  /// RavenDB, none of a disabled database's routes serve.
  /// @returns whether it answered.
  bool refused_as_disabled(const database_record& record);

  /// What runs with an actor's answer: `void(Result&)`, or `void()` for
  /// answers without a value (Result = void).
  template <class Result>
  using continuation = typename detail::continuation_of<Result>::type;

  /// Sends the message `xs...` to `dest` from the gateway; `then` runs with
  /// the answer on this request's I/O thread. An error reply is answered
  /// with `fail`.
  template <class Result, class Dest, class... Ts>
  void ask(Dest dest, continuation<Result> then, Ts... xs);

  /// Sends `xs...` to `dest` and answers with `on_result(result)`.
  template <class Result, class Dest, class... Ts>
  void call(Dest dest, std::function<http_reply(Result&)> on_result,
            Ts... xs) {
    auto self = shared_from_this();
    ask<Result>(std::move(dest),
                continuation<Result>{[self, on_result](Result& r) {
                  self->reply(on_result(r));
                }},
                std::move(xs)...);
  }

  /// Sends `req` straight to a database actor (no gateway hop, no timer);
  /// `then(result)` runs on this request's I/O thread, and failures are
  /// answered with `fail`. If the actor goes away with the request
  /// unprocessed, the answer is a 503: nothing was applied.
  template <class Result, class Request>
  void database_ask(const database_actor& db, Request req,
                    std::function<void(Result&)> then);

  /// As `database_ask`, answering with `on_result(result)`.
  template <class Result, class Request>
  void database_call(const database_actor& db, Request req,
                     std::function<http_reply(Result&)> on_result) {
    auto self = shared_from_this();
    database_ask<Result>(db, std::move(req),
                         [self, on_result](Result& result) {
                           self->reply(on_result(result));
                         });
  }

  /// Runs `then` once the database of path parameter 0 has finished
  /// loading, with a fresh node snapshot (requests that arrive while a
  /// node starts wait instead of failing).
  void when_loaded(std::function<void()> then);

private:
  /// Adds the headers every answer of a database route needs.
  void add_route_headers(http_reply& r) const;

  std::shared_ptr<http_exchange> ex_;
  const http_services& services_;
  query_string query_;
  std::vector<std::string> params_;
  std::shared_ptr<const node_snapshot> node_;
  /// Set for database routes whose client holds an older topology.
  bool refresh_topology_ = false;
};

using request_ptr = std::shared_ptr<request>;

template <class Result, class Dest, class... Ts>
void request::ask(Dest dest, continuation<Result> then, Ts... xs) {
  auto self = shared_from_this();
  auto timeout = services_.request_timeout;
  auto on_error = [self](caf::error& err) { self->fail(to_failure(err)); };
  caf::anon_send(
    services_.gateway,
    http_call{[self, dest, then, timeout, on_error,
               msg = std::make_tuple(std::move(xs)...)](
                http_gateway_actor::pointer gw) {
      auto pending = std::apply(
        [&](const auto&... args) { return gw->request(dest, timeout, args...); },
        msg);
      // CAF matches the continuation's exact signature, hence two forms.
      if constexpr (std::is_void_v<Result>)
        pending.then([self, then]() { self->exchange().post(then); },
                     on_error);
      else
        pending.then(
          [self, then](Result& result) {
            self->exchange().post(
              [then, result = std::move(result)]() mutable { then(result); });
          },
          on_error);
    }});
}

namespace detail {

/// Answers a request whose database actor dropped it unanswered.
class unanswered_guard {
public:
  explicit unanswered_guard(std::shared_ptr<request> r) : r_(std::move(r)) {
    // nop
  }

  ~unanswered_guard();

  /// The answer arrived; @returns the request to answer.
  const std::shared_ptr<request>& take() {
    answered_ = true;
    return r_;
  }

private:
  std::shared_ptr<request> r_;
  bool answered_ = false;
};

} // namespace detail

template <class Result, class Request>
void request::database_ask(const database_actor& db, Request req,
                           std::function<void(Result&)> then) {
  auto guard = std::make_shared<detail::unanswered_guard>(shared_from_this());
  caf::anon_send(
    db, local_request<Request, Result>{
          std::move(req), [guard, then](outcome<Result> result) {
            auto self = guard->take();
            self->exchange().post(
              [self, then, result = std::move(result)]() mutable {
                if (result)
                  then(*result);
                else
                  self->fail(result.error());
              });
          }});
}

/// Serves one HTTP request: routes it and runs its handler.
void route_request(const http_services& services,
                   std::shared_ptr<http_exchange> ex);

} // namespace corvus
