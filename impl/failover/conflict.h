// failover6::failover conflict resolution: RFC 8156 §7.5.4 Figure 4 and the Figure 5 time
// mapping, as pure functions of (local lease, incoming binding, role, now).
#pragma once

#include <cstdint>
#include <string>

#include "failover/binding_codec.h"
#include "failover/types.h"
#include "lease/lease.h"
#include "wire/constants.h"

namespace failover6::failover {

/// The receiver's decision on one incoming binding.
enum class Verdict : std::uint8_t {
  Accept,
  RejectOutdated,    ///< OutdatedBindingInformation (19)
  RejectInUse,       ///< AddressInUse (16): ACTIVE/ACTIVE clash of different clients
};

/// @return the status code a verdict is sent with (Success for Accept).
wire::StatusCode status_of(Verdict v);

/// @return "accept", "reject-outdated" or "reject-in-use".
const char* to_string(Verdict v);

/// A verdict with the Figure 4 rule that produced it, for the BNDREPLY status text and logs.
struct Resolution {
  Verdict verdict = Verdict::Accept;
  /// e.g. "local ACTIVE vs incoming EXPIRED: time(1): local state expires at 1700000100, now
  /// 1700000050"
  std::string reason;
};

/// @brief resolve() with the reason for its verdict (same verdict in every case).
Resolution resolve_explained(const lease::Lease* local, const IncomingBinding& in, Role receiver,
                             std::int64_t now);

/// @brief Figure 4: may @p in replace @p local (nullptr: no local record, always accepted)?
/// Incoming time: ACTIVE/EXPIRED/RELEASED use the CLTT if present else START_TIME_OF_STATE;
/// other states the later of the two. Local time: the CLTT if known, else start-time-of-state.
/// Times within MAX_SKEW are equal ("later" means later by more than MAX_SKEW). accept(3):
/// same client accepts; a different client accepts if time(2) holds or @p receiver is the
/// secondary; otherwise RejectInUse.
///
/// Details: "same client" is the same DUID and IAID. time(1) compares @p now with the local
/// state-expiration-time, both on the receiver's clock, so without skew tolerance (accept when
/// now > it; an unset expiration time is in the past). time(2) compares the incoming time
/// (CLT_TIME if present, else START_TIME_OF_STATE) with the local start-time-of-state, with the
/// skew tolerance. A local PENDING-FREE counts as the FREE row, an incoming PENDING-FREE as the
/// FREE/FREE-BACKUP column.
Verdict resolve(const lease::Lease* local, const IncomingBinding& in, Role receiver,
                std::int64_t now);

/// @brief Figure 5: the lease the receiver stores after accepting @p in over @p local
/// (nullptr: none). Binding status, client, lifetimes and state times as received;
/// expiration_time := in.partner_lifetime; partner_raw_cltt := in.cltt; partner_lifetime :=
/// in.expiration_time only if larger than the local value; cltt := in.partner_raw_cltt only if
/// later than the local value; acked_partner_lifetime kept from @p local.
///
/// "As received" covers key, duid, iaid, state, start_time_of_state, state_expiration_time
/// (0 when the state has no timeout), preferred, valid, t1, t2 and hostname. expiration_time
/// and partner_raw_cltt keep the local value when the option was absent (0): an absent
/// option carries no news (a FREE lease has no PARTNER_LIFETIME, yet what we acked before stays true).
/// subnet_id is the receiver's (kept from @p local, else as received). update_partner is
/// cleared: the stored state is the one the partner just sent.
lease::Lease apply(const lease::Lease* local, const IncomingBinding& in);

}  // namespace failover6::failover
