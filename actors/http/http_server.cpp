#include "actors/http/http_server.hpp"

#include "runtime/thread_name.hpp"
#include "runtime/http/error_body.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <chrono>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace corvus {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Request headers can be long: multi-id loads put ids in the URL.
constexpr uint32_t header_limit = 64 * 1024;

// Upper bounds (seconds) of the request latency buckets.
constexpr std::array<double, 14> latency_bounds = {
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
  0.1,    0.25,  0.5,    1,     2.5,  5,     10,
};

// What one read asks the socket for at least. Beast sizes reads by the
// buffer's free capacity, never under 512 bytes: with an empty buffer, a
// request with a 1 KB body took three reads, each with its own epoll
// round and timer update.
constexpr std::size_t read_buffer_bytes = 16 * 1024;

// How long a closing connection keeps reading (and discarding) what the
// client still sends. Closing a socket with unread data makes the kernel
// reset the connection, and the client would lose the answer it was sent
// (a 413 for a large body, say).
constexpr auto drain_timeout = std::chrono::seconds{5};

class server_impl;

class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket socket, std::shared_ptr<server_impl> server)
    : stream_(std::move(socket)), server_(std::move(server)) {
    buffer_.reserve(read_buffer_bytes);
  }

  void run();

  void send(http_reply reply);

  /// Sends `head` and then, chunked, the pieces `next` makes.
  void send_in_pieces(http_reply head, http_pieces next);

  void post(std::function<void()> fn) {
    net::post(stream_.get_executor(), std::move(fn));
  }

private:
  void read();
  void on_read(beast::error_code ec);
  /// Answers a request that is not dispatched, then closes.
  void refuse(const failure& why, std::string target);
  /// The response `reply` stands for: status, our headers and its own.
  template <class Body>
  http::response<Body> head_of(const http_reply& reply, bool keep) const;
  /// Writes the pieces of a chunked body from `next` on, then its end.
  void write_pieces(std::shared_ptr<http_pieces> next, bool keep,
                    unsigned status);
  /// Counts the request as answered, then reads the next one or closes.
  void finish(beast::error_code ec, bool keep, unsigned status);
  void close();
  void drain();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<server_impl> server_;
  bool keep_alive_ = false;
  bool head_ = false;
  /// When the request being answered arrived (for latency statistics).
  std::chrono::steady_clock::time_point started_;
};

class exchange_impl : public http_exchange {
public:
  explicit exchange_impl(std::shared_ptr<session> s) : session_(std::move(s)) {
    // nop
  }

  ~exchange_impl() override {
    // A handler that forgot to answer must not leave the client hanging.
    if (!responded_.load())
      respond(json_reply(500, render_error_body(make_failure(ec::internal_error,
                                                        "the request was "
                                                        "dropped without a "
                                                        "response"),
                                           target)));
  }

  void respond(http_reply reply) override {
    if (responded_.exchange(true))
      return;
    session_->post([s = session_, r = std::move(reply)]() mutable {
      s->send(std::move(r));
    });
  }

  void respond_in_pieces(http_reply head, http_pieces next) override {
    if (responded_.exchange(true))
      return;
    session_->post([s = session_, h = std::move(head),
                    n = std::move(next)]() mutable {
      s->send_in_pieces(std::move(h), std::move(n));
    });
  }

  void post(std::function<void()> fn) override {
    session_->post(std::move(fn));
  }

private:
  std::shared_ptr<session> session_;
  std::atomic<bool> responded_{false};
};

class server_impl : public http_server,
                    public std::enable_shared_from_this<server_impl> {
public:
  explicit server_impl(http_server_settings settings)
    : settings_(std::move(settings)) {
    // One io_context per I/O thread: a connection lives on one thread, so
    // no two threads share a scheduler (or wake each other through it).
    for (int i = 0; i < std::max(settings_.io_threads, 1); ++i) {
      loops_.push_back(std::make_unique<net::io_context>(1));
      guards_.push_back(net::make_work_guard(*loops_.back()));
    }
    acceptor_.emplace(*loops_.front());
  }

  ~server_impl() override {
    stop();
  }

  outcome<done> listen(const std::string& host, uint16_t port) {
    auto where = "http://" + host + ":" + std::to_string(port);
    beast::error_code ec;
    auto address = net::ip::make_address(host, ec);
    if (ec) {
      tcp::resolver resolver{*loops_.front()};
      auto results = resolver.resolve(host, std::to_string(port), ec);
      if (ec || results.empty())
        return make_failure(ec::bad_request,
                            "cannot resolve host '" + host + "' of "
                              "server-url: " + ec.message());
      address = results.begin()->endpoint().address();
    }
    tcp::endpoint endpoint{address, port};
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec)
      acceptor_->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec)
      acceptor_->bind(endpoint, ec);
    if (!ec)
      acceptor_->listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      return make_failure(ec::bad_request,
                          "cannot listen on " + where + ": " + ec.message());
    return done{};
  }

  uint16_t port() const override {
    return acceptor_->local_endpoint().port();
  }

  void start(http_handler handler) override {
    handler_ = std::move(handler);
    accept();
    for (size_t i = 0; i < loops_.size(); ++i)
      threads_.emplace_back([ioc = loops_[i].get(), i] {
        name_this_thread("http-" + std::to_string(i));
        ioc->run();
      });
  }

  void stop_accepting(std::function<void()> on_idle) override {
    net::post(*loops_.front(), [self = shared_from_this(),
                     on_idle = std::move(on_idle)]() mutable {
      self->stopping_ = true;
      beast::error_code ignored;
      self->acceptor_->close(ignored);
      {
        std::lock_guard<std::mutex> guard{self->idle_mutex_};
        self->on_idle_ = std::move(on_idle);
      }
      self->check_idle();
    });
  }

  void stop() override {
    for (auto& guard : guards_)
      guard.reset();
    for (auto& loop : loops_)
      loop->stop();
    for (auto& t : threads_)
      if (t.joinable())
        t.join();
    threads_.clear();
    // The handler holds actor handles; dropping it lets those actors end.
    handler_ = nullptr;
  }

  const http_server_settings& settings() const {
    return settings_;
  }

  bool stopping() const {
    return stopping_.load();
  }

  /// Counts a request as in flight until its response is written.
  void begin_request() {
    ++in_flight_;
  }

  void dispatch(std::shared_ptr<http_exchange> ex) {
    begin_request();
    handler_(std::move(ex));
  }

  /// A response with `status` was written `took` after its request came.
  void request_done(unsigned status, std::chrono::steady_clock::duration took) {
    auto seconds = std::chrono::duration<double>(took).count();
    ++requests_;
    if (status >= 400)
      ++errors_;
    // Whole microseconds are precise enough and keep the sum atomic.
    duration_micros_ += static_cast<int64_t>(seconds * 1e6);
    for (size_t i = 0; i < latency_bounds.size(); ++i)
      if (seconds <= latency_bounds[i]) {
        ++bucket_counts_[i];
        break;
      }
    if (--in_flight_ == 0)
      check_idle();
  }

  gateway_snapshot_view statistics() const override {
    gateway_snapshot_view s;
    s.port = port();
    s.io_threads = static_cast<int64_t>(loops_.size());
    s.in_flight = in_flight_.load();
    s.requests = requests_.load();
    s.errors = errors_.load();
    s.duration_sum = static_cast<double>(duration_micros_.load()) / 1e6;
    int64_t cumulative = 0;
    for (size_t i = 0; i < latency_bounds.size(); ++i) {
      cumulative += bucket_counts_[i].load();
      s.buckets[latency_bounds[i]] = cumulative;
    }
    return s;
  }

private:
  void accept() {
    acceptor_->async_accept(
      *loops_[next_loop_++ % loops_.size()],
      [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (!ec) {
          // Without it, the small last piece of a chunked answer waits for
          // the client to acknowledge the piece before, which a client
          // delaying its acknowledgements holds back for up to 40 ms
          // (Nagle's algorithm). Kestrel, RavenDB's host, sets it too.
          beast::error_code ignored;
          socket.set_option(tcp::no_delay{true}, ignored);
          std::make_shared<session>(std::move(socket), self)->run();
        }
        if (!self->stopping_ && self->acceptor_->is_open())
          self->accept();
      });
  }

  void check_idle() {
    if (!stopping_ || in_flight_.load() != 0)
      return;
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> guard{idle_mutex_};
      fn = std::move(on_idle_);
      on_idle_ = nullptr;
    }
    if (fn)
      fn();
  }

  http_server_settings settings_;
  std::vector<std::unique_ptr<net::io_context>> loops_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>>
    guards_;
  /// Lives on the first loop; accepted sockets go round-robin to all.
  std::optional<tcp::acceptor> acceptor_;
  size_t next_loop_ = 0;
  std::vector<std::thread> threads_;
  http_handler handler_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> errors_{0};
  std::atomic<int64_t> duration_micros_{0};
  std::array<std::atomic<int64_t>, latency_bounds.size()> bucket_counts_{};
  std::atomic<bool> stopping_{false};
  std::mutex idle_mutex_;
  std::function<void()> on_idle_;
};

void session::run() {
  net::dispatch(stream_.get_executor(),
                [self = shared_from_this()] { self->read(); });
}

void session::read() {
  parser_.emplace();
  parser_->body_limit(server_->settings().max_body_size);
  parser_->header_limit(header_limit);
  stream_.expires_after(server_->settings().keep_alive_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec,
                                               std::size_t) {
                     self->on_read(ec);
                   });
}

void session::on_read(beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == net::error::eof
      || ec == net::error::operation_aborted || ec == beast::error::timeout
      || ec == net::error::connection_reset)
    return close();
  std::string target;
  if (parser_->is_header_done())
    target = std::string{parser_->get().target()};
  if (ec == http::error::body_limit)
    return refuse(make_failure(ec::body_too_large,
                               "the request body exceeds the limit of "
                                 + std::to_string(
                                   server_->settings().max_body_size)
                                 + " bytes (http.max-body-size)"),
                  std::move(target));
  if (ec) {
    // Nothing usable arrived: without a complete header there is no
    // request to answer.
    if (!parser_->is_header_done() && buffer_.size() == 0)
      return close();
    return refuse(make_failure(ec::bad_request,
                               "malformed HTTP request: " + ec.message()),
                  std::move(target));
  }
  if (server_->stopping())
    // Intake has stopped: nothing of this request is applied, so the
    // client may safely send it to another node.
    return refuse(make_failure(ec::shutting_down,
                               "the node is shutting down"),
                  std::move(target));
  auto req = parser_->release();
  started_ = std::chrono::steady_clock::now();
  auto ex = std::make_shared<exchange_impl>(shared_from_this());
  ex->method = std::string{req.method_string()};
  ex->target = std::string{req.target()};
  ex->headers.reserve(8);
  for (auto& field : req)
    ex->headers.emplace_back(std::string{field.name_string()},
                             std::string{field.value()});
  ex->body = std::move(req.body());
  keep_alive_ = req.keep_alive();
  head_ = req.method() == http::verb::head;
  server_->dispatch(std::move(ex));
}

void session::refuse(const failure& why, std::string target) {
  // The connection's framing may be lost: answer and close.
  keep_alive_ = false;
  head_ = false;
  started_ = std::chrono::steady_clock::now();
  server_->begin_request();
  send(json_reply(map_error(why.code).status,
                  render_error_body(why, target)));
}

template <class Body>
http::response<Body> session::head_of(const http_reply& reply,
                                      bool keep) const {
  http::response<Body> res{static_cast<http::status>(reply.status), 11};
  res.set(http::field::server, server_->settings().product);
  res.set("Raven-Server-Version", server_->settings().raven_version);
  if (!reply.content_type.empty())
    res.set(http::field::content_type, reply.content_type);
  for (auto& [name, value] : reply.headers)
    res.set(name, value);
  res.keep_alive(keep);
  return res;
}

void session::send(http_reply reply) {
  bool keep = keep_alive_ && !server_->stopping();
  auto res = head_of<http::string_body>(reply, keep);
  auto body_size = reply.body.size();
  res.body() = std::move(reply.body);
  res.prepare_payload();
  if (head_) {
    // A HEAD answer announces the length it would have without sending it.
    res.content_length(body_size);
    res.body().clear();
  }
  auto msg = std::make_shared<http::response<http::string_body>>(
    std::move(res));
  auto status = reply.status;
  http::async_write(stream_, *msg,
                    [self = shared_from_this(), msg, keep,
                     status](beast::error_code ec, std::size_t) {
                      self->finish(ec, keep, status);
                    });
}

void session::send_in_pieces(http_reply head, http_pieces next) {
  bool keep = keep_alive_ && !server_->stopping();
  auto res = std::make_shared<http::response<http::empty_body>>(
    head_of<http::empty_body>(head, keep));
  res->chunked(true);
  auto writer = std::make_shared<http::response_serializer<http::empty_body>>(
    *res);
  auto pieces = std::make_shared<http_pieces>(std::move(next));
  auto status = head.status;
  // A long body is bounded by its client's pace, not by the time since the
  // request: each write gets the keep-alive timeout of its own.
  stream_.expires_after(server_->settings().keep_alive_timeout);
  http::async_write_header(
    stream_, *writer,
    [self = shared_from_this(), res, writer, pieces, keep,
     status](beast::error_code ec, std::size_t) {
      // A HEAD answer has the headers only.
      if (ec || self->head_)
        return self->finish(ec, keep, status);
      self->write_pieces(pieces, keep, status);
    });
}

void session::write_pieces(std::shared_ptr<http_pieces> next, bool keep,
                           unsigned status) {
  auto piece = (*next)();
  // A body that cannot be finished must not look finished: no last chunk,
  // and the connection goes.
  if (!piece)
    return finish(beast::error_code{net::error::operation_aborted}, false,
                  status);
  stream_.expires_after(server_->settings().keep_alive_timeout);
  if (!*piece) {
    net::async_write(stream_, http::make_chunk_last(),
                     [self = shared_from_this(), keep,
                      status](beast::error_code ec, std::size_t) {
                       self->finish(ec, keep, status);
                     });
    return;
  }
  auto text = std::make_shared<std::string>(std::move(**piece));
  net::async_write(stream_, http::make_chunk(net::buffer(*text)),
                   [self = shared_from_this(), text, next, keep,
                    status](beast::error_code ec, std::size_t) {
                     if (ec)
                       return self->finish(ec, keep, status);
                     self->write_pieces(next, keep, status);
                   });
}

void session::finish(beast::error_code ec, bool keep, unsigned status) {
  server_->request_done(status, std::chrono::steady_clock::now() - started_);
  if (ec || !keep)
    return close();
  read();
}

void session::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.expires_after(drain_timeout);
  drain();
}

void session::drain() {
  auto scratch = std::make_shared<std::array<char, 16 * 1024>>();
  stream_.async_read_some(
    net::buffer(*scratch),
    [self = shared_from_this(), scratch](beast::error_code ec, std::size_t) {
      // Until the client closes its side, or the drain times out.
      if (!ec)
        self->drain();
    });
}

} // namespace

outcome<std::shared_ptr<http_server>>
http_server::bind(const std::string& host, uint16_t port,
                  http_server_settings settings) {
  auto server = std::make_shared<server_impl>(std::move(settings));
  if (auto listening = server->listen(host, port); !listening)
    return listening.error();
  return std::shared_ptr<http_server>{std::move(server)};
}

} // namespace corvus
