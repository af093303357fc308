// mclt-bound: lease end <= max(now, acked partner lifetime) + MCLT outside PARTNER-DOWN.
#include "check/mclt_bound.h"

#include <boost/test/unit_test.hpp>

#include "check_fixtures.h"

namespace failover6::check::test {
namespace {

using wire::MessageType;

/// A reply from the primary's address, so that the server links to its failover endpoint.
ServerReply from_primary(const Wire& w, double t, std::uint32_t valid,
                         std::optional<MessageType> rq = MessageType::Request,
                         std::vector<HeldLease> held = {}) {
  auto r = reply(t, 0, key(1), {{addr("2001:db8::11"), valid / 2, valid}}, rq, std::move(held));
  r.server_address = w.primary;
  return r;
}

BOOST_AUTO_TEST_SUITE(mclt_bound)

BOOST_AUTO_TEST_CASE(without_failover_stream_not_applicable) {
  Collect c;
  McltBound m(c.sink());
  m.on_reply(reply(0, 0, key(1), {{addr("2001:db8::11"), 1800, 99999}}));
  m.finish(at(1));
  BOOST_TEST(!m.applicable());
  BOOST_TEST(m.checked() == 0U);
  BOOST_TEST(c.v.empty());
}

BOOST_AUTO_TEST_CASE(new_lease_longer_than_mclt_is_a_violation) {
  Collect c;
  McltBound m(c.sink());
  Wire w;
  w.handshake(m, 0, 3600);
  m.on_reply(from_primary(w, 1, 3600));
  BOOST_TEST(c.v.empty());
  m.on_reply(from_primary(w, 2, 3600 + 6));  // 5 s tolerance, then over
  BOOST_REQUIRE_EQUAL(c.v.size(), 1U);
  BOOST_TEST(c.v[0].detail.find("MCLT 3600") != std::string::npos);
  BOOST_TEST(m.checked() == 2U);
}

BOOST_AUTO_TEST_CASE(a_tls_partner_link_leaves_its_servers_unjudged) {
  // Over TLS the partner's acks are invisible: a long lease is not a violation, and with
  // nothing else to judge the invariant says so instead of passing.
  Collect c;
  McltBound m(c.sink());
  Wire w;
  m.on_failover(w.event(0, true, FailoverEvent::Kind::Begin));
  m.on_failover(w.msg(0, true, Wire::make(MessageType::StartTls, 1, 0)));
  m.on_failover(w.event(0, true, FailoverEvent::Kind::Encrypted));
  m.on_failover(w.event(0, false, FailoverEvent::Kind::Begin));
  m.on_failover(w.event(0, false, FailoverEvent::Kind::Encrypted));
  m.on_reply(from_primary(w, 2, 3600 * 24));
  m.finish(at(3));
  BOOST_TEST(c.v.empty());
  BOOST_TEST(m.checked() == 0U);
  BOOST_TEST(!m.applicable());
  BOOST_TEST(m.note().find("TLS") != std::string::npos, m.note());
}

BOOST_AUTO_TEST_CASE(acked_partner_lifetime_extends_the_bound) {
  Collect c;
  McltBound m(c.sink());
  Wire w;
  w.handshake(m, 0, 3600);
  m.on_reply(from_primary(w, 1, 3600));
  const std::uint32_t pl = Wire::fo_time(1 + 1800 + 7200);
  m.on_failover(w.msg(2, true, Wire::bndupd(5, 2, 1, "2001:db8::11", pl)));
  m.on_failover(w.msg(2, false, Wire::bndreply(5, 2, 1, "2001:db8::11", pl)));
  // At T1 the lease may run to the acked lifetime + MCLT.
  m.on_reply(from_primary(w, 1801, 7200 + 3600, MessageType::Renew));
  BOOST_TEST(c.v.empty());
  m.on_reply(from_primary(w, 1802, 7200 + 3600 + 10, MessageType::Renew));
  BOOST_TEST(c.v.size() == 1U);
}

BOOST_AUTO_TEST_CASE(partner_down_is_exempt) {
  Collect c;
  McltBound m(c.sink());
  Wire w;
  w.handshake(m, 0, 3600);
  m.on_failover(w.msg(1, true, Wire::state(1, 4)));
  m.on_reply(from_primary(w, 2, 86400));
  BOOST_TEST(c.v.empty());
}

BOOST_AUTO_TEST_CASE(while_disconnected_the_next_state_decides) {
  Collect c;
  McltBound m(c.sink());
  Wire w;
  w.handshake(m, 0, 3600);
  m.on_failover(w.event(5, true, FailoverEvent::Kind::End));
  m.on_failover(w.event(5, false, FailoverEvent::Kind::End));
  m.on_reply(from_primary(w, 100, 86400));
  BOOST_TEST(c.v.empty());  // held back
  // Reconnected: the primary reports PARTNER-DOWN since t=50, before the REPLY: exempt.
  w.conn = 2;
  m.on_failover(w.event(200, true, FailoverEvent::Kind::Begin));
  auto st = Wire::state(50, 4);
  m.on_failover(w.msg(200, true, st));
  BOOST_TEST(c.v.empty());
  // Disconnected again, another long lease, and the next STATE says COMM-INT: reported.
  m.on_failover(w.event(300, true, FailoverEvent::Kind::End));
  m.on_failover(w.msg(301, true, Wire::state(301, 2)));  // (a STATE without Begin: treat as info)
  m.on_reply(from_primary(w, 400, 86400));
  m.on_failover(w.event(500, true, FailoverEvent::Kind::Begin));
  m.on_failover(w.msg(500, true, Wire::state(310, 3)));
  BOOST_TEST(c.v.size() == 1U);
}

// Found by the demo (hot-standby, 2,000 clients): the secondary in PARTNER-DOWN answered a
// client within a millisecond of the restarted primary's CONNECT, before its own
// STATE(PARTNER-DOWN) on the new connection; it was judged against the NORMAL it had last
// reported before the failure.
BOOST_AUTO_TEST_CASE(a_new_connection_waits_for_the_servers_state) {
  Collect c;
  McltBound m(c.sink());
  Wire w;
  w.handshake(m, 0, 3600);
  m.on_failover(w.event(5, true, FailoverEvent::Kind::End));
  m.on_failover(w.event(5, false, FailoverEvent::Kind::End));
  w.conn = 2;
  m.on_failover(w.event(100, true, FailoverEvent::Kind::Begin));
  m.on_failover(w.event(100, false, FailoverEvent::Kind::Begin));
  m.on_reply(from_primary(w, 100.001, 86400));  // between the Begin and its STATE
  BOOST_TEST(c.v.empty());
  m.on_failover(w.msg(100.002, true, Wire::state(50, 4)));  // PARTNER-DOWN since t=50
  BOOST_TEST(c.v.empty());
  // Once its STATE is in, the endpoint is judged at once again.
  m.on_failover(w.msg(101, true, Wire::state(101, 2)));
  m.on_reply(from_primary(w, 102, 86400));
  BOOST_TEST(c.v.size() == 1U);
}

BOOST_AUTO_TEST_CASE(a_new_connection_without_a_state_is_judged_by_the_next_one) {
  Collect c;
  McltBound m(c.sink());
  Wire w;
  w.handshake(m, 0, 3600);
  m.on_failover(w.event(5, true, FailoverEvent::Kind::End));
  w.conn = 2;
  m.on_failover(w.event(100, true, FailoverEvent::Kind::Begin));
  m.on_reply(from_primary(w, 100.5, 86400));
  m.on_failover(w.msg(101, true, Wire::state(101, 2)));  // COMMUNICATIONS-INTERRUPTED: reported
  BOOST_REQUIRE_EQUAL(c.v.size(), 1U);
  BOOST_TEST(c.v[0].detail.find("next STATE reported") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(held_violations_are_reported_at_the_end) {
  Collect c;
  McltBound m(c.sink());
  Wire w;
  w.handshake(m, 0, 3600);
  m.on_failover(w.event(5, true, FailoverEvent::Kind::End));
  m.on_failover(w.event(5, false, FailoverEvent::Kind::End));
  m.on_reply(from_primary(w, 100, 86400));
  m.finish(at(200));
  BOOST_REQUIRE_EQUAL(c.v.size(), 1U);
  BOOST_TEST(c.v[0].detail.find("comms were down") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(given_mclt_checks_without_stream_but_not_old_renewals) {
  Collect c;
  McltBound m(c.sink(), McltBound::Limits{600, 5 * NS});
  m.on_reply(reply(0, 0, key(1), {{addr("2001:db8::11"), 300, 900}}));
  BOOST_TEST(c.v.size() == 1U);
  // A renewal of a lease held since before any failover traffic: not verifiable.
  m.on_reply(reply(10, 0, key(2), {{addr("2001:db8::12"), 300, 900}}, MessageType::Renew,
                   {{addr("2001:db8::12"), 0, at(100), {}, at(-100)}}));
  m.finish(at(20));
  BOOST_TEST(c.v.size() == 1U);
  BOOST_TEST(m.applicable());
  BOOST_TEST(m.note().find("not verifiable") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::check::test
