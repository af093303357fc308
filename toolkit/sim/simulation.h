// failover6::sim: deterministic simulation of a failover pair. Two server cores (the same
// impl/server and impl/failover code as failover6d), a gen::Fleet of clients behind relays, a
// virtual clock and a seeded network and fault model run in one thread; the history is written
// as a pcap and checked with toolkit/check, plus internal invariants. Same seed and options:
// byte-identical history.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace failover6::sim {

/// What can go wrong in a run, chosen per seed from a profile.
struct FaultProfile {
  std::string name = "none";
  double client_loss = 0;       ///< probability a client-side datagram is lost
  double client_dup = 0;        ///< probability it is duplicated
  double client_jitter_ms = 0;  ///< extra random delay (reorders client traffic)
  double partner_jitter_ms = 0; ///< extra random delay on the partner link (kept in order)
  int crashes = 0;              ///< crashes per history (at least)
  int partitions = 0;           ///< partitions per history (at least)
  double wipe_probability = 0;  ///< a restart loses its storage
  double partner_down_probability = 0;  ///< operator partner-down during a fault
  int max_skew_s = 0;           ///< clock skew of each node in [-max, +max]
};

/// @return the profile called @p name ("none", "crash", "partition", "mixed"), or nullopt.
std::optional<FaultProfile> fault_profile(const std::string& name);
/// @return the profile names.
const std::vector<std::string>& fault_profile_names();

/// One history to simulate.
struct SimOptions {
  std::uint64_t seed = 1;
  std::uint32_t clients = 100;
  std::uint32_t relays = 4;
  FaultProfile faults;
  std::int64_t duration_s = 240;     ///< client activity, simulated seconds
  std::int64_t settle_limit_s = 400; ///< after it: time allowed to settle in NORMAL
  std::uint32_t valid_lifetime = 300;
  std::uint32_t mclt = 60;
  std::string pcap_path;  ///< where the history is written (required)
  bool trace = false;     ///< collect a readable event trace (SimResult::trace)
  bool run_checker = true;
};

/// One violated invariant.
struct SimFailure {
  std::string invariant;  ///< a checker name, or "store-agreement", "durable-reply", ...
  std::int64_t time_ns = 0;  ///< simulated time (Unix ns)
  std::string detail;
};

/// The outcome of one history.
struct SimResult {
  std::uint64_t seed = 0;
  bool ok() const { return failures.empty(); }
  std::vector<SimFailure> failures;
  std::uint64_t pcap_hash = 0;    ///< FNV-1a 64 of the pcap file's bytes
  std::uint64_t packets = 0;      ///< pcap packets
  std::uint64_t exchanges = 0;    ///< client exchanges completed
  std::uint32_t clients_bound = 0;  ///< at the end of client activity
  int crashes = 0, partitions = 0, partner_downs = 0, wipes = 0;
  std::uint64_t lost_writes = 0;  ///< pending store changes lost by crashes
  std::int64_t settled_after_s = -1;  ///< seconds after client activity ended; -1: never
  std::uint64_t checker_checked = 0;  ///< facts the checker checked
  std::vector<std::string> trace; ///< readable events, when SimOptions::trace
};

/// Simulated time origin (Unix seconds) of every history.
inline constexpr std::int64_t SIM_T0 = 1'800'000'000;

/// @brief Simulates one history. Never throws for a protocol problem: that is a failure in
///        the result. @throws std::runtime_error when the pcap cannot be written or read.
SimResult run_simulation(const SimOptions& options);

/// @return the FNV-1a 64 hash of the file at @p path. @throws std::runtime_error if unreadable.
std::uint64_t hash_file(const std::string& path);

}  // namespace failover6::sim
