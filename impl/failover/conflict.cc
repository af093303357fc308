// RFC 8156 §7.5.4 Figure 4 (conflict resolution) and Figure 5 (time mapping).
#include "failover/conflict.h"

#include <algorithm>
#include <string>

namespace failover6::failover {

using lease::Lease;
using wire::BindingStatus;

namespace {

/// The Figure 4 entries.
enum class Rule : std::uint8_t { Accept, Time1, Time2, Accept3 };

const char* rule_name(Rule r) {
  switch (r) {
    case Rule::Accept: return "accept";
    case Rule::Time1: return "time(1)";
    case Rule::Time2: return "time(2)";
    case Rule::Accept3: return "accept(3)";
  }
  return "?";
}

/// Figure 4: rows are the receiver's status, columns the incoming one.
Rule rule_for(BindingStatus local, BindingStatus incoming) {
  switch (local) {
    case BindingStatus::Active:
      switch (incoming) {
        case BindingStatus::Active: return Rule::Accept3;
        case BindingStatus::Expired:
        case BindingStatus::Free:
        case BindingStatus::FreeBackup:
        case BindingStatus::PendingFree:
          return Rule::Time1;
        default:  // RELEASED, RESET, ABANDONED
          return Rule::Accept;
      }
    case BindingStatus::Reset:
      return incoming == BindingStatus::Active ? Rule::Time2 : Rule::Accept;
    default:  // EXPIRED, RELEASED, FREE, FREE-BACKUP, PENDING-FREE, ABANDONED: all "accept"
      return Rule::Accept;
  }
}

/// §7.5.4 incoming time: ACTIVE/EXPIRED/RELEASED use CLT_TIME if present, else
/// START_TIME_OF_STATE; the other states the later of the two.
std::int64_t incoming_time(const IncomingBinding& in) {
  switch (in.lease.state) {
    case BindingStatus::Active:
    case BindingStatus::Expired:
    case BindingStatus::Released:
      return in.cltt != 0 ? in.cltt : in.lease.start_time_of_state;
    default:
      return std::max(in.cltt, in.lease.start_time_of_state);
  }
}

/// §7.5.4 local time: the CLTT if known, else start-time-of-state.
std::int64_t local_time(const Lease& l) { return l.cltt != 0 ? l.cltt : l.start_time_of_state; }

std::string name(BindingStatus s) { return wire::binding_status_name(static_cast<std::uint8_t>(s)); }

}  // namespace

wire::StatusCode status_of(Verdict v) {
  switch (v) {
    case Verdict::Accept: return wire::StatusCode::Success;
    case Verdict::RejectOutdated: return wire::StatusCode::OutdatedBindingInformation;
    case Verdict::RejectInUse: return wire::StatusCode::AddressInUse;
  }
  return wire::StatusCode::UnspecFail;
}

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Accept: return "accept";
    case Verdict::RejectOutdated: return "reject-outdated";
    case Verdict::RejectInUse: return "reject-in-use";
  }
  return "?";
}

Resolution resolve_explained(const Lease* local, const IncomingBinding& in, Role receiver,
                             std::int64_t now) {
  if (!local) return {Verdict::Accept, "no local binding"};
  const Rule rule = rule_for(local->state, in.lease.state);
  std::string why =
      "local " + name(local->state) + " vs incoming " + name(in.lease.state) + ": " +
      rule_name(rule) + ": ";
  const std::int64_t tin = incoming_time(in);
  auto verdict = [&](bool ok, Verdict reject, std::string detail) {
    return Resolution{ok ? Verdict::Accept : reject, why + std::move(detail)};
  };
  switch (rule) {
    case Rule::Accept: {
      const std::int64_t tl = local_time(*local);
      return verdict(later_than(tin, tl), Verdict::RejectOutdated,
                     "incoming time " + std::to_string(tin) + (later_than(tin, tl) ? " is" : " is not") +
                         " later than local time " + std::to_string(tl));
    }
    case Rule::Time1: {
      // "Past the local state-expiration-time", strictly: the 5 s equality of §7.5.1 let a
      // partner whose clock runs ahead (or that never heard of our renewal) free a lease our
      // client still held for up to 5 s, and reuse it (`failover6 sim --seeds 2078501883
      // --clients 100 --faults mixed`: an address given to a second client 42 ms before the
      // first one's lease ended). A rejected EXPIRED is offered again by the partner's
      // periodic scan, and our newer ACTIVE goes to it meanwhile.
      const bool past = local->state_expiration_time <= now;
      return verdict(past, Verdict::RejectOutdated,
                     "local state expires at " + std::to_string(local->state_expiration_time) +
                         ", now " + std::to_string(now));
    }
    case Rule::Time2: {
      const bool newer = later_than(tin, local->start_time_of_state);
      return verdict(newer, Verdict::RejectOutdated,
                     "incoming time " + std::to_string(tin) + (newer ? " is" : " is not") +
                         " later than local start of state " +
                         std::to_string(local->start_time_of_state));
    }
    case Rule::Accept3: {
      if (local->duid == in.lease.duid && local->iaid == in.lease.iaid)
        return {Verdict::Accept, why + "same client"};
      const bool newer = later_than(tin, local->start_time_of_state);
      if (newer)
        return {Verdict::Accept, why + "different client, incoming time " + std::to_string(tin) +
                                     " later than local start of state " +
                                     std::to_string(local->start_time_of_state)};
      if (receiver == Role::Secondary)
        return {Verdict::Accept, why + "different client, the primary's binding wins"};
      return {Verdict::RejectInUse,
              why + "different client, incoming time " + std::to_string(tin) +
                  " not later than local start of state " +
                  std::to_string(local->start_time_of_state) + " (primary keeps its binding)"};
    }
  }
  return {Verdict::RejectOutdated, why + "unknown rule"};
}

Verdict resolve(const Lease* local, const IncomingBinding& in, Role receiver, std::int64_t now) {
  return resolve_explained(local, in, receiver, now).verdict;
}

Lease apply(const Lease* local, const IncomingBinding& in) {
  Lease out = local ? *local : in.lease;
  const Lease& r = in.lease;
  out.key = r.key;
  out.duid = r.duid;
  out.iaid = r.iaid;
  out.state = r.state;
  out.start_time_of_state = r.start_time_of_state;
  out.state_expiration_time = r.state_expiration_time;
  out.preferred = r.preferred;
  out.valid = r.valid;
  out.t1 = r.t1;
  out.t2 = r.t2;
  out.hostname = r.hostname;
  out.update_partner = false;  // this state came from the partner: nothing to tell it
  if (!local) {
    // Nothing local: the §7.3 times start from zero, then Figure 5 fills them.
    out.cltt = 0;
    out.expiration_time = 0;
    out.acked_partner_lifetime = 0;
    out.partner_lifetime = 0;
    out.partner_raw_cltt = 0;
  }
  if (in.partner_lifetime != 0) out.expiration_time = in.partner_lifetime;
  if (in.cltt != 0) out.partner_raw_cltt = in.cltt;
  if (in.expiration_time > out.partner_lifetime) out.partner_lifetime = in.expiration_time;
  if (in.partner_raw_cltt > out.cltt) out.cltt = in.partner_raw_cltt;
  return out;
}

}  // namespace failover6::failover
