#include "storage/mapped_text.hpp"

#include <fcntl.h>
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

} // namespace

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
