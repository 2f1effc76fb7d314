#include "runtime/text/base64.hpp"

#include <boost/archive/iterators/base64_from_binary.hpp>
#include <boost/archive/iterators/transform_width.hpp>

namespace corvus {

std::string base64_encode(std::string_view bytes, base64_padding padding) {
  namespace it = boost::archive::iterators;
  // Six bits at a time out of eight-bit bytes; the last group is filled
  // up with zero bits.
  using encoder
    = it::base64_from_binary<it::transform_width<const char*, 6, 8>>;
  std::string out(encoder(bytes.data()), encoder(bytes.data() + bytes.size()));
  if (padding == base64_padding::with)
    out.append((3 - bytes.size() % 3) % 3, '=');
  return out;
}

} // namespace corvus
