// mclt-bound: outside PARTNER-DOWN a lease never ends more than MCLT past what the partner
// acknowledged (DESIGN.md; PROTOCOL.md testable invariant 13). Needs the failover stream.
#pragma once

#include <map>
#include <unordered_map>
#include <vector>

#include "check/checker.h"

namespace failover6::check {

/// For each lease a server grants in a REPLY (valid > 0) while its last reported state is
/// not PARTNER-DOWN: t_reply + valid <= max(t_reply, acked) + MCLT + Limits::slack_ns, where
/// acked is the PARTNER_LIFETIME_SENT of the latest accepting BNDREPLY that server received
/// for that lease before t_reply (none: valid <= MCLT).
///
/// The MCLT comes from CONNECT (or Limits::mclt_s when given). The DHCP server (SERVERID) is
/// matched to its failover endpoint (IP address) when a REPLY's source address is a failover
/// address, or when an endpoint sends a BNDUPD for the lease a server granted last. Until a
/// server is matched its acked lifetimes are looked up across both endpoints (lenient).
///
/// A server enters PARTNER-DOWN while comms are down, so no STATE shows it then: a lease
/// that breaks the bound while its endpoint is disconnected is held back until the
/// endpoint's next STATE. If that STATE reports PARTNER-DOWN begun at or before the REPLY
/// (START_TIME_OF_STATE), it is exempt; otherwise, or at the end of the capture, it is
/// reported. One lease in one REPLY is one check.
///
/// A renewal of a lease the client got before the failover stream appears in the capture, with
/// no acknowledgment seen since, cannot be judged (the ack may predate the capture): it is
/// counted in the note as unverifiable, not as a violation.

/// See the file comment.
class McltBound : public Checker {
 public:
  /// Tunables.
  struct Limits {
    std::uint32_t mclt_s = 0;        ///< MCLT to assume (0: from CONNECT only)
    std::int64_t slack_ns = 5 * NS;  ///< PROTOCOL.md: times within 5 s are equal
  };

  /// @brief A checker with @p limits reporting to @p sink.
  McltBound(ViolationSink sink, Limits limits);
  /// @brief A checker with the default limits.
  explicit McltBound(ViolationSink sink) : McltBound(std::move(sink), Limits{}) {}

  void on_reply(const ServerReply& r) override;
  void on_failover(const FailoverEvent& e) override;
  void finish(std::int64_t end_ns) override;

 private:
  struct Endpoint {
    std::uint8_t state = 0;           ///< last STATE (without S flag), 0 unknown
    std::int64_t state_start_ns = 0;  ///< its START_TIME_OF_STATE
    int open_streams = 0;             ///< directions of its connections open now
    /// A connection of this endpoint opened and it has not yet sent its STATE there: until
    /// then its last reported state is stale (a server in PARTNER-DOWN may answer a client
    /// between the partner's CONNECT and its own STATE(PARTNER-DOWN)), so its REPLYs wait for
    /// that STATE as they do while it is out of contact.
    bool awaiting_state = false;
    /// Its failover connection went over TLS: its acks and states are not visible, so its
    /// REPLYs cannot be judged (until a connection of it is seen in clear again).
    bool encrypted = false;
    std::uint32_t mclt = 0;
    std::vector<Violation> held;      ///< violations waiting for the next STATE
    std::vector<std::int64_t> held_reply_ns;
  };
  struct AckKey {
    wire::Address endpoint;
    Resource resource;
    friend bool operator==(const AckKey&, const AckKey&) = default;
  };
  struct AckKeyHash {
    std::size_t operator()(const AckKey& k) const noexcept {
      return wire::AddressHash{}(k.endpoint) * 31 ^ ResourceHash{}(k.resource);
    }
  };

  void link(ServerIx s, const wire::Address& ep);
  std::int64_t acked_ns(const wire::Address* ep, const Resource& res) const;

  Limits limits_;
  std::uint32_t mclt_ = 0;  ///< last MCLT seen in any CONNECT
  bool failover_seen_ = false;
  std::unordered_map<wire::Address, Endpoint, wire::AddressHash> endpoints_;
  std::unordered_map<ServerIx, wire::Address> links_;
  std::unordered_map<AckKey, std::int64_t, AckKeyHash> acked_;
  std::unordered_map<Resource, std::int64_t, ResourceHash> acked_any_;
  std::unordered_map<Resource, ServerIx, ResourceHash> last_grant_;  ///< for linking
  std::uint64_t unchecked_ = 0;  ///< REPLY leases seen before any MCLT was known
  std::uint64_t unverifiable_ = 0;  ///< renewals of leases older than the failover capture
  std::uint64_t opaque_ = 0;  ///< REPLY leases of servers whose failover link is TLS
  std::int64_t fo_first_ns_ = -1;  ///< first failover event
};

}  // namespace failover6::check
