// failover-wire: framing, handshake order, contents, xid pairing, flow control, keepalive.
#include "check/failover_wire.h"

#include <boost/test/unit_test.hpp>

#include "check_fixtures.h"

namespace failover6::check::test {
namespace {

using wire::MessageType;

bool has(const Collect& c, const std::string& text) {
  for (const auto& v : c.v)
    if (v.detail.find(text) != std::string::npos) return true;
  return false;
}

BOOST_AUTO_TEST_SUITE(failover_wire)

BOOST_AUTO_TEST_CASE(a_proper_session_is_clean) {
  Collect c;
  FailoverWire f(c.sink());
  Wire w;
  w.handshake(f, 0);
  const std::uint32_t pl = Wire::fo_time(9000);
  f.on_failover(w.msg(1, true, Wire::bndupd(10, 1, 1, "2001:db8::11", pl)));
  f.on_failover(w.msg(1, false, Wire::bndreply(10, 1, 1, "2001:db8::11", pl)));
  f.on_failover(w.msg(10, true, Wire::make(MessageType::Contact, 11, 10)));
  f.on_failover(w.msg(12, false, Wire::make(MessageType::Contact, 12, 12)));
  f.on_failover(w.msg(13, false, Wire::make(MessageType::PoolReq, 13, 13)));
  f.on_failover(w.msg(13, true, Wire::make(MessageType::PoolResp, 13, 13)));
  BOOST_TEST(c.v.empty(), (c.v.empty() ? "" : c.v[0].detail));
  BOOST_TEST(f.checked() == 10U);
  BOOST_TEST(f.applicable());
}

BOOST_AUTO_TEST_CASE(malformed_frame_is_a_violation) {
  Collect c;
  FailoverWire f(c.sink());
  Wire w;
  f.on_failover(w.event(0, true, FailoverEvent::Kind::Malformed));
  BOOST_REQUIRE_EQUAL(c.v.size(), 1U);
  BOOST_TEST(c.v[0].invariant == "failover-wire");
  BOOST_TEST(c.v[0].frames.size() == 1U);
}

BOOST_AUTO_TEST_CASE(first_message_and_roles) {
  Collect c;
  FailoverWire f(c.sink());
  Wire w;
  f.on_failover(w.event(0, true, FailoverEvent::Kind::Begin));
  f.on_failover(w.msg(0, true, Wire::make(MessageType::Contact, 1, 0)));
  BOOST_TEST(has(c, "first message"));
  f.on_failover(w.msg(0, false, Wire::connect(2, 0)));
  BOOST_TEST(has(c, "CONNECT sent by the listening side"));
  f.on_failover(w.msg(0, true, Wire::make(MessageType::PoolReq, 3, 0)));
  BOOST_TEST(has(c, "POOLREQ sent by the primary"));
}

BOOST_AUTO_TEST_CASE(connect_contents_and_mclt_echo) {
  Collect c;
  FailoverWire f(c.sink());
  Wire w;
  auto bad = Wire::make(MessageType::Connect, 1, 0, {wire::FProtocolVersion{1, 0}});
  f.on_failover(w.msg(0, true, bad));
  BOOST_TEST(has(c, "CONNECT lacks MCLT"));
  auto r = Wire::connect(1, 0, 1800);
  r.type = MessageType::ConnectReply;
  f.on_failover(w.msg(0, false, Wire::connect(2, 0, 3600)));  // wrong side too
  f.on_failover(w.msg(0, true, Wire::connect(3, 0, 3600)));
  r.transaction_id = 3;
  f.on_failover(w.msg(0, false, r));
  BOOST_TEST(has(c, "differs from CONNECT's"));
}

BOOST_AUTO_TEST_CASE(bndupd_before_states_and_structure) {
  Collect c;
  FailoverWire f(c.sink());
  Wire w;
  f.on_failover(w.msg(0, true, Wire::connect(1, 0)));
  f.on_failover(w.msg(0, true, Wire::bndupd(5, 0, 1, "2001:db8::11", 1)));
  BOOST_TEST(has(c, "before STATE went both ways"));
  auto empty = Wire::make(MessageType::BndUpd, 6, 0, {wire::ClientData{{}}});
  f.on_failover(w.msg(0, true, empty));
  BOOST_TEST(has(c, "no CLIENTID"));
  BOOST_TEST(has(c, "no LQ_BASE_TIME"));
}

BOOST_AUTO_TEST_CASE(bndreply_pairing_and_partner_lifetime_echo) {
  Collect c;
  FailoverWire f(c.sink());
  Wire w;
  w.handshake(f, 0);
  f.on_failover(w.msg(1, false, Wire::bndreply(99, 1, 1, "2001:db8::11", 5)));
  BOOST_TEST(has(c, "matches no un-acked BNDUPD"));
  f.on_failover(w.msg(1, true, Wire::bndupd(10, 1, 1, "2001:db8::11", 5000)));
  f.on_failover(w.msg(1, true, Wire::bndupd(10, 1, 2, "2001:db8::12", 5000)));
  BOOST_TEST(has(c, "xid reused"));
  f.on_failover(w.msg(1, false, Wire::bndreply(10, 1, 2, "2001:db8::12", 4999)));
  BOOST_TEST(has(c, "PARTNER_LIFETIME_SENT for 2001:db8::12 is 4999"));
}

BOOST_AUTO_TEST_CASE(max_unacked_is_respected) {
  Collect c;
  FailoverWire f(c.sink());
  Wire w;
  w.handshake(f, 0, 3600, 2);
  f.on_failover(w.msg(1, true, Wire::bndupd(10, 1, 1, "2001:db8::11", 5000)));
  f.on_failover(w.msg(1, true, Wire::bndupd(11, 1, 2, "2001:db8::12", 5000)));
  BOOST_TEST(c.v.empty());
  f.on_failover(w.msg(1, true, Wire::bndupd(12, 1, 3, "2001:db8::13", 5000)));
  BOOST_TEST(has(c, "3 BNDUPDs un-acked"));
}

BOOST_AUTO_TEST_CASE(state_contents) {
  Collect c;
  FailoverWire f(c.sink());
  Wire w;
  auto pd = Wire::make(MessageType::State, 1, 0,
                       {wire::FServerState{4}, wire::FServerFlags{0}, wire::FStartTimeOfState{1}});
  f.on_failover(w.msg(0, true, pd));
  BOOST_TEST(has(c, "lacks PARTNER_DOWN_TIME"));
  auto bad = Wire::make(MessageType::State, 2, 0, {wire::FServerState{11}, wire::FServerFlags{0x80}});
  f.on_failover(w.msg(0, true, bad));
  BOOST_TEST(has(c, "SERVER_STATE 11"));
  BOOST_TEST(has(c, "MBZ"));
  BOOST_TEST(has(c, "START_TIME_OF_STATE"));
}

BOOST_AUTO_TEST_CASE(updone_only_after_every_bndupd_is_acked) {
  Collect c;
  FailoverWire f(c.sink());
  Wire w;
  w.handshake(f, 0);
  f.on_failover(w.msg(1, false, Wire::make(MessageType::UpdReq, 20, 1)));
  f.on_failover(w.msg(1, true, Wire::bndupd(21, 1, 1, "2001:db8::11", 5000)));
  f.on_failover(w.msg(1, true, Wire::make(MessageType::UpdDone, 20, 1)));
  BOOST_TEST(has(c, "not yet acked"));
}

BOOST_AUTO_TEST_CASE(keepalive_silence_and_skew) {
  Collect c;
  FailoverWire f(c.sink());
  Wire w;
  w.handshake(f, 0);  // keepalive 60 s: a side may be silent 15 s (+5 s slack)
  f.on_failover(w.msg(19, true, Wire::make(MessageType::Contact, 30, 19)));
  BOOST_TEST(c.v.empty());
  f.on_failover(w.msg(45, true, Wire::make(MessageType::Contact, 31, 45)));
  BOOST_TEST(has(c, "silent for 26.000 s"));
  f.on_failover(w.msg(50, true, Wire::make(MessageType::Contact, 32, 60)));
  BOOST_TEST(has(c, "sent-time is 10.000 s off"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::check::test
