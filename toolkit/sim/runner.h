// failover6::sim::run_seeds: many seeded histories on worker threads, and the failure report
// (replay command, event trace around the violation, kept pcap).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "sim/simulation.h"

namespace failover6::sim {

/// A range of seeds to run.
struct RunOptions {
  std::uint64_t first = 1;
  std::uint64_t last = 1;      ///< inclusive
  SimOptions base;             ///< everything but the seed and the pcap path
  unsigned jobs = 1;           ///< worker threads
  std::string out_dir = "sim-out";  ///< histories are written here; failing ones are kept
  double time_budget_s = 0;    ///< stop starting seeds after this long (0: no limit)
  bool keep = false;           ///< keep passing histories too, with their event traces
};

/// Progress, reported after each finished seed.
struct Progress {
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  std::uint64_t failed = 0;
  double elapsed_s = 0;
};

/// What a range of seeds gave.
struct RunSummary {
  std::uint64_t runs = 0;
  std::uint64_t failed = 0;
  std::uint64_t exchanges = 0;
  std::uint64_t crashes = 0, partitions = 0, partner_downs = 0, wipes = 0, lost_writes = 0;
  std::uint64_t packets = 0;
  /// service-continuity violations exempted as caused by the fault model (SimResult::exempted),
  /// and the seeds that had any.
  std::uint64_t exempt = 0, exempt_seeds = 0;
  double elapsed_s = 0;
  std::vector<SimResult> failures;  ///< by seed
  /// @return histories per minute.
  double per_minute() const { return elapsed_s > 0 ? runs * 60.0 / elapsed_s : 0; }
};

/// @brief Runs seeds first..last on @p o.jobs threads (each history is independent: nothing is
///        shared between threads but the seed counter and the summary). The pcap of a passing
///        seed is deleted; a failing seed's stays in out_dir as seed-<N>.pcap.
/// @param progress called (under a lock) after each seed; may be empty.
/// @throws std::runtime_error when out_dir cannot be created.
RunSummary run_seeds(const RunOptions& o, const std::function<void(const Progress&)>& progress);

/// @return the command line that replays @p seed exactly.
std::string replay_command(const RunOptions& o, std::uint64_t seed);

/// @brief Re-runs @p failure's seed with tracing, writes the whole trace to
///        out_dir/seed-<N>.trace.txt and prints the replay command, the violations, the events
///        within @p window_s seconds of the first violation (at most @p max_lines) and the
///        pcap path to @p out.
void explain_failure(const RunOptions& o, const SimResult& failure, std::ostream& out,
                     double window_s = 10, std::size_t max_lines = 60);

}  // namespace failover6::sim
