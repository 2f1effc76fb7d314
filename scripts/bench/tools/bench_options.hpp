#pragma once

// Command lines of the benchmark tools: the same --help and the same error
// line for bad options in each.

#include <boost/program_options.hpp>

#include <iostream>
#include <optional>
#include <string_view>

namespace corvus::bench {

/// Parses the command line into `vm` by `desc`. @returns the exit status
/// when the tool should end at once: 0 after printing --help, 2 after a
/// bad option (reported on stderr with the usage).
inline std::optional<int>
parse_command_line(int argc, char** argv,
                   const boost::program_options::options_description& desc,
                   std::string_view tool,
                   boost::program_options::variables_map& vm) {
  namespace po = boost::program_options;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << '\n';
      return 0;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << tool << ": " << e.what() << '\n' << desc << '\n';
    return 2;
  }
  return std::nullopt;
}

} // namespace corvus::bench
