#pragma once

// Base64 (RFC 4648, the standard alphabet) for the places that need it:
// database ids (16 random bytes, unpadded: 22 characters) and the byte
// fields of etcd's JSON gateway (padded) in the benchmark tools. Built on
// Boost.Archive's dataflow iterators.

#include <string>
#include <string_view>

namespace corvus {

enum class base64_padding { with, without };

std::string base64_encode(std::string_view bytes,
                          base64_padding padding = base64_padding::with);

} // namespace corvus
