// RFC 8156 §7.5.4 Figure 4 (conflict resolution) and Figure 5 (time mapping), PROTOCOL.md §8.
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "failover/binding_codec.h"
#include "failover/conflict.h"
#include "helpers.h"

using namespace failover6;
using namespace failover6::failover;
using namespace failover6::failover::testing;
using lease::Lease;
using lease::LeaseType;
using wire::BindingStatus;
using wire::StatusCode;

namespace {

namespace bdata = boost::unit_test::data;

using S = BindingStatus;

/// The local lease's start-time-of-state; the local time of the comparison (no CLTT).
constexpr std::int64_t T0 = NOW - 1000;

/// The Figure 4 entry kinds, written out here independently of conflict.cc.
enum class Rule { Accept, Time1, Time2, Accept3 };

const char* rule_name(Rule r) {
  switch (r) {
    case Rule::Accept: return "accept";
    case Rule::Time1: return "time(1)";
    case Rule::Time2: return "time(2)";
    case Rule::Accept3: return "accept(3)";
  }
  return "?";
}

/// Figure 4 as printed in PROTOCOL.md §8. Rows: receiver ACTIVE, EXPIRED, RELEASED, FREE,
/// FREE-BACKUP, RESET, ABANDONED; columns: incoming ACTIVE, EXPIRED, RELEASED, FREE,
/// FREE-BACKUP, RESET, ABANDONED (the figure's FREE/FREE-BACKUP and RESET/ABANDONED columns
/// are split so that every status is tested).
const S STATUSES[] = {S::Active, S::Expired, S::Released, S::Free, S::FreeBackup, S::Reset,
                      S::Abandoned};
constexpr Rule A = Rule::Accept, T1 = Rule::Time1, T2 = Rule::Time2, A3 = Rule::Accept3;
const Rule FIGURE4[7][7] = {
    /* ACTIVE      */ {A3, T1, A, T1, T1, A, A},
    /* EXPIRED     */ {A, A, A, A, A, A, A},
    /* RELEASED    */ {A, A, A, A, A, A, A},
    /* FREE        */ {A, A, A, A, A, A, A},
    /* FREE-BACKUP */ {A, A, A, A, A, A, A},
    /* RESET       */ {T2, A, A, A, A, A, A},
    /* ABANDONED   */ {A, A, A, A, A, A, A},
};

/// One Figure 4 cell.
struct Cell {
  S local;
  S incoming;
  Rule rule;
};
std::ostream& operator<<(std::ostream& os, const Cell& c) {
  return os << "local " << name(c.local) << " vs incoming " << name(c.incoming) << " ("
            << rule_name(c.rule) << ")";
}

std::vector<Cell> figure4_cells() {
  std::vector<Cell> cells;
  for (int r = 0; r < 7; ++r)
    for (int c = 0; c < 7; ++c) cells.push_back({STATUSES[r], STATUSES[c], FIGURE4[r][c]});
  return cells;
}

/// The receiver's lease: client A, start-time-of-state T0, no CLTT, state ends at @p expires.
Lease local_lease(S state, std::int64_t expires = NOW + 600) {
  Lease l;
  l.key = sample_key(LeaseType::Na);
  l.duid = duid_a();
  l.iaid = 7;
  l.state = state;
  l.start_time_of_state = T0;
  l.state_expiration_time = expires;
  return l;
}

/// An incoming binding of client @p duid whose comparison time is @p when (as start time; no
/// CLT_TIME).
IncomingBinding incoming(S state, std::int64_t when, const wire::Duid& duid = duid_a(),
                         std::uint32_t iaid = 7) {
  IncomingBinding in;
  in.lease.key = sample_key(LeaseType::Na);
  in.lease.duid = duid;
  in.lease.iaid = iaid;
  in.lease.state = state;
  in.lease.start_time_of_state = when;
  return in;
}

/// Runs resolve() and checks the verdict, naming the states and the rule's reason on failure.
void expect(const Lease* local, const IncomingBinding& in, Role role, std::int64_t now,
            Verdict want, const std::string& what) {
  const Resolution r = resolve_explained(local, in, role, now);
  BOOST_TEST(to_string(r.verdict) == to_string(want), what << " [" << r.reason << "]");
  BOOST_TEST(to_string(resolve(local, in, role, now)) == to_string(r.verdict), what);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(failover_conflict)

BOOST_DATA_TEST_CASE(figure4_every_cell_accepts_and_rejects, bdata::make(figure4_cells()), c) {
  std::ostringstream what;
  what << c;
  switch (c.rule) {
    case Rule::Accept: {
      // Later by more than 5 s accepts; exactly 5 s is "equal" and rejects; older rejects.
      const Lease l = local_lease(c.local);
      expect(&l, incoming(c.incoming, T0 + 6), Role::Primary, NOW, Verdict::Accept,
             what.str() + ", incoming 6 s later");
      expect(&l, incoming(c.incoming, T0 + 5), Role::Primary, NOW, Verdict::RejectOutdated,
             what.str() + ", incoming 5 s later (equal)");
      expect(&l, incoming(c.incoming, T0 - 100), Role::Secondary, NOW, Verdict::RejectOutdated,
             what.str() + ", incoming older");
      break;
    }
    case Rule::Time1: {
      // The incoming data is newer in both cases: only the local state's expiry decides.
      // Strictly past the local expiry: no 5 s equality here, or a lease our client still
      // holds could be freed early (and reused) by a partner whose clock runs ahead.
      const Lease running = local_lease(c.local, NOW + 10);
      expect(&running, incoming(c.incoming, NOW), Role::Primary, NOW, Verdict::RejectOutdated,
             what.str() + ", local state expires in 10 s");
      const Lease in_6 = local_lease(c.local, NOW + 6);
      expect(&in_6, incoming(c.incoming, NOW), Role::Primary, NOW, Verdict::RejectOutdated,
             what.str() + ", local state expires in 6 s");
      const Lease in_5 = local_lease(c.local, NOW + 5);
      expect(&in_5, incoming(c.incoming, NOW), Role::Primary, NOW, Verdict::RejectOutdated,
             what.str() + ", local state expires in 5 s");
      const Lease in_1 = local_lease(c.local, NOW + 1);
      expect(&in_1, incoming(c.incoming, NOW), Role::Primary, NOW, Verdict::RejectOutdated,
             what.str() + ", local state expires in 1 s");
      const Lease at_end = local_lease(c.local, NOW);
      expect(&at_end, incoming(c.incoming, NOW), Role::Primary, NOW, Verdict::Accept,
             what.str() + ", local state expires now");
      const Lease ended = local_lease(c.local, NOW - 1);
      expect(&ended, incoming(c.incoming, T0 - 100), Role::Secondary, NOW, Verdict::Accept,
             what.str() + ", local state expired 1 s ago (even with older incoming data)");
      break;
    }
    case Rule::Time2: {
      const Lease l = local_lease(c.local);
      IncomingBinding in = incoming(c.incoming, T0 - 300);
      in.cltt = T0 + 6;
      expect(&l, in, Role::Primary, NOW, Verdict::Accept,
             what.str() + ", incoming CLTT 6 s after local start");
      in.cltt = T0 + 5;
      expect(&l, in, Role::Primary, NOW, Verdict::RejectOutdated,
             what.str() + ", incoming CLTT 5 s after local start (equal)");
      // time(2) compares with the local start-time-of-state even when a later local CLTT is
      // known (plain "accept" would compare with the CLTT and reject).
      Lease with_cltt = l;
      with_cltt.cltt = T0 + 100;
      in.cltt = T0 + 50;
      expect(&with_cltt, in, Role::Primary, NOW, Verdict::Accept,
             what.str() + ", incoming CLTT before local CLTT but after local start");
      break;
    }
    case Rule::Accept3: {
      const Lease l = local_lease(c.local);
      expect(&l, incoming(c.incoming, T0 - 300), Role::Primary, NOW, Verdict::Accept,
             what.str() + ", same client, older data");
      expect(&l, incoming(c.incoming, T0 - 300, duid_b()), Role::Primary, NOW,
             Verdict::RejectInUse, what.str() + ", other client, primary receives");
      break;
    }
  }
}

BOOST_AUTO_TEST_CASE(accept3_active_vs_active) {
  const Lease l = local_lease(S::Active);
  struct Row {
    const char* what;
    wire::Duid duid;
    std::uint32_t iaid;
    std::int64_t when;
    Role receiver;
    Verdict want;
  };
  const Row rows[] = {
      {"same client, older", duid_a(), 7, T0 - 300, Role::Primary, Verdict::Accept},
      {"same client, newer", duid_a(), 7, T0 + 300, Role::Secondary, Verdict::Accept},
      {"other DUID, older, primary receives", duid_b(), 7, T0 - 300, Role::Primary,
       Verdict::RejectInUse},
      {"other DUID, equal (+5 s), primary receives", duid_b(), 7, T0 + 5, Role::Primary,
       Verdict::RejectInUse},
      {"other DUID, newer (+6 s): time(2) holds, primary receives", duid_b(), 7, T0 + 6,
       Role::Primary, Verdict::Accept},
      {"other DUID, older, secondary receives", duid_b(), 7, T0 - 300, Role::Secondary,
       Verdict::Accept},
      {"same DUID, other IAID, primary receives", duid_a(), 8, T0 - 300, Role::Primary,
       Verdict::RejectInUse},
      {"same DUID, other IAID, secondary receives", duid_a(), 8, T0 - 300, Role::Secondary,
       Verdict::Accept},
  };
  for (const auto& r : rows) {
    expect(&l, incoming(S::Active, r.when, r.duid, r.iaid), r.receiver, NOW, r.want,
           std::string("ACTIVE vs ACTIVE: ") + r.what + " (" + to_string(r.receiver) + ")");
  }
  // time(2) compares with the local start-time-of-state, not the local CLTT.
  Lease talked = l;
  talked.cltt = T0 + 100;
  expect(&talked, incoming(S::Active, T0 + 50, duid_b()), Role::Primary, NOW, Verdict::Accept,
         "ACTIVE vs ACTIVE: other client, after local start, before local CLTT");
  // time(2) uses the incoming CLT_TIME when present.
  IncomingBinding in = incoming(S::Active, T0 - 300, duid_b());
  in.cltt = T0 + 6;
  expect(&l, in, Role::Primary, NOW, Verdict::Accept, "ACTIVE vs ACTIVE: other client, CLTT +6");
}

BOOST_AUTO_TEST_CASE(no_local_binding_is_always_accepted) {
  for (S s : STATUSES)
    expect(nullptr, incoming(s, 0), Role::Primary, NOW, Verdict::Accept,
           "no local vs incoming " + name(s));
}

BOOST_AUTO_TEST_CASE(incoming_time_per_state) {
  const Lease l = local_lease(S::Expired);
  // ACTIVE, EXPIRED, RELEASED: CLT_TIME if present, else START_TIME_OF_STATE.
  for (S s : {S::Active, S::Expired, S::Released}) {
    IncomingBinding in = incoming(s, T0 + 100);
    expect(&l, in, Role::Primary, NOW, Verdict::Accept,
           name(s) + ": no CLT_TIME, start +100 decides");
    in.cltt = T0 + 3;
    expect(&l, in, Role::Primary, NOW, Verdict::RejectOutdated,
           name(s) + ": CLT_TIME +3 decides over start +100");
  }
  // Other states: the later of the two.
  for (S s : {S::Free, S::FreeBackup, S::Reset, S::Abandoned, S::PendingFree}) {
    IncomingBinding in = incoming(s, T0 + 3);
    in.cltt = T0 + 100;
    expect(&l, in, Role::Primary, NOW, Verdict::Accept, name(s) + ": CLT_TIME +100, start +3");
    in = incoming(s, T0 + 100);
    in.cltt = T0 + 3;
    expect(&l, in, Role::Primary, NOW, Verdict::Accept, name(s) + ": CLT_TIME +3, start +100");
    in = incoming(s, T0 + 5);
    in.cltt = T0 + 4;
    expect(&l, in, Role::Primary, NOW, Verdict::RejectOutdated,
           name(s) + ": both within 5 s of local time");
  }
}

BOOST_AUTO_TEST_CASE(local_time_is_cltt_when_known) {
  Lease l = local_lease(S::Released);
  l.start_time_of_state = T0 - 500;
  l.cltt = T0;
  expect(&l, incoming(S::Free, T0 + 5), Role::Primary, NOW, Verdict::RejectOutdated,
         "local RELEASED with CLTT: incoming 5 s after CLTT");
  expect(&l, incoming(S::Free, T0 + 6), Role::Primary, NOW, Verdict::Accept,
         "local RELEASED with CLTT: incoming 6 s after CLTT");
}

BOOST_AUTO_TEST_CASE(pending_free_maps_to_free) {
  // Row: a local PENDING-FREE is like FREE (plain accept).
  const Lease pf = local_lease(S::PendingFree);
  expect(&pf, incoming(S::Active, T0 + 6), Role::Primary, NOW, Verdict::Accept,
         "local PENDING-FREE vs ACTIVE +6");
  expect(&pf, incoming(S::Active, T0 + 5), Role::Primary, NOW, Verdict::RejectOutdated,
         "local PENDING-FREE vs ACTIVE +5");
  // Column: an incoming PENDING-FREE is like FREE (time(1) against a local ACTIVE).
  const Lease running = local_lease(S::Active, NOW + 10);
  expect(&running, incoming(S::PendingFree, NOW), Role::Primary, NOW, Verdict::RejectOutdated,
         "local ACTIVE (running) vs PENDING-FREE");
  const Lease ended = local_lease(S::Active, NOW - 1);
  expect(&ended, incoming(S::PendingFree, NOW), Role::Primary, NOW, Verdict::Accept,
         "local ACTIVE (ended) vs PENDING-FREE");
}

BOOST_AUTO_TEST_CASE(status_codes_of_verdicts) {
  BOOST_TEST(status_of(Verdict::Accept) == StatusCode::Success);
  BOOST_TEST(status_of(Verdict::RejectOutdated) == StatusCode::OutdatedBindingInformation);
  BOOST_TEST(status_of(Verdict::RejectInUse) == StatusCode::AddressInUse);
  BOOST_TEST(static_cast<int>(status_of(Verdict::RejectOutdated)) == 19);
  BOOST_TEST(static_cast<int>(status_of(Verdict::RejectInUse)) == 16);
}

BOOST_AUTO_TEST_CASE(reason_names_states_and_rule) {
  const Lease l = local_lease(S::Active, NOW + 10);
  const auto r = resolve_explained(&l, incoming(S::Expired, NOW), Role::Primary, NOW);
  BOOST_TEST(r.reason == "local ACTIVE vs incoming EXPIRED: time(1): local state expires at " +
                             std::to_string(NOW + 10) + ", now " + std::to_string(NOW));
}

// ---- Figure 5 ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(figure5_field_mapping) {
  Lease local = sample_lease(LeaseType::Na, S::Active);
  local.subnet_id = 3;
  local.acked_partner_lifetime = NOW + 1111;
  local.partner_lifetime = NOW + 2000;
  local.cltt = NOW - 50;
  local.expiration_time = NOW + 10;
  local.partner_raw_cltt = NOW - 999;

  IncomingBinding in;
  in.lease = sample_lease(LeaseType::Na, S::Expired);
  in.lease.duid = duid_b();
  in.lease.iaid = 9;
  in.lease.start_time_of_state = NOW - 5;
  in.lease.state_expiration_time = NOW + 300;
  in.lease.preferred = 11;
  in.lease.valid = 22;
  in.lease.t1 = 33;
  in.lease.t2 = 44;
  in.lease.hostname = "new.example.";
  in.cltt = NOW - 7;                    // -> partner_raw_cltt
  in.partner_lifetime = NOW + 4000;     // -> expiration_time
  in.expiration_time = NOW + 3000;      // -> partner_lifetime (3000 > 2000: taken)
  in.partner_raw_cltt = NOW - 20;       // -> cltt (later than -50: taken)

  Lease want = local;
  want.duid = duid_b();
  want.iaid = 9;
  want.state = S::Expired;
  want.start_time_of_state = NOW - 5;
  want.state_expiration_time = NOW + 300;
  want.preferred = 11;
  want.valid = 22;
  want.t1 = 33;
  want.t2 = 44;
  want.hostname = "new.example.";
  want.expiration_time = NOW + 4000;
  want.partner_raw_cltt = NOW - 7;
  want.partner_lifetime = NOW + 3000;
  want.cltt = NOW - 20;
  // kept: subnet_id 3, acked_partner_lifetime NOW + 1111
  FAILOVER6_CHECK_LEASE(apply(&local, in), want, "Figure 5, larger EXPIRATION_TIME and later PARTNER_RAW_CLT_TIME");

  // partner_lifetime only if larger, cltt only if later: here neither is.
  in.expiration_time = NOW + 1500;
  in.partner_raw_cltt = NOW - 80;
  want.partner_lifetime = NOW + 2000;
  want.cltt = NOW - 50;
  FAILOVER6_CHECK_LEASE(apply(&local, in), want, "Figure 5, smaller EXPIRATION_TIME and earlier PARTNER_RAW_CLT_TIME");

  // Absent PARTNER_LIFETIME / CLT_TIME keep what the receiver had; absent state expiration
  // (a state without timeout) is stored as received: none.
  in.partner_lifetime = 0;
  in.cltt = 0;
  in.lease.state = S::Free;
  in.lease.state_expiration_time = 0;
  want.state = S::Free;
  want.state_expiration_time = 0;
  want.expiration_time = NOW + 10;
  want.partner_raw_cltt = NOW - 999;
  FAILOVER6_CHECK_LEASE(apply(&local, in), want, "Figure 5, PARTNER_LIFETIME and CLT_TIME absent");
}

BOOST_AUTO_TEST_CASE(figure5_without_local_lease) {
  IncomingBinding in;
  in.lease = sample_lease(LeaseType::Pd, S::Active);
  in.lease.cltt = 123;  // not a wire field: ignored
  in.lease.acked_partner_lifetime = 456;
  in.cltt = NOW - 7;
  in.partner_lifetime = NOW + 4000;
  in.expiration_time = NOW + 3000;
  in.partner_raw_cltt = NOW - 20;
  Lease want = in.lease;
  want.cltt = NOW - 20;
  want.acked_partner_lifetime = 0;
  want.expiration_time = NOW + 4000;
  want.partner_raw_cltt = NOW - 7;
  want.partner_lifetime = NOW + 3000;
  FAILOVER6_CHECK_LEASE(apply(nullptr, in), want, "Figure 5 without a local lease");
}

// The whole path: the primary's lease -> BNDUPD -> the secondary's stored lease.
BOOST_AUTO_TEST_CASE(bndupd_to_stored_lease) {
  const Lease sent = sample_lease(LeaseType::Na, S::Active);
  const auto d = std::get<DecodedBndupd>(decode_bndupd(encode_bndupd(sent, 1, NOW)));
  const IncomingBinding& in = d.bindings.at(0);
  BOOST_TEST(to_string(resolve(nullptr, in, Role::Secondary, NOW)) == "accept");
  const Lease stored = apply(nullptr, in);
  BOOST_TEST(stored.expiration_time == sent.partner_lifetime);  // what we now ack
  BOOST_TEST(stored.partner_raw_cltt == sent.cltt);
  BOOST_TEST(stored.partner_lifetime == sent.expiration_time);
  BOOST_TEST(stored.cltt == sent.partner_raw_cltt);
  BOOST_TEST(stored.start_time_of_state == sent.start_time_of_state);
  BOOST_TEST(stored.state_expiration_time == sent.state_expiration_time);
  BOOST_TEST(stored.duid == sent.duid);
  BOOST_TEST(stored.valid == sent.valid);
  // The same update again (a retransmission after reconnect) is same-client ACTIVE: accepted.
  BOOST_TEST(to_string(resolve(&stored, in, Role::Primary, NOW)) == "accept");
}

BOOST_AUTO_TEST_SUITE_END()
