// `failover6 generate`: DHCPv6 clients behind relays against one or more servers (toolkit/gen).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace failover6::cli {

/// Options of `failover6 generate`, as given on the command line.
struct GenerateOptions {
  std::vector<std::string> servers;  ///< "[ADDR]:PORT" each
  unsigned clients = 0;
  unsigned relays = 1;
  double rate = 1000;        ///< clients started per second
  double duration = 10;      ///< seconds
  bool na = false;
  bool pd = false;
  double time_scale = 1;
  std::string pcap;
  std::string json;
  unsigned long long seed = 1;
  bool rapid_commit = false;
  int relay_depth = 1;
  bool remote_id = false;
  bool release = false;
  bool until_bound = false;
  bool renew_multicast = false;
  bool no_start_delay = false;
  double info_only = 0;
  double decline = 0;
  std::string link_address = "2001:db8:1::1";
  std::string duid_types = "llt,en,ll,uuid";
  bool quiet = false;
  std::string bind;  ///< "[ADDR]:PORT" of the local socket; empty: [::]:any
};

/// @brief Registers the `generate` subcommand on @p app.
void add_generate_command(CLI::App& app);

/// @brief Runs the generator; the summary goes to @p out, progress and errors to @p err.
/// @return 0 on success, 1 when some client did not end bound (or informed, or released),
///         2 for unusable options or a socket/pcap error.
int run_generate(const GenerateOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace failover6::cli
