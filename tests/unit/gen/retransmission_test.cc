// RFC 8415 §15 retransmission timeouts: ranges of RT, doubling, the MRT cap, the Solicit rule.
#include "gen/retransmission.h"

#include <boost/test/unit_test.hpp>

namespace failover6::gen::test {
namespace {

BOOST_AUTO_TEST_SUITE(retransmission)

BOOST_AUTO_TEST_CASE(first_timeout_is_irt_plus_minus_ten_percent) {
  Rng rng(7);
  bool below = false, above = false;
  for (int i = 0; i < 2000; ++i) {
    Duration rt = first_timeout(rfc8415::REQUEST, rng);
    BOOST_TEST(rt >= millis(900));
    BOOST_TEST(rt <= millis(1100));
    below |= rt < seconds(1);
    above |= rt > seconds(1);
  }
  BOOST_TEST(below);
  BOOST_TEST(above);
}

BOOST_AUTO_TEST_CASE(first_solicit_timeout_is_strictly_greater_than_irt) {
  Rng rng(7);
  for (int i = 0; i < 2000; ++i) {
    Duration rt = first_timeout(rfc8415::SOLICIT, rng);
    BOOST_TEST(rt > seconds(1));
    BOOST_TEST(rt <= millis(1100));
  }
}

BOOST_AUTO_TEST_CASE(next_timeout_doubles_then_caps_at_mrt) {
  Rng rng(11);
  Duration rt = first_timeout(rfc8415::REQUEST, rng);
  for (int i = 0; i < 20; ++i) {
    Duration next = next_timeout(rfc8415::REQUEST, rt, rng);
    if (2 * rt * 11 / 10 < seconds(30) * 9 / 10) {  // far from the cap: 1.9x .. 2.1x
      BOOST_TEST(next >= rt * 19 / 10);
      BOOST_TEST(next <= rt * 21 / 10);
    }
    BOOST_TEST(next <= seconds(33));  // MRT + 10 %
    rt = next;
  }
  BOOST_TEST(rt >= seconds(27));  // settled at MRT +- 10 %
}

BOOST_AUTO_TEST_CASE(initial_delay_within_max_delay_and_zero_without) {
  Rng rng(3);
  for (int i = 0; i < 1000; ++i) {
    Duration d = initial_delay(rfc8415::SOLICIT, rng);
    BOOST_TEST(d >= 0);
    BOOST_TEST(d <= seconds(1));
  }
  BOOST_TEST(initial_delay(rfc8415::REQUEST, rng) == 0);
}

BOOST_AUTO_TEST_CASE(same_seed_same_sequence) {
  Rng a(42), b(42), c(43);
  std::uint64_t x = a.next();
  BOOST_TEST(x == b.next());
  BOOST_TEST(x != c.next());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::gen::test
