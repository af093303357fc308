// PolicyRouter (m-to-1): each subnet's questions go to the relationship that covers it.
#include <boost/test/unit_test.hpp>

#include "config/config.h"
#include "failover/endpoint.h"
#include "failover/router.h"
#include "lease/lease_store.h"

using namespace failover6;
using namespace failover6::failover;

BOOST_AUTO_TEST_CASE(router_dispatches_by_subnet) {
  auto parsed = config::parse_config(R"({"Dhcp6": {"subnet6": [
      {"id": 1, "subnet": "2001:db8:1::/64", "pools": [{"pool": "2001:db8:1::/120"}]},
      {"id": 2, "subnet": "2001:db8:2::/64", "pools": [{"pool": "2001:db8:2::/120"}]},
      {"id": 3, "subnet": "2001:db8:3::/64", "pools": [{"pool": "2001:db8:3::/120"}]}]},
    "Failover6": {"relationships": [
      {"name": "north", "role": "secondary", "this-server": "[::1]:647", "peer": "[::1]:648",
       "mclt": 60, "subnets": [1], "insecure": true, "startup-time": 5},
      {"name": "south", "role": "secondary", "this-server": "[::1]:647", "peer": "[::2]:648",
       "mclt": 60, "subnets": [2], "insecure": true}]}})");
  BOOST_REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? std::string() : parsed.errors.at(0).to_string()));
  const config::Config& cfg = parsed.config;
  lease::MemoryStore store;
  const std::int64_t now = 1'800'000'000;
  // "north" ran before and was in NORMAL: it restarts towards COMMUNICATIONS-INTERRUPTED.
  store.put_meta("failover/north", R"({"state": "NORMAL", "communicated": true})");
  Endpoint north(cfg.failover6.relationships[0], cfg, store, {}, now);
  Endpoint south(cfg.failover6.relationships[1], cfg, store, {}, now);
  PolicyRouter router({&north, &south});
  BOOST_TEST(router.endpoint_for(1) == &north);
  BOOST_TEST(router.endpoint_for(2) == &south);
  BOOST_TEST(router.endpoint_for(3) == nullptr);
  // Both in STARTUP: neither answers; subnet 3 has no relationship and is served standalone.
  BOOST_TEST(!router.may_answer(wire::MessageType::Solicit, false, 1, now));
  BOOST_TEST(!router.may_answer(wire::MessageType::Solicit, false, 2, now));
  BOOST_TEST(router.may_answer(wire::MessageType::Solicit, false, 3, now));
  // The startup timer runs out with no partner: north goes back to its previous state's
  // comm-failed successor and serves; south (no stored state) recovers and does not.
  north.on_timer(now + 5);
  south.on_timer(now + 5);
  BOOST_TEST(north.state() == State::CommunicationsInterrupted);
  BOOST_TEST(south.state() == State::Recover);
  BOOST_TEST(router.may_answer(wire::MessageType::Solicit, false, 1, now + 5));
  BOOST_TEST(!router.may_answer(wire::MessageType::Solicit, false, 2, now + 5));
  // The secondary allocates its own (even) half only.
  lease::LeaseKey odd{lease::LeaseType::Na, wire::Address::from_string("2001:db8:1::11"), 128};
  lease::LeaseKey even{lease::LeaseType::Na, wire::Address::from_string("2001:db8:1::10"), 128};
  BOOST_TEST(!router.may_allocate(odd, nullptr, 1, now + 5));
  BOOST_TEST(router.may_allocate(even, nullptr, 1, now + 5));
  // MCLT cap outside PARTNER-DOWN: nothing acked yet -> at most MCLT (60).
  lease::Lease l;
  l.subnet_id = 1;
  BOOST_TEST(router.allowed_valid(l, 4000, now + 5) == 60u);
  l.subnet_id = 3;
  BOOST_TEST(router.allowed_valid(l, 4000, now + 5) == 4000u);
}
