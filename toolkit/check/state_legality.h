// state-legality: each server's state sequence follows RFC 8156 transitions (DESIGN.md;
// PROTOCOL.md §4.1 and testable invariant 20).
#pragma once

#include <map>
#include <tuple>

#include <unordered_map>

#include "check/checker.h"

namespace failover6::check {

/// Follows the SERVER_STATE of every STATE message, per sending server (by IP address), and
/// checks each change against the §4.1 transition table:
///  - on one connection, a change must be a direct edge of the table, with its condition on
///    the partner's last reported state where the table has one (NORMAL from COMM-INT needs
///    the partner NORMAL, COMM-INT or RECOVER-DONE; from PARTNER-DOWN, RECOVER-DONE; from
///    RECOVER-DONE, NORMAL or RECOVER-DONE; from POTENTIAL-CONFLICT only the secondary after
///    receiving UPDDONE; from CONFLICT-DONE only the primary when the secondary is NORMAL);
///    CONFLICT-DONE only by the primary, after receiving UPDDONE in POTENTIAL-CONFLICT;
///    POTENTIAL-CONFLICT never directly from NORMAL;
///  - across connections (comms were down in between, so steps went unreported), the new
///    state must be reachable through the comm-failure edges (NORMAL→COMM-INT→PARTNER-DOWN,
///    POTENTIAL-CONFLICT→RESOLUTION-INT→PARTNER-DOWN, RECOVER-WAIT→RECOVER-DONE, COMM-INT
///    or RESOLUTION-INT→PARTNER-DOWN by command) followed by at most one edge of the table;
///  - after a STATE with the S (STARTUP) flag, the server restarted: its next state is free.
/// STATEs with the S flag are not checked as transitions (PROTOCOL.md invariant 20). The
/// primary is the side that connected. Each STATE without the S flag is one check.
class StateLegality : public Checker {
 public:
  /// One state change, for the report's per-server timelines.
  struct Change {
    wire::Address server;
    std::int64_t time_ns = 0;
    std::uint8_t state = 0;
    bool startup = false;  ///< the S flag was set
  };
  using ChangeHook = std::function<void(const Change&)>;

  /// @brief A checker reporting to @p sink; @p on_change (optional) sees every STATE.
  explicit StateLegality(ViolationSink sink, ChangeHook on_change = {});

  void on_failover(const FailoverEvent& e) override;

  /// @return the last state @p server reported without the S flag (0 when none).
  std::uint8_t state_of(const wire::Address& server) const;

  /// @return whether the edge @p from → @p to is in the §4.1 table (a same-state repeat is
  ///         allowed too).
  static bool direct_edge(std::uint8_t from, std::uint8_t to);
  /// @return whether @p to can follow @p from across a comm failure.
  static bool across_outage(std::uint8_t from, std::uint8_t to);

 private:
  struct Server {
    std::uint8_t state = 0;        ///< last reported, 0: none yet
    ConnId conn = 0;               ///< connection of that report
    bool restarted = false;        ///< an S-flag STATE since
    bool updone_in_pc = false;     ///< UPDDONE received while in POTENTIAL-CONFLICT
    FrameRef ref;
    std::int64_t time_ns = 0;
  };
  void state(const FailoverEvent& e);

  /// A server in one relationship: its address, the failover (listening) port of the
  /// connection, and whether it is the connecting side (the primary). Two partners on one
  /// address (a loopback lab) stay apart.
  using Key = std::tuple<wire::Address, std::uint16_t, bool>;
  static Key sender(const FailoverEvent& e);
  static Key receiver(const FailoverEvent& e);

  ChangeHook on_change_;
  std::map<Key, Server> servers_;
};

}  // namespace failover6::check
