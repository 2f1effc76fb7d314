#pragma once

// Detached actors and the stores' helper threads run on threads of their
// own; naming them lets operators and profilers (top -H, perf, gdb) tell a
// database's thread from its committer's or a replication link's.

#include <pthread.h>

#include <string>

namespace corvus {

/// Names the calling thread `name`, cut to the 15 characters Linux keeps.
/// (An actor spawned on a scheduler's thread, as in the deterministic
/// tests, names that thread: harmless.)
inline void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

} // namespace corvus
