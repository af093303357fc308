// failover6::server::Policy: the decisions RFC 8156 takes over from a standalone server, kept
// apart from the message processing (STYLE.md rule 3). StandalonePolicy is the no-failover case;
// impl/failover provides the endpoint's policy.
#pragma once

#include <cstdint>

#include "lease/lease.h"
#include "wire/constants.h"

namespace failover6::server {

/// Failover decisions the server core asks for while processing a client message.
class Policy {
 public:
  virtual ~Policy() = default;

  /// @brief May this server answer a client message of type @p type? RFC 8156 §8: nothing in
  /// STARTUP, RECOVER, RECOVER-WAIT or POTENTIAL-CONFLICT; in NORMAL the secondary answers
  /// only messages carrying its SERVERID; RECOVER-DONE renews known leases only.
  virtual bool may_answer(wire::MessageType type, bool carries_our_server_id,
                          std::int64_t now) = 0;

  /// @brief May this server give a *new* client the lease @p key, whose current record is
  /// @p existing (nullptr if none)? Independent allocation of addresses (RFC 8156 §4.2.1:
  /// primary odd, secondary even), proportional allocation of prefixes (§4.2.2), and the reuse
  /// rules of §4.2.2.1 / PROTOCOL.md invariant 17.
  virtual bool may_allocate(const lease::LeaseKey& key, const lease::Lease* existing,
                            std::int64_t now) = 0;

  /// @brief The valid lifetime the client may be given for @p lease when configuration
  /// wants @p desired: the MCLT rule of RFC 8156 §4.4 (client expiry <= max(acked partner
  /// lifetime, now) + MCLT) outside PARTNER-DOWN; @p desired when standalone.
  virtual std::uint32_t allowed_valid(const lease::Lease& lease, std::uint32_t desired,
                                      std::int64_t now) = 0;

  /// @brief May the EXPIRED or RELEASED @p lease become FREE now? RFC 8156 §5 arc (4): only
  /// once the partner acked the BNDUPD reporting it, or in PARTNER-DOWN after MCLT.
  virtual bool may_free(const lease::Lease& lease, std::int64_t now) = 0;

  /// @brief @p lease was changed by a client transaction (granted, extended, released,
  /// declined) or expired; the failover endpoint queues a lazy BNDUPD for it (§7.4).
  virtual void on_lease_changed(const lease::Lease& lease, std::int64_t now) = 0;
};

/// A server with no partner: answers everything, allocates anything free, no MCLT cap.
class StandalonePolicy final : public Policy {
 public:
  bool may_answer(wire::MessageType, bool, std::int64_t) override { return true; }
  bool may_allocate(const lease::LeaseKey&, const lease::Lease* existing,
                    std::int64_t now) override {
    return existing == nullptr || !existing->active_at(now);
  }
  std::uint32_t allowed_valid(const lease::Lease&, std::uint32_t desired, std::int64_t) override {
    return desired;
  }
  bool may_free(const lease::Lease&, std::int64_t) override { return true; }
  void on_lease_changed(const lease::Lease&, std::int64_t) override {}
};

}  // namespace failover6::server
