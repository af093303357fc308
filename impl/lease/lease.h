// failover6::lease::Lease: one binding (an address or a delegated prefix) with the RFC 8156 §7.3
// per-lease state, so that failover builds on the same record from the start.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

#include "wire/address.h"
#include "wire/constants.h"
#include "wire/duid.h"

namespace failover6::lease {

/// The kind of identity association a lease belongs to.
enum class LeaseType : std::uint8_t {
  Na = 0,  ///< IA_NA address (RFC 8415 §21.4)
  Ta = 1,  ///< IA_TA address (RFC 8415 §21.5)
  Pd = 2,  ///< IA_PD delegated prefix (RFC 8415 §21.21)
};

/// @return "IA_NA", "IA_TA" or "IA_PD".
const char* to_string(LeaseType t);

/// What identifies a lease: its address (or prefix and length) and kind.
struct LeaseKey {
  LeaseType type = LeaseType::Na;
  wire::Address address;
  std::uint8_t prefix_length = 128;  ///< 128 for addresses
  friend auto operator<=>(const LeaseKey&, const LeaseKey&) = default;
  /// @return "IA_NA 2001:db8::1" or "IA_PD 2001:db8:8000::/56".
  std::string to_string() const;
};

/// Hash functor for LeaseKey.
struct LeaseKeyHash {
  std::size_t operator()(const LeaseKey& k) const noexcept {
    return wire::AddressHash{}(k.address) ^ (std::size_t{k.prefix_length} << 3) ^
           static_cast<std::size_t>(k.type);
  }
};

/// A client's identity association: (DUID, IA type, IAID), the unit DESIGN.md's invariants use.
struct ClientIa {
  wire::Duid duid;
  LeaseType type = LeaseType::Na;
  std::uint32_t iaid = 0;
  friend auto operator<=>(const ClientIa&, const ClientIa&) = default;
};

/// One binding. Times are absolute Unix seconds (0 = unset); lifetimes are seconds as sent to
/// the client. The fields after `cltt` are RFC 8156 §7.3's per-lease times.
struct Lease {
  LeaseKey key;
  wire::Duid duid;  ///< the (most recent) client
  std::uint32_t iaid = 0;
  std::uint32_t subnet_id = 0;
  wire::BindingStatus state = wire::BindingStatus::Free;
  std::int64_t start_time_of_state = 0;    ///< when `state` began
  std::int64_t state_expiration_time = 0;  ///< when `state` ends (ACTIVE: the valid lifetime's end)
  std::uint32_t preferred = 0;             ///< preferred lifetime last given to the client
  std::uint32_t valid = 0;                 ///< valid lifetime last given to the client
  std::uint32_t t1 = 0;
  std::uint32_t t2 = 0;
  std::int64_t cltt = 0;                   ///< client last transaction time
  std::int64_t expiration_time = 0;        ///< largest lifetime this server acked to its partner
  std::int64_t acked_partner_lifetime = 0; ///< largest lifetime the partner acked to us
  std::int64_t partner_lifetime = 0;       ///< lifetime to send / sent to the partner; 0 = none pending
  std::int64_t partner_raw_cltt = 0;       ///< the partner's CLTT, unadjusted
  std::string hostname;
  /// RFC 8156 §7.5.4 / PROTOCOL.md §6: the partner has not acknowledged this lease's current
  /// state; a BNDUPD is queued or in flight. Persisted, so a restart still sends it.
  bool update_partner = false;

  /// @return the client IA this lease belongs to.
  ClientIa client() const { return {duid, key.type, iaid}; }
  /// @return true when the lease is held by its client (ACTIVE and not past its end at @p now).
  bool active_at(std::int64_t now) const {
    return state == wire::BindingStatus::Active && state_expiration_time > now;
  }
  friend bool operator==(const Lease&, const Lease&) = default;
};

}  // namespace failover6::lease
