// `failover6 sim`: deterministic simulation of a failover pair over many seeds (toolkit/sim).
#pragma once

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace failover6::cli {

/// Options of `failover6 sim`, as given on the command line.
struct SimCommandOptions {
  std::string seeds = "1..100";  ///< "A..B" (inclusive) or "N"
  unsigned clients = 100;
  std::string faults = "mixed";
  unsigned jobs = 0;             ///< 0: the number of cores
  std::string out = "sim-out";
  long duration = 240;           ///< simulated seconds of client activity
  unsigned pd_pool_len = 40;     ///< the pd-pool is a /N of /56s
  bool pd = false;               ///< clients also ask for an IA_PD
  bool use_partner_prefixes = false;
  double time_budget = 0;        ///< seconds; 0: run the whole range
  bool trace = false;            ///< explain every failing seed (default: the first 3)
  bool quiet = false;
  bool keep = false;             ///< keep every history and its trace
  std::string json;              ///< summary as JSON to this file
};

/// @brief Registers the `sim` subcommand on @p app.
void add_sim_command(CLI::App& app);

/// @brief Runs the seeds; summary and failure reports to @p out, progress and errors to
///        @p err. @return 0 when every seed passed, 1 when one failed, 2 for unusable options.
int run_sim(const SimCommandOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace failover6::cli
