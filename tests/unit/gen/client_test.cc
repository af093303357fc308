// The RFC 8415 client state machine against a scripted server: message → next message tables,
// retransmission timing with a fixed seed, ADVERTISE choice, rapid commit, T1/T2 renew and
// rebind, expiry, release, decline, confirm, information-request.
#include "gen/client.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <optional>

#include "scripted_server.h"

namespace failover6::gen::test {
namespace {

using wire::Address;
using wire::MessageType;

const Address OTHER_ADDRESS = Address::from_string("2001:db8:1::2000");

/// One client, its context, and what it reported.
struct Harness : ClientObserver {
  ClientProfile profile;
  ServerIds ids;
  Rng rng{1};
  std::vector<ClientOutput> out;
  std::vector<Failure> failures;
  std::vector<std::pair<MessageType, Duration>> exchanges;
  Client client{wire::Duid::llt(1, 7, std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 1}), 77, 0};
  ScriptedServer a;  ///< server index 0
  ScriptedServer b;  ///< server index 1

  Harness() {
    profile.random_start_delay = false;
    b.duid = wire::Duid::en(2495, std::array<std::uint8_t, 2>{0x53, 0x32});
  }
  void on_failure(const Client&, Failure f) override { failures.push_back(f); }
  void on_exchange(const Client&, MessageType req, MessageType, Duration lat) override {
    exchanges.emplace_back(req, lat);
  }
  ClientContext ctx() { return {profile, ids, rng, *this, out}; }
  void start(Time now) {
    auto c = ctx();
    client.start(c, now);
  }
  void timer(Time now) {
    auto c = ctx();
    client.on_timer(c, now);
  }
  bool deliver(const wire::Message& m, std::uint8_t server, Time now) {
    auto c = ctx();
    return client.on_message(c, m, server, now);
  }
  /// The one message the last call produced (fails the test otherwise).
  ClientOutput take() {
    BOOST_REQUIRE_EQUAL(out.size(), 1U);
    ClientOutput o = std::move(out.front());
    out.clear();
    return o;
  }
  /// Runs SOLICIT/ADVERTISE(255)/REQUEST/REPLY with server @p s (index @p idx) at @p now.
  void acquire(Time now, const ScriptedServer& s, std::uint8_t idx = 0) {
    start(now);
    auto sol = take();
    ScriptedServer pref = s;
    pref.preference = 255;
    BOOST_REQUIRE(deliver(pref.advertise(sol.message), idx, now));
    auto req = take();
    BOOST_REQUIRE(deliver(s.reply(req.message), idx, now));
    BOOST_REQUIRE(client.state() == ClientState::Bound);
  }
};

std::uint16_t elapsed(const wire::Message& m) { return m.find<wire::ElapsedTime>()->value; }
const wire::IaAddress* ia_address(const wire::Message& m) {
  auto* ia = m.find<wire::IaNa>();
  return ia ? wire::find_option<wire::IaAddress>(ia->options) : nullptr;
}

BOOST_AUTO_TEST_SUITE(client)

BOOST_AUTO_TEST_CASE(client_state_is_compact) {
  // 100,000 clients in well under 1 GiB: the object itself, plus a DUID of up to 18 octets.
  BOOST_TEST(sizeof(Client) <= 160U);
}

// ---- The lifecycle as a table: what arrives (or which timer fires) → what is sent next -----

enum class Event { Start, AdvertiseA, ReplyA, ReplyB, Timer, Release };
struct Step {
  const char* name;
  Event event;
  Time at;
  std::optional<MessageType> sends;  ///< nullopt: nothing is sent
  std::uint8_t dest;                 ///< ALL_SERVERS or a server index
  bool server_id;                    ///< the message carries SERVERID
  ClientState after;
};

BOOST_AUTO_TEST_CASE(lifecycle_table) {
  const std::vector<Step> steps = {
      {"start", Event::Start, 0, MessageType::Solicit, ALL_SERVERS, false, ClientState::Soliciting},
      {"ADVERTISE pref 0 within the first RT: wait", Event::AdvertiseA, millis(5), std::nullopt, 0, false, ClientState::Soliciting},
      {"first RT ends: REQUEST the best", Event::Timer, 0, MessageType::Request, ALL_SERVERS, true, ClientState::Requesting},
      {"REPLY: bound", Event::ReplyA, seconds(2), std::nullopt, 0, false, ClientState::Bound},
      {"T1: RENEW to the granting server", Event::Timer, seconds(2 + 1000), MessageType::Renew, 0, true, ClientState::Renewing},
      {"RENEW retransmitted", Event::Timer, 0, MessageType::Renew, 0, true, ClientState::Renewing},
      {"REPLY to RENEW: bound again", Event::ReplyA, seconds(1015), std::nullopt, 0, false, ClientState::Bound},
      {"next T1: RENEW", Event::Timer, seconds(2015), MessageType::Renew, 0, true, ClientState::Renewing},
      {"T2 without answer: REBIND to all", Event::Timer, seconds(3015), MessageType::Rebind, ALL_SERVERS, false, ClientState::Rebinding},
      {"the partner answers the REBIND", Event::ReplyB, seconds(3016), std::nullopt, 0, false, ClientState::Bound},
      {"T1: RENEW goes to the partner now", Event::Timer, seconds(4016), MessageType::Renew, 1, true, ClientState::Renewing},
      {"REPLY from the partner", Event::ReplyB, seconds(4017), std::nullopt, 0, false, ClientState::Bound},
      {"release", Event::Release, seconds(4018), MessageType::Release, ALL_SERVERS, true, ClientState::Releasing},
      {"REPLY to RELEASE", Event::ReplyB, seconds(4019), std::nullopt, 0, false, ClientState::Released},
  };
  Harness h;
  wire::Message last;
  for (const auto& s : steps) {
    BOOST_TEST_CONTEXT("step '" << s.name << "'") {
      Time at = s.event == Event::Timer && s.at == 0 ? h.client.deadline() : s.at;
      // A timer step with a time runs the retransmissions before it (same message type).
      while (s.event == Event::Timer && h.client.deadline() < at) {
        h.timer(h.client.deadline());
        BOOST_TEST(h.take().message.type == last.type);
      }
      if (s.event == Event::Timer) BOOST_TEST(h.client.deadline() == at);
      auto c = h.ctx();
      switch (s.event) {
        case Event::Start: h.client.start(c, at); break;
        case Event::AdvertiseA: BOOST_TEST(h.deliver(h.a.advertise(last), 0, at)); break;
        case Event::ReplyA: BOOST_TEST(h.deliver(h.a.reply(last), 0, at)); break;
        case Event::ReplyB: BOOST_TEST(h.deliver(h.b.reply(last), 1, at)); break;
        case Event::Timer: h.client.on_timer(c, at); break;
        case Event::Release: h.client.release(c, at); break;
      }
      BOOST_TEST(to_string(h.client.state()) == to_string(s.after));
      if (!s.sends) {
        BOOST_TEST(h.out.empty());
        continue;
      }
      auto o = h.take();
      BOOST_TEST(o.message.type == *s.sends);
      BOOST_TEST(int(o.server) == int(s.dest));
      BOOST_TEST((o.message.find<wire::ServerId>() != nullptr) == s.server_id);
      BOOST_TEST(o.message.find<wire::ClientId>()->duid == h.client.duid());
      last = o.message;
    }
  }
  BOOST_TEST(!h.client.leases_changed());
  BOOST_TEST(h.failures.empty());
}

BOOST_AUTO_TEST_CASE(bound_sets_t1_t2_and_deadline_from_the_reply) {
  Harness h;
  h.acquire(seconds(5), h.a);
  BOOST_TEST(h.client.t1() == 1000U);
  BOOST_TEST(h.client.t2() == 2000U);
  BOOST_TEST(h.client.deadline() == seconds(1005));
  BOOST_TEST(h.client.address().address == h.a.address);
  BOOST_TEST(h.client.bound(seconds(4004)));
  BOOST_TEST(!h.client.bound(seconds(4005)));
}

BOOST_AUTO_TEST_CASE(zero_t1_t2_mean_half_and_four_fifths_of_preferred) {
  Harness h;
  h.a.t1 = h.a.t2 = 0;
  h.acquire(0, h.a);
  BOOST_TEST(h.client.t1() == 1500U);
  BOOST_TEST(h.client.t2() == 2400U);
}

// ---- Retransmission, fixed seed -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(solicit_retransmission_timing) {
  Harness h;
  h.start(0);
  auto first = h.take();
  BOOST_TEST(elapsed(first.message) == 0);
  Time sent_at = 0;
  Duration prev = h.client.deadline() - sent_at;
  BOOST_TEST(prev > seconds(1));  // SOL_TIMEOUT with RAND > 0
  BOOST_TEST(prev <= millis(1100));
  for (int i = 0; i < 14; ++i) {
    Time t = h.client.deadline();
    h.timer(t);
    auto o = h.take();
    BOOST_TEST(o.message.type == MessageType::Solicit);
    BOOST_TEST(o.message.transaction_id == first.message.transaction_id);
    BOOST_TEST(elapsed(o.message) == std::min<Time>(t / millis(10), 0xFFFF));
    Duration rt = h.client.deadline() - t;
    if (rt < seconds(3000)) {
      BOOST_TEST(rt >= prev * 19 / 10);
      BOOST_TEST(rt <= prev * 21 / 10);
    }
    BOOST_TEST(rt <= seconds(3960));  // SOL_MAX_RT + 10 %
    prev = rt;
  }
  BOOST_TEST(prev >= seconds(3240));  // capped at SOL_MAX_RT - 10 % at the least
}

BOOST_AUTO_TEST_CASE(same_seed_same_timing) {
  Harness h1, h2;
  h1.start(0);
  h2.start(0);
  for (int i = 0; i < 5; ++i) {
    BOOST_TEST(h1.client.deadline() == h2.client.deadline());
    h1.timer(h1.client.deadline());
    h2.timer(h2.client.deadline());
  }
  h2.rng = Rng(2);
  Harness h3;
  h3.rng = Rng(2);
  h3.start(0);
  BOOST_TEST(h3.client.deadline() != h1.client.deadline());
}

BOOST_AUTO_TEST_CASE(request_gives_up_after_req_max_rc_and_solicits_again) {
  Harness h;
  h.start(0);
  auto sol = h.take();
  h.a.preference = 255;
  h.deliver(h.a.advertise(sol.message), 0, millis(1));
  auto req = h.take();
  int requests = 1;
  while (h.client.state() == ClientState::Requesting) {
    h.timer(h.client.deadline());
    auto o = h.take();
    if (o.message.type == MessageType::Request) {
      ++requests;
      BOOST_TEST(o.message.transaction_id == req.message.transaction_id);
    } else {
      BOOST_TEST(o.message.type == MessageType::Solicit);
    }
  }
  BOOST_TEST(requests == 10);  // REQ_MAX_RC
  BOOST_TEST(h.client.state() == ClientState::Soliciting);
  BOOST_REQUIRE_EQUAL(h.failures.size(), 1U);
  BOOST_TEST(to_string(h.failures[0]) == "request-exhausted");
}

// ---- ADVERTISE choice and rapid commit ----------------------------------------------------

BOOST_AUTO_TEST_CASE(chooses_the_highest_preference) {
  Harness h;
  h.start(0);
  auto sol = h.take();
  h.a.preference = 10;
  h.b.preference = 20;
  h.b.address = OTHER_ADDRESS;
  ScriptedServer c = h.a;  // another server with preference 20: not better than b
  c.preference = 20;
  c.duid = wire::Duid::en(2495, std::array<std::uint8_t, 1>{9});
  BOOST_TEST(h.deliver(h.a.advertise(sol.message), 0, millis(1)));
  BOOST_TEST(h.deliver(h.b.advertise(sol.message), 1, millis(2)));
  BOOST_TEST(h.deliver(c.advertise(sol.message), 2, millis(3)));
  BOOST_TEST(h.out.empty());  // still collecting until the first RT
  h.timer(h.client.deadline());
  auto req = h.take();
  BOOST_TEST(req.message.type == MessageType::Request);
  BOOST_TEST(req.message.find<wire::ServerId>()->duid == h.b.duid);
  BOOST_TEST(ia_address(req.message)->address == OTHER_ADDRESS);
  BOOST_TEST(h.client.server() == 1);
  BOOST_REQUIRE_EQUAL(h.exchanges.size(), 1U);  // SOLICIT-ADVERTISE counted once
  BOOST_TEST(h.exchanges[0].second == millis(1));
}

BOOST_AUTO_TEST_CASE(advertise_without_leases_is_ignored) {
  Harness h;
  h.start(0);
  auto sol = h.take();
  wire::Message adv = h.a.advertise(sol.message);
  for (auto& o : adv.options)
    if (auto* ia = o.as<wire::IaNa>())
      ia->options = {wire::StatusCodeOption{2, "no addresses"}};
  BOOST_TEST(!h.deliver(adv, 0, millis(1)));
  h.timer(h.client.deadline());
  BOOST_TEST(h.take().message.type == MessageType::Solicit);  // retransmitted, no REQUEST
}

BOOST_AUTO_TEST_CASE(advertise_after_first_rt_is_taken_at_once) {
  Harness h;
  h.start(0);
  h.take();
  h.timer(h.client.deadline());
  auto sol2 = h.take();
  BOOST_TEST(h.deliver(h.a.advertise(sol2.message), 0, seconds(2)));
  BOOST_TEST(h.take().message.type == MessageType::Request);
}

BOOST_AUTO_TEST_CASE(rapid_commit) {
  Harness h;
  h.profile.rapid_commit = true;
  h.start(0);
  auto sol = h.take();
  BOOST_TEST(sol.message.find<wire::RapidCommit>() != nullptr);
  // A REPLY without RAPID_COMMIT does not answer a SOLICIT.
  BOOST_TEST(!h.deliver(h.a.reply(sol.message), 0, millis(1)));
  h.a.rapid_commit = true;
  BOOST_TEST(h.deliver(h.a.reply(sol.message), 0, millis(2)));
  BOOST_TEST(h.out.empty());
  BOOST_TEST(to_string(h.client.state()) == "Bound");
  BOOST_REQUIRE_EQUAL(h.exchanges.size(), 1U);
  BOOST_TEST(h.exchanges[0].first == MessageType::Solicit);
}

BOOST_AUTO_TEST_CASE(ignores_wrong_transaction_client_or_state) {
  Harness h;
  h.start(0);
  auto sol = h.take();
  wire::Message adv = h.a.advertise(sol.message);
  adv.transaction_id ^= 1;
  BOOST_TEST(!h.deliver(adv, 0, 1));
  adv = h.a.advertise(sol.message);
  adv.options[0] = wire::ClientId{wire::Duid::ll(1, std::array<std::uint8_t, 1>{1})};
  BOOST_TEST(!h.deliver(adv, 0, 1));
  BOOST_TEST(!h.deliver(h.a.reply(sol.message), 0, 1));  // REPLY to SOLICIT without rapid commit
  h.acquire(seconds(10), h.a);
  BOOST_TEST(!h.deliver(h.a.reply(sol.message), 0, seconds(11)));  // stale
}

// ---- Renew, rebind, expiry ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(renew_until_t2_then_rebind_until_expiry) {
  Harness h;
  h.acquire(0, h.a);
  h.timer(seconds(1000));
  auto renew = h.take();
  BOOST_TEST(renew.message.type == MessageType::Renew);
  BOOST_TEST(ia_address(renew.message)->address == h.a.address);
  Duration rt = h.client.deadline() - seconds(1000);
  BOOST_TEST(rt >= seconds(9));  // REN_TIMEOUT 10 s +- 10 %
  BOOST_TEST(rt <= seconds(11));
  int renews = 1, rebinds = 0;
  while (h.client.state() != ClientState::Soliciting) {
    Time t = h.client.deadline();
    h.timer(t);
    auto o = h.take();
    if (o.message.type == MessageType::Renew) {
      ++renews;
      BOOST_TEST(t <= seconds(2000));
      BOOST_TEST(h.client.deadline() <= seconds(2000));  // MRD: until T2
    } else if (o.message.type == MessageType::Rebind) {
      ++rebinds;
      BOOST_TEST(t >= seconds(2000));
      BOOST_TEST(o.server == ALL_SERVERS);
      BOOST_TEST(h.client.deadline() <= seconds(4000));  // until the valid lifetime ends
    } else {
      BOOST_TEST(o.message.type == MessageType::Solicit);
      BOOST_TEST(t == seconds(4000));
    }
  }
  BOOST_TEST(renews > 3);
  BOOST_TEST(rebinds > 3);
  BOOST_REQUIRE_EQUAL(h.failures.size(), 1U);
  BOOST_TEST(to_string(h.failures[0]) == "lease-expired");
  BOOST_TEST(!h.client.address().held());
}

BOOST_AUTO_TEST_CASE(changed_address_on_renew_is_flagged) {
  Harness h;
  h.acquire(0, h.a);
  h.timer(seconds(1000));
  auto renew = h.take();
  ScriptedServer moved = h.a;
  moved.address = OTHER_ADDRESS;
  BOOST_TEST(h.deliver(moved.reply(renew.message), 0, seconds(1001)));
  BOOST_TEST(h.client.leases_changed());
  BOOST_TEST(h.client.address().address == OTHER_ADDRESS);
}

BOOST_AUTO_TEST_CASE(same_address_from_partner_on_rebind_is_stable) {
  Harness h;
  h.profile.pd = true;
  h.acquire(0, h.a);
  BOOST_TEST(h.client.prefix().held());
  h.timer(seconds(2000));  // straight past T2
  auto rebind = h.take();
  BOOST_TEST(rebind.message.type == MessageType::Rebind);
  BOOST_TEST(rebind.message.find<wire::IaPd>() != nullptr);
  BOOST_TEST(h.deliver(h.b.reply(rebind.message), 1, seconds(2001)));
  BOOST_TEST(!h.client.leases_changed());
  BOOST_TEST(h.client.server() == 1);
}

BOOST_AUTO_TEST_CASE(no_binding_on_renew_makes_a_request) {
  Harness h;
  h.acquire(0, h.a);
  h.timer(seconds(1000));
  auto renew = h.take();
  wire::Message r = h.a.reply(renew.message);
  for (auto& o : r.options)
    if (auto* ia = o.as<wire::IaNa>()) ia->options = {wire::StatusCodeOption{3, "no binding"}};
  BOOST_TEST(h.deliver(r, 0, seconds(1001)));
  auto req = h.take();
  BOOST_TEST(req.message.type == MessageType::Request);
  BOOST_TEST(ia_address(req.message)->address == h.a.address);
}

BOOST_AUTO_TEST_CASE(no_addrs_avail_on_request_solicits_again_after_a_delay) {
  Harness h;
  h.start(0);
  auto sol = h.take();
  h.a.preference = 255;
  h.deliver(h.a.advertise(sol.message), 0, millis(1));
  auto req = h.take();
  wire::Message r = h.a.reply(req.message);
  for (auto& o : r.options)
    if (auto* ia = o.as<wire::IaNa>()) ia->options = {wire::StatusCodeOption{2, "pool full"}};
  BOOST_TEST(h.deliver(r, 0, millis(2)));
  BOOST_TEST(to_string(h.client.state()) == "Soliciting");
  BOOST_TEST(h.out.empty());  // not at once: after up to SOL_MAX_DELAY
  BOOST_TEST(h.client.deadline() >= millis(2));
  BOOST_TEST(h.client.deadline() <= millis(1002));
  BOOST_REQUIRE_EQUAL(h.failures.size(), 1U);
  BOOST_TEST(to_string(h.failures[0]) == "no-lease");
}

// ---- Release, decline, confirm, information-request ---------------------------------------

BOOST_AUTO_TEST_CASE(release_without_answer_stops_after_rel_max_rc) {
  Harness h;
  h.acquire(0, h.a);
  auto c = h.ctx();
  h.client.release(c, seconds(10));
  int n = 0;
  while (!h.out.empty()) {
    auto o = h.take();
    BOOST_TEST(o.message.type == MessageType::Release);
    BOOST_TEST(ia_address(o.message)->address == h.a.address);
    ++n;
    h.timer(h.client.deadline());
  }
  BOOST_TEST(n == 4);  // REL_MAX_RC
  BOOST_TEST(to_string(h.client.state()) == "Released");
  BOOST_TEST(h.client.deadline() == NEVER);
  BOOST_TEST(!h.client.address().held());
}

BOOST_AUTO_TEST_CASE(decline_then_solicit) {
  Harness h;
  h.acquire(0, h.a);
  auto c = h.ctx();
  h.client.decline(c, seconds(1));
  auto dec = h.take();
  BOOST_TEST(dec.message.type == MessageType::Decline);
  BOOST_TEST(dec.message.find<wire::ServerId>()->duid == h.a.duid);
  BOOST_TEST(ia_address(dec.message)->address == h.a.address);
  BOOST_TEST(h.deliver(h.a.reply(dec.message), 0, seconds(2)));
  auto sol = h.take();
  BOOST_TEST(sol.message.type == MessageType::Solicit);
  BOOST_TEST(ia_address(sol.message) == nullptr);
}

BOOST_AUTO_TEST_CASE(confirm_success_keeps_not_on_link_restarts) {
  for (std::uint16_t status : {0, 4}) {
    BOOST_TEST_CONTEXT("status " << status) {
      Harness h;
      h.acquire(0, h.a);
      auto c = h.ctx();
      h.client.confirm(c, seconds(10));
      auto cnf = h.take();
      BOOST_TEST(cnf.message.type == MessageType::Confirm);
      BOOST_TEST(cnf.message.find<wire::ServerId>() == nullptr);
      BOOST_TEST(cnf.server == ALL_SERVERS);
      wire::Message r = h.a.reply(cnf.message);
      r.options.emplace_back(wire::StatusCodeOption{status, ""});
      BOOST_TEST(h.deliver(r, 0, seconds(11)));
      if (status == 0) {
        BOOST_TEST(to_string(h.client.state()) == "Bound");
        BOOST_TEST(h.client.deadline() == seconds(1000));
      } else {
        BOOST_TEST(to_string(h.client.state()) == "Soliciting");
        BOOST_TEST(h.take().message.type == MessageType::Solicit);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(confirm_unanswered_keeps_leases_after_cnf_max_rd) {
  Harness h;
  h.acquire(0, h.a);
  auto c = h.ctx();
  h.client.confirm(c, seconds(10));
  h.take();
  while (h.client.state() == ClientState::Confirming) {
    BOOST_TEST(h.client.deadline() <= seconds(20));
    h.timer(h.client.deadline());
    h.out.clear();
  }
  BOOST_TEST(to_string(h.client.state()) == "Bound");
  BOOST_TEST(h.client.address().held());
}

BOOST_AUTO_TEST_CASE(information_request_and_refresh) {
  Harness h;
  Client info(wire::Duid::ll(1, std::array<std::uint8_t, 2>{1, 2}), 1, 0, true);
  auto c = h.ctx();
  info.on_timer(c, 0);  // the start time: begins
  auto o = h.take();
  BOOST_TEST(o.message.type == MessageType::InformationRequest);
  BOOST_TEST(o.message.find<wire::IaNa>() == nullptr);
  BOOST_TEST(o.message.find<wire::OptionRequest>() != nullptr);
  wire::Message r = h.a.reply(o.message);
  r.options.emplace_back(wire::InformationRefreshTime{700});
  BOOST_TEST(info.on_message(c, r, 0, millis(3)));
  BOOST_TEST(to_string(info.state()) == "InfoBound");
  BOOST_TEST(info.deadline() == millis(3) + seconds(700));
  info.on_timer(c, info.deadline());
  BOOST_TEST(h.take().message.type == MessageType::InformationRequest);
}

BOOST_AUTO_TEST_CASE(random_start_delay_within_sol_max_delay) {
  Harness h;
  h.profile.random_start_delay = true;
  h.start(seconds(1));
  BOOST_TEST(h.out.empty());
  BOOST_TEST(h.client.deadline() >= seconds(1));
  BOOST_TEST(h.client.deadline() <= seconds(2));
  h.timer(h.client.deadline());
  auto o = h.take();
  BOOST_TEST(o.message.type == MessageType::Solicit);
  BOOST_TEST(elapsed(o.message) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::gen::test
