// service-continuity: client transactions left unanswered beyond the client's retransmission
// limits, and the longest outage seen by any client (DESIGN.md).
#pragma once

#include <unordered_map>

#include "check/checker.h"

namespace failover6::check {

/// Pairs client transmissions with server answers by (client DUID, xid) and reports a
/// transaction the client had to give up on (RFC 8415 §15, §18.2):
///  - REQUEST: REQ_MAX_RC (10) transmissions and no REPLY within REQ_MAX_RT (30 s) after the
///    last one;
///  - RELEASE / DECLINE: REL_MAX_RC / DEC_MAX_RC (4) transmissions and no REPLY within 10 s;
///  - REBIND: no REPLY before the client's leases expired (the client loses its addresses).
/// SOLICIT, INFORMATION-REQUEST (retransmitted forever), RENEW (followed by REBIND) and CONFIRM
/// (the client keeps its leases) have no such limit: they only count towards outages.
///
/// An outage of a client runs from its first unanswered transmission to the next ADVERTISE or
/// REPLY it receives (or its last transmission, when none comes). The longest one is kept for
/// the report; with Limits::max_outage_ns set, every outage longer than that is a violation.
/// One transaction (DUID + xid) counts as one check. Memory: open transactions only.
class ServiceContinuity : public Checker {
 public:
  /// Tunables.
  struct Limits {
    /// Outages longer than this are violations (0: report the longest only).
    std::int64_t max_outage_ns = 0;
    /// An unanswered transaction with no transmission for this long is abandoned (the
    /// client moved on); an answered one is forgotten after it too.
    std::int64_t forget_ns = 120 * NS;
  };

  /// The longest outage seen.
  struct Outage {
    std::string client;           ///< DUID
    std::int64_t start_ns = 0;
    std::int64_t duration_ns = 0;
    bool answered = false;        ///< false: still unanswered at its last transmission
    FrameRef first;               ///< the first unanswered transmission
  };

  /// @brief A checker with @p limits reporting to @p sink.
  ServiceContinuity(ViolationSink sink, Limits limits);
  /// @brief A checker with the default limits.
  explicit ServiceContinuity(ViolationSink sink) : ServiceContinuity(std::move(sink), Limits{}) {}

  void on_client(const ClientTx& tx) override;
  void on_reply(const ServerReply& r) override;
  void on_tick(std::int64_t now_ns) override;
  void finish(std::int64_t end_ns) override;

  /// @return the longest outage (duration 0 when none).
  const Outage& longest() const { return longest_; }
  /// @return transactions currently tracked.
  std::size_t open() const { return pending_.size(); }

 private:
  using Key = TxKey;
  struct Pending {
    wire::MessageType type = wire::MessageType::Solicit;
    std::int64_t first_ns = 0;
    std::int64_t last_ns = 0;
    std::uint32_t count = 0;
    FrameRef first;
    FrameRef last;
    std::int64_t leases_end_ns = 0;
    bool answered = false;
  };
  struct OpenOutage {
    std::int64_t start_ns = 0;
    std::int64_t last_tx_ns = 0;
    FrameRef first;
  };

  bool exhausted(const Pending& p, std::int64_t now_ns) const;
  void give_up(const Key& k, const Pending& p);
  void close_outage(const wire::Duid& d, const OpenOutage& o, std::int64_t end_ns, bool answered,
                    std::int64_t at_ns, FrameRef ref);

  Limits limits_;
  std::unordered_map<Key, Pending, TxKeyHash, TxKeyEq> pending_;
  std::unordered_map<wire::Duid, OpenOutage, DuidHash, DuidEq> outages_;
  Outage longest_;
};

}  // namespace failover6::check
