// no-duplicate-assignment: overlapping windows of two clients on one address or on nested
// prefixes are violations; sequential, released, withdrawn and same-client ones are not.
#include "check/no_duplicate_assignment.h"

#include <boost/test/unit_test.hpp>

#include "check_fixtures.h"

namespace failover6::check::test {
namespace {

BOOST_AUTO_TEST_SUITE(no_duplicate_assignment)

BOOST_AUTO_TEST_CASE(same_address_two_clients_overlapping_is_a_violation) {
  Collect c;
  NoDuplicateAssignment d(c.sink());
  d.on_reply(reply(0, 0, key(1), {{addr("2001:db8::11"), 1800, 3600}}));
  d.on_reply(reply(100, 1, key(2), {{addr("2001:db8::11"), 1800, 3600}}));
  BOOST_TEST(d.checked() == 2U);
  BOOST_REQUIRE_EQUAL(c.v.size(), 1U);
  const Violation& v = c.v[0];
  BOOST_TEST(v.invariant == "no-duplicate-assignment");
  BOOST_TEST(v.time_ns == at(100));
  BOOST_TEST(v.clients.size() == 2U);
  BOOST_TEST(v.clients[0] == key(2).to_string());
  BOOST_TEST(v.clients[1] == key(1).to_string());
  BOOST_TEST(v.leases[0] == "2001:db8::11");
  BOOST_TEST(v.frames.size() == 2U);
  BOOST_TEST(v.detail.find("server#1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(same_iaid_of_another_ia_type_is_another_client) {
  Collect c;
  NoDuplicateAssignment d(c.sink());
  d.on_reply(reply(0, 0, key(1, IaType::Na), {{addr("2001:db8::11"), 1800, 3600}}));
  d.on_reply(reply(1, 0, key(1, IaType::Ta), {{addr("2001:db8::11"), 1800, 3600}}));
  BOOST_TEST(c.v.size() == 1U);
}

BOOST_AUTO_TEST_CASE(after_expiry_the_address_may_move) {
  Collect c;
  NoDuplicateAssignment d(c.sink());
  d.on_reply(reply(0, 0, key(1), {{addr("2001:db8::11"), 1800, 3600}}));
  d.on_reply(reply(3600, 1, key(2), {{addr("2001:db8::11"), 1800, 3600}}));
  BOOST_TEST(c.v.empty());
}

BOOST_AUTO_TEST_CASE(after_release_or_zero_lifetime_the_address_may_move) {
  Collect c;
  NoDuplicateAssignment d(c.sink());
  d.on_reply(reply(0, 0, key(1), {{addr("2001:db8::11"), 1800, 3600}}));
  d.on_lease_end({at(10), {}, key(1), addr("2001:db8::11"), 0, EndKind::Released});
  d.on_reply(reply(20, 0, key(2), {{addr("2001:db8::11"), 1800, 3600}}));
  d.on_reply(reply(30, 0, key(2), {{addr("2001:db8::11"), 0, 0}}));
  d.on_reply(reply(40, 0, key(3), {{addr("2001:db8::11"), 1800, 3600}}));
  BOOST_TEST(c.v.empty());
  BOOST_TEST(d.checked() == 3U);
}

BOOST_AUTO_TEST_CASE(renewals_by_either_server_are_not_duplicates) {
  Collect c;
  NoDuplicateAssignment d(c.sink());
  d.on_reply(reply(0, 0, key(1), {{addr("2001:db8::11"), 1800, 3600}}));
  d.on_reply(reply(1800, 1, key(1), {{addr("2001:db8::11"), 1800, 3600}}, wire::MessageType::Rebind));
  BOOST_TEST(c.v.empty());
}

BOOST_AUTO_TEST_CASE(nested_prefixes_overlap_disjoint_ones_do_not) {
  Collect c;
  NoDuplicateAssignment d(c.sink());
  d.on_reply(reply(0, 0, key(1, IaType::Pd), {{prefix("2001:db8:8000:100::", 56), 1800, 3600}}));
  d.on_reply(reply(1, 0, key(2, IaType::Pd), {{prefix("2001:db8:8000:200::", 56), 1800, 3600}}));
  BOOST_TEST(c.v.empty());
  // A /48 containing both.
  d.on_reply(reply(2, 1, key(3, IaType::Pd), {{prefix("2001:db8:8000::", 48), 1800, 3600}}));
  BOOST_TEST(c.v.size() == 2U);
  // A /60 inside client 1's /56.
  d.on_reply(reply(3, 1, key(4, IaType::Pd), {{prefix("2001:db8:8000:110::", 60), 1800, 3600}}));
  BOOST_TEST(c.v.size() == 4U);  // inside client 1's /56 and client 3's /48
}

BOOST_AUTO_TEST_CASE(a_pair_is_reported_once_not_at_every_renewal) {
  Collect c;
  NoDuplicateAssignment d(c.sink());
  d.on_reply(reply(0, 0, key(1), {{addr("2001:db8::11"), 1800, 3600}}));
  d.on_reply(reply(10, 1, key(2), {{addr("2001:db8::11"), 1800, 3600}}));
  d.on_reply(reply(20, 1, key(2), {{addr("2001:db8::11"), 1800, 3600}}));
  BOOST_TEST(c.v.size() == 1U);
}

BOOST_AUTO_TEST_CASE(memory_follows_live_leases) {
  Collect c;
  NoDuplicateAssignment d(c.sink());
  for (int n = 0; n < 1000; ++n) {
    wire::Address a = wire::Address::from_string("2001:db8::");
    a.bytes[14] = static_cast<std::uint8_t>(n >> 8);
    a.bytes[15] = static_cast<std::uint8_t>(n);
    d.on_reply(reply(n, 0, key(n), {{Resource{a, 128}, 30, 60}}));
    if (n % 100 == 99) d.on_tick(at(n));
  }
  BOOST_TEST(d.live() <= 160U);
  d.on_tick(at(5000));
  BOOST_TEST(d.live() == 0U);
  BOOST_TEST(c.v.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::check::test
