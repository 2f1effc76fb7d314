// loopback-rtt: the round-trip time of a small TCP message over 127.0.0.1
// on this machine, as one half of the physical limit of replication lag
// (scripts/bench/replication; the other half is a synced write, which
// leveldb-anchor measures). Two processes, as between two nodes: the tool
// forks an echo server, then sends --size bytes and waits for them to come
// back, --count times after --warmup untimed round trips, on one connection
// with TCP_NODELAY on both ends.
//
// Output, one line:
//   anchor=loopback-rtt size=64 round_trips=.. p50_us=.. p90_us=.. ...
// Latencies in microseconds with one decimal (a round trip is tens of
// microseconds).

#include "scripts/bench/tools/bench_options.hpp"
#include "scripts/bench/tools/bench_stats.hpp"

#include <boost/program_options.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using namespace corvus::bench;

/// Prints what failed with errno's text; @returns 1, the exit status.
int fail(const std::string& what) {
  std::cerr << "loopback-rtt: " << what << ": " << std::strerror(errno)
            << '\n';
  return 1;
}

/// Reads or writes exactly `n` bytes; false on an error or end of stream.
bool read_all(int fd, char* data, size_t n) {
  while (n > 0) {
    auto got = ::read(fd, data, n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return false;
    data += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

bool write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    auto put = ::write(fd, data, n);
    if (put < 0 && errno == EINTR)
      continue;
    if (put <= 0)
      return false;
    data += put;
    n -= static_cast<size_t>(put);
  }
  return true;
}

void no_delay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/// The echo server's life in the child: one connection, echoed until the
/// parent closes it (or dies, which closes it too).
[[noreturn]] void serve(int listener, size_t size) {
  int fd = ::accept(listener, nullptr, nullptr);
  ::close(listener);
  if (fd < 0)
    ::_exit(1);
  no_delay(fd);
  std::vector<char> buf(size);
  while (read_all(fd, buf.data(), size))
    if (!write_all(fd, buf.data(), size))
      break;
  ::close(fd);
  ::_exit(0);
}

} // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  size_t size = 64;
  size_t count = 20000;
  size_t warmup = 1000;
  po::options_description desc{
    "loopback-rtt: TCP round trips between two processes on 127.0.0.1"};
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("size", po::value(&size)->default_value(64), "bytes per message")
    ("count", po::value(&count)->default_value(20000), "timed round trips")
    ("warmup", po::value(&warmup)->default_value(1000),
     "untimed round trips first");
  // clang-format on
  po::variables_map vm;
  if (auto exit_status
      = corvus::bench::parse_command_line(argc, argv, desc, "loopback-rtt", vm))
    return *exit_status;
  if (size == 0 || count == 0) {
    std::cerr << "loopback-rtt: --size and --count must be positive\n";
    return 2;
  }
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0)
    return fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0; // any free port
  socklen_t len = sizeof(addr);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || ::listen(listener, 1) != 0
      || ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len)
           != 0)
    return fail("listen on 127.0.0.1");
  pid_t child = ::fork();
  if (child < 0)
    return fail("fork");
  if (child == 0)
    serve(listener, size);
  ::close(listener);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0
      || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return fail("connect");
  no_delay(fd);
  std::vector<char> out(size, 'x');
  std::vector<char> in(size);
  // Nanoseconds: bench_stats takes 32-bit samples, enough for 4 s each.
  std::vector<uint32_t> samples;
  samples.reserve(count);
  bool ok = true;
  for (size_t i = 0; ok && i < warmup + count; ++i) {
    auto before = clock_type::now();
    ok = write_all(fd, out.data(), size) && read_all(fd, in.data(), size);
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                clock_type::now() - before)
                .count();
    if (i >= warmup)
      samples.push_back(static_cast<uint32_t>(
        std::min<int64_t>(ns, std::numeric_limits<uint32_t>::max())));
  }
  ::close(fd);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!ok) {
    std::cerr << "loopback-rtt: the echo connection broke\n";
    return 1;
  }
  auto s = summarize(samples); // in nanoseconds here
  auto us = [](uint64_t ns) { return fixed1(static_cast<double>(ns) / 1000); };
  std::cout << "anchor=loopback-rtt size=" << size
            << " round_trips=" << samples.size() << " p50_us=" << us(s.p50_us)
            << " p90_us=" << us(s.p90_us) << " p99_us=" << us(s.p99_us)
            << " max_us=" << us(s.max_us) << std::endl;
  return 0;
}
