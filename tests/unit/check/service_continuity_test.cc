// service-continuity: transactions given up on by the client, and outages.
#include "check/service_continuity.h"

#include <boost/test/unit_test.hpp>

#include "check_fixtures.h"

namespace failover6::check::test {
namespace {

using wire::MessageType;

ClientTx tx(double t, int n, std::uint32_t xid, MessageType type, double leases_end = 0) {
  ClientTx c;
  c.time_ns = at(t);
  c.ref = {0, static_cast<std::uint64_t>(t) + 1};
  c.client = client(n);
  c.xid = xid;
  c.type = type;
  c.leases_end_ns = leases_end > 0 ? at(leases_end) : 0;
  return c;
}

ServerReply answer(double t, int n, std::uint32_t xid) {
  auto r = reply(t, 0, key(n), {});
  r.xid = xid;
  return r;
}

BOOST_AUTO_TEST_SUITE(service_continuity)

BOOST_AUTO_TEST_CASE(answered_transactions_are_fine) {
  Collect c;
  ServiceContinuity s(c.sink());
  s.on_client(tx(0, 1, 1, MessageType::Solicit));
  s.on_reply(answer(0.01, 1, 1));
  s.on_client(tx(1, 1, 2, MessageType::Request));
  s.on_client(tx(2, 1, 2, MessageType::Request));
  s.on_reply(answer(2.5, 1, 2));
  s.on_tick(at(500));
  s.finish(at(600));
  BOOST_TEST(c.v.empty());
  BOOST_TEST(s.checked() == 2U);
  BOOST_TEST(s.longest().duration_ns == at(2.5) - at(1));
  BOOST_TEST(s.longest().answered);
}

BOOST_AUTO_TEST_CASE(request_retransmitted_ten_times_unanswered_is_a_violation) {
  Collect c;
  ServiceContinuity s(c.sink());
  for (int i = 0; i < 10; ++i) s.on_client(tx(i * 10, 1, 5, MessageType::Request));
  s.on_tick(at(95));  // within REQ_MAX_RT of the last one
  BOOST_TEST(c.v.empty());
  s.on_tick(at(121));
  BOOST_REQUIRE_EQUAL(c.v.size(), 1U);
  BOOST_TEST(c.v[0].detail.find("REQUEST") != std::string::npos);
  BOOST_TEST(c.v[0].frames.size() == 2U);
}

BOOST_AUTO_TEST_CASE(fewer_request_transmissions_are_not_yet_given_up) {
  Collect c;
  ServiceContinuity s(c.sink());
  for (int i = 0; i < 5; ++i) s.on_client(tx(i * 10, 1, 5, MessageType::Request));
  s.finish(at(1000));
  BOOST_TEST(c.v.empty());
}

BOOST_AUTO_TEST_CASE(rebind_unanswered_until_the_leases_expire_is_a_violation) {
  Collect c;
  ServiceContinuity s(c.sink());
  s.on_client(tx(2880, 1, 9, MessageType::Rebind, 3600));
  s.on_client(tx(2990, 1, 9, MessageType::Rebind, 3600));
  s.on_tick(at(3000));
  BOOST_TEST(c.v.empty());
  s.on_tick(at(3601));
  BOOST_TEST(c.v.size() == 1U);
}

BOOST_AUTO_TEST_CASE(unanswered_renew_is_only_an_outage) {
  Collect c;
  ServiceContinuity s(c.sink());
  s.on_client(tx(1800, 1, 3, MessageType::Renew, 3600));
  s.on_client(tx(1810, 1, 3, MessageType::Renew, 3600));
  s.on_client(tx(2880, 1, 4, MessageType::Rebind, 3600));
  s.on_reply(answer(2881, 1, 4));
  s.finish(at(3000));
  BOOST_TEST(c.v.empty());
  BOOST_TEST(s.longest().duration_ns == at(2881) - at(1800));
}

BOOST_AUTO_TEST_CASE(outage_over_the_limit_is_a_violation) {
  Collect c;
  ServiceContinuity s(c.sink(), ServiceContinuity::Limits{60 * NS, 120 * NS});
  s.on_client(tx(0, 1, 1, MessageType::Solicit));
  s.on_client(tx(50, 1, 1, MessageType::Solicit));
  s.on_reply(answer(59, 1, 1));
  s.on_client(tx(100, 2, 1, MessageType::Solicit));
  s.on_reply(answer(200, 2, 1));
  BOOST_REQUIRE_EQUAL(c.v.size(), 1U);
  BOOST_TEST(c.v[0].clients[0] == client(2).to_string());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::check::test
