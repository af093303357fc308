// failover6::server::Policy: the decisions RFC 8156 takes over from a standalone server, kept
// apart from the message processing (STYLE.md rule 3). StandalonePolicy is the no-failover case;
// impl/failover provides the endpoint's policy.
#pragma once

#include <cstdint>
#include <limits>

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
  /// @p subnet_id is the client's subnet (0 when none was selected: INFORMATION-REQUEST).
  virtual bool may_answer(wire::MessageType type, bool carries_our_server_id,
                          std::uint32_t subnet_id, std::int64_t now) = 0;

  /// @brief May this server give a *new* client the lease @p key, whose current record is
  /// @p existing (nullptr if none)? Independent allocation of addresses (RFC 8156 §4.2.1:
  /// primary odd, secondary even), proportional allocation of prefixes (§4.2.2), and the reuse
  /// rules of §4.2.2.1 / PROTOCOL.md invariant 17.
  virtual bool may_allocate(const lease::LeaseKey& key, const lease::Lease* existing,
                            std::uint32_t subnet_id, std::int64_t now) = 0;

  /// @brief Is the partner's pool of subnet @p subnet_id open to this server now? RFC 8156
  /// §4.2.2: in PARTNER-DOWN, and only MCLT after entering it. Standalone: there is no partner.
  virtual bool partner_pool_open(std::uint32_t /*subnet_id*/, std::int64_t /*now*/) {
    return false;
  }

  /// @brief May this server give a *new* client the lease @p key from its partner's pool?
  /// The allocator asks only when partner_pool_open() and once nothing in this server's own
  /// pool is left (§4.2.2: a server MUST exhaust its own prefixes first).
  virtual bool may_allocate_from_partner(const lease::LeaseKey& /*key*/,
                                         const lease::Lease* /*existing*/,
                                         std::uint32_t /*subnet_id*/, std::int64_t /*now*/) {
    return false;
  }

  /// @brief The valid lifetime the client may be given for @p lease when configuration
  /// wants @p desired: the MCLT rule of RFC 8156 §4.4 (client expiry <= max(acked partner
  /// lifetime, now) + MCLT) outside PARTNER-DOWN; @p desired when standalone.
  virtual std::uint32_t allowed_valid(const lease::Lease& lease, std::uint32_t desired,
                                      std::int64_t now) = 0;

  /// @brief Until when is the ACTIVE @p lease held? Standalone: its client's valid lifetime.
  /// With failover, also as long as the partner may extend it: up to the partner lifetime this
  /// server acknowledged (expiration-time, RFC 8156 §7.3), since the partner may have renewed
  /// the client that far without telling us yet.
  virtual std::int64_t active_until(const lease::Lease& lease) {
    return lease.state_expiration_time;
  }

  /// Returned by free_at() when time alone never frees the lease (an acknowledgement will).
  static constexpr std::int64_t NEVER = std::numeric_limits<std::int64_t>::max();

  /// @brief When may the EXPIRED, RELEASED or ABANDONED @p lease become free (its hold, the
  /// state-expiration-time, is applied by the server on top)? Standalone: at once. RFC 8156 §5
  /// arc (4): outside PARTNER-DOWN only once the partner acked the BNDUPD reporting it (NEVER:
  /// the failover endpoint frees it when the BNDREPLY arrives); in PARTNER-DOWN MCLT past the
  /// relevant times (§4.2.2.1).
  virtual std::int64_t free_at(const lease::Lease& lease) = 0;

  /// @brief The state a freed @p lease takes: FREE, or FREE-BACKUP for an address the
  /// secondary owns (RFC 8156 §5 arcs (5), (6); A2).
  virtual wire::BindingStatus free_state(const lease::Lease& lease) = 0;

  /// @brief @p lease is about to be stored after a client transaction (granted, extended,
  /// released, declined) or an expiry. The failover endpoint sets its partner fields
  /// (partner-lifetime, update-partner flag) and queues a lazy BNDUPD for it (§7.4).
  virtual void on_lease_changed(lease::Lease& lease, std::int64_t now) = 0;
};

/// A server with no partner: answers everything, allocates anything free, no MCLT cap.
class StandalonePolicy final : public Policy {
 public:
  bool may_answer(wire::MessageType, bool, std::uint32_t, std::int64_t) override {
    return true;
  }
  bool may_allocate(const lease::LeaseKey&, const lease::Lease* existing, std::uint32_t,
                    std::int64_t now) override {
    return existing == nullptr || !existing->active_at(now);
  }
  std::uint32_t allowed_valid(const lease::Lease&, std::uint32_t desired, std::int64_t) override {
    return desired;
  }
  std::int64_t free_at(const lease::Lease&) override { return 0; }
  wire::BindingStatus free_state(const lease::Lease&) override { return wire::BindingStatus::Free; }
  void on_lease_changed(lease::Lease&, std::int64_t) override {}
};

}  // namespace failover6::server
