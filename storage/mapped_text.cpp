#include "storage/mapped_text.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace corvus {

namespace {

/// One mapping, unmapped when the last text sharing it goes.
struct mapping {
  void* address = nullptr;
  size_t size = 0;

  mapping(void* address, size_t size) : address(address), size(size) {
    // nop
  }

  mapping(const mapping&) = delete;
  mapping& operator=(const mapping&) = delete;

  ~mapping() {
    ::munmap(address, size);
  }
};

failure cannot(const char* what, const std::string& path) {
  return make_failure(ec::storage_failure, std::string{"cannot "} + what
                                             + " " + path + ": "
                                             + std::strerror(errno));
}

void on_unreadable_mapping(int, siginfo_t*, void*) {
  // Only async-signal-safe calls here: write(2), then the default action.
  static const char message[]
    = "corvus: a file mapped into memory (a Raft snapshot or a LevelDB "
      "table) could not be read: the disk failed, or the file was cut short "
      "by something other than Corvus. The node stops; check the disk and "
      "the data directory, then start it again.\n";
  // The handler is reset on entry (SA_RESETHAND): raising the signal again
  // ends the process as the fault would have.
  auto written = ::write(STDERR_FILENO, message, sizeof message - 1);
  (void) written;
  ::raise(SIGBUS);
}

} // namespace

void report_unreadable_mappings() {
  struct sigaction action {};
  action.sa_sigaction = on_unreadable_mapping;
  action.sa_flags = SA_SIGINFO | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, nullptr);
}

outcome<shared_text> map_file_text(const std::string& path) {
  auto fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cannot("open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    auto error = cannot("read the size of", path);
    ::close(fd);
    return error;
  }
  auto size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return shared_text{};
  }
  auto address = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  // The mapping keeps the file; the descriptor is not needed.
  auto failed = address == MAP_FAILED ? std::optional{cannot("map", path)}
                                      : std::nullopt;
  ::close(fd);
  if (failed)
    return std::move(*failed);
  auto owner = std::make_shared<const mapping>(address, size);
  return shared_text{owner, std::string_view{static_cast<const char*>(address),
                                             size}};
}

} // namespace corvus
