// corvus-http-load: drives a Corvus (or RavenDB) node over HTTP the way the
// npm client does, for scripts/bench/single-node. Each connection is a
// keep-alive HTTP/1.1 connection with one request in flight. Everything runs
// on one io thread because the server under test shares the machine's two
// cores with this tool; per request it only splices an id into a prebuilt
// body.
//
// Modes:
//   put-single  POST /databases/{db}/bulk_docs? with one PUT command
//   put-batch   the same with --batch-size PUT commands
//   load        GET /databases/{db}/docs?&id={id}, ids {prefix}0..N-1
// Output: one line `mode=.. connections=.. ops=.. ops_per_s=.. docs_per_s=..
// p50_us=.. ... errors=0`. Any failed request makes the exit status 1.

#include "scripts/bench/tools/bench_document.hpp"
#include "scripts/bench/tools/bench_stats.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/program_options.hpp>
#include <rapidjson/document.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using boost::system::error_code;
using namespace corvus::bench;

enum class run_mode { put_single, put_batch, load };

const char* to_string(run_mode m) {
  switch (m) {
    case run_mode::put_single:
      return "put-single";
    case run_mode::put_batch:
      return "put-batch";
    default:
      return "load";
  }
}

struct load_options {
  std::string url;
  std::string host;
  std::string port;
  std::string database;
  run_mode mode = run_mode::put_single;
  unsigned connections = 1;
  unsigned batch_size = 100;
  double duration_s = 10;
  double warmup_s = 2;
  size_t doc_size = 1024;
  std::string id_prefix;
  uint64_t key_space = 0;
  uint64_t populate = 0;
  unsigned verify_every = 100;
  int server_pid = 0;
  double request_timeout_s = 30;
};

/// JavaScript's encodeURIComponent, which the client applies to ids.
std::string encode_uri_component(const std::string& text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string result;
  result.reserve(text.size() + 8);
  for (unsigned char c : text) {
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                || (c >= '0' && c <= '9')
                || std::string_view{"-_.!~*'()"}.find(static_cast<char>(c))
                     != std::string_view::npos;
    if (keep) {
      result += static_cast<char>(c);
    } else {
      result += '%';
      result += hex[c >> 4];
      result += hex[c & 15];
    }
  }
  return result;
}

/// Where a run stands. Only requests completing in `measure` are counted,
/// so that connection set-up and the server's warm-up stay out of figures.
enum class phase { warmup, measure, stopping };

/// State shared by all connections of one run (one thread: no locks).
struct run_state {
  const load_options* opts = nullptr;
  run_mode mode = run_mode::put_single;
  unsigned batch_size = 1;
  std::vector<std::string> documents;
  std::string topology_etag = "\"0\"";
  tcp::resolver::results_type endpoints;
  phase current = phase::warmup;
  clock_type::time_point measure_start;
  clock_type::time_point measure_end;
  // This process's CPU seconds at both ends of the measured window: the
  // client shares the cores with the server, so its share is reported.
  double cpu_at_start = 0;
  double cpu_at_end = 0;
  // The same for the server when its pid is known (--server-pid).
  double server_cpu_at_start = 0;
  double server_cpu_at_end = 0;
  // Populate runs write ids {prefix}0..populate_total-1 and then stop.
  bool populating = false;
  uint64_t populate_next = 0;
  uint64_t populate_total = 0;
  // Counted in `measure` (or throughout a populate run).
  uint64_t ops = 0;
  std::vector<uint32_t> latencies_us;
  // Counted always: any of these fails the run.
  uint64_t errors = 0;
  std::vector<std::string> error_samples;
  uint64_t reconnects = 0;
  uint64_t verified = 0;
  unsigned open_connections = 0;

  void record_error(std::string what) {
    ++errors;
    if (error_samples.size() < 5)
      error_samples.push_back(std::move(what));
  }
};

/// Checks the body of a successful response in full. Done on a sample of
/// responses only: parsing every body would take CPU from the server, which
/// shares the two cores with this tool.
/// @returns an empty string when the body is as the client expects, else
///          what is wrong.
std::string verify_body(run_mode mode, const std::string& body,
                        const std::vector<std::string>& ids) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject())
    return "body is not a JSON object";
  auto results = doc.FindMember("Results");
  if (results == doc.MemberEnd() || !results->value.IsArray())
    return "body has no Results array";
  const auto& arr = results->value;
  if (arr.Size() != ids.size())
    return "Results has " + std::to_string(arr.Size()) + " entries, expected "
           + std::to_string(ids.size());
  for (rapidjson::SizeType i = 0; i < arr.Size(); ++i) {
    const auto& entry = arr[i];
    if (!entry.IsObject())
      return "Results[" + std::to_string(i) + "] is not an object";
    const rapidjson::Value* meta = &entry;
    if (mode == run_mode::load) {
      auto m = entry.FindMember("@metadata");
      if (m == entry.MemberEnd() || !m->value.IsObject())
        return "loaded document has no @metadata";
      meta = &m->value;
      if (!entry.HasMember("Customer"))
        return "loaded document lacks its fields";
    }
    auto id = meta->FindMember("@id");
    auto cv = meta->FindMember("@change-vector");
    if (id == meta->MemberEnd() || !id->value.IsString())
      return "result has no @id";
    if (cv == meta->MemberEnd() || !cv->value.IsString())
      return "result has no @change-vector";
    // Ids are case-insensitive; the server may echo its stored casing.
    std::string got{id->value.GetString(), id->value.GetStringLength()};
    if (got.size() != ids[i].size()
        || !std::equal(got.begin(), got.end(), ids[i].begin(),
                       [](char a, char b) {
                         return std::tolower(static_cast<unsigned char>(a))
                                == std::tolower(static_cast<unsigned char>(b));
                       }))
      return "@id is " + got + ", expected " + ids[i];
  }
  return {};
}

/// One keep-alive connection with at most one request in flight.
class connection {
public:
  connection(net::io_context& io, run_state& run, unsigned index)
    : io_{io}, run_{run}, index_{index}, socket_{io}, rng_{index + 1} {
    const auto& opts = *run.opts;
    // Headers as the npm client sends them on a database request; the
    // client with useHttpDecompression=false asks for identity encoding,
    // which keeps the server from spending CPU on gzip here.
    req_.version(11);
    req_.set(http::field::host, opts.host + ":" + opts.port);
    req_.set("Raven-Client-Version", "7.2.2");
    req_.set("Topology-Etag", run.topology_etag);
    req_.set("Client-Configuration-Etag", "0");
    req_.set(http::field::accept_encoding, "identity");
    if (run.mode == run_mode::load) {
      req_.method(http::verb::get);
      docs_prefix_ = "/databases/" + opts.database + "/docs?&id=";
    } else {
      req_.method(http::verb::post);
      req_.target("/databases/" + opts.database + "/bulk_docs?");
      req_.set(http::field::content_type, "application/json");
    }
  }

  void start() {
    ++run_.open_connections;
    connect();
  }

  /// Fails the request in flight if it has been pending too long.
  void check_timeout(clock_type::time_point now) {
    if (in_flight_ && now - sent_at_ > timeout()) {
      timed_out_ = true;
      error_code ignored;
      socket_.close(ignored);
    }
  }

  /// Aborts the request in flight (counted as timed out) or closes an idle
  /// connection's socket.
  void abort() {
    if (in_flight_)
      timed_out_ = true;
    error_code ignored;
    socket_.close(ignored);
  }

private:
  clock_type::duration timeout() const {
    return std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(run_.opts->request_timeout_s));
  }

  void connect() {
    net::async_connect(socket_, run_.endpoints,
                       [this](error_code ec, const tcp::endpoint&) {
                         if (ec) {
                           fail("connect: " + ec.message());
                           return;
                         }
                         socket_.set_option(tcp::no_delay{true}, ec);
                         issue();
                       });
  }

  // Builds the next request; false when this connection has nothing left.
  bool prepare() {
    if (run_.current == phase::stopping)
      return false;
    const auto& opts = *run_.opts;
    ids_.clear();
    if (run_.mode == run_mode::load) {
      auto key = rng_.below(opts.key_space);
      ids_.push_back(opts.id_prefix + std::to_string(key));
      req_.target(docs_prefix_ + encode_uri_component(ids_.back()));
      return true;
    }
    for (unsigned i = 0; i < run_.batch_size; ++i) {
      if (run_.populating) {
        if (run_.populate_next == run_.populate_total)
          break;
        ids_.push_back(opts.id_prefix + std::to_string(run_.populate_next++));
      } else {
        // Unique per write: prefix, connection, per-connection counter.
        ids_.push_back(opts.id_prefix + std::to_string(index_) + "-"
                       + std::to_string(counter_++));
      }
    }
    if (ids_.empty())
      return false;
    // Key order as the client serialises a PUT command.
    auto& body = req_.body();
    body.clear();
    body += R"({"Commands":[)";
    for (size_t i = 0; i < ids_.size(); ++i) {
      if (i > 0)
        body += ',';
      body += R"({"Id":")";
      body += ids_[i];
      body += R"(","ChangeVector":null,"Document":)";
      body += run_.documents[doc_cursor_++ % run_.documents.size()];
      body += R"(,"Type":"PUT"})";
    }
    body += "]}";
    req_.prepare_payload();
    return true;
  }

  void issue() {
    if (!prepare()) {
      finish();
      return;
    }
    in_flight_ = true;
    sent_at_ = clock_type::now();
    http::async_write(socket_, req_, [this](error_code ec, size_t) {
      if (ec) {
        fail("write: " + ec.message());
        return;
      }
      res_.emplace();
      res_->body_limit(64u << 20);
      http::async_read(socket_, buffer_, *res_,
                       [this](error_code ec, size_t) { on_response(ec); });
    });
  }

  void on_response(error_code ec) {
    in_flight_ = false;
    if (ec) {
      fail(timed_out_ ? std::string{"request timed out"}
                      : "read: " + ec.message());
      return;
    }
    const auto now = clock_type::now();
    auto& msg = res_->get();
    const unsigned expected = run_.mode == run_mode::load ? 200 : 201;
    const auto& body = msg.body();
    if (msg.result_int() != expected) {
      run_.record_error(std::string{to_string(run_.mode)} + " "
                        + ids_.front() + ": HTTP "
                        + std::to_string(msg.result_int()) + " "
                        + body.substr(0, 300));
    } else if (body.empty() || body.front() != '{') {
      run_.record_error("HTTP " + std::to_string(msg.result_int())
                        + " without a JSON body");
    } else {
      bool verify = responses_ < 3
                    || (run_.opts->verify_every > 0
                        && responses_ % run_.opts->verify_every == 0);
      std::string problem;
      if (verify) {
        problem = verify_body(run_.mode, body, ids_);
        ++run_.verified;
      }
      if (!problem.empty()) {
        run_.record_error(ids_.front() + ": " + problem + ": "
                          + body.substr(0, 300));
      } else if (run_.populating || run_.current == phase::measure) {
        run_.ops += 1;
        run_.latencies_us.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - sent_at_)
            .count()));
      }
    }
    ++responses_;
    if (!msg.keep_alive()) {
      // Not an error, but it costs a connect per request; reported.
      ++run_.reconnects;
      reconnect();
      return;
    }
    issue();
  }

  void fail(std::string what) {
    in_flight_ = false;
    // Requests cut off by the end of the run are not failures.
    if (run_.current == phase::stopping && !timed_out_) {
      finish();
      return;
    }
    timed_out_ = false;
    run_.record_error("connection " + std::to_string(index_) + ": " + what);
    // A populate run has no end time to stop retries; its errors are fatal
    // anyway, so give up on this connection.
    if (run_.populating) {
      finish();
      return;
    }
    // Retry after a pause so that a dead server does not make us spin.
    retry_timer_.emplace(io_, std::chrono::milliseconds(100));
    retry_timer_->async_wait([this](error_code) { reconnect(); });
  }

  void reconnect() {
    error_code ignored;
    socket_.close(ignored);
    buffer_.clear();
    if (run_.current == phase::stopping) {
      finish();
      return;
    }
    socket_ = tcp::socket{io_};
    connect();
  }

  void finish() {
    if (finished_)
      return;
    finished_ = true;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    --run_.open_connections;
  }

  net::io_context& io_;
  run_state& run_;
  unsigned index_;
  tcp::socket socket_;
  splitmix64 rng_;
  boost::beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  std::optional<http::response_parser<http::string_body>> res_;
  std::optional<net::steady_timer> retry_timer_;
  std::string docs_prefix_;
  std::vector<std::string> ids_;
  uint64_t counter_ = 0;
  uint64_t doc_cursor_ = 0;
  uint64_t responses_ = 0;
  clock_type::time_point sent_at_;
  bool in_flight_ = false;
  bool timed_out_ = false;
  bool finished_ = false;
};

/// @returns the CPU seconds (user + system) this process has used.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

/// @returns the CPU seconds (user + system) process `pid` has used, from
///          /proc, or 0 when it cannot be read.
double process_cpu_seconds(int pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string stat{std::istreambuf_iterator<char>{in}, {}};
  // The command name may hold spaces; the fields after it do not.
  auto close = stat.rfind(')');
  if (close == std::string::npos)
    return 0;
  std::istringstream fields{stat.substr(close + 2)};
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // After the name: state is field 3, utime 14, stime 15 (proc(5)).
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14)
      utime = std::stoull(field);
    else if (i == 15)
      stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime)
         / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// Notes both processes' CPU time at one end of the measured window.
void sample_cpu(const run_state& run, double& client, double& server) {
  client = cpu_seconds();
  if (run.opts->server_pid > 0)
    server = process_cpu_seconds(run.opts->server_pid);
}

/// Drives all connections until the run ends; returns the elapsed seconds
/// of the counted part.
double drive(run_state& run, net::io_context& io) {
  const auto& opts = *run.opts;
  std::vector<std::unique_ptr<connection>> conns;
  for (unsigned i = 0; i < opts.connections; ++i)
    conns.push_back(std::make_unique<connection>(io, run, i));
  auto to_duration = [](double s) {
    return std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(s));
  };
  const auto start = clock_type::now();
  net::steady_timer phase_timer{io};
  net::steady_timer watchdog{io};
  std::function<void()> watch = [&] {
    watchdog.expires_after(std::chrono::milliseconds(250));
    watchdog.async_wait([&](error_code ec) {
      if (ec)
        return;
      if (run.open_connections == 0) {
        phase_timer.cancel();
        return;
      }
      auto now = clock_type::now();
      for (auto& c : conns)
        c->check_timeout(now);
      // A run that should have ended but still has requests out after a
      // grace period: abort them (they count as timed out above).
      if (run.current == phase::stopping
          && now - run.measure_end > to_duration(opts.request_timeout_s))
        for (auto& c : conns)
          c->abort();
      watch();
    });
  };
  if (run.populating) {
    run.current = phase::measure;
    run.measure_start = start;
    sample_cpu(run, run.cpu_at_start, run.server_cpu_at_start);
  } else {
    run.current = phase::warmup;
    phase_timer.expires_at(start + to_duration(opts.warmup_s));
    phase_timer.async_wait([&](error_code ec) {
      if (ec)
        return;
      run.current = phase::measure;
      run.measure_start = clock_type::now();
      sample_cpu(run, run.cpu_at_start, run.server_cpu_at_start);
      phase_timer.expires_at(run.measure_start + to_duration(opts.duration_s));
      phase_timer.async_wait([&](error_code ec) {
        if (ec)
          return;
        run.current = phase::stopping;
        run.measure_end = clock_type::now();
        sample_cpu(run, run.cpu_at_end, run.server_cpu_at_end);
      });
    });
  }
  for (auto& c : conns)
    c->start();
  watch();
  io.run();
  io.restart();
  if (run.populating) {
    run.measure_end = clock_type::now();
    sample_cpu(run, run.cpu_at_end, run.server_cpu_at_end);
    run.current = phase::stopping;
  }
  if (run.measure_end < run.measure_start) // ended before measuring began
    return 0;
  return std::chrono::duration<double>(run.measure_end - run.measure_start)
    .count();
}

void print_errors(const run_state& run) {
  if (run.errors == 0)
    return;
  std::cerr << "corvus-http-load: FAILED: " << run.errors
            << " failed requests; first ones:\n";
  for (const auto& e : run.error_samples)
    std::cerr << "  " << e << '\n';
}

/// Asks for the database topology as the client's first request does; its
/// Etag goes into every later request's Topology-Etag header.
/// @returns an error text, or empty on success.
std::string fetch_topology(const load_options& opts, run_state& run,
                           net::io_context& io) {
  tcp::socket socket{io};
  error_code ec;
  net::connect(socket, run.endpoints, ec);
  if (ec)
    return "cannot connect to " + opts.url + ": " + ec.message();
  http::request<http::empty_body> req{
    http::verb::get,
    "/topology?name=" + opts.database + "&first-topology-update", 11};
  req.set(http::field::host, opts.host + ":" + opts.port);
  req.set("Raven-Client-Version", "7.2.2");
  req.set("Topology-Etag", "\"0\"");
  req.set("Client-Configuration-Etag", "0");
  req.set(http::field::accept_encoding, "identity");
  http::write(socket, req, ec);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec)
    http::read(socket, buffer, res, ec);
  if (ec)
    return "GET /topology: " + ec.message();
  if (res.result_int() != 200)
    return "GET /topology?name=" + opts.database + " answered "
           + std::to_string(res.result_int()) + " " + res.body().substr(0, 300);
  rapidjson::Document doc;
  doc.Parse(res.body().data(), res.body().size());
  if (doc.HasParseError() || !doc.IsObject())
    return "GET /topology: body is not a JSON object";
  auto etag = doc.FindMember("Etag");
  if (etag != doc.MemberEnd() && etag->value.IsInt64())
    run.topology_etag = "\"" + std::to_string(etag->value.GetInt64()) + "\"";
  socket.shutdown(tcp::socket::shutdown_both, ec);
  return {};
}

bool parse_url(load_options& opts) {
  const std::string scheme = "http://";
  if (opts.url.compare(0, scheme.size(), scheme) != 0)
    return false;
  auto rest = opts.url.substr(scheme.size());
  while (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  if (rest.find('/') != std::string::npos)
    return false;
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    opts.host = rest;
    opts.port = "80";
  } else {
    opts.host = rest.substr(0, colon);
    opts.port = rest.substr(colon + 1);
  }
  return !opts.host.empty() && !opts.port.empty();
}

} // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  load_options opts;
  std::string mode_text;
  po::options_description desc{
    "corvus-http-load: HTTP load as the RavenDB npm client sends it"};
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("url", po::value(&opts.url)->default_value("http://127.0.0.1:8080"),
     "node URL, http://host:port")
    ("database", po::value(&opts.database)->default_value("bench"),
     "database name")
    ("mode", po::value(&mode_text)->default_value("put-single"),
     "put-single, put-batch or load")
    ("connections", po::value(&opts.connections)->default_value(1),
     "concurrent keep-alive connections")
    ("batch-size", po::value(&opts.batch_size)->default_value(100),
     "documents per bulk_docs call in put-batch mode and when populating")
    ("duration", po::value(&opts.duration_s)->default_value(10),
     "measured seconds")
    ("warmup", po::value(&opts.warmup_s)->default_value(2),
     "seconds run before measuring")
    ("doc-size", po::value(&opts.doc_size)->default_value(1024),
     "bytes per document")
    ("id-prefix", po::value(&opts.id_prefix)->default_value("bench/"),
     "document id prefix")
    ("key-space", po::value(&opts.key_space)->default_value(0),
     "load mode: ids {prefix}0..N-1 (default: --populate)")
    ("populate", po::value(&opts.populate)->default_value(0),
     "first write ids {prefix}0..N-1 in batches, then run the mode")
    ("verify-every", po::value(&opts.verify_every)->default_value(100),
     "parse and check every Nth response body in full (0: only the first"
     " three per connection)")
    ("server-pid", po::value(&opts.server_pid)->default_value(0),
     "also report this process's CPU use over the measured window")
    ("request-timeout", po::value(&opts.request_timeout_s)->default_value(30),
     "seconds before a request counts as failed")
    ("print-document", "print the document for variant 0 and exit");
  // clang-format on
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << '\n';
      return 0;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "corvus-http-load: " << e.what() << '\n' << desc << '\n';
    return 2;
  }
  if (vm.count("print-document")) {
    std::cout << make_document(opts.doc_size, 0) << '\n';
    return 0;
  }
  if (mode_text == "put-single")
    opts.mode = run_mode::put_single;
  else if (mode_text == "put-batch")
    opts.mode = run_mode::put_batch;
  else if (mode_text == "load")
    opts.mode = run_mode::load;
  else {
    std::cerr << "corvus-http-load: unknown --mode " << mode_text << '\n';
    return 2;
  }
  if (opts.key_space == 0)
    opts.key_space = opts.populate;
  if (opts.mode == run_mode::load && opts.key_space == 0) {
    std::cerr << "corvus-http-load: load mode needs --key-space or"
                 " --populate\n";
    return 2;
  }
  if (opts.connections == 0 || opts.batch_size == 0 || opts.duration_s <= 0
      || opts.warmup_s < 0) {
    std::cerr << "corvus-http-load: --connections, --batch-size and"
                 " --duration must be positive\n";
    return 2;
  }
  if (!parse_url(opts)) {
    std::cerr << "corvus-http-load: --url must look like http://host:port\n";
    return 2;
  }

  net::io_context io{1};
  run_state base;
  base.opts = &opts;
  base.documents = make_documents(opts.doc_size, document_pool_size);
  {
    tcp::resolver resolver{io};
    error_code ec;
    base.endpoints = resolver.resolve(opts.host, opts.port, ec);
    if (ec) {
      std::cerr << "corvus-http-load: cannot resolve " << opts.host << ": "
                << ec.message() << '\n';
      return 1;
    }
  }
  if (auto err = fetch_topology(opts, base, io); !err.empty()) {
    std::cerr << "corvus-http-load: " << err << '\n';
    return 1;
  }

  if (opts.populate > 0) {
    run_state run = base;
    run.mode = run_mode::put_batch;
    run.batch_size = opts.batch_size;
    run.populating = true;
    run.populate_total = opts.populate;
    run.latencies_us.reserve(opts.populate / opts.batch_size + 1);
    auto seconds = drive(run, io);
    std::cout << "phase=populate connections=" << opts.connections
              << " batch=" << opts.batch_size << " docs=" << opts.populate
              << " seconds=" << fixed1(seconds) << " docs_per_s="
              << fixed1(static_cast<double>(opts.populate) / seconds)
              << " errors=" << run.errors << std::endl;
    if (run.errors > 0) {
      print_errors(run);
      return 1;
    }
  }

  run_state run = base;
  run.mode = opts.mode;
  run.batch_size = opts.mode == run_mode::put_batch ? opts.batch_size : 1;
  run.latencies_us.reserve(1 << 21);
  auto seconds = drive(run, io);
  auto latency = summarize(run.latencies_us);
  double ops_per_s = seconds > 0 ? run.ops / seconds : 0;
  auto cpu_pct = [&](double from, double to) {
    return fixed1(seconds > 0 ? 100 * (to - from) / seconds : 0);
  };
  std::cout << "mode=" << to_string(opts.mode)
            << " connections=" << opts.connections
            << " batch=" << run.batch_size << " doc_size=" << opts.doc_size
            << " duration_s=" << fixed1(seconds) << " ops=" << run.ops
            << " ops_per_s=" << fixed1(ops_per_s)
            << " docs_per_s=" << fixed1(ops_per_s * run.batch_size) << ' '
            << latency_fields(latency) << " errors=" << run.errors
            << " reconnects=" << run.reconnects
            << " verified=" << run.verified << " client_cpu_pct="
            << cpu_pct(run.cpu_at_start, run.cpu_at_end);
  if (opts.server_pid > 0)
    std::cout << " server_cpu_pct="
              << cpu_pct(run.server_cpu_at_start, run.server_cpu_at_end);
  std::cout << std::endl;
  if (run.errors > 0 || run.ops == 0) {
    if (run.ops == 0 && run.errors == 0)
      std::cerr << "corvus-http-load: FAILED: no request completed\n";
    print_errors(run);
    return 1;
  }
  return 0;
}
