// state-legality: RFC 8156 §8 transitions as seen in STATE messages.
#include "check/state_legality.h"

#include <boost/test/unit_test.hpp>

#include "check_fixtures.h"

namespace failover6::check::test {
namespace {

using wire::MessageType;

enum : std::uint8_t { N = 2, CI = 3, PD = 4, PC = 5, R = 6, RW = 7, RD = 8, RI = 9, CD = 10 };

BOOST_AUTO_TEST_SUITE(state_legality)

BOOST_AUTO_TEST_CASE(transition_table) {
  BOOST_TEST(StateLegality::direct_edge(CI, N));
  BOOST_TEST(StateLegality::direct_edge(PD, PC));
  BOOST_TEST(StateLegality::direct_edge(R, RW));
  BOOST_TEST(StateLegality::direct_edge(RW, RD));
  BOOST_TEST(StateLegality::direct_edge(PC, CD));
  BOOST_TEST(StateLegality::direct_edge(N, N));
  BOOST_TEST(!StateLegality::direct_edge(N, PC));
  BOOST_TEST(!StateLegality::direct_edge(N, R));
  BOOST_TEST(!StateLegality::direct_edge(RW, N));
  BOOST_TEST(!StateLegality::direct_edge(CD, PC));
  BOOST_TEST(StateLegality::across_outage(N, PC));   // via COMM-INT
  BOOST_TEST(StateLegality::across_outage(N, PD));
  BOOST_TEST(StateLegality::across_outage(PC, PD));  // via RESOLUTION-INT
  BOOST_TEST(!StateLegality::across_outage(N, RW));
  BOOST_TEST(!StateLegality::across_outage(N, CD));
  // A restart without storage (and a STARTUP timer that ran out unseen) begins in RECOVER.
  BOOST_TEST(StateLegality::across_outage(N, static_cast<std::uint8_t>(6)));
}

BOOST_AUTO_TEST_CASE(normal_to_potential_conflict_on_one_connection_is_a_violation) {
  Collect c;
  StateLegality s(c.sink());
  Wire w;
  s.on_failover(w.msg(0, true, Wire::state(0, N)));
  s.on_failover(w.msg(0, false, Wire::state(0, N)));
  s.on_failover(w.msg(5, true, Wire::state(5, PC)));
  BOOST_REQUIRE_EQUAL(c.v.size(), 1U);
  BOOST_TEST(c.v[0].invariant == "state-legality");
  BOOST_TEST(c.v[0].frames.size() == 2U);
  BOOST_TEST(s.checked() == 3U);
}

BOOST_AUTO_TEST_CASE(across_a_reconnect_hidden_steps_are_allowed) {
  Collect c;
  StateLegality s(c.sink());
  Wire w;
  s.on_failover(w.msg(0, true, Wire::state(0, N)));
  w.conn = 2;
  s.on_failover(w.msg(100, true, Wire::state(100, PD)));  // NORMAL→COMM-INT→PARTNER-DOWN
  BOOST_TEST(c.v.empty());
  w.conn = 3;
  s.on_failover(w.msg(200, true, Wire::state(200, RW)));  // not reachable
  BOOST_TEST(c.v.size() == 1U);
}

BOOST_AUTO_TEST_CASE(partners_on_one_address_stay_apart) {
  // A loopback lab: both partners on ::1, told apart by the side of the connection. Each
  // walks RECOVER -> RECOVER-WAIT -> RECOVER-DONE in turn; merged into one server they would
  // look like RECOVER-DONE -> RECOVER-WAIT.
  Collect c;
  StateLegality s(c.sink());
  Wire w;
  w.primary = w.secondary = wire::Address::from_string("::1");
  s.on_failover(w.msg(0, true, Wire::state(0, R)));
  s.on_failover(w.msg(0, false, Wire::state(0, R)));
  s.on_failover(w.msg(1, false, Wire::state(1, RW)));
  s.on_failover(w.msg(1, false, Wire::state(1, RD)));
  s.on_failover(w.msg(1, true, Wire::state(1, RW)));
  s.on_failover(w.msg(1, true, Wire::state(1, RD)));
  BOOST_TEST(c.v.empty());
  BOOST_TEST(s.checked() == 6U);
}

BOOST_AUTO_TEST_CASE(a_restart_frees_the_next_state_and_s_flag_states_are_skipped) {
  Collect c;
  StateLegality s(c.sink());
  Wire w;
  s.on_failover(w.msg(0, true, Wire::state(0, N)));
  w.conn = 2;
  s.on_failover(w.msg(100, true, Wire::state(100, CI, 0x03)));  // STARTUP flag: skipped
  s.on_failover(w.msg(101, true, Wire::state(101, R)));
  BOOST_TEST(c.v.empty());
  BOOST_TEST(s.checked() == 2U);
}

BOOST_AUTO_TEST_CASE(normal_needs_the_right_partner_state) {
  Collect c;
  StateLegality s(c.sink());
  Wire w;
  s.on_failover(w.msg(0, true, Wire::state(0, CI)));
  s.on_failover(w.msg(0, false, Wire::state(0, CI)));
  s.on_failover(w.msg(1, true, Wire::state(1, N)));  // partner COMM-INT: fine
  BOOST_TEST(c.v.empty());
  w.conn = 2;
  s.on_failover(w.msg(10, false, Wire::state(10, PD)));
  s.on_failover(w.msg(10, true, Wire::state(10, CI)));
  s.on_failover(w.msg(11, true, Wire::state(11, N)));  // partner PARTNER-DOWN: not allowed
  BOOST_TEST(c.v.size() == 1U);
}

BOOST_AUTO_TEST_CASE(conflict_done_rules) {
  Collect c;
  StateLegality s(c.sink());
  Wire w;
  s.on_failover(w.msg(0, true, Wire::state(0, PC)));
  s.on_failover(w.msg(0, false, Wire::state(0, PC)));
  s.on_failover(w.msg(1, true, Wire::state(1, CD)));  // no UPDDONE received yet
  BOOST_TEST(c.v.size() == 1U);
  s.on_failover(w.msg(2, false, Wire::state(2, CD)));  // the secondary, never
  BOOST_TEST(c.v.size() == 2U);

  Collect ok;
  StateLegality t(ok.sink());
  Wire w2;
  t.on_failover(w2.msg(0, true, Wire::state(0, PC)));
  t.on_failover(w2.msg(0, false, Wire::state(0, PC)));
  t.on_failover(w2.msg(1, false, Wire::make(MessageType::UpdDone, 5, 1)));  // to the primary
  t.on_failover(w2.msg(2, true, Wire::state(2, CD)));
  t.on_failover(w2.msg(3, true, Wire::make(MessageType::UpdDone, 6, 3)));  // to the secondary
  t.on_failover(w2.msg(4, false, Wire::state(4, N)));
  t.on_failover(w2.msg(5, true, Wire::state(5, N)));
  BOOST_TEST(ok.v.empty(), (ok.v.empty() ? "" : ok.v[0].detail));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::check::test
