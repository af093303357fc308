// failover6::check::Report: the verdict of a trace check, and its text, JSON, JUnit and HTML
// forms.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "check/types.h"

namespace failover6::check {

/// The result of checking one invariant.
struct InvariantResult {
  std::uint64_t checked = 0;
  std::uint64_t violations = 0;
  bool applicable = true;  ///< false: nothing in the capture it applies to
  std::string note;
};

/// A server as the report shows it: a DHCPv6 server (by SERVERID), a failover endpoint (by
/// address), or both when they could be matched by address.
struct ServerInfo {
  std::string name;                    ///< as violations name it
  std::string duid;                    ///< "" for a failover endpoint only
  std::vector<std::string> addresses;  ///< UDP sources of its answers, failover address
  std::uint64_t replies = 0;           ///< ADVERTISE + REPLY sent
  std::int64_t first_ns = 0;
  std::int64_t last_ns = 0;
  /// Periods with client traffic but no answer from this server, longer than the outage gap.
  std::vector<std::pair<std::int64_t, std::int64_t>> outages;
  /// Failover states it reported: time, state name, S flag.
  struct State {
    std::int64_t time_ns;
    std::string state;
    bool startup;
  };
  std::vector<State> states;
};

/// Input statistics.
struct CheckStats {
  std::uint64_t frames = 0;
  std::uint64_t dhcp6 = 0;
  std::uint64_t dhcp6_malformed = 0;
  std::uint64_t relayed = 0;
  std::uint64_t failover = 0;
  std::uint64_t failover_malformed = 0;
  std::uint64_t duplicates = 0;     ///< copies removed across files
  std::uint64_t tcp_segments = 0;
  std::uint64_t streams_lost = 0;   ///< capture gaps in failover streams
  std::uint64_t tls_streams = 0;    ///< failover stream directions that switched to TLS
  std::uint64_t resyncs = 0;        ///< framing found again mid-stream
  std::uint64_t truncated_files = 0;
  std::uint64_t peak_live_leases = 0;  ///< most (client IA, lease) pairs valid at once
  std::uint64_t leases_granted = 0;
};

/// Everything a check found. exit_code() is the contract of `failover6 check`.
struct Report {
  std::vector<std::string> files;
  std::map<std::string, InvariantResult> invariants;  ///< by DESIGN.md name
  std::vector<Violation> violations;   ///< the first max_violations of them, in time order
  std::uint64_t violations_total = 0;  ///< all of them
  CheckStats stats;
  std::int64_t first_ns = 0;  ///< first packet
  std::int64_t last_ns = 0;   ///< last packet
  std::vector<ServerInfo> servers;
  /// Longest outage of any client (service-continuity), seconds; 0 when none.
  double longest_outage_s = 0;
  std::string longest_outage_client;

  /// @return 0 when no invariant is violated, 1 otherwise.
  int exit_code() const { return violations_total ? 1 : 0; }
};

/// @brief "file:frame" using the report's file names.
std::string frame_name(const Report& r, FrameRef f);

/// @brief The report as DESIGN.md's JSON: {"verdict", "files", "invariants": {name:
///        {"checked", "violations", "applicable", "note"}}, "violations": [{"invariant",
///        "time", "time_unix", "detail", "clients", "leases", "servers", "frames"}],
///        "violations_total", "stats", "servers", "capture": {"first", "last"},
///        "longest_outage"}.
nlohmann::json to_json(const Report& r);

/// @brief A readable summary: the verdict, one line per invariant, the first @p max_lines
///        violations, and the input statistics.
void write_text(const Report& r, std::ostream& out, std::size_t max_lines = 20);

/// @brief JUnit XML: one test suite, one test case per invariant, failed when violated (with
///        the violations as the failure text) and skipped when not applicable.
void write_junit(const Report& r, std::ostream& out);

/// @brief A self-contained HTML page (inline CSS and SVG, no external resources): the
///        verdict, the invariants, and a timeline per server showing its failover states, its
///        outages and the violations that name it, then the list of violations.
void write_html(const Report& r, std::ostream& out);

}  // namespace failover6::check
