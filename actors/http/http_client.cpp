#include "actors/http/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace corvus {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

outcome<http_answer> send_request(const url_parts& node, const client_request& call,
                                  std::chrono::milliseconds timeout,
                                  std::string_view user_agent) {
  net::io_context io;
  tcp::resolver resolver{io};
  beast::tcp_stream stream{io};
  http::request<http::string_body> req{http::string_to_verb(call.method),
                                       call.target, 11};
  req.set(http::field::host, node.host + ":" + std::to_string(node.port));
  req.set(http::field::user_agent,
          beast::string_view{user_agent.data(), user_agent.size()});
  req.set(http::field::connection, "close");
  if (!call.body.empty()) {
    req.set(http::field::content_type, "application/json; charset=utf-8");
    req.body() = call.body;
  }
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  beast::error_code failed;
  // The stream's deadline covers connect, write and read; asynchronous
  // operations are the only ones Beast applies it to.
  stream.expires_after(timeout);
  resolver.async_resolve(
    node.host, std::to_string(node.port),
    [&](beast::error_code ec, tcp::resolver::results_type endpoints) {
      if (ec)
        return void(failed = ec);
      stream.async_connect(endpoints, [&](beast::error_code ec,
                                          const tcp::endpoint&) {
        if (ec)
          return void(failed = ec);
        http::async_write(stream, req, [&](beast::error_code ec, size_t) {
          if (ec)
            return void(failed = ec);
          http::async_read(stream, buffer, parser,
                           [&](beast::error_code ec, size_t) {
                             failed = ec;
                           });
        });
      });
    });
  io.run();
  if (failed) {
    auto url = format_url(node);
    if (failed == beast::error::timeout)
      return make_failure(ec::timeout,
                          url + " did not answer within "
                            + std::to_string(timeout.count() / 1000) + " s");
    return make_failure(ec::internal_error,
                        "cannot reach " + url + ": " + failed.message());
  }
  auto& res = parser.get();
  http_answer answer;
  answer.status = res.result_int();
  answer.body = std::move(res.body());
  for (auto& field : res)
    answer.headers.emplace_back(std::string{field.name_string()},
                                std::string{field.value()});
  return answer;
}

} // namespace corvus
