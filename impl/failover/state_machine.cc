#include "failover/state_machine.h"

#include <array>
#include <utility>

namespace failover6::failover {
namespace {

using S = State;

constexpr std::array<std::pair<S, const char*>, 10> NAMES{{
    {S::Startup, "STARTUP"},
    {S::Normal, "NORMAL"},
    {S::CommunicationsInterrupted, "COMMUNICATIONS-INTERRUPTED"},
    {S::PartnerDown, "PARTNER-DOWN"},
    {S::PotentialConflict, "POTENTIAL-CONFLICT"},
    {S::Recover, "RECOVER"},
    {S::RecoverWait, "RECOVER-WAIT"},
    {S::RecoverDone, "RECOVER-DONE"},
    {S::ResolutionInterrupted, "RESOLUTION-INTERRUPTED"},
    {S::ConflictDone, "CONFLICT-DONE"},
}};

bool in(S s, std::initializer_list<S> set) {
  for (S x : set)
    if (x == s) return true;
  return false;
}

Step stay(S s) { return {s, Action::None, false, ""}; }
Step go(S s, std::string why) { return {s, Action::None, false, std::move(why)}; }

std::string partner_reason(const Event& ev) {
  return "partner " + (ev.partner ? to_string(*ev.partner) : std::string("unknown"));
}

/// The partner states that make a server go to POTENTIAL-CONFLICT from most states: the
/// partner may have served clients on its own.
bool conflicting(S p) {
  return in(p, {S::PartnerDown, S::PotentialConflict, S::ResolutionInterrupted,
                S::ConflictDone, S::Normal, S::CommunicationsInterrupted});
}

/// Rules for a partner state seen with communications OK (CommOk and PartnerState alike).
Step on_partner(Role role, S cur, S p, const Event& ev) {
  switch (cur) {
    case S::PartnerDown:
      // §8.4.2: the partner is back. It resynchronises from us when it is recovering; it
      // finished recovering: NORMAL; it may have served too: POTENTIAL-CONFLICT.
      if (p == S::RecoverDone) return go(S::Normal, partner_reason(ev));
      if (in(p, {S::Recover, S::RecoverWait})) return stay(cur);
      if (conflicting(p)) return go(S::PotentialConflict, partner_reason(ev));
      return stay(cur);
    case S::Recover:
      if (in(p, {S::PotentialConflict, S::ResolutionInterrupted, S::ConflictDone}))
        return go(S::PotentialConflict, partner_reason(ev));
      // Any other partner state: ask for its bindings (the endpoint sends one UPDREQ or
      // UPDREQALL per connection and repeats it after a reconnection).
      return {cur, Action::SendUpdReq, false, ""};
    case S::RecoverWait:
      return stay(cur);
    case S::RecoverDone:
      if (in(p, {S::Normal, S::RecoverDone})) return go(S::Normal, partner_reason(ev));
      if (in(p, {S::Recover, S::RecoverWait}))
        return go(S::CommunicationsInterrupted, partner_reason(ev));
      if (p == S::PotentialConflict) return go(S::PotentialConflict, partner_reason(ev));
      return stay(cur);
    case S::Normal:
      // Expected partner states while we are NORMAL: its own NORMAL, the steps it takes to
      // get there (COMMUNICATIONS-INTERRUPTED, RECOVER-DONE), and the primary's CONFLICT-DONE
      // while the secondary finishes. Anything else is an unexpected change: go to
      // COMMUNICATIONS-INTERRUPTED and apply its rule for the same partner state.
      if (in(p, {S::Normal, S::CommunicationsInterrupted, S::RecoverDone, S::ConflictDone}))
        return stay(cur);
      return {S::CommunicationsInterrupted, Action::None, true,
              "unexpected " + partner_reason(ev)};
    case S::CommunicationsInterrupted:
      if (in(p, {S::Normal, S::CommunicationsInterrupted, S::RecoverDone}))
        return go(S::Normal, partner_reason(ev));
      // A4: RECOVER-WAIT has no rule in the text; staying, as for RECOVER, is consistent.
      if (in(p, {S::Recover, S::RecoverWait})) return stay(cur);
      if (in(p, {S::PartnerDown, S::PotentialConflict, S::ConflictDone,
                 S::ResolutionInterrupted}))
        return go(S::PotentialConflict, partner_reason(ev));
      return stay(cur);
    case S::PotentialConflict:
      if (role == Role::Secondary && p == S::ConflictDone)
        return {cur, Action::SendUpdReq, false, ""};
      return stay(cur);
    case S::ResolutionInterrupted:
      return go(S::PotentialConflict, "communications OK");
    case S::ConflictDone:
      if (p == S::Normal) return go(S::Normal, partner_reason(ev));
      return stay(cur);
    case S::Startup:
      return stay(cur);
  }
  return stay(cur);
}

}  // namespace

std::string to_string(State s) {
  for (const auto& [v, n] : NAMES)
    if (v == s) return n;
  return "STATE-" + std::to_string(static_cast<int>(s));
}

std::optional<State> state_from_string(const std::string& s) {
  for (const auto& [v, n] : NAMES)
    if (s == n) return v;
  return std::nullopt;
}

const char* to_string(EventKind k) {
  switch (k) {
    case EventKind::CommOk: return "comm-ok";
    case EventKind::PartnerState: return "partner-state";
    case EventKind::CommFail: return "comm-fail";
    case EventKind::UpdDone: return "upddone";
    case EventKind::RecoverWaitExpired: return "recover-wait-expired";
    case EventKind::OperatorPartnerDown: return "operator-partner-down";
    case EventKind::AutoPartnerDown: return "auto-partner-down";
    case EventKind::StartupExpired: return "startup-expired";
  }
  return "?";
}

Step next_state(Role role, State cur, const Event& ev) {
  switch (ev.kind) {
    case EventKind::CommOk:
    case EventKind::PartnerState:
      if (!ev.partner || *ev.partner == S::Startup) return stay(cur);
      return on_partner(role, cur, *ev.partner, ev);
    case EventKind::CommFail:
      if (cur == S::Normal) return go(S::CommunicationsInterrupted, "communications failed");
      if (cur == S::PotentialConflict)
        return go(S::ResolutionInterrupted, "communications failed");
      return stay(cur);  // RECOVER, RECOVER-WAIT, RECOVER-DONE, CONFLICT-DONE, ...: stay
    case EventKind::UpdDone:
      if (cur == S::Recover) return go(S::RecoverWait, "UPDDONE received");
      if (cur == S::PotentialConflict)
        return go(role == Role::Primary ? S::ConflictDone : S::Normal, "UPDDONE received");
      return stay(cur);
    case EventKind::RecoverWaitExpired:
      if (cur == S::RecoverWait) return go(S::RecoverDone, "MCLT past the time of failure");
      return stay(cur);
    case EventKind::OperatorPartnerDown:
      if (in(cur, {S::Normal, S::CommunicationsInterrupted, S::ResolutionInterrupted}))
        return go(S::PartnerDown, "operator command");
      return stay(cur);
    case EventKind::AutoPartnerDown:
      if (cur == S::CommunicationsInterrupted)
        return go(S::PartnerDown, "auto-partner-down timer");
      return stay(cur);
    case EventKind::StartupExpired:
      return stay(cur);
  }
  return stay(cur);
}

State previous_state_at_boot(std::optional<State> stored) {
  if (!stored) return S::Recover;
  switch (*stored) {
    case S::Normal:
    case S::ConflictDone:
      return S::CommunicationsInterrupted;
    case S::PotentialConflict:
      return S::ResolutionInterrupted;
    case S::Startup:
      return S::Recover;  // never stored; treated as no stored state
    default:
      return *stored;
  }
}

State resolve_startup(State previous, std::optional<State> partner,
                      std::int64_t partner_start_time, std::int64_t last_operating) {
  if (partner == S::PartnerDown && previous != S::Recover) {
    // §8.3.2: the partner took over after we stopped operating: our data is older than its;
    // recover from it. It entered PARTNER-DOWN while we still operated: both may have served.
    return partner_start_time > last_operating ? S::Recover : S::PotentialConflict;
  }
  return previous;
}

Responsiveness responsiveness(Role role, State s) {
  switch (s) {
    case S::Normal:
      return role == Role::Primary ? Responsiveness::Responsive
                                   : Responsiveness::RenewResponsive;
    case S::CommunicationsInterrupted:
    case S::PartnerDown:
    case S::ResolutionInterrupted:
    case S::ConflictDone:
      return Responsiveness::Responsive;
    case S::RecoverDone:
      return Responsiveness::RenewResponsive;
    default:
      return Responsiveness::Unresponsive;
  }
}

bool is_synchronised(State s) { return s == S::Normal || s == S::ConflictDone; }

}  // namespace failover6::failover
