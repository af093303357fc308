// An in-process failover pair for tests: two server cores with their endpoints and stores, a
// virtual clock, a partner link that can be cut, and DHCPv6 clients behind a relay. Nothing
// sleeps: advance() moves the clock and runs what falls due.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "failover/endpoint.h"
#include "failover/router.h"
#include "lease/lease_store.h"
#include "server/server.h"
#include "wire/failover_message.h"
#include "wire/message.h"

namespace failover6::failover::testing {

inline constexpr std::int64_t T0 = 1'800'000'000;

/// @p rel_extra: more members of the relationship object, each followed by a comma.
inline std::string pair_config(const std::string& role, std::uint32_t mclt = 300,
                               std::uint32_t auto_pd = 0, const std::string& rel_extra = "") {
  std::string self = role == "primary" ? "[::1]:5647" : "[::1]:6647";
  std::string peer = role == "primary" ? "[::1]:6647" : "[::1]:5647";
  return R"({"Dhcp6": {
    "renew-timer": 1000, "rebind-timer": 2000, "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64",
      "relay": { "ip-addresses": [ "2001:db8:1::1" ] },
      "pools": [ { "pool": "2001:db8:1::1000 - 2001:db8:1::1fff" } ],
      "pd-pools": [ { "prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56 } ] } ] },
    "Failover6": { "listen": [ "[::1]:5547" ], "relationships": [ {
      "name": "pair", "role": ")" + role + R"(", "this-server": ")" + self + R"(",
      "peer": ")" + peer + R"(", "mclt": )" + std::to_string(mclt) +
         R"(, "keepalive": 10, "max-unacked": 8, "auto-partner-down": )" +
         std::to_string(auto_pd) + R"(, "startup-time": 5,
      )" + rel_extra + R"( "subnets": [ 1 ], "insecure": true } ] } })";
}

/// One partner: configuration, store (survives a crash unless wiped), endpoint and server.
struct Node {
  std::string role;
  config::Config cfg;
  std::unique_ptr<lease::MemoryStore> store = std::make_unique<lease::MemoryStore>();
  std::unique_ptr<Endpoint> ep;
  std::unique_ptr<PolicyRouter> router;
  std::unique_ptr<server::Server> srv;
  wire::Duid duid;
  std::int64_t skew = 0;  ///< this node's clock minus the true time
  bool alive = false;

  Node(std::string r, std::uint32_t mclt, std::uint32_t auto_pd, const std::string& rel_extra)
      : role(std::move(r)) {
    auto parsed = config::parse_config(pair_config(role, mclt, auto_pd, rel_extra));
    BOOST_REQUIRE_MESSAGE(parsed.ok(),
                          (parsed.ok() ? std::string() : parsed.errors.at(0).to_string()));
    cfg = parsed.config;
    std::uint8_t id[3] = {'s', 'v', static_cast<std::uint8_t>(role[0])};
    duid = wire::Duid::en(2495, wire::ByteView(id, 3));
  }

  void boot(std::int64_t now) {
    EndpointHooks hooks;
    hooks.put = [this](const lease::Lease& l) {
      store->put(l);
      srv->notice(l);
    };
    hooks.reschedule = [this](const lease::Lease& l) { srv->notice(l); };
    ep = std::make_unique<Endpoint>(cfg.failover6.relationships.at(0), cfg, *store, hooks,
                                    now + skew);
    router = std::make_unique<PolicyRouter>(std::vector<Endpoint*>{ep.get()});
    srv = std::make_unique<server::Server>(cfg, duid, *store, router.get());
    alive = true;
  }
  void crash() {
    srv.reset();
    router.reset();
    ep.reset();
    alive = false;
  }
  void wipe() { store = std::make_unique<lease::MemoryStore>(); }
  State state() const { return ep->state(); }
};

/// The pair and its world.
struct Pair {
  std::int64_t now = T0;
  Node p, s;
  bool link = false;  ///< the transport is up
  bool cut = false;   ///< the partner link is partitioned
  std::size_t max_inflight_seen = 0;
  std::uint32_t xid = 1;

  explicit Pair(std::uint32_t mclt = 300, std::uint32_t auto_pd = 0,
                const std::string& rel_extra = "")
      : p("primary", mclt, auto_pd, rel_extra), s("secondary", mclt, auto_pd, rel_extra) {
    p.boot(now);
    s.boot(now);
  }

  std::int64_t clock(const Node& n) const { return now + n.skew; }

  void drop_link(const std::string& why) {
    if (!link) return;
    link = false;
    if (p.alive) p.ep->on_disconnected(clock(p), why);
    if (s.alive) s.ep->on_disconnected(clock(s), why);
  }

  /// Delivers messages both ways until both outboxes are empty.
  void flush() {
    for (int round = 0; round < 100000; ++round) {
      bool moved = false;
      for (Node* from : {&p, &s}) {
        if (!from->alive) continue;
        Node& to = from == &p ? s : p;
        auto out = from->ep->take_outbox();
        auto close = from->ep->take_close_request();
        for (auto& m : out) {
          moved = true;
          if (!link || !to.alive) continue;
          // Through the codec, as on the wire.
          wire::Bytes framed = wire::encode_failover_framed(m);
          auto back = wire::decode_failover(wire::ByteView(framed).subspan(2));
          BOOST_REQUIRE(back.has_value());
          to.ep->on_message(*back, clock(to));
        }
        if (close) {
          moved = true;
          drop_link(*close);
        }
      }
      max_inflight_seen = std::max({max_inflight_seen, p.alive ? p.ep->unacked() : 0,
                                    s.alive ? s.ep->unacked() : 0});
      if (!moved) return;
    }
    BOOST_FAIL("failover messages never settle");
  }

  /// The primary (re)connects when the link is down and both run.
  void try_connect() {
    if (link || cut || !p.alive || !s.alive) return;
    link = true;
    s.ep->on_connected(clock(s));
    p.ep->on_connected(clock(p));
    flush();
  }

  /// Advances the clock second by second, running timers, expiry and reconnection.
  void advance(std::int64_t seconds) {
    for (std::int64_t i = 0; i < seconds; ++i) {
      ++now;
      for (Node* n : {&p, &s}) {
        if (!n->alive) continue;
        auto d = n->ep->next_deadline();
        if (d && *d <= clock(*n)) n->ep->on_timer(clock(*n));
        n->srv->expire(clock(*n));
        n->ep->poll(clock(*n));
      }
      flush();
      try_connect();
    }
  }

  void partition() {
    cut = true;
    drop_link("partition");
    flush();
  }
  void heal() {
    cut = false;
    try_connect();
  }

  /// Advances until both report @p ps / @p ss, at most @p limit seconds. @return success.
  bool until(State ps, State ss, std::int64_t limit) {
    for (std::int64_t i = 0; i < limit; ++i) {
      if (p.alive && s.alive && p.state() == ps && s.state() == ss) return true;
      advance(1);
    }
    bool ok = p.alive && s.alive && p.state() == ps && s.state() == ss;
    if (!ok) BOOST_TEST_MESSAGE("pair did not settle:\n" << describe());
    return ok;
  }

  /// @return both endpoints' state histories, for failure messages.
  std::string describe() const {
    std::string out;
    for (const Node* n : {&p, &s}) {
      out += n->role + ":";
      if (!n->alive) {
        out += " (down)\n";
        continue;
      }
      for (const auto& t : n->ep->history())
        out += " " + to_string(t.to) + "@" + std::to_string(t.time - T0) + "(" + t.reason + ")";
      out += std::string(" link=") + to_string(n->ep->link()) + "\n";
    }
    return out;
  }

  // --- clients ------------------------------------------------------------------------------

  static wire::Duid client(int n) {
    std::uint8_t mac[6] = {2, 0, 0, 0, static_cast<std::uint8_t>(n >> 8),
                           static_cast<std::uint8_t>(n)};
    return wire::Duid::ll(1, wire::ByteView(mac, 6));
  }

  /// Sends @p m through the relay to @p n; @return the inner reply, if any.
  std::optional<wire::Message> exchange(Node& n, const wire::Message& m) {
    if (!n.alive) return std::nullopt;
    wire::Message r;
    r.type = wire::MessageType::RelayForw;
    r.link_address = wire::Address::from_string("2001:db8:1::1");
    r.peer_address = wire::Address::from_string("fe80::1");
    r.options.emplace_back(wire::RelayMsg{m});
    wire::Bytes bytes = wire::encode_message(r);
    server::Datagram d{wire::Address::from_string("2001:db8:1::1"), 547,
                       wire::Address::from_string("2001:db8::547"), 547, "", bytes};
    auto res = n.srv->handle(d, clock(n));
    n.ep->poll(clock(n));
    flush();
    if (!res.reply) return std::nullopt;
    auto out = wire::decode_message(res.reply->payload);
    BOOST_REQUIRE(out.has_value());
    return out->innermost();
  }

  wire::Message request(wire::MessageType t, const wire::Duid& c, wire::Options ias,
                        const wire::Duid* server) {
    wire::Message m;
    m.type = t;
    m.transaction_id = xid++ & 0xFFFFFF;
    m.options.emplace_back(wire::ClientId{c});
    if (server) m.options.emplace_back(wire::ServerId{*server});
    m.options.emplace_back(wire::ElapsedTime{0});
    for (auto& o : ias) m.options.push_back(std::move(o));
    return m;
  }

  /// What a client holds after an exchange.
  struct Held {
    wire::Address address;
    std::uint32_t valid = 0;
    wire::Duid server;
  };

  static std::optional<Held> held(const std::optional<wire::Message>& reply) {
    if (!reply || reply->type != wire::MessageType::Reply) return std::nullopt;
    const auto* na = reply->find<wire::IaNa>();
    const auto* sid = reply->find<wire::ServerId>();
    if (!na || !sid) return std::nullopt;
    const auto* a = wire::find_option<wire::IaAddress>(na->options);
    if (!a || a->valid == 0) return std::nullopt;
    return Held{a->address, a->valid, sid->duid};
  }

  /// SOLICIT / ADVERTISE / REQUEST / REPLY with @p n for an address. @return what was granted.
  std::optional<Held> bind(Node& n, int client_no) {
    wire::Duid c = client(client_no);
    auto adv = exchange(n, request(wire::MessageType::Solicit, c, {wire::IaNa{1, 0, 0, {}}},
                                   nullptr));
    if (!adv || adv->type != wire::MessageType::Advertise) return std::nullopt;
    return held(exchange(n, request(wire::MessageType::Request, c, {wire::IaNa{1, 0, 0, {}}},
                                    &n.duid)));
  }

  /// SOLICIT / ADVERTISE / REQUEST / REPLY with @p n for a delegated prefix (IA_PD).
  /// @return the prefix granted, or nullopt (no ADVERTISE, or NoPrefixAvail).
  std::optional<lease::LeaseKey> bind_prefix(Node& n, int client_no) {
    wire::Duid c = client(client_no);
    auto adv = exchange(n, request(wire::MessageType::Solicit, c, {wire::IaPd{1, 0, 0, {}}},
                                   nullptr));
    if (!adv || adv->type != wire::MessageType::Advertise) return std::nullopt;
    auto rep = exchange(n, request(wire::MessageType::Request, c, {wire::IaPd{1, 0, 0, {}}},
                                   &n.duid));
    const auto* pd = rep ? rep->find<wire::IaPd>() : nullptr;
    const auto* pfx = pd ? wire::find_option<wire::IaPrefix>(pd->options) : nullptr;
    if (!pfx || pfx->valid == 0) return std::nullopt;
    return lease::LeaseKey{lease::LeaseType::Pd, pfx->prefix, pfx->prefix_length};
  }

  /// RENEW (to the server that granted, @p to) or REBIND (to @p to, no SERVERID).
  std::optional<Held> extend(Node& n, int client_no, const Held& h, bool rebind) {
    wire::Duid c = client(client_no);
    wire::IaAddress a{h.address, 0, 0, {}};
    wire::Options ias{wire::IaNa{1, 0, 0, {a}}};
    return held(exchange(n, request(rebind ? wire::MessageType::Rebind : wire::MessageType::Renew,
                                    c, ias, rebind ? nullptr : &h.server)));
  }
};

}  // namespace failover6::failover::testing
