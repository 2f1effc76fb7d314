#include "runtime/introspection/process_memory.hpp"

#include "runtime/json/json.hpp"

#include <dlfcn.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace corvus {

namespace {

/// @returns the kB count of the line "`name`:  123 kB" in bytes.
std::optional<int64_t> status_field(std::string_view text,
                                    std::string_view name) {
  size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string_view::npos)
      end = text.size();
    auto line = text.substr(at, end - at);
    at = end + 1;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name
        || line[name.size()] != ':')
      continue;
    auto rest = line.substr(name.size() + 1);
    auto digits = rest.find_first_not_of(" \t");
    if (digits == std::string_view::npos)
      return std::nullopt;
    int64_t kb = 0;
    auto [ptr, err] = std::from_chars(rest.data() + digits,
                                      rest.data() + rest.size(), kb);
    if (err != std::errc{})
      return std::nullopt;
    return kb * 1024;
  }
  return std::nullopt;
}

using mallctl_fn = int (*)(const char*, void*, size_t*, void*, size_t);

/// jemalloc's control function when jemalloc is linked in: corvus-node
/// links it, the test programs do not.
mallctl_fn find_mallctl() {
  static auto fn = reinterpret_cast<mallctl_fn>(dlsym(RTLD_DEFAULT,
                                                      "mallctl"));
  return fn;
}

std::optional<allocator_memory> read_jemalloc() {
  auto mallctl = find_mallctl();
  if (mallctl == nullptr)
    return std::nullopt;
  // The stats are a copy that writing the epoch refreshes.
  uint64_t epoch = 1;
  auto size = sizeof(epoch);
  if (mallctl("epoch", &epoch, &size, &epoch, size) != 0)
    return std::nullopt;
  allocator_memory m;
  m.name = "jemalloc";
  auto read = [&](const char* name, int64_t& out) {
    size_t value = 0;
    auto len = sizeof(value);
    if (mallctl(name, &value, &len, nullptr, 0) != 0)
      return false;
    out = static_cast<int64_t>(value);
    return true;
  };
  if (!read("stats.allocated", m.allocated) || !read("stats.active", m.active)
      || !read("stats.metadata", m.metadata)
      || !read("stats.resident", m.resident) || !read("stats.mapped", m.mapped)
      || !read("stats.retained", m.retained))
    return std::nullopt; // a jemalloc built without statistics
  return m;
}

} // namespace

outcome<process_memory> parse_proc_status(std::string_view text) {
  process_memory m;
  auto resident = status_field(text, "VmRSS");
  if (!resident)
    return make_failure(ec::internal_error, "the process status names no VmRSS");
  m.resident = *resident;
  m.peak_resident = status_field(text, "VmHWM").value_or(m.resident);
  m.anonymous = status_field(text, "RssAnon").value_or(0);
  m.mapped_files = status_field(text, "RssFile").value_or(0);
  m.virtual_size = status_field(text, "VmSize").value_or(0);
  return m;
}

outcome<process_memory> read_process_memory() {
  std::ifstream in{"/proc/self/status"};
  std::ostringstream text;
  text << in.rdbuf();
  if (!in)
    return make_failure(ec::internal_error, "cannot read /proc/self/status");
  auto m = parse_proc_status(text.str());
  if (!m)
    return m;
  m->allocator = read_jemalloc();
  return m;
}

std::string render_memory(const process_memory& m) {
  return write_json(512, [&](json_writer& w) {
    w.StartObject();
    write_field(w, "WorkingSet", m.resident);
    write_field(w, "PeakWorkingSet", m.peak_resident);
    write_field(w, "Anonymous", m.anonymous);
    write_field(w, "MappedFiles", m.mapped_files);
    write_field(w, "VirtualSize", m.virtual_size);
    w.Key("Allocator");
    if (!m.allocator) {
      w.Null();
    } else {
      auto& a = *m.allocator;
      w.StartObject();
      write_field(w, "Name", a.name);
      write_field(w, "Allocated", a.allocated);
      write_field(w, "Active", a.active);
      write_field(w, "Metadata", a.metadata);
      write_field(w, "Resident", a.resident);
      write_field(w, "Mapped", a.mapped);
      write_field(w, "Retained", a.retained);
      w.EndObject();
    }
    w.EndObject();
  });
}

} // namespace corvus
