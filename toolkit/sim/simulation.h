// failover6::sim: deterministic simulation of a failover pair. Two server cores (the same
// impl/server and impl/failover code as failover6d), a gen::Fleet of clients behind relays, a
// virtual clock and a seeded network and fault model run in one thread; the history is written
// as a pcap and checked with toolkit/check, plus internal invariants. Same seed and options:
// byte-identical history.
#pragma once

#include <cstdint>
#include <map>
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
  int crash_down_min_s = 1;     ///< a crashed server restarts after [min, max] seconds
  int crash_down_max_s = 60;
  /// Partner-down comes 1..N s after a crash (0: anywhere within the downtime).
  int partner_down_delay_max_s = 0;
  /// Clients start spread over the whole duration instead of its first 20 s, so new clients
  /// keep arriving during an outage.
  bool clients_arrive_throughout = false;
  /// When > 0: the partner link is cut (both ways) from 1 s before each crashed server
  /// restarts, for this many seconds plus up to 20: it comes back unable to reach its
  /// partner, goes from STARTUP to its previous state and serves from it.
  int cut_over_restart_s = 0;
};

/// @return the profile called @p name ("none", "crash", "partition", "mixed", "outage"), or
/// nullopt. "outage": one server down for 90-240 s with its partner in PARTNER-DOWN soon
/// after, long past the MCLT, while new clients keep arriving. "outage-cut": the same, and
/// the server restarts into a partition of the partner link that outlasts its STARTUP timer.
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
  /// Length of the /N pd-pool of /56s (40: 65,536 prefixes, never short; 52: 16, so the
  /// servers run out and PARTNER-DOWN reaches into the partner's prefixes, RFC 8156 §4.2.2).
  std::uint32_t pd_pool_len = 40;
  bool pd = false;  ///< every client also asks for an IA_PD
  bool use_partner_prefixes = false;  ///< the relationship option of that name
  std::string pcap_path;  ///< where the history is written (required)
  bool trace = false;     ///< collect a readable event trace (SimResult::trace)
  bool run_checker = true;
  /// A deliberate server fault, for tests only: server `node` (0 primary, 1 secondary) drops
  /// every client message that reaches it in [from_s, to_s) (seconds after SIM_T0) without
  /// answering, whatever its failover state. Proves that an outage the fault model does not
  /// explain is still a failure.
  struct Mute {
    int node = 0;
    std::int64_t from_s = 0;
    std::int64_t to_s = 0;
  };
  std::optional<Mute> mute;
};

/// One violated invariant.
struct SimFailure {
  std::string invariant;  ///< a checker name, or "store-agreement", "durable-reply", ...
  std::int64_t time_ns = 0;  ///< simulated time (Unix ns)
  std::string detail;
  std::vector<std::string> clients;         ///< from the checker's violation (DUIDs)
  std::vector<std::uint32_t> transactions;  ///< from the checker's violation (xids)
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
  /// service-continuity violations exempted because the fault model, not a server, left the
  /// client unanswered (see exempt_by_fault_model()); each detail says why. Not failures.
  std::vector<SimFailure> exempted;
  std::vector<std::string> trace; ///< readable events, when SimOptions::trace
};

/// What became of the copies of one client transaction (DUID + xid) that got no answer. A
/// copy that reached a server which answered is not counted: its REPLY is in the history.
struct TxFate {
  std::uint32_t lost = 0;           ///< dropped by the network (loss, an isolated server)
  std::uint32_t down = 0;           ///< reached a crashed server
  std::uint32_t not_bound = 0;      ///< reached a server whose state lets it stay silent
  std::uint32_t reply_crashed = 0;  ///< answered, but the server crashed before the reply left
  std::uint32_t owed = 0;           ///< reached a server bound to answer, and it did not
  std::string states;               ///< the silent servers' states, e.g. "primary RECOVER-WAIT"
};

/// Client transactions by (client DUID as Duid::to_string(), xid).
using TxFates = std::map<std::pair<std::string, std::uint32_t>, TxFate>;

/// @brief Whether a server in state @p state must answer a client message (RFC 8156 §4.1,
///        PROTOCOL.md: STARTUP, POTENTIAL-CONFLICT, RECOVER and RECOVER-WAIT never answer,
///        RECOVER-DONE only may renew; a NORMAL secondary answers only messages that name it;
///        every other state answers). A message naming the partner's SERVERID is never this
///        server's to answer.
/// @param primary whether the server is the primary
/// @param server_id_present whether the message carries a SERVERID
/// @param server_id_is_this whether that SERVERID is this server's DUID
bool must_answer(std::uint8_t state, bool primary, bool server_id_present, bool server_id_is_this);

/// @brief Splits the checker's service-continuity violations in @p r.failures by the fate
///        of the transaction they name (client DUID and "xid 0x..." in the detail): one whose
///        copies were all lost, met crashed servers, met servers not bound to answer, or whose
///        reply a crash destroyed is moved to @p r.exempted, its detail prefixed with
///        "exempt (fault model): " and the reasons; one with any copy owed an answer by a
///        responsive server, with no recorded fate, or whose detail cannot be read stays a
///        failure.
/// @return how many were exempted.
std::size_t exempt_by_fault_model(SimResult& r, const TxFates& fates);

/// Simulated time origin (Unix seconds) of every history.
inline constexpr std::int64_t SIM_T0 = 1'800'000'000;

/// @brief Simulates one history. Never throws for a protocol problem: that is a failure in
///        the result. @throws std::runtime_error when the pcap cannot be written or read.
SimResult run_simulation(const SimOptions& options);

/// @return the FNV-1a 64 hash of the file at @p path. @throws std::runtime_error if unreadable.
std::uint64_t hash_file(const std::string& path);

}  // namespace failover6::sim
