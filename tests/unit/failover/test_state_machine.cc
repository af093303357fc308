// RFC 8156 §8 endpoint transitions: PROTOCOL.md §4.1 as a test, row for row (STYLE.md rule 6).
#include <boost/test/unit_test.hpp>

#include "helpers.h"

#include "failover/state_machine.h"

using namespace failover6::failover;
using S = State;

namespace {

/// One-field wrappers, so that a row's states cannot be swapped by accident.
struct Mine {
  explicit Mine(S v) : s(v) {}
  S s;
};
struct Partner {
  explicit Partner(S v) : s(v) {}
  S s;
};
struct Expect {
  explicit Expect(S v) : s(v) {}
  S s;
};

/// Partner state @p p reported (STATE while comms are OK) to @p role in @p m.
void partner_row(Role role, Mine m, Partner p, Expect e, EventKind kind = EventKind::PartnerState) {
  BOOST_TEST_CONTEXT(to_string(role) << " in " << to_string(m.s) << ", partner " << to_string(p.s)
                                     << " (" << to_string(kind) << ")") {
    Step step = next_state(role, m.s, Event{kind, p.s});
    BOOST_TEST(step.next == e.s);
  }
}

void event_row(Role role, Mine m, EventKind kind, Expect e) {
  BOOST_TEST_CONTEXT(to_string(role) << " in " << to_string(m.s) << " on " << to_string(kind)) {
    Step step = next_state(role, m.s, Event{kind, std::nullopt});
    BOOST_TEST(step.next == e.s);
  }
}

const Role BOTH[] = {Role::Primary, Role::Secondary};

}  // namespace

BOOST_AUTO_TEST_SUITE(transition_table)

BOOST_AUTO_TEST_CASE(boot_previous_state) {
  // (boot): nothing stored -> RECOVER (A1); comm-OK states become their comm-failed successor.
  BOOST_TEST(previous_state_at_boot(std::nullopt) == S::Recover);
  BOOST_TEST(previous_state_at_boot(S::Normal) == S::CommunicationsInterrupted);
  BOOST_TEST(previous_state_at_boot(S::ConflictDone) == S::CommunicationsInterrupted);
  BOOST_TEST(previous_state_at_boot(S::PotentialConflict) == S::ResolutionInterrupted);
  for (S s : {S::CommunicationsInterrupted, S::PartnerDown, S::Recover, S::RecoverWait,
              S::RecoverDone, S::ResolutionInterrupted})
    BOOST_TEST(previous_state_at_boot(s) == s);
}

BOOST_AUTO_TEST_CASE(startup_comm_ok) {
  // STARTUP, comm OK: CURRENT = PREVIOUS, except a partner in PARTNER-DOWN: RECOVER if it
  // entered PARTNER-DOWN after our last operating time, POTENTIAL-CONFLICT if before.
  BOOST_TEST(resolve_startup(S::CommunicationsInterrupted, S::Normal, 0, 100) ==
             S::CommunicationsInterrupted);
  BOOST_TEST(resolve_startup(S::CommunicationsInterrupted, S::PartnerDown, 200, 100) ==
             S::Recover);
  BOOST_TEST(resolve_startup(S::CommunicationsInterrupted, S::PartnerDown, 50, 100) ==
             S::PotentialConflict);
  BOOST_TEST(resolve_startup(S::PartnerDown, S::PartnerDown, 50, 100) == S::PotentialConflict);
  BOOST_TEST(resolve_startup(S::Recover, S::PartnerDown, 50, 100) == S::Recover);
  BOOST_TEST(resolve_startup(S::RecoverDone, std::nullopt, 0, 100) == S::RecoverDone);
}

BOOST_AUTO_TEST_CASE(startup_expired_stays_for_caller) {
  for (Role r : BOTH) event_row(r, Mine(S::Startup), EventKind::StartupExpired, Expect(S::Startup));
}

BOOST_AUTO_TEST_CASE(partner_down_rows) {
  for (Role r : BOTH) {
    for (S p : {S::Normal, S::CommunicationsInterrupted, S::PartnerDown, S::PotentialConflict,
                S::ResolutionInterrupted, S::ConflictDone})
      partner_row(r, Mine(S::PartnerDown), Partner(p), Expect(S::PotentialConflict));
    partner_row(r, Mine(S::PartnerDown), Partner(S::Recover), Expect(S::PartnerDown));
    partner_row(r, Mine(S::PartnerDown), Partner(S::RecoverWait), Expect(S::PartnerDown));
    partner_row(r, Mine(S::PartnerDown), Partner(S::RecoverDone), Expect(S::Normal));
    // A STATE with the S flag (STARTUP) is ignored.
    partner_row(r, Mine(S::PartnerDown), Partner(S::Startup), Expect(S::PartnerDown));
    event_row(r, Mine(S::PartnerDown), EventKind::CommFail, Expect(S::PartnerDown));
  }
}

BOOST_AUTO_TEST_CASE(recover_rows) {
  for (Role r : BOTH) {
    for (S p : {S::PotentialConflict, S::ResolutionInterrupted, S::ConflictDone})
      partner_row(r, Mine(S::Recover), Partner(p), Expect(S::PotentialConflict), EventKind::CommOk);
    for (S p : {S::Normal, S::CommunicationsInterrupted, S::PartnerDown, S::Recover,
                S::RecoverWait, S::RecoverDone}) {
      partner_row(r, Mine(S::Recover), Partner(p), Expect(S::Recover), EventKind::CommOk);
      BOOST_TEST_CONTEXT("partner " << to_string(p)) {
        BOOST_TEST((next_state(r, S::Recover, Event{EventKind::CommOk, p}).action ==
                    Action::SendUpdReq));
      }
    }
    event_row(r, Mine(S::Recover), EventKind::UpdDone, Expect(S::RecoverWait));
    event_row(r, Mine(S::Recover), EventKind::CommFail, Expect(S::Recover));
  }
}

BOOST_AUTO_TEST_CASE(recover_wait_rows) {
  for (Role r : BOTH) {
    event_row(r, Mine(S::RecoverWait), EventKind::RecoverWaitExpired, Expect(S::RecoverDone));
    event_row(r, Mine(S::RecoverWait), EventKind::CommFail, Expect(S::RecoverWait));
  }
}

BOOST_AUTO_TEST_CASE(recover_done_rows) {
  for (Role r : BOTH) {
    partner_row(r, Mine(S::RecoverDone), Partner(S::Normal), Expect(S::Normal));
    partner_row(r, Mine(S::RecoverDone), Partner(S::RecoverDone), Expect(S::Normal));
    partner_row(r, Mine(S::RecoverDone), Partner(S::Recover), Expect(S::CommunicationsInterrupted));
    partner_row(r, Mine(S::RecoverDone), Partner(S::RecoverWait),
                Expect(S::CommunicationsInterrupted));
    partner_row(r, Mine(S::RecoverDone), Partner(S::PotentialConflict),
                Expect(S::PotentialConflict));
    event_row(r, Mine(S::RecoverDone), EventKind::CommFail, Expect(S::RecoverDone));
  }
}

BOOST_AUTO_TEST_CASE(normal_rows) {
  for (Role r : BOTH) {
    event_row(r, Mine(S::Normal), EventKind::OperatorPartnerDown, Expect(S::PartnerDown));
    event_row(r, Mine(S::Normal), EventKind::CommFail, Expect(S::CommunicationsInterrupted));
    // Expected partner states: stay.
    for (S p : {S::Normal, S::CommunicationsInterrupted, S::RecoverDone, S::ConflictDone})
      partner_row(r, Mine(S::Normal), Partner(p), Expect(S::Normal));
    // Unexpected change: COMMUNICATIONS-INTERRUPTED, then that state's rule (chained).
    for (S p : {S::PotentialConflict, S::PartnerDown, S::Recover, S::ResolutionInterrupted}) {
      Step s = next_state(r, S::Normal, Event{EventKind::PartnerState, p});
      BOOST_TEST_CONTEXT("partner " << to_string(p)) {
        BOOST_TEST(s.next == S::CommunicationsInterrupted);
        BOOST_TEST(s.chained);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(communications_interrupted_rows) {
  for (Role r : BOTH) {
    event_row(r, Mine(S::CommunicationsInterrupted), EventKind::AutoPartnerDown,
              Expect(S::PartnerDown));
    event_row(r, Mine(S::CommunicationsInterrupted), EventKind::OperatorPartnerDown,
              Expect(S::PartnerDown));
    for (S p : {S::Normal, S::CommunicationsInterrupted, S::RecoverDone})
      partner_row(r, Mine(S::CommunicationsInterrupted), Partner(p), Expect(S::Normal),
                  EventKind::CommOk);
    partner_row(r, Mine(S::CommunicationsInterrupted), Partner(S::Recover),
                Expect(S::CommunicationsInterrupted), EventKind::CommOk);
    // A4: RECOVER-WAIT has no rule; we stay, as for RECOVER.
    partner_row(r, Mine(S::CommunicationsInterrupted), Partner(S::RecoverWait),
                Expect(S::CommunicationsInterrupted), EventKind::CommOk);
    for (S p : {S::PartnerDown, S::PotentialConflict, S::ConflictDone, S::ResolutionInterrupted})
      partner_row(r, Mine(S::CommunicationsInterrupted), Partner(p), Expect(S::PotentialConflict),
                  EventKind::CommOk);
    event_row(r, Mine(S::CommunicationsInterrupted), EventKind::CommFail,
              Expect(S::CommunicationsInterrupted));
  }
}

BOOST_AUTO_TEST_CASE(potential_conflict_rows) {
  for (Role r : BOTH)
    event_row(r, Mine(S::PotentialConflict), EventKind::CommFail, Expect(S::ResolutionInterrupted));
  event_row(Role::Primary, Mine(S::PotentialConflict), EventKind::UpdDone, Expect(S::ConflictDone));
  event_row(Role::Secondary, Mine(S::PotentialConflict), EventKind::UpdDone, Expect(S::Normal));
  // The secondary answers the primary's CONFLICT-DONE with its own UPDREQ and stays.
  Step s = next_state(Role::Secondary, S::PotentialConflict,
                      Event{EventKind::PartnerState, S::ConflictDone});
  BOOST_TEST(s.next == S::PotentialConflict);
  BOOST_TEST((s.action == Action::SendUpdReq));
}

BOOST_AUTO_TEST_CASE(resolution_interrupted_rows) {
  for (Role r : BOTH) {
    event_row(r, Mine(S::ResolutionInterrupted), EventKind::OperatorPartnerDown,
              Expect(S::PartnerDown));
    partner_row(r, Mine(S::ResolutionInterrupted), Partner(S::PotentialConflict),
                Expect(S::PotentialConflict), EventKind::CommOk);
    event_row(r, Mine(S::ResolutionInterrupted), EventKind::CommFail,
              Expect(S::ResolutionInterrupted));
  }
}

BOOST_AUTO_TEST_CASE(conflict_done_rows) {
  event_row(Role::Primary, Mine(S::ConflictDone), EventKind::CommFail, Expect(S::ConflictDone));
  partner_row(Role::Primary, Mine(S::ConflictDone), Partner(S::Normal), Expect(S::Normal));
  partner_row(Role::Primary, Mine(S::ConflictDone), Partner(S::PotentialConflict),
              Expect(S::ConflictDone));
}

BOOST_AUTO_TEST_CASE(operator_partner_down_refused_elsewhere) {
  for (Role r : BOTH)
    for (S s : {S::Startup, S::Recover, S::RecoverWait, S::RecoverDone, S::PotentialConflict})
      event_row(r, Mine(s), EventKind::OperatorPartnerDown, Expect(s));
}

BOOST_AUTO_TEST_CASE(responsiveness_table) {
  using R = Responsiveness;
  BOOST_TEST((responsiveness(Role::Primary, S::Normal) == R::Responsive));
  BOOST_TEST((responsiveness(Role::Secondary, S::Normal) == R::RenewResponsive));
  BOOST_TEST((responsiveness(Role::Secondary, S::RecoverDone) == R::RenewResponsive));  // A3
  for (S s : {S::CommunicationsInterrupted, S::PartnerDown, S::ResolutionInterrupted})
    for (Role r : BOTH) BOOST_TEST((responsiveness(r, s) == R::Responsive));
  for (S s : {S::Startup, S::Recover, S::RecoverWait, S::PotentialConflict})
    for (Role r : BOTH) BOOST_TEST((responsiveness(r, s) == R::Unresponsive));
}

BOOST_AUTO_TEST_CASE(names_round_trip) {
  for (int v = 1; v <= 10; ++v) {
    auto s = static_cast<S>(v);
    BOOST_TEST((state_from_string(to_string(s)) == s));
  }
  BOOST_TEST(!state_from_string("PAUSED").has_value());  // A11
  BOOST_TEST(to_string(S::CommunicationsInterrupted) == "COMMUNICATIONS-INTERRUPTED");
}

BOOST_AUTO_TEST_SUITE_END()
