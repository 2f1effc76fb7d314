// The HTTP server's bodies made in pieces, over a real loopback socket:
// pieces go out as chunks and a finished body ends with the last chunk;
// a body whose next piece fails is cut short, never ended as if complete.

#include "actors/http/http_server.hpp"

#include <boost/asio.hpp>
#include <doctest/doctest.h>

#include <string>

using namespace corvus;
namespace net = boost::asio;

namespace {

/// A server answering every request with the body `pieces` make.
struct piece_server {
  std::shared_ptr<http_server> server;

  explicit piece_server(std::function<http_pieces()> pieces) {
    http_server_settings settings;
    settings.io_threads = 1;
    settings.product = "test";
    auto bound = http_server::bind("127.0.0.1", 0, settings);
    REQUIRE(bound);
    server = *bound;
    server->start([pieces](std::shared_ptr<http_exchange> ex) {
      ex->respond_in_pieces(json_reply(200, {}), pieces());
    });
  }

  ~piece_server() {
    server->stop();
  }

  /// @returns all the server sends for one GET, up to its closing the
  ///          connection or `deadline`.
  std::string get_all(std::chrono::seconds deadline
                      = std::chrono::seconds{5}) {
    net::io_context io;
    net::ip::tcp::socket socket{io};
    socket.connect({net::ip::make_address("127.0.0.1"), server->port()});
    std::string request = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";
    net::write(socket, net::buffer(request));
    std::string received;
    net::steady_timer timer{io, deadline};
    timer.async_wait([&](boost::system::error_code ec) {
      if (!ec)
        socket.close();
    });
    std::array<char, 4096> buf;
    std::function<void(boost::system::error_code, size_t)> on_read
      = [&](boost::system::error_code ec, size_t n) {
          received.append(buf.data(), n);
          if (ec) {
            timer.cancel();
            return;
          }
          socket.async_read_some(net::buffer(buf), on_read);
        };
    socket.async_read_some(net::buffer(buf), on_read);
    io.run();
    return received;
  }
};

/// Pieces "one", "two", then the end or (with `fail`) a failure.
http_pieces three_steps(bool fail) {
  auto step = std::make_shared<int>(0);
  return [step, fail]() -> outcome<std::optional<std::string>> {
    switch ((*step)++) {
      case 0:
        return std::optional<std::string>{"one"};
      case 1:
        return std::optional<std::string>{"two"};
      default:
        if (fail)
          return make_failure(ec::storage_failure, "bad block");
        return std::optional<std::string>{};
    }
  };
}

} // namespace

TEST_CASE("a body in pieces goes out chunked and ends with the last chunk") {
  piece_server s{[] { return three_steps(false); }};
  auto got = s.get_all();
  CHECK(got.find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(got.find("3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n") != std::string::npos);
}

TEST_CASE("a body whose next piece fails is cut short and the connection "
          "closed") {
  piece_server s{[] { return three_steps(true); }};
  // Closed by the server well before the deadline, without the last chunk.
  auto started = std::chrono::steady_clock::now();
  auto got = s.get_all();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds{4});
  CHECK(got.find("3\r\none\r\n3\r\ntwo\r\n") != std::string::npos);
  CHECK(got.find("0\r\n\r\n") == std::string::npos);
}
