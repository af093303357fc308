// failover-wire: RFC 8156 framing, handshake order, xid pairing, max-unacked respected
// (DESIGN.md; PROTOCOL.md testable invariants 1-11 and 24, as far as a trace shows them).
#pragma once

#include <map>
#include <unordered_map>

#include "check/checker.h"

namespace failover6::check {

/// Checks every message of every failover connection. One message is one check; all the
/// problems found in one message make one violation. What is checked (PROTOCOL.md numbers):
///  1. frames decode; SERVER_FLAGS, CONNECT_FLAGS and DNS_FLAGS MBZ bits are zero;
///     BINDING_STATUS in 1..8; SERVER_STATE in 2..10;
///  2. a connection captured from its SYN starts with CONNECT (or STARTTLS) from the
///     connecting side; only the connecting side (the primary) sends CONNECT and POOLRESP,
///     only the listening side (the secondary) sends CONNECTREPLY and POOLREQ;
///  3. CONNECT carries PROTOCOL_VERSION, MCLT, KEEPALIVE_TIME, MAX_UNACKED_BNDUPD and
///     CONNECT_FLAGS; an accepting CONNECTREPLY echoes the MCLT; no BNDUPD before a STATE
///     went both ways (when the handshake is in the capture);
///  4. STATE carries SERVER_STATE, SERVER_FLAGS, START_TIME_OF_STATE, and PARTNER_DOWN_TIME
///     iff the state is PARTNER-DOWN;
///  5. |sent-time - capture time| <= Limits::skew_ns (when enabled);
///  6. no side stays silent longer than the partner's keepalive / 4 + Limits::send_slack_ns;
///  7. responses carry the xid of an outstanding request (BNDREPLY, CONNECTREPLY, POOLRESP,
///     UPDDONE); a sender never reuses the xid of its own outstanding BNDUPD;
///  8. un-acked BNDUPDs never exceed the receiver's MAX_UNACKED_BNDUPD;
///  9. a BNDREPLY has the form of its BNDUPD and echoes each accepted lease's PARTNER_LIFETIME
///     in PARTNER_LIFETIME_SENT;
/// 10. BNDUPD structure (CLIENTID and LQ_BASE_TIME; BINDING_STATUS and START_TIME_OF_STATE
///     per lease; ACTIVE leases carry STATE_EXPIRATION_TIME and PARTNER_LIFETIME);
/// 11. UPDDONE only once every BNDUPD sent since the UPDREQ/UPDREQALL was answered;
/// 24. no OPTION_AUTH.
class FailoverWire : public Checker {
 public:
  /// Tolerances.
  struct Limits {
    std::int64_t skew_ns = 5 * NS;        ///< invariant 5; 0 disables the skew check
    std::int64_t send_slack_ns = 5 * NS;  ///< invariant 6 slack over keepalive / 4
  };

  /// @brief A checker with @p limits reporting to @p sink.
  FailoverWire(ViolationSink sink, Limits limits);
  /// @brief A checker with the default limits.
  explicit FailoverWire(ViolationSink sink) : FailoverWire(std::move(sink), Limits{}) {}

  void on_failover(const FailoverEvent& e) override;
  void finish(std::int64_t end_ns) override;

 private:
  struct Update {
    bool client_form = false;
    std::int64_t time_ns = 0;
    FrameRef ref;
    std::map<Resource, std::uint32_t> partner_lifetime;  ///< per lease, when sent
  };
  /// One direction of a connection (messages sent by one side).
  struct Side {
    bool began = false;
    bool from_syn = false;
    bool any = false;          ///< a message was sent
    bool state_sent = false;   ///< a STATE was sent after the handshake
    bool synced_gap = false;   ///< framing lost since the last message
    std::int64_t last_ns = 0;
    std::uint32_t keepalive = 0;    ///< announced by this side (0: unknown)
    std::uint32_t max_unacked = 0;  ///< announced by this side (0: unknown)
    std::unordered_map<std::uint32_t, Update> outstanding;  ///< BNDUPDs sent, by xid
    std::unordered_map<std::uint32_t, std::int64_t> requests;  ///< CONNECT/POOLREQ/UPDREQ*
    /// UPDREQ/UPDREQALL received from the partner: xid -> BNDUPD xids sent since.
    std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> updreqs;
  };
  struct Conn {
    Side side[2];  ///< [0] the connector (primary), [1] the listener (secondary)
    bool handshake = false;  ///< CONNECT seen on this connection
    std::uint32_t mclt = 0;
  };

  void message(const FailoverEvent& e, Conn& c, Side& me, Side& peer, std::vector<std::string>& bad);
  void flag(const FailoverEvent& e, std::vector<std::string>& bad, const std::string& what);

  Limits limits_;
  std::unordered_map<ConnId, Conn> conns_;
};

}  // namespace failover6::check
