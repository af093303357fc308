// Direct Fleet (relay depth 0): clients attached to the servers' link. Every message goes out
// bare and once, to the multicast group (a RENEW too), replies are told apart by CLIENTID, the
// clients and their messages are those of a relayed fleet with the same seed, runs are
// deterministic, and direct configs with relays are refused.
#include <boost/test/unit_test.hpp>
#include <deque>
#include <map>
#include <set>

#include "gen/fleet.h"
#include "scripted_server.h"

namespace failover6::gen::test {
namespace {

using wire::MessageType;

/// A server on the link: it gets every multicast, ignores messages naming another server
/// (like an RFC 8156 partner), and gives each client DUID its own address.
struct LinkServer {
  ScriptedServer s;
  bool silent = false;
  std::map<wire::Duid, std::uint32_t>* pool = nullptr;
  std::uint64_t received = 0;

  std::optional<wire::Bytes> answer(wire::ByteView payload) {
    ++received;
    if (silent) return std::nullopt;
    auto req = wire::decode_message(payload);
    BOOST_REQUIRE(req.has_value());
    BOOST_REQUIRE(!req->is_relay());
    if (auto* sid = req->find<wire::ServerId>(); sid && sid->duid != s.duid) return std::nullopt;
    ScriptedServer per = s;
    auto [it, added] = pool->emplace(req->find<wire::ClientId>()->duid,
                                     static_cast<std::uint32_t>(pool->size()));
    per.address.bytes[14] = static_cast<std::uint8_t>(it->second >> 8);
    per.address.bytes[15] = static_cast<std::uint8_t>(it->second);
    wire::Message m = req->type == MessageType::Solicit ? per.advertise(*req) : per.reply(*req);
    return wire::encode_message(m);
  }
};

/// A link with a direct fleet and servers, in virtual time; every answer takes 1 ms.
struct Link {
  Fleet fleet;
  std::map<wire::Duid, std::uint32_t> pool;
  std::vector<LinkServer> servers;
  Time now = 0;
  Inflight inflight;
  std::vector<Datagram> out;
  std::vector<Datagram> log;  ///< every datagram the fleet sent, in order

  Link(FleetConfig c, std::size_t n_servers) : fleet(c), servers(n_servers) {
    for (std::size_t i = 0; i < n_servers; ++i) {
      servers[i].s.duid =
          wire::Duid::en(2495, std::array<std::uint8_t, 1>{static_cast<std::uint8_t>(i + 1)});
      servers[i].pool = &pool;
    }
  }
  void pump() {
    for (auto& d : out) {
      log.push_back(d);
      BOOST_TEST(d.server == ALL_SERVERS);  // to ff02::1:2: every server on the link gets it
      for (std::size_t s = 0; s < servers.size(); ++s)
        if (auto a = servers[s].answer(d.payload))
          inflight.emplace_back(now + millis(1), static_cast<std::uint8_t>(s), std::move(*a));
    }
    out.clear();
  }
  void run_until(Time end) { run_fleet_until(fleet, now, inflight, out, end, [this] { pump(); }); }
};

FleetConfig direct(std::uint32_t clients) {
  FleetConfig c;
  c.clients = clients;
  c.relays = 0;
  c.relay_depth = 0;
  c.servers = 2;
  c.profile.pd = true;
  c.start_interval = millis(1);
  c.seed = 7;
  return c;
}

BOOST_AUTO_TEST_SUITE(direct_fleet)

BOOST_AUTO_TEST_CASE(bare_messages_once_to_the_group_and_everyone_binds) {
  Link link(direct(300), 1);
  BOOST_TEST(link.fleet.direct());
  BOOST_TEST(link.fleet.relay_count() == 0U);
  link.run_until(seconds(10));
  const auto& st = link.fleet.stats();
  BOOST_TEST(link.fleet.clients_bound(link.now) == 300U);
  BOOST_TEST(st.sarr == 300U);
  BOOST_TEST(st.sent[1] == 300U);      // one SOLICIT per client, not one per server
  BOOST_TEST(st.received[2] == 300U);  // ADVERTISE
  BOOST_TEST(st.received[7] == 300U);  // REPLY
  BOOST_TEST(st.malformed == 0U);
  BOOST_TEST(st.unmatched == 0U);
  std::set<std::uint32_t> senders;
  for (const auto& d : link.log) {
    auto m = wire::decode_message(d.payload);
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(!m->is_relay());
    // Datagram.relay names the client, whose DUID the message carries.
    BOOST_TEST((m->find<wire::ClientId>()->duid == link.fleet.client(d.relay).duid()));
    senders.insert(d.relay);
  }
  BOOST_TEST(senders.size() == 300U);
  std::set<wire::Address> addresses;
  for (std::size_t i = 0; i < link.fleet.size(); ++i)
    addresses.insert(link.fleet.client(i).address().address);
  BOOST_TEST(addresses.size() == 300U);  // each reply reached the client it named
}

BOOST_AUTO_TEST_CASE(renew_is_multicast_with_the_granting_servers_id) {
  FleetConfig c = direct(100);
  c.profile.renew_unicast = true;  // no UNICAST option on a link: multicast all the same
  Link link(c, 2);
  link.servers[1].silent = true;
  link.run_until(seconds(10));
  BOOST_TEST(link.fleet.clients_bound(link.now) == 100U);
  link.servers[1].silent = false;
  link.log.clear();
  const std::uint64_t before = link.servers[1].received;
  link.run_until(seconds(1500));  // past T1 (1000 s): one RENEW each, answered by server 0
  std::size_t renews = 0;
  for (const auto& d : link.log) {
    auto m = wire::decode_message(d.payload);
    BOOST_REQUIRE(m.has_value());
    if (m->type != MessageType::Renew) continue;
    ++renews;
    BOOST_TEST(d.server == ALL_SERVERS);
    auto* sid = m->find<wire::ServerId>();
    BOOST_REQUIRE(sid != nullptr);
    BOOST_TEST((sid->duid == link.servers[0].s.duid));
  }
  BOOST_TEST(renews == 100U);
  BOOST_TEST(link.servers[1].received - before == 100U);  // the other server saw each one too
  BOOST_TEST(link.fleet.clients_bound(link.now) == 100U);
  BOOST_TEST(link.fleet.leases_changed() == 0U);
  BOOST_TEST(link.fleet.stats().failures == 0U);
  BOOST_TEST(link.fleet.stats().sent[5] == 100U);
}

BOOST_AUTO_TEST_CASE(same_clients_and_messages_as_a_relayed_fleet) {
  FleetConfig d = direct(50);
  d.servers = 1;
  FleetConfig r = d;
  r.relays = 2;
  r.relay_depth = 1;
  Fleet df(d), rf(r);
  std::vector<Datagram> dout, rout;
  for (Time t : {seconds(2), seconds(4)}) {  // the starts (and their random delays), the SOLICITs
    df.on_timer(t, dout);
    rf.on_timer(t, rout);
  }
  BOOST_REQUIRE(dout.size() == 50U);
  BOOST_REQUIRE(rout.size() == 50U);
  for (std::size_t i = 0; i < 50; ++i) {
    BOOST_TEST((df.client(i).duid() == rf.client(i).duid()));
    auto fwd = wire::decode_message(rout[i].payload);
    BOOST_REQUIRE(fwd.has_value());
    BOOST_TEST((wire::encode_message(fwd->innermost()) == dout[i].payload));
  }
}

BOOST_AUTO_TEST_CASE(same_seed_same_datagrams) {
  Link a(direct(80), 2), b(direct(80), 2);
  a.run_until(seconds(1200));
  b.run_until(seconds(1200));
  BOOST_REQUIRE(a.log.size() == b.log.size());
  BOOST_TEST(a.log.size() >= 80U * 3);  // SOLICIT, REQUEST, RENEW each
  bool same = true;
  for (std::size_t k = 0; k < a.log.size(); ++k)
    same = same && a.log[k].payload == b.log[k].payload && a.log[k].relay == b.log[k].relay;
  BOOST_TEST(same);
  FleetConfig other = direct(80);
  other.seed = 8;
  Link c(other, 2);
  c.run_until(seconds(1200));
  bool differs = c.log.size() != a.log.size();
  for (std::size_t k = 0; k < std::min(a.log.size(), c.log.size()) && !differs; ++k)
    differs = a.log[k].payload != c.log[k].payload;
  BOOST_TEST(differs);
}

BOOST_AUTO_TEST_CASE(replies_are_told_apart_by_clientid) {
  Link link(direct(3), 1);
  link.run_until(seconds(10));
  BOOST_REQUIRE(link.fleet.clients_bound(link.now) == 3U);
  std::vector<Datagram> out;
  std::uint32_t who = 99;
  const auto base = link.fleet.stats();

  const wire::Bytes junk{1, 2, 3};
  BOOST_TEST(!link.fleet.on_datagram(0, junk, link.now, out));
  BOOST_TEST(link.fleet.stats().malformed == base.malformed + 1);

  ScriptedServer srv;
  wire::Message solicit;
  solicit.type = MessageType::Solicit;
  solicit.transaction_id = (link.fleet.client(1).transaction_id() + 1) & 0xFFFFFF;  // stale
  solicit.options.emplace_back(wire::ClientId{link.fleet.client(1).duid()});
  // A relay message on a direct link is malformed.
  wire::Message relayed;
  relayed.type = MessageType::RelayRepl;
  relayed.options.emplace_back(wire::RelayMsg{srv.reply(solicit)});
  BOOST_TEST(!link.fleet.on_datagram(0, wire::encode_message(relayed), link.now, out, &who));
  BOOST_TEST(link.fleet.stats().malformed == base.malformed + 2);

  // No CLIENTID; an index past the fleet; the right index in another DUID: not ours.
  wire::Message none = srv.reply(solicit);
  none.options.erase(none.options.begin());
  BOOST_TEST(!link.fleet.on_datagram(0, wire::encode_message(none), link.now, out, &who));
  wire::Message beyond = srv.reply(solicit);
  beyond.options.front() =
      wire::ClientId{wire::Duid::ll(1, std::array<std::uint8_t, 6>{2, 0x6e, 0, 0, 0, 3})};
  BOOST_TEST(!link.fleet.on_datagram(0, wire::encode_message(beyond), link.now, out, &who));
  wire::Message foreign = srv.reply(solicit);
  foreign.options.front() =
      wire::ClientId{wire::Duid::ll(1, std::array<std::uint8_t, 6>{2, 0x77, 0, 0, 0, 1})};
  BOOST_TEST(!link.fleet.on_datagram(0, wire::encode_message(foreign), link.now, out, &who));
  BOOST_TEST(link.fleet.stats().unmatched == base.unmatched + 3);
  BOOST_TEST(who == 99U);  // none of these named a client
  BOOST_TEST(out.empty());

  // The client's own DUID, a transaction it is not in: found (who = 1) but not taken.
  const wire::Bytes stale = wire::encode_message(srv.reply(solicit));
  BOOST_TEST(!link.fleet.on_datagram(0, stale, link.now, out, &who));
  BOOST_TEST(who == 1U);
  BOOST_TEST(link.fleet.stats().unmatched == base.unmatched + 4);
}

BOOST_AUTO_TEST_CASE(direct_configs_with_relays_are_refused) {
  auto refused = [](FleetConfig c, const std::string& what) {
    try {
      Fleet f(c);
    } catch (const std::invalid_argument& e) {
      BOOST_TEST(std::string(e.what()).find(what) != std::string::npos, e.what());
      return;
    }
    BOOST_ERROR("accepted: " << what);
  };
  FleetConfig a = direct(1);
  a.relays = 1;
  refused(a, "relays must be 0");
  FleetConfig b = direct(1);
  b.relay_depth = 1;
  refused(b, "at least one relay");
  FleetConfig c = direct(1);
  c.relay_depth = -1;
  refused(c, "relay depth must be 0 (direct), 1 or 2");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::gen::test
