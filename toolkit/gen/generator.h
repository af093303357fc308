// failover6::gen::run_generator: the UDP driver of a Fleet (loopback, unprivileged), with pcap
// recording, time compression, live progress and the run summary. In link mode the clients are
// attached to an interface instead (no relays, multicast to ff02::1:2; see link_transport.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gen/fleet.h"

namespace failover6::gen {

/// A server the relays forward to: an IPv6 address and UDP port.
struct ServerEndpoint {
  wire::Address address;
  std::uint16_t port = 547;
  /// @return "[addr]:port".
  std::string to_string() const;
};

/// @brief Parses "[ADDR]:PORT", "ADDR" (port 547) or "[ADDR]".
/// @return nullopt for anything else (an IPv4 address, a bad port, junk).
std::optional<ServerEndpoint> parse_endpoint(std::string_view text);

/// A live view of a run in progress (what GeneratorLive publishes).
struct GeneratorSnapshot {
  bool running = false;          ///< true from the run's start until it has ended
  double elapsed_s = 0;          ///< wall-clock seconds since the run started
  std::uint32_t clients = 0;
  std::uint32_t clients_bound = 0;
  std::uint32_t clients_informed = 0;
  std::uint32_t leases_changed = 0;
  std::uint64_t exchanges = 0;
  std::uint64_t retransmissions = 0;
  std::uint64_t failures = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_received = 0;
  std::uint64_t send_errors = 0;
};

/// @brief The live progress of a run, written by run_generator() about every 100 ms (and at
///        its start and end) and read from any other thread. Thread-safe.
class GeneratorLive {
 public:
  /// Replaces the published snapshot.
  void publish(const GeneratorSnapshot& s) {
    std::lock_guard<std::mutex> lock(mutex_);
    snapshot_ = s;
  }
  /// @return a copy of the last published snapshot (all zero before the run starts).
  GeneratorSnapshot snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return snapshot_;
  }

 private:
  mutable std::mutex mutex_;
  GeneratorSnapshot snapshot_;
};

/// @brief The snapshot as JSON: every field of GeneratorSnapshot under its own name.
nlohmann::json snapshot_json(const GeneratorSnapshot& s);

/// What run_generator() does.
struct GeneratorOptions {
  std::vector<ServerEndpoint> servers;  ///< every relay forwards to each of these (none with link)
  /// Link mode when not empty: the clients are attached to this interface, send from its
  /// link-local address port 546 to ff02::1:2 port 547 and take the replies on port 546. The
  /// fleet is then direct (its relays, relay_depth and servers are set to 0, 0 and 1);
  /// bind/bind_port are not used.
  std::string link;
  FleetConfig fleet;                    ///< fleet.servers and the start times are set from here
  double rate = 1000;          ///< clients started per wall-clock second (0: all at once)
  double duration_s = 10;      ///< wall-clock bound of the run (the release phase excluded)
  double time_scale = 1;       ///< protocol seconds per wall-clock second (lifetimes pass faster)
  std::string pcap;            ///< pcap file to write; empty: none
  bool release_at_end = false; ///< RELEASE everything at the end (at most 5 s more)
  bool stop_when_bound = false;  ///< end as soon as every client is bound or informed
  bool progress = true;        ///< a progress line every wall-clock second
  wire::Address bind = wire::Address::from_string("::");  ///< local socket address
  std::uint16_t bind_port = 0;  ///< local UDP port (0: any; 547 for servers that answer relays there)
  const std::atomic<bool>* stop = nullptr;  ///< when set and true, the run ends early
  GeneratorLive* live = nullptr;  ///< when set, the run publishes its progress there
};

/// What a run did.
struct GeneratorResult {
  FleetStats stats;
  std::uint32_t clients = 0;
  std::uint32_t clients_bound = 0;
  std::uint32_t clients_informed = 0;
  std::uint32_t leases_changed = 0;
  double wall_s = 0;            ///< wall-clock seconds from the first start to the end
  double time_scale = 1;
  std::uint64_t pcap_packets = 0;
  std::uint64_t send_errors = 0;  ///< datagrams the socket refused (buffer full, ...)
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_received = 0;
  long max_rss_kib = 0;         ///< peak resident set of the process
  std::vector<std::string> servers;  ///< the servers, or in link mode those that answered
  std::string link;                  ///< the interface in link mode; empty otherwise
  std::string source;                ///< in link mode, the clients' link-local source address
  std::string pcap;
};

/// @brief Runs the fleet over UDP until the duration ends (or every client is bound, or
///        *stop), recording every datagram to the pcap as IPv6/UDP between the relay's
///        address (port 547) and the server, with its send or receive time. In link mode the
///        pcap holds the real addresses: link-local source port 546 to ff02::1:2 port 547,
///        and each server's source to the link-local address port 546.
/// @param progress where the progress lines go (one per second when options.progress).
/// @throws std::invalid_argument for unusable options, std::runtime_error for socket errors,
///         trace::TraceError when the pcap cannot be written.
GeneratorResult run_generator(const GeneratorOptions& options, std::ostream& progress);

/// @brief The summary as JSON: "exchanges", "rate", "latency_ms" {p50,p90,p99,max},
///        "clients_bound", "leases_changed", per-type "sent"/"received", "link" and "source"
///        (null unless link mode), and more.
nlohmann::json summary_json(const GeneratorResult& r);

/// @brief The summary as a few lines of text.
std::string summary_text(const GeneratorResult& r);

}  // namespace failover6::gen
