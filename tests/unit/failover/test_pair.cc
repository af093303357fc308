// Two endpoints with their server cores in one process, on a virtual clock: the RFC 8156
// flows end to end (handshake, lazy updates, MCLT, partition, crashes, storage loss, skew).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "helpers.h"

#include <map>
#include <set>

#include "pair_harness.h"

using namespace failover6;
using namespace failover6::failover;
using namespace failover6::failover::testing;
using S = State;

namespace {

bool odd(const wire::Address& a) { return (a.bytes[15] & 1) != 0; }

/// address -> client DUID of every ACTIVE lease in @p n's store at @p now.
std::map<wire::Address, wire::Duid> active(const Node& n, std::int64_t now) {
  std::map<wire::Address, wire::Duid> out;
  n.store->for_each([&](const lease::Lease& l) {
    if (l.active_at(now) && l.key.type == lease::LeaseType::Na) out[l.key.address] = l.duid;
  });
  return out;
}

/// No address is ACTIVE for two different clients across the two stores.
void no_duplicates(const Pair& pr) {
  auto a = active(pr.p, pr.now), b = active(pr.s, pr.now);
  for (const auto& [addr, duid] : a) {
    auto it = b.find(addr);
    if (it != b.end()) BOOST_TEST_CHECK(it->second == duid, "address " << addr.to_string()
                                                                     << " held by two clients");
  }
}

bool passed_through(const Endpoint& e, S s) {
  for (const auto& t : e.history())
    if (t.to == s) return true;
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pair)

BOOST_AUTO_TEST_CASE(fresh_pair_reaches_normal) {
  Pair pr;
  BOOST_TEST(pr.p.state() == S::Startup);
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  // A1: no stored state -> RECOVER; UPDREQALL; never communicated -> RECOVER-DONE at once.
  for (Endpoint* e : {pr.p.ep.get(), pr.s.ep.get()}) {
    BOOST_TEST(passed_through(*e, S::Recover));
    BOOST_TEST(passed_through(*e, S::RecoverWait));
    BOOST_TEST(passed_through(*e, S::RecoverDone));
  }
  BOOST_TEST(pr.p.ep->comm_ok());
  BOOST_TEST(*pr.p.ep->partner_state() == S::Normal);
  BOOST_TEST(pr.p.ep->status(pr.now)["state"] == "NORMAL");
  BOOST_TEST(pr.s.ep->status(pr.now)["partner-state"] == "NORMAL");
}

BOOST_AUTO_TEST_CASE(unresponsive_until_normal) {
  Pair pr;
  BOOST_TEST(!pr.bind(pr.p, 1).has_value());  // STARTUP: no answer (§8)
}

BOOST_AUTO_TEST_CASE(lazy_update_and_mclt) {
  Pair pr;
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  auto h = pr.bind(pr.p, 1);
  BOOST_REQUIRE(h.has_value());
  BOOST_TEST(odd(h->address));       // §4.2.1: the primary allocates odd addresses
  BOOST_TEST(h->valid <= 300u);      // a new lease gets at most MCLT (§4.4)
  // The lazy update reached the secondary, which stored it (ACTIVE, same client).
  const lease::Lease* l = pr.s.store->find({lease::LeaseType::Na, h->address, 128});
  BOOST_REQUIRE(l != nullptr);
  BOOST_TEST(l->duid == Pair::client(1));
  BOOST_TEST((l->state == wire::BindingStatus::Active));
  BOOST_TEST(l->expiration_time >= pr.now + h->valid);  // the partner lifetime leads the client
  const lease::Lease* mine = pr.p.store->find({lease::LeaseType::Na, h->address, 128});
  BOOST_TEST(mine->acked_partner_lifetime >= pr.now + 4000);
  BOOST_TEST(!mine->update_partner);
  // At T1 the renewal gets the full desired lifetime: the partner acked more than that.
  pr.advance(150);
  auto r = pr.extend(pr.p, 1, *h, false);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->address == h->address);
  BOOST_TEST(r->valid == 4000u);
}

BOOST_AUTO_TEST_CASE(secondary_renew_responsive_in_normal) {
  Pair pr;
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  BOOST_TEST(!pr.bind(pr.s, 2).has_value());  // SOLICIT without its SERVERID: no answer
  auto h = pr.bind(pr.p, 2);
  BOOST_REQUIRE(h.has_value());
  BOOST_TEST(!pr.extend(pr.s, 2, *h, true).has_value());  // REBIND: no answer in NORMAL
}

BOOST_AUTO_TEST_CASE(partition_and_heal_with_clients_on_both_sides) {
  Pair pr;
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  std::map<int, Pair::Held> held;
  for (int c = 1; c <= 5; ++c) {
    auto h = pr.bind(pr.p, c);
    BOOST_REQUIRE(h.has_value());
    held[c] = *h;
  }
  pr.advance(150);
  for (int c = 1; c <= 5; ++c) held[c] = *pr.extend(pr.p, c, held[c], false);
  pr.partition();
  BOOST_TEST(pr.p.state() == S::CommunicationsInterrupted);
  BOOST_TEST(pr.s.state() == S::CommunicationsInterrupted);
  // New clients on both sides: each from its own half.
  for (int c = 10; c < 15; ++c) {
    auto a = pr.bind(pr.p, c);
    auto b = pr.bind(pr.s, c + 100);
    BOOST_REQUIRE(a.has_value());
    BOOST_REQUIRE(b.has_value());
    BOOST_TEST(odd(a->address));
    BOOST_TEST(!odd(b->address));
    BOOST_TEST(a->valid <= 300u);
    BOOST_TEST(b->valid <= 300u);
  }
  // A client of the primary rebinds with the secondary: same address, lifetime capped at
  // MCLT past what the primary told the secondary (§4.4).
  auto r = pr.extend(pr.s, 1, held[1], true);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->address == held[1].address);
  const lease::Lease* sl = pr.s.store->find({lease::LeaseType::Na, held[1].address, 128});
  BOOST_TEST(pr.now + r->valid <= std::max(sl->acked_partner_lifetime, pr.now) + 300);
  no_duplicates(pr);
  pr.heal();
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  pr.advance(5);
  // Both stores now agree on every active lease.
  BOOST_TEST((active(pr.p, pr.now) == active(pr.s, pr.now)));
  BOOST_TEST(active(pr.p, pr.now).size() == 15u);
  no_duplicates(pr);
}

BOOST_AUTO_TEST_CASE(primary_crash_partner_down_and_recovery) {
  Pair pr;
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  auto h = pr.bind(pr.p, 1);
  BOOST_REQUIRE(h.has_value());
  pr.p.crash();
  pr.drop_link("primary crashed");
  pr.advance(1);
  BOOST_TEST(pr.s.state() == S::CommunicationsInterrupted);
  BOOST_TEST(!pr.s.ep->partner_down(pr.now).has_value());
  BOOST_TEST(pr.s.state() == S::PartnerDown);
  // The client rebinds with the secondary and keeps its address, not bound by MCLT.
  auto r = pr.extend(pr.s, 1, *h, true);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->address == h->address);
  BOOST_TEST(r->valid == 4000u);
  auto n = pr.bind(pr.s, 7);  // a new client: from the secondary's own (even) half
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(!odd(n->address));
  pr.advance(100);
  pr.p.boot(pr.now);  // restart with its store
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 400 + 300));
  BOOST_TEST(passed_through(*pr.p.ep, S::Recover));      // partner went down after us
  BOOST_TEST(passed_through(*pr.p.ep, S::RecoverWait));
  const lease::Lease* l = pr.p.store->find({lease::LeaseType::Na, n->address, 128});
  BOOST_REQUIRE(l != nullptr);  // the primary learnt the secondary's new lease
  BOOST_TEST(l->duid == Pair::client(7));
  no_duplicates(pr);
}

BOOST_AUTO_TEST_CASE(secondary_crash_and_restart) {
  Pair pr;
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  pr.s.crash();
  pr.drop_link("secondary crashed");
  pr.advance(1);
  BOOST_TEST(pr.p.state() == S::CommunicationsInterrupted);
  auto h = pr.bind(pr.p, 3);  // served while the secondary is away
  BOOST_REQUIRE(h.has_value());
  pr.advance(30);
  pr.s.boot(pr.now);
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  pr.advance(2);
  BOOST_TEST(pr.s.store->find({lease::LeaseType::Na, h->address, 128}) != nullptr);
}

BOOST_AUTO_TEST_CASE(storage_loss_recovers_everything) {
  Pair pr;
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  std::vector<Pair::Held> held;
  for (int c = 1; c <= 20; ++c) held.push_back(*pr.bind(pr.p, c));
  pr.advance(150);  // T1: the renewals get the full lifetime, which outlasts RECOVER-WAIT
  for (auto& h : held) h = *pr.extend(pr.p, static_cast<int>(&h - held.data()) + 1, h, false);
  pr.p.crash();
  pr.p.wipe();
  pr.drop_link("primary lost its disk");
  pr.advance(5);
  pr.p.boot(pr.now);
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 400));
  for (const auto& h : held) {
    const lease::Lease* l = pr.p.store->find({lease::LeaseType::Na, h.address, 128});
    BOOST_TEST_CONTEXT(h.address.to_string()) {
      BOOST_REQUIRE(l != nullptr);
      BOOST_TEST((l->state == wire::BindingStatus::Active), "state " << int(l->state) << " exp " << l->state_expiration_time - pr.now);
    }
  }
  // Recovered leases renew to the same address.
  auto r = pr.extend(pr.p, 1, held[0], false);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->address == held[0].address);
}

BOOST_AUTO_TEST_CASE(clock_skew_refuses_connect) {
  Pair pr;
  pr.s.skew = 10;
  pr.s.crash();
  pr.s.boot(pr.now);
  pr.advance(30);
  BOOST_TEST(!pr.p.ep->comm_ok());
  BOOST_TEST(!pr.s.ep->comm_ok());
  BOOST_TEST(!passed_through(*pr.p.ep, S::Normal));
  // Within 5 s the pair works.
  Pair ok;
  ok.s.skew = 4;
  ok.s.crash();
  ok.s.boot(ok.now);
  BOOST_TEST(ok.until(S::Normal, S::Normal, 60));
}

BOOST_AUTO_TEST_CASE(max_unacked_respected) {
  Pair pr;
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  pr.partition();
  for (int c = 1; c <= 40; ++c) BOOST_REQUIRE(pr.bind(pr.p, c).has_value());
  BOOST_TEST(pr.p.ep->queued() >= 40u);
  pr.max_inflight_seen = 0;
  pr.heal();
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  pr.advance(3);
  BOOST_TEST(pr.max_inflight_seen <= 8u);  // the secondary announced max-unacked 8
  BOOST_TEST(pr.max_inflight_seen >= 1u);
  BOOST_TEST(pr.p.ep->queued() == 0u);
  BOOST_TEST(active(pr.s, pr.now).size() == 40u);
}

BOOST_AUTO_TEST_CASE(auto_partner_down) {
  Pair pr(300, 60);
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  pr.s.crash();
  pr.drop_link("secondary crashed");
  pr.advance(30);
  BOOST_TEST(pr.p.state() == S::CommunicationsInterrupted);
  pr.advance(31);
  BOOST_TEST(pr.p.state() == S::PartnerDown);
}

BOOST_AUTO_TEST_CASE(keepalive_expiry_is_comm_failure) {
  Pair pr;
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  // The secondary stops (SIGSTOP): no close, no messages. Keepalive 10 s.
  pr.s.alive = false;
  pr.advance(12);
  BOOST_TEST(pr.p.state() == S::CommunicationsInterrupted);
}

BOOST_AUTO_TEST_CASE(release_frees_after_ack) {
  Pair pr;
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  auto h = pr.bind(pr.p, 4);
  BOOST_REQUIRE(h.has_value());
  // Figure 4 treats times within 5 s as equal and an equal RELEASED loses to ACTIVE: a client
  // that releases in the second it was granted is only freed at expiry. Release later.
  pr.advance(10);
  wire::Duid c = Pair::client(4);
  wire::IaAddress a{h->address, 0, 0, {}};
  auto rep = pr.exchange(pr.p, pr.request(wire::MessageType::Release, c,
                                          {wire::IaNa{1, 0, 0, {a}}}, &pr.p.duid));
  BOOST_REQUIRE(rep.has_value());
  pr.advance(1);
  const lease::Lease* l = pr.p.store->find({lease::LeaseType::Na, h->address, 128});
  BOOST_TEST((l->state == wire::BindingStatus::Free), "state " << int(l->state));  // odd: the primary's (arc 5)
  const lease::Lease* r = pr.s.store->find({lease::LeaseType::Na, h->address, 128});
  BOOST_TEST((r->state == wire::BindingStatus::Free));  // the partner was told
}

BOOST_AUTO_TEST_CASE(prefixes_are_split_by_poolreq) {
  Pair pr;
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  pr.advance(2);
  std::size_t backup = 0;
  pr.s.store->for_each([&](const lease::Lease& l) {
    if (l.state == wire::BindingStatus::FreeBackup && l.key.type == lease::LeaseType::Pd) ++backup;
  });
  BOOST_TEST(backup == 128u);  // half of 256 /56s in the /48
  pr.partition();
  // In COMMUNICATIONS-INTERRUPTED the secondary delegates only FREE-BACKUP prefixes.
  wire::Duid c = Pair::client(9);
  auto adv = pr.exchange(pr.s, pr.request(wire::MessageType::Solicit, c,
                                          {wire::IaPd{1, 0, 0, {}}}, nullptr));
  BOOST_REQUIRE(adv.has_value());
  auto rep = pr.exchange(pr.s, pr.request(wire::MessageType::Request, c,
                                          {wire::IaPd{1, 0, 0, {}}}, &pr.s.duid));
  BOOST_REQUIRE(rep.has_value());
  const auto* pd = rep->find<wire::IaPd>();
  BOOST_REQUIRE(pd != nullptr);
  const auto* p = wire::find_option<wire::IaPrefix>(pd->options);
  BOOST_REQUIRE(p != nullptr);
  const lease::Lease* on_primary =
      pr.p.store->find({lease::LeaseType::Pd, p->prefix, p->prefix_length});
  BOOST_REQUIRE(on_primary != nullptr);
  BOOST_TEST((on_primary->state == wire::BindingStatus::FreeBackup));
  // And the primary never delegates a FREE-BACKUP prefix.
  for (int i = 0; i < 20; ++i) {
    wire::Duid d = Pair::client(200 + i);
    pr.exchange(pr.p, pr.request(wire::MessageType::Solicit, d, {wire::IaPd{1, 0, 0, {}}}, nullptr));
    auto r2 = pr.exchange(pr.p, pr.request(wire::MessageType::Request, d,
                                           {wire::IaPd{1, 0, 0, {}}}, &pr.p.duid));
    BOOST_REQUIRE(r2.has_value());
    const auto* pd2 = r2->find<wire::IaPd>();
    const auto* p2 = pd2 ? wire::find_option<wire::IaPrefix>(pd2->options) : nullptr;
    BOOST_REQUIRE(p2 != nullptr);
    const lease::Lease* mine =
        pr.s.store->find({lease::LeaseType::Pd, p2->prefix, p2->prefix_length});
    BOOST_TEST(!(mine && mine->state == wire::BindingStatus::FreeBackup));
  }
}

/// The FREE-BACKUP prefixes in @p n's store (the secondary's share, §4.2.2).
std::set<lease::LeaseKey> free_backup(const Node& n) {
  std::set<lease::LeaseKey> out;
  n.store->for_each([&](const lease::Lease& l) {
    if (l.key.type == lease::LeaseType::Pd && l.state == wire::BindingStatus::FreeBackup)
      out.insert(l.key);
  });
  return out;
}

BOOST_AUTO_TEST_CASE(partner_prefixes_stay_untouched_by_default) {
  Pair pr(300, 0, R"("prefix-share": 25,)");
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  pr.advance(2);
  pr.p.crash();
  pr.drop_link("primary crashed");
  pr.advance(1);
  BOOST_REQUIRE(!pr.s.ep->partner_down(pr.now).has_value());
  for (int i = 0; i < 64; ++i) BOOST_REQUIRE(pr.bind_prefix(pr.s, 100 + i).has_value());
  pr.advance(2 * 300);
  BOOST_TEST(!pr.bind_prefix(pr.s, 999).has_value());  // long past MCLT: still none
  BOOST_TEST(!pr.s.ep->status(pr.now).contains("partner-prefixes-usable-from"));
}

BOOST_AUTO_TEST_CASE(prefix_share_is_configurable) {
  Pair pr(300, 0, R"("prefix-share": 25, "prefix-share-max": 1000,)");
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  pr.advance(2);
  BOOST_TEST(free_backup(pr.s).size() == 64u);  // 25% of 256 /56s
  BOOST_TEST(free_backup(pr.p).size() == 64u);  // both stores agree on the split
  Pair capped(300, 0, R"("prefix-share": 100, "prefix-share-max": 10,)");
  BOOST_REQUIRE(capped.until(S::Normal, S::Normal, 60));
  capped.advance(2);
  BOOST_TEST(free_backup(capped.s).size() == 10u);
}

// RFC 8156 §4.2.2 / §8.4.1: in PARTNER-DOWN a server exhausts its own prefixes, and only MCLT
// after entering PARTNER-DOWN delegates from its partner's; the partner learns them on return.
BOOST_DATA_TEST_CASE(partner_down_uses_the_partners_prefixes_after_mclt,
                     boost::unit_test::data::make({0, 1}), survivor_is_secondary) {
  Pair pr(300, 0, R"("prefix-share": 25, "use-partner-prefixes": true,)");  // 192 / 64 /56s
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  pr.advance(2);
  Node& up = survivor_is_secondary ? pr.s : pr.p;
  Node& down = survivor_is_secondary ? pr.p : pr.s;
  auto backup = free_backup(pr.s);
  BOOST_REQUIRE(backup.size() == 64u);
  auto owned_by_survivor = [&](const lease::LeaseKey& k) {
    return survivor_is_secondary == (backup.count(k) == 1);
  };
  // The partner delegates one before it dies: the primary in NORMAL (the secondary hears of
  // it); the secondary only while cut off, so the primary never hears of it.
  if (!survivor_is_secondary) pr.partition();
  auto before = pr.bind_prefix(down, 1);
  BOOST_REQUIRE(before.has_value());
  std::int64_t before_expires = down.store->find(*before)->state_expiration_time;
  pr.advance(1);
  down.crash();
  pr.drop_link("partner crashed");
  pr.heal();
  pr.advance(1);
  BOOST_REQUIRE(!up.ep->partner_down(pr.now).has_value());
  BOOST_REQUIRE(up.state() == S::PartnerDown);
  std::int64_t opens = pr.now + 300;
  // Its whole own pool: the partner delegated from its own.
  std::size_t own = survivor_is_secondary ? 64 : 192;
  std::set<lease::LeaseKey> given;
  for (std::size_t i = 0; i < own; ++i) {
    auto k = pr.bind_prefix(up, 100 + static_cast<int>(i));
    BOOST_REQUIRE(k.has_value());
    BOOST_TEST(owned_by_survivor(*k));  // its own pool first
    BOOST_TEST(given.insert(*k).second);
    BOOST_TEST((survivor_is_secondary || !(*k == *before)));
  }
  BOOST_TEST(!pr.bind_prefix(up, 999).has_value());  // own pool empty, MCLT not yet passed
  pr.advance(opens - pr.now - 1);
  BOOST_TEST(!pr.bind_prefix(up, 999).has_value());  // one second before
  pr.advance(1);
  auto late = pr.bind_prefix(up, 999);
  BOOST_REQUIRE(late.has_value());
  BOOST_TEST(!owned_by_survivor(*late));  // the partner's pool, now open
  BOOST_TEST(given.insert(*late).second);
  // Never a prefix the partner's client may still hold: the one the survivor knew of stays
  // that client's; the one it never heard of was capped at MCLT and has expired by now.
  if (*late == *before) BOOST_TEST(before_expires <= pr.now);
  BOOST_TEST((survivor_is_secondary || before_expires <= pr.now));
  if (survivor_is_secondary) BOOST_TEST(!(*late == *before));
  // The partner returns, recovers and learns the lease from its own pool.
  down.boot(pr.now);
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 1000));
  const lease::Lease* l = down.store->find(*late);
  BOOST_REQUIRE(l != nullptr);
  BOOST_TEST((l->state == wire::BindingStatus::Active));
  BOOST_TEST(l->duid == Pair::client(999));
  // Back in NORMAL the partner's pool is closed again: nothing left for a new client there.
  BOOST_TEST(!pr.bind_prefix(up, 1000).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pair_conflict)

BOOST_AUTO_TEST_CASE(both_partner_down_then_potential_conflict_resolves) {
  Pair pr;
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  auto h = pr.bind(pr.p, 1);
  BOOST_REQUIRE(h.has_value());
  pr.partition();
  // An operator error: both sides declared their partner down.
  BOOST_TEST(!pr.p.ep->partner_down(pr.now).has_value());
  BOOST_TEST(!pr.s.ep->partner_down(pr.now).has_value());
  auto a = pr.bind(pr.p, 20);
  auto b = pr.bind(pr.s, 21);
  BOOST_REQUIRE(a.has_value());
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(a->address != b->address);  // own halves, even in PARTNER-DOWN (A6)
  pr.advance(20);
  pr.heal();
  // Both see a partner in PARTNER-DOWN: POTENTIAL-CONFLICT, then the UPDREQ exchange in the
  // RFC's order: the primary's first (-> CONFLICT-DONE), then the secondary's (-> NORMAL).
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  BOOST_TEST(passed_through(*pr.p.ep, S::PotentialConflict));
  BOOST_TEST(passed_through(*pr.p.ep, S::ConflictDone));
  BOOST_TEST(passed_through(*pr.s.ep, S::PotentialConflict));
  BOOST_TEST(!passed_through(*pr.s.ep, S::ConflictDone));  // never the secondary
  pr.advance(2);
  BOOST_TEST((active(pr.p, pr.now) == active(pr.s, pr.now)));
  BOOST_TEST(active(pr.p, pr.now).size() == 3u);
  no_duplicates(pr);
}

BOOST_AUTO_TEST_CASE(unresponsive_in_potential_conflict) {
  Pair pr;
  BOOST_REQUIRE(pr.until(S::Normal, S::Normal, 60));
  pr.partition();
  pr.p.ep->partner_down(pr.now);
  pr.s.ep->partner_down(pr.now);
  // Heal, but stop the messages right after the handshake so both sit in POTENTIAL-CONFLICT.
  pr.cut = false;
  pr.link = true;
  pr.s.ep->on_connected(pr.now);
  pr.p.ep->on_connected(pr.now);
  for (int i = 0; i < 6; ++i) {  // CONNECT, CONNECTREPLY + STATE, STATE: hand-delivered
    for (Node* from : {&pr.p, &pr.s}) {
      Node& to = from == &pr.p ? pr.s : pr.p;
      for (auto& m : from->ep->take_outbox()) {
        if (m.type == wire::MessageType::UpdReq) continue;  // held back
        to.ep->on_message(m, pr.now);
      }
    }
  }
  BOOST_TEST(pr.p.state() == S::PotentialConflict);
  BOOST_TEST(pr.s.state() == S::PotentialConflict);
  BOOST_TEST(!pr.bind(pr.p, 30).has_value());  // MUST NOT answer clients (§8)
  BOOST_TEST(!pr.bind(pr.s, 31).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
