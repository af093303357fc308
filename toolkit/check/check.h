// failover6::check::run_check: every invariant over one or more captures, streaming.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "check/report.h"
#include "check/timeline.h"

namespace failover6::check {

/// What to read and how strict to be.
struct CheckOptions {
  std::vector<std::uint16_t> udp_ports{546, 547};  ///< DHCPv6 (either port)
  std::vector<std::uint16_t> tcp_ports{647};       ///< failover (either port)
  std::int64_t dedup_window_ns = 500'000'000;      ///< copies across files within this
  std::uint32_t mclt_s = 0;            ///< mclt-bound: assume this MCLT (0: from CONNECT)
  std::int64_t max_outage_ns = 0;      ///< service-continuity: longer outages are violations
  std::int64_t skew_ns = 5 * NS;       ///< failover-wire sent-time tolerance (0: unchecked)
  std::int64_t outage_gap_ns = 10 * NS;  ///< report: server silences longer than this
  std::size_t max_violations = 10000;  ///< violations kept in the report (all are counted)
  /// Receives the lease timeline entries, with the server's name (optional).
  std::function<void(const TimelineEntry&, const std::string& server)> timeline;
};

/// @brief Reads @p files (merged by time, copies removed), unwraps relays, reassembles and
///        decodes the failover streams, builds the client lease timeline and runs every
///        invariant of DESIGN.md over it. Memory grows with live bindings and open
///        transactions, not with the size of the files.
/// @throws trace::TraceError when a file cannot be opened or is not a capture, or a read
///         error other than a truncated last record occurs.
/// @throws std::invalid_argument when @p files is empty.
Report run_check(const std::vector<std::string>& files, const CheckOptions& options = {});

/// @return the invariant names, in report order.
const std::vector<std::string>& invariant_names();

}  // namespace failover6::check
