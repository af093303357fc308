// Fleet: many clients behind relays against in-process scripted servers in virtual time —
// everyone binds, renews keep the addresses, a silent server makes clients rebind to its
// partner, runs are deterministic, bad configs are refused.
#include "gen/fleet.h"

#include <boost/test/unit_test.hpp>
#include <deque>
#include <map>

#include "scripted_server.h"

namespace failover6::gen::test {
namespace {

using wire::MessageType;

/// A pair of "partners" sharing one lease table: each client DUID keeps one address and one
/// prefix whichever server answers. A silent server drops everything.
struct Pool {
  std::map<wire::Duid, std::uint32_t> index;
  std::uint32_t lease_of(const wire::Duid& d) {
    auto [it, added] = index.emplace(d, static_cast<std::uint32_t>(index.size()));
    return it->second;
  }
};

struct LoopServer {
  ScriptedServer s;
  bool silent = false;
  std::uint64_t answered = 0;

  std::optional<wire::Bytes> answer(Pool& pool, wire::ByteView payload) {
    if (silent) return std::nullopt;
    auto fwd = wire::decode_message(payload);
    BOOST_REQUIRE(fwd.has_value());
    const wire::Message& req = fwd->innermost();
    // Like an RFC 8156 partner: messages naming another server are not ours.
    if (auto* sid = req.find<wire::ServerId>(); sid && sid->duid != s.duid) return std::nullopt;
    ScriptedServer per = s;
    std::uint32_t k = pool.lease_of(req.find<wire::ClientId>()->duid);
    per.address.bytes[12] = static_cast<std::uint8_t>(k >> 24);
    per.address.bytes[13] = static_cast<std::uint8_t>(k >> 16);
    per.address.bytes[14] = static_cast<std::uint8_t>(k >> 8);
    per.address.bytes[15] = static_cast<std::uint8_t>(k);
    per.prefix.bytes[4] = static_cast<std::uint8_t>(k >> 8);
    per.prefix.bytes[5] = static_cast<std::uint8_t>(k);
    wire::Message inner = req.type == MessageType::Solicit ? per.advertise(req) : per.reply(req);
    ++answered;
    return wire::encode_message(relay_reply(*fwd, std::move(inner)));
  }
};

/// Runs a fleet against servers in virtual time; every answer takes 1 ms.
struct Lab {
  Fleet fleet;
  std::vector<LoopServer> servers;
  Pool pool;
  Time now = 0;
  Inflight inflight;
  std::vector<Datagram> out;
  std::vector<wire::Bytes> log;  ///< every datagram sent, in order

  Lab(FleetConfig c, std::size_t n_servers) : fleet((c.servers = static_cast<std::uint32_t>(n_servers), c)), servers(n_servers) {
    for (std::size_t i = 0; i < n_servers; ++i)
      servers[i].s.duid = wire::Duid::en(2495, std::array<std::uint8_t, 1>{static_cast<std::uint8_t>(i + 1)});
  }
  void pump() {
    for (auto& d : out) {
      log.push_back(d.payload);
      if (auto a = servers.at(d.server).answer(pool, d.payload))
        inflight.emplace_back(now + millis(1), d.server, std::move(*a));
    }
    out.clear();
  }
  void run_until(Time end) { run_fleet_until(fleet, now, inflight, out, end, [this] { pump(); }); }
};

FleetConfig config(std::uint32_t clients) {
  FleetConfig c;
  c.clients = clients;
  c.relays = 3;
  c.relay_depth = 2;
  c.remote_id = true;
  c.profile.pd = true;
  c.start_interval = millis(1);
  c.seed = 5;
  return c;
}

BOOST_AUTO_TEST_SUITE(fleet)

BOOST_AUTO_TEST_CASE(all_bind_and_keep_their_leases_through_renewals) {
  Lab lab(config(500), 1);
  lab.run_until(seconds(10));
  const auto& st = lab.fleet.stats();
  BOOST_TEST(lab.fleet.clients_bound(lab.now) == 500U);
  BOOST_TEST(st.sarr == 500U);
  BOOST_TEST(st.sent[1] == 500U);  // SOLICIT, one per client, no retransmission needed
  BOOST_TEST(st.received[2] == 500U);
  BOOST_TEST(st.retransmissions == 0U);
  BOOST_TEST(st.exchanges == 1000U);
  BOOST_TEST(st.latencies_us.size() == 1000U);
  lab.run_until(seconds(3500));  // two rounds of RENEW at T1 (1000 s)
  BOOST_TEST(lab.fleet.stats().sent[5] >= 1000U);
  BOOST_TEST(lab.fleet.clients_bound(lab.now) == 500U);
  BOOST_TEST(lab.fleet.leases_changed() == 0U);
  BOOST_TEST(lab.fleet.stats().failures == 0U);
  BOOST_TEST(lab.fleet.stats().malformed == 0U);
  // Each relay served its share; each client kept its relay.
  BOOST_TEST(lab.fleet.relay(1).first.link_address.to_string() == "2001:db8:1::2");
}

BOOST_AUTO_TEST_CASE(silent_granting_server_makes_clients_rebind_to_the_partner) {
  FleetConfig c = config(200);
  Lab lab(c, 2);
  lab.servers[1].silent = true;
  lab.run_until(seconds(10));
  BOOST_TEST(lab.fleet.clients_bound(lab.now) == 200U);
  for (std::size_t i = 0; i < lab.fleet.size(); ++i) BOOST_TEST(lab.fleet.client(i).server() == 0);
  lab.servers[0].silent = true;
  lab.servers[1].silent = false;
  lab.run_until(seconds(2100));  // past T2 (2000 s): RENEW to 0 unanswered, REBIND answered by 1
  BOOST_TEST(lab.fleet.clients_bound(lab.now) == 200U);
  for (std::size_t i = 0; i < lab.fleet.size(); ++i) BOOST_TEST(lab.fleet.client(i).server() == 1);
  BOOST_TEST(lab.fleet.stats().sent[6] >= 400U);  // REBIND to both servers
  BOOST_TEST(lab.fleet.leases_changed() == 0U);
  BOOST_TEST(lab.fleet.stats().failures == 0U);
}

BOOST_AUTO_TEST_CASE(all_silent_leases_expire_and_clients_solicit_again) {
  Lab lab(config(50), 1);
  lab.run_until(seconds(5));
  lab.servers[0].silent = true;
  lab.run_until(seconds(4100));
  BOOST_TEST(lab.fleet.clients_bound(lab.now) == 0U);
  BOOST_TEST(lab.fleet.stats().failures_by_kind[static_cast<int>(Failure::LeaseExpired)] == 50U);
}

BOOST_AUTO_TEST_CASE(same_seed_same_datagrams) {
  Lab a(config(100), 2), b(config(100), 2);
  a.run_until(seconds(1200));
  b.run_until(seconds(1200));
  BOOST_TEST(a.log.size() == b.log.size());
  BOOST_TEST((a.log == b.log));
  FleetConfig other = config(100);
  other.seed = 6;
  Lab c(other, 2);
  c.run_until(seconds(1200));
  BOOST_TEST((c.log != a.log));
}

BOOST_AUTO_TEST_CASE(mixed_population_info_only_decline_rapid_commit) {
  FleetConfig c = config(300);
  c.information_only_fraction = 0.2;
  c.decline_fraction = 0.1;
  c.relay_depth = 1;
  Lab lab(c, 1);
  lab.run_until(seconds(30));
  const auto& st = lab.fleet.stats();
  BOOST_TEST(st.sent[11] > 0U);  // INFORMATION-REQUEST
  BOOST_TEST(st.sent[9] > 0U);   // DECLINE
  BOOST_TEST(lab.fleet.clients_bound(lab.now) + lab.fleet.clients_informed() == 300U);
}

BOOST_AUTO_TEST_CASE(release_all) {
  Lab lab(config(40), 1);
  lab.run_until(seconds(5));
  lab.fleet.release_all(lab.now, lab.out);
  lab.pump();
  lab.run_until(seconds(6));
  BOOST_TEST(lab.fleet.stats().sent[8] == 40U);
  for (std::size_t i = 0; i < lab.fleet.size(); ++i)
    BOOST_TEST(to_string(lab.fleet.client(i).state()) == "Released");
}

BOOST_AUTO_TEST_CASE(replies_for_unknown_clients_or_relays_are_counted_not_taken) {
  Lab lab(config(3), 1);
  lab.run_until(seconds(2));
  std::vector<Datagram> out;
  const wire::Bytes junk{1, 2, 3};
  BOOST_TEST(!lab.fleet.on_datagram(0, junk, lab.now, out));
  BOOST_TEST(lab.fleet.stats().malformed == 1U);
  // A RELAY-REPL for client 99 of 3.
  wire::Message inner;
  inner.type = MessageType::Reply;
  RelayConfig r = lab.fleet.relay(0);
  wire::Message fwd = wrap(r, inner, Fleet::client_address(98));
  BOOST_TEST(!lab.fleet.on_datagram(0, wire::encode_message(relay_reply(fwd, inner)), lab.now, out));
  BOOST_TEST(lab.fleet.stats().unmatched == 1U);
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(bad_configs_are_refused_with_reasons) {
  auto refused = [](FleetConfig c, const std::string& what) {
    try {
      Fleet f(c);
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string(e.what()).find(what) != std::string::npos, e.what());
      return;
    }
    BOOST_ERROR("accepted: " << what);
  };
  FleetConfig c0;
  c0.clients = 0;
  refused(c0, "at least one client");
  FleetConfig c1;
  c1.servers = 0;
  refused(c1, "number of servers");
  FleetConfig c2;
  c2.relay_depth = 3;
  refused(c2, "relay depth");
  FleetConfig c3;
  c3.duid_types = {5};
  refused(c3, "unknown DUID type 5");
  FleetConfig c;
  c.profile.na = false;
  refused(c, "IA_NA, IA_PD or both");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::gen::test
