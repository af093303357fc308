// lease-stability: RENEW/REBIND replies must keep the live leases of the IA.
#include "check/lease_stability.h"

#include <boost/test/unit_test.hpp>

#include "check_fixtures.h"

namespace failover6::check::test {
namespace {

using wire::MessageType;

HeldLease held(const char* a, double end) { return {addr(a), 0, at(end), {0, 3}, at(0)}; }

BOOST_AUTO_TEST_SUITE(lease_stability)

BOOST_AUTO_TEST_CASE(renew_keeping_the_address_is_fine) {
  Collect c;
  LeaseStability s(c.sink());
  s.on_reply(reply(1800, 1, key(1), {{addr("2001:db8::11"), 1800, 3600}}, MessageType::Renew,
                   {held("2001:db8::11", 3600)}));
  BOOST_TEST(s.checked() == 1U);
  BOOST_TEST(c.v.empty());
}

BOOST_AUTO_TEST_CASE(rebind_answered_with_another_address_is_a_violation) {
  Collect c;
  LeaseStability s(c.sink());
  s.on_reply(reply(2880, 1, key(1), {{addr("2001:db8::12"), 1800, 3600}}, MessageType::Rebind,
                   {held("2001:db8::11", 3600)}));
  BOOST_REQUIRE_EQUAL(c.v.size(), 1U);
  BOOST_TEST(c.v[0].invariant == "lease-stability");
  BOOST_TEST(c.v[0].detail.find("2001:db8::12") != std::string::npos);
  BOOST_TEST(c.v[0].detail.find("REBIND") != std::string::npos);
  BOOST_TEST(c.v[0].leases.size() == 2U);
  BOOST_TEST(c.v[0].frames.size() == 3U);  // reply, request, the grant
}

BOOST_AUTO_TEST_CASE(withdrawing_a_live_lease_is_a_violation) {
  Collect c;
  LeaseStability s(c.sink());
  s.on_reply(reply(1800, 0, key(1), {{addr("2001:db8::11"), 0, 0}}, MessageType::Renew,
                   {held("2001:db8::11", 3600)}));
  BOOST_TEST(c.v.size() == 1U);
}

BOOST_AUTO_TEST_CASE(nobinding_for_a_live_lease_is_a_violation) {
  Collect c;
  LeaseStability s(c.sink());
  auto r = reply(1800, 1, key(1), {}, MessageType::Renew, {held("2001:db8::11", 3600)});
  r.ias[0].status = 3;
  s.on_reply(r);
  BOOST_TEST(c.v.size() == 1U);
}

BOOST_AUTO_TEST_CASE(only_renew_and_rebind_of_live_leases_count) {
  Collect c;
  LeaseStability s(c.sink());
  // A REQUEST may bring another address; an expired lease may be replaced; an omitted lease
  // is left unchanged.
  s.on_reply(reply(10, 0, key(1), {{addr("2001:db8::12"), 1800, 3600}}, MessageType::Request,
                   {held("2001:db8::11", 3600)}));
  s.on_reply(reply(4000, 0, key(1), {{addr("2001:db8::12"), 1800, 3600}}, MessageType::Rebind,
                   {held("2001:db8::11", 3600)}));
  s.on_reply(reply(100, 0, key(1), {}, MessageType::Renew, {held("2001:db8::11", 3600)}));
  BOOST_TEST(c.v.empty());
  BOOST_TEST(s.checked() == 1U);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::check::test
