// failover6::failover binding codec: lease::Lease <-> BNDUPD / BNDREPLY (RFC 8156 §5.4.1,
// §5.4.2, §7.5.5, Figure 5), sans-IO.
//
// Decision (documented here, RFC 8156 §7.4 leaves the grouping open): every BNDUPD we send
// carries one client (OPTION_CLIENT_DATA) with one IA holding exactly one IAADDR or IAPREFIX,
// or one top-level IAPREFIX for an unleased delegable prefix. Flow control (max-unacked) then
// counts leases exactly and each lease gets its own accept/reject. We accept BNDUPDs from other
// implementations that carry several IAs and several leases: each lease gets its own verdict in
// the BNDREPLY, which mirrors the BNDUPD's structure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "lease/lease.h"
#include "wire/constants.h"
#include "wire/failover_message.h"
#include "wire/message.h"

namespace failover6::failover {

/// One lease as a BNDUPD describes it, with its times converted to absolute Unix seconds
/// (0 = the option was absent). Field names say which sender field they carry (Figure 5).
struct IncomingBinding {
  /// Key, duid (empty for a top-level IAPREFIX), iaid, binding status, preferred/valid
  /// lifetimes, T1/T2 (from the IA option), start_time_of_state, state_expiration_time and
  /// hostname (FQDN, if any) as received. The RFC 8156 §7.3 time fields are left 0: see below.
  lease::Lease lease;
  bool top_level_prefix = false;       ///< an IAPREFIX outside CLIENT_DATA (pool rebalance)
  std::int64_t cltt = 0;               ///< LQ_BASE_TIME - CLT_TIME (A9), sender's clock
  std::int64_t partner_lifetime = 0;   ///< OPTION_F_PARTNER_LIFETIME
  std::int64_t expiration_time = 0;    ///< OPTION_F_EXPIRATION_TIME
  std::int64_t partner_raw_cltt = 0;   ///< OPTION_F_PARTNER_RAW_CLT_TIME
};

/// A BNDUPD taken apart: every lease in it, in order of appearance.
struct DecodedBndupd {
  std::vector<IncomingBinding> bindings;
};

/// Why a BNDUPD could not be used at all (the BNDREPLY then carries this status at top level).
struct BndupdError {
  wire::StatusCode status = wire::StatusCode::MissingBindingInformation;
  std::string message;
};

/// @brief The BNDUPD telling the partner about @p l (state, times, client), with transaction id
/// @p xid, sent at @p now. ACTIVE leases carry STATE_EXPIRATION_TIME and PARTNER_LIFETIME
/// (= l.partner_lifetime, or the lease end when that is 0); states without a timeout carry
/// neither (PROTOCOL.md invariant 10). EXPIRATION_TIME carries l.expiration_time and
/// PARTNER_RAW_CLT_TIME l.partner_raw_cltt when non-zero. A lease with no client (FREE,
/// FREE-BACKUP with an empty duid) of type Pd becomes a top-level IAPREFIX.
///
/// Layout (PROTOCOL.md §3.2): CLIENT_DATA{CLIENTID, LQ_BASE_TIME(now), IA_NA/IA_TA/IA_PD(iaid,
/// l.t1, l.t2){IAADDR/IAPREFIX(lifetimes; 0 unless ACTIVE){BINDING_STATUS, START_TIME_OF_STATE,
/// STATE_EXPIRATION_TIME*, CLT_TIME (now - l.cltt, when l.cltt is set), PARTNER_LIFETIME*,
/// PARTNER_RAW_CLT_TIME, EXPIRATION_TIME*, CLIENT_FQDN (l.hostname, if any)}}}. The prefix form
/// is IAPREFIX{LQ_BASE_TIME, BINDING_STATUS, START_TIME_OF_STATE, the * options}.
/// The * options go with a timeout: always for ACTIVE; for EXPIRED, RELEASED, ABANDONED and
/// RESET when l.state_expiration_time is set; never for FREE, FREE-BACKUP, PENDING-FREE.
/// A Pd lease with an empty duid takes the prefix form in any state. An Na/Ta lease with an
/// empty duid gets a CLIENT_DATA without CLIENTID, which the partner rejects
/// (MissingBindingInformation): callers send updates only for leases that had a client.
/// Times are written with to_abs_time() (0 stays 0).
wire::FailoverMessage encode_bndupd(const lease::Lease& l, std::uint32_t xid, std::int64_t now);

/// @brief Takes a received BNDUPD apart. @return the bindings, or the status to reject the
/// whole message with (no CLIENT_DATA and no IAPREFIX, CLIENTID missing in CLIENT_DATA, a lease
/// without BINDING_STATUS: MissingBindingInformation).
///
/// Also MissingBindingInformation: a lease without START_TIME_OF_STATE (a MUST, §7.4), a
/// binding status outside 1..8, a BNDUPD with no lease at all. A message that is not a BNDUPD:
/// UnspecFail. The message names the lease ("IA_NA 2001:db8::1 (IAID 7) has no
/// OPTION_F_BINDING_STATUS"). Liberal in what it takes: CLT_TIME and LQ_BASE_TIME are looked
/// for in the IAADDR/IAPREFIX, then CLIENT_DATA, then (LQ_BASE_TIME) the message; without any
/// LQ_BASE_TIME, CLT_TIME counts back from sent-time. The hostname comes from CLIENT_FQDN or
/// DNS_REMOVAL_INFO's DNS_HOST_NAME. Absent times decode as 0.
std::variant<DecodedBndupd, BndupdError> decode_bndupd(const wire::FailoverMessage& m);

/// The receiver's verdict on one lease of a BNDUPD.
struct LeaseVerdict {
  lease::LeaseKey key;
  wire::StatusCode status = wire::StatusCode::Success;  ///< Success = accepted
  std::string message;                                  ///< status text when rejected
};

/// @brief The BNDREPLY for @p bndupd (same xid, same top-level form), sent at @p now: each
/// IAADDR/IAPREFIX gets an OPTION_STATUS_CODE when its verdict rejects it, and every accepted
/// lease echoes its PARTNER_LIFETIME in OPTION_F_PARTNER_LIFETIME_SENT. @p whole, when set,
/// rejects the whole message (a top-level STATUS_CODE).
///
/// The mirror keeps CLIENTID and VSS, every IA (iaid, T1, T2) and every IAADDR/IAPREFIX
/// (address, lifetimes) in order; each lease carries STATUS_CODE (on rejection, or on success
/// with a non-empty message), BINDING_STATUS and STATE_EXPIRATION_TIME as received, then
/// PARTNER_LIFETIME_SENT. Verdicts are matched to leases by key (in order when keys repeat);
/// a lease with no verdict is rejected with UnspecFail. With @p whole, leases carry no status
/// of their own (they inherit the top-level one) and no PARTNER_LIFETIME_SENT.
wire::FailoverMessage encode_bndreply(const wire::FailoverMessage& bndupd,
                                      const std::vector<LeaseVerdict>& verdicts,
                                      const std::optional<BndupdError>& whole, std::int64_t now);

/// One lease's outcome in a received BNDREPLY.
struct ReplyOutcome {
  lease::LeaseKey key;
  wire::StatusCode status = wire::StatusCode::Success;
  std::int64_t partner_lifetime_sent = 0;  ///< OPTION_F_PARTNER_LIFETIME_SENT, absolute; 0 = absent
};

/// @brief Takes a received BNDREPLY apart. A top-level STATUS_CODE applies to every lease in
/// it; a lease without its own status inherits the top-level one (Success when absent).
/// Statuses at the CLIENT_DATA and IA levels are inherited the same way (the innermost wins).
std::vector<ReplyOutcome> decode_bndreply(const wire::FailoverMessage& m);

/// @brief The top-level STATUS_CODE of a BNDREPLY (status Success, empty text when absent).
/// Needed when a partner rejects a whole BNDUPD without mirroring its leases: decode_bndreply()
/// then returns no outcome, and the sender applies this status to every lease of that xid.
wire::StatusCodeOption bndreply_status(const wire::FailoverMessage& m);

}  // namespace failover6::failover
