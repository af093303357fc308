// `failover6 check`: proves lease safety from pcap traces (DESIGN.md "Contracts").
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace failover6::cli {

/// Options of `failover6 check`.
struct CheckCommandOptions {
  std::vector<std::string> files;
  std::string json;      ///< --json OUT
  std::string junit;     ///< --junit OUT
  std::string html;      ///< --html OUT
  std::string timeline;  ///< --timeline OUT (JSON lines, one per lease event)
  std::vector<std::uint16_t> udp_ports{546, 547};
  std::vector<std::uint16_t> tcp_ports{647};
  double dedup_window_s = 0.5;
  std::uint32_t mclt = 0;
  double max_outage_s = 0;
  double skew_s = 5;
  bool quiet = false;
};

/// @brief Registers the `check` subcommand on @p app.
void add_check_command(CLI::App& app);

/// @brief Runs the check: summary to @p out, errors to @p err, reports to the named files.
/// @return 0 when no invariant is violated, 1 when one is, 2 when a file is missing, is not
///         a capture, or an output file cannot be written.
int run_check_command(const CheckCommandOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace failover6::cli
