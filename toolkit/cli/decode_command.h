// `failover6 decode`: one line (or one JSON object) per DHCPv6 or failover message in captures.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace failover6::cli {

/// Options of `failover6 decode`.
struct DecodeOptions {
  std::vector<std::string> files;
  bool json = false;      ///< JSON lines instead of text
  bool summary = false;   ///< a per-type count after the messages
  bool quiet = false;     ///< no per-message output (with --summary: the summary only)
  std::vector<std::uint16_t> udp_ports{546, 547};
  std::vector<std::uint16_t> tcp_ports{647};
  bool all_udp = false;
};

/// @brief Registers the `decode` subcommand on @p app.
void add_decode_command(CLI::App& app);

/// @brief Runs the decode over @p opts.files, writing to @p out and errors to @p err.
/// @return 0 on success, 2 when a file is missing or is not a capture.
int run_decode(const DecodeOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace failover6::cli
