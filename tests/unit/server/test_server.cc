// The sans-IO server core (impl/server): RFC 8415 §18.3 behaviour driven message by message,
// with time as an argument.
#include <boost/test/unit_test.hpp>

#include "config/config.h"
#include "lease/lease_store.h"
#include "server/server.h"

using namespace failover6;
using namespace failover6::wire;

namespace {

constexpr std::int64_t T0 = 1'800'000'000;

const char* CONFIG = R"({"Dhcp6": {
  "renew-timer": 1000, "rebind-timer": 2000, "preferred-lifetime": 3000, "valid-lifetime": 4000,
  "decline-probation-period": 600,
  "option-data": [{"name": "dns-servers", "data": "2001:db8::53"}],
  "subnet6": [
    {"id": 1, "subnet": "2001:db8:1::/64", "relay": {"ip-addresses": ["2001:db8:1::1"]},
     "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::103"}],
     "pd-pools": [{"prefix": "2001:db8:8000::", "prefix-len": 55, "delegated-len": 56}],
     "option-data": [{"name": "preference", "data": "200"}],
     "reservations": [{"duid": "00:03:00:01:aa:aa:aa:aa:aa:aa", "ip-addresses": ["2001:db8:1::103"]}]},
    {"id": 2, "subnet": "2001:db8:2::/64", "interface-id": "port-7", "rapid-commit": true,
     "pools": [{"pool": "2001:db8:2::/120"}]}
  ]}})";

struct Fixture {
  config::Config cfg;
  lease::MemoryStore store;
  Duid server_duid = Duid::en(2495, ByteView(reinterpret_cast<const std::uint8_t*>("srv"), 3));
  std::unique_ptr<server::Server> srv;
  Address relay = Address::from_string("2001:db8:1::1");

  Fixture() {
    auto r = config::parse_config(CONFIG);
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.errors.at(0).to_string()));
    cfg = r.config;
    srv = std::make_unique<server::Server>(cfg, server_duid, store);
  }

  static Duid client(int n) {
    std::uint8_t mac[6] = {2, 0, 0, 0, 0, static_cast<std::uint8_t>(n)};
    return Duid::ll(1, ByteView(mac, 6));
  }

  Message msg(MessageType t, const Duid& c, Options ias, bool with_server_id) {
    Message m;
    m.type = t;
    m.transaction_id = 0x1234;
    m.options.emplace_back(ClientId{c});
    if (with_server_id) m.options.emplace_back(ServerId{server_duid});
    m.options.emplace_back(ElapsedTime{0});
    m.options.emplace_back(OptionRequest{{23}});
    for (auto& o : ias) m.options.push_back(std::move(o));
    return m;
  }

  /// Sends @p m through one relay (link 2001:db8:1::1) and returns the unwrapped reply.
  server::Result send(const Message& m, std::int64_t now, Options relay_opts = {},
                      Address link = Address::from_string("2001:db8:1::1")) {
    Message r;
    r.type = MessageType::RelayForw;
    r.link_address = link;
    r.peer_address = Address::from_string("fe80::1");
    for (auto& o : relay_opts) r.options.push_back(o);
    r.options.emplace_back(RelayMsg{m});
    Bytes wire = encode_message(r);
    server::Datagram d{relay, 547, Address::from_string("2001:db8::547"), 547, "", wire};
    return srv->handle(d, now);
  }

  static Message unwrap(const server::Result& r) {
    BOOST_REQUIRE(r.reply.has_value());
    auto m = decode_message(r.reply->payload);
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->type == MessageType::RelayRepl);
    return m->innermost();
  }

  /// SOLICIT + REQUEST for one IA_NA (and optionally IA_PD); returns the REPLY.
  Message bind(const Duid& c, std::int64_t now, bool pd = false) {
    Options ias{IaNa{1, 0, 0, {}}};
    if (pd) ias.emplace_back(IaPd{2, 0, 0, {}});
    Message adv = unwrap(send(msg(MessageType::Solicit, c, ias, false), now));
    BOOST_TEST(adv.type == MessageType::Advertise);
    Options req;
    for (const auto& o : adv.options)
      if (o.as<IaNa>() || o.as<IaPd>()) req.push_back(o);
    auto r = send(msg(MessageType::Request, c, req, true), now);
    BOOST_TEST(r.needs_commit);
    return unwrap(r);
  }
};

const IaAddress* first_addr(const Message& m) {
  const auto* ia = m.find<IaNa>();
  return ia ? find_option<IaAddress>(ia->options) : nullptr;
}

std::uint16_t ia_status(const Options& ia_opts) {
  const auto* s = find_option<StatusCodeOption>(ia_opts);
  return s ? s->status : 0;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(server_core, Fixture)

BOOST_AUTO_TEST_CASE(solicit_advertise_request_reply) {
  Message adv = unwrap(send(msg(MessageType::Solicit, client(1), {IaNa{1, 0, 0, {}}}, false), T0));
  BOOST_TEST(adv.type == MessageType::Advertise);
  BOOST_TEST(adv.transaction_id == 0x1234U);
  BOOST_TEST(adv.find<ServerId>()->duid == server_duid);
  BOOST_TEST(adv.find<ClientId>()->duid == client(1));
  BOOST_TEST(adv.find<Preference>()->value == 200);
  BOOST_TEST(adv.find<DnsServers>()->servers.at(0).to_string() == "2001:db8::53");
  BOOST_TEST(store.size() == 0U);  // an offer stores nothing
  Message reply = bind(client(1), T0);
  BOOST_TEST(reply.type == MessageType::Reply);
  const auto* a = first_addr(reply);
  BOOST_REQUIRE(a);
  BOOST_TEST(server::Allocator::in_pools(cfg.dhcp6.subnets[0], a->address));
  BOOST_TEST(a->preferred == 3000U);
  BOOST_TEST(a->valid == 4000U);
  BOOST_TEST(reply.find<IaNa>()->t1 == 1000U);
  BOOST_TEST(reply.find<IaNa>()->t2 == 2000U);
  const lease::Lease* l = store.find({lease::LeaseType::Na, a->address, 128});
  BOOST_REQUIRE(l);
  BOOST_TEST(l->state == BindingStatus::Active);
  BOOST_TEST(l->state_expiration_time == T0 + 4000);
  BOOST_TEST(l->duid == client(1));
}

BOOST_AUTO_TEST_CASE(relay_reply_echoes_interface_id_and_nesting) {
  Message inner = msg(MessageType::Solicit, client(1), {IaNa{1, 0, 0, {}}}, false);
  Message r1;
  r1.type = MessageType::RelayForw;
  r1.link_address = Address::from_string("2001:db8:1::1");
  r1.options = {InterfaceId{{'a'}}, RelayMsg{inner}};
  Message r2;
  r2.type = MessageType::RelayForw;
  r2.hop_count = 1;
  r2.link_address = Address::from_string("2001:db8:ffff::1");
  r2.options = {InterfaceId{{'b'}}, RelayMsg{r1}};
  Bytes wire = encode_message(r2);
  auto res = srv->handle({relay, 547, {}, 547, "", wire}, T0);
  auto out = decode_message(res.reply->payload);
  BOOST_REQUIRE(out.has_value());
  BOOST_TEST(out->relay_depth() == 2);
  BOOST_TEST(out->hop_count == 1);
  BOOST_TEST(out->find<InterfaceId>()->data == Bytes{'b'});
  BOOST_TEST(out->relayed()->find<InterfaceId>()->data == Bytes{'a'});
  BOOST_TEST(out->innermost().type == MessageType::Advertise);
  BOOST_TEST(res.reply->dst == relay);
}

BOOST_AUTO_TEST_CASE(ia_na_and_ia_pd_together) {
  Message reply = bind(client(2), T0, true);
  const auto* pd = reply.find<IaPd>();
  BOOST_REQUIRE(pd);
  const auto* p = find_option<IaPrefix>(pd->options);
  BOOST_REQUIRE(p);
  BOOST_TEST(p->prefix_length == 56);
  BOOST_TEST(p->prefix.to_string() == "2001:db8:8000::");
  BOOST_TEST(pd->t1 == reply.find<IaNa>()->t1);  // one T1/T2 for every IA of a reply
}

BOOST_AUTO_TEST_CASE(pool_exhaustion_gives_no_addrs_and_no_prefix_avail) {
  // 4 addresses, one reserved for someone else: 3 clients fit; 2 prefixes.
  for (int c = 1; c <= 3; ++c) bind(client(c), T0, true);
  Message adv = unwrap(send(msg(MessageType::Solicit, client(9), {IaNa{1, 0, 0, {}}, IaPd{2, 0, 0, {}}}, false), T0));
  BOOST_TEST(ia_status(adv.find<IaNa>()->options) ==
             static_cast<std::uint16_t>(StatusCode::NoAddrsAvail));
  BOOST_TEST(ia_status(adv.find<IaPd>()->options) ==
             static_cast<std::uint16_t>(StatusCode::NoPrefixAvail));
  BOOST_TEST(srv->stats().no_addrs_avail == 1U);
}

BOOST_AUTO_TEST_CASE(reservation_goes_to_its_owner) {
  Duid owner = Duid::from_string("00:03:00:01:aa:aa:aa:aa:aa:aa");
  BOOST_TEST(first_addr(bind(owner, T0))->address.to_string() == "2001:db8:1::103");
}

BOOST_AUTO_TEST_CASE(free_hint_is_honoured) {
  Options ias{IaNa{1, 0, 0, {IaAddress{Address::from_string("2001:db8:1::102"), 0, 0, {}}}}};
  Message adv = unwrap(send(msg(MessageType::Solicit, client(1), ias, false), T0));
  BOOST_TEST(first_addr(adv)->address.to_string() == "2001:db8:1::102");
}

BOOST_AUTO_TEST_CASE(request_again_keeps_the_same_address) {
  auto a1 = first_addr(bind(client(1), T0))->address;
  auto a2 = first_addr(bind(client(1), T0 + 10))->address;
  BOOST_TEST(a1 == a2);
}

BOOST_AUTO_TEST_CASE(renew_and_rebind_extend) {
  Message reply = bind(client(1), T0);
  Options ias{reply.options[2]};  // the IA_NA as granted
  ias.clear();
  for (const auto& o : reply.options)
    if (o.as<IaNa>()) ias.push_back(o);
  auto r = send(msg(MessageType::Renew, client(1), ias, true), T0 + 1000);
  BOOST_TEST(r.needs_commit);
  Message renew = unwrap(r);
  BOOST_TEST(first_addr(renew)->valid == 4000U);
  BOOST_TEST(store.find({lease::LeaseType::Na, first_addr(renew)->address, 128})
                 ->state_expiration_time == T0 + 1000 + 4000);
  Message rebind = unwrap(send(msg(MessageType::Rebind, client(1), ias, false), T0 + 2000));
  BOOST_TEST(first_addr(rebind)->address == first_addr(reply)->address);
  BOOST_TEST(srv->stats().leases_renewed == 2U);
}

BOOST_AUTO_TEST_CASE(renew_of_someone_elses_address_gets_zero_lifetimes) {
  auto held = first_addr(bind(client(1), T0))->address;
  Options ias{IaNa{1, 0, 0, {IaAddress{held, 3000, 4000, {}}}}};
  Message r = unwrap(send(msg(MessageType::Renew, client(2), ias, true), T0));
  BOOST_TEST(first_addr(r)->valid == 0U);
  BOOST_TEST(store.find({lease::LeaseType::Na, held, 128})->duid == client(1));
}

BOOST_AUTO_TEST_CASE(renew_without_binding_or_address_is_no_binding) {
  Message r = unwrap(send(msg(MessageType::Renew, client(5), {IaNa{7, 0, 0, {}}}, true), T0));
  BOOST_TEST(ia_status(r.find<IaNa>()->options) == static_cast<std::uint16_t>(StatusCode::NoBinding));
}

BOOST_AUTO_TEST_CASE(rebind_after_server_lost_state_recreates_the_binding) {
  // The address is free here (a restarted server without storage): the client keeps it.
  Options ias{IaNa{1, 0, 0, {IaAddress{Address::from_string("2001:db8:1::101"), 3000, 4000, {}}}}};
  Message r = unwrap(send(msg(MessageType::Rebind, client(3), ias, false), T0));
  BOOST_TEST(first_addr(r)->address.to_string() == "2001:db8:1::101");
  BOOST_TEST(first_addr(r)->valid == 4000U);
}

BOOST_AUTO_TEST_CASE(rebind_with_off_link_address_gets_zero_lifetimes) {
  Options ias{IaNa{1, 0, 0, {IaAddress{Address::from_string("2001:db8:9::1"), 3000, 4000, {}}}}};
  Message r = unwrap(send(msg(MessageType::Rebind, client(3), ias, false), T0));
  BOOST_TEST(first_addr(r)->valid == 0U);
  BOOST_TEST(first_addr(r)->preferred == 0U);
}

BOOST_AUTO_TEST_CASE(release_frees_the_address_for_others) {
  auto a = first_addr(bind(client(1), T0))->address;
  Options ias{IaNa{1, 0, 0, {IaAddress{a, 0, 0, {}}}}};
  auto r = send(msg(MessageType::Release, client(1), ias, true), T0 + 5);
  BOOST_TEST(r.needs_commit);
  Message rep = unwrap(r);
  BOOST_TEST(rep.find<StatusCodeOption>()->status == 0);
  BOOST_TEST(store.find({lease::LeaseType::Na, a, 128})->state == BindingStatus::Released);
  BOOST_TEST(srv->expire(T0 + 5) == 1U);
  BOOST_TEST(store.find({lease::LeaseType::Na, a, 128})->state == BindingStatus::Free);
  // A second release of the same IA finds no binding.
  Message again = unwrap(send(msg(MessageType::Release, client(1), ias, true), T0 + 6));
  BOOST_TEST(ia_status(again.find<IaNa>()->options) == static_cast<std::uint16_t>(StatusCode::NoBinding));
}

BOOST_AUTO_TEST_CASE(decline_abandons_for_the_probation_period) {
  auto a = first_addr(bind(client(1), T0))->address;
  Options ias{IaNa{1, 0, 0, {IaAddress{a, 0, 0, {}}}}};
  unwrap(send(msg(MessageType::Decline, client(1), ias, true), T0 + 5));
  BOOST_TEST(store.find({lease::LeaseType::Na, a, 128})->state == BindingStatus::Abandoned);
  BOOST_TEST(srv->expire(T0 + 600) == 0U);
  BOOST_TEST(*srv->next_deadline() == T0 + 605);
  BOOST_TEST(srv->expire(T0 + 605) == 1U);
  BOOST_TEST(store.find({lease::LeaseType::Na, a, 128})->state == BindingStatus::Free);
}

BOOST_AUTO_TEST_CASE(leases_expire_back_into_the_pool) {
  for (int c = 1; c <= 3; ++c) bind(client(c), T0);
  BOOST_TEST(*srv->next_deadline() == T0 + 4000);
  BOOST_TEST(srv->expire(T0 + 3999) == 0U);
  BOOST_TEST(srv->expire(T0 + 4000) == 3U);
  BOOST_TEST(srv->stats().leases_expired == 3U);
  // The pool is usable again by a new client.
  BOOST_TEST(first_addr(bind(client(8), T0 + 4001)) != nullptr);
}

BOOST_AUTO_TEST_CASE(confirm_on_and_off_link) {
  auto on = Options{IaNa{1, 0, 0, {IaAddress{Address::from_string("2001:db8:1::5"), 0, 0, {}}}}};
  Message r = unwrap(send(msg(MessageType::Confirm, client(1), on, false), T0));
  BOOST_TEST(r.find<StatusCodeOption>()->status == 0);
  auto off = Options{IaNa{1, 0, 0, {IaAddress{Address::from_string("2001:db8:7::5"), 0, 0, {}}}}};
  r = unwrap(send(msg(MessageType::Confirm, client(1), off, false), T0));
  BOOST_TEST(r.find<StatusCodeOption>()->status == static_cast<std::uint16_t>(StatusCode::NotOnLink));
  auto none = send(msg(MessageType::Confirm, client(1), {IaNa{1, 0, 0, {}}}, false), T0);
  BOOST_TEST(!none.reply);
  BOOST_TEST((*none.dropped == server::DropReason::NothingToConfirm));
}

BOOST_AUTO_TEST_CASE(information_request_gets_options_only) {
  Message m;
  m.type = MessageType::InformationRequest;
  m.options = {OptionRequest{{23}}};
  Message r = unwrap(send(m, T0));
  BOOST_TEST(r.type == MessageType::Reply);
  BOOST_TEST(r.find<DnsServers>() != nullptr);
  BOOST_TEST(r.find<IaNa>() == nullptr);
}

BOOST_AUTO_TEST_CASE(rapid_commit_by_interface_id_subnet) {
  Message m = msg(MessageType::Solicit, client(1), {IaNa{1, 0, 0, {}}}, false);
  m.options.emplace_back(RapidCommit{});
  auto res = send(m, T0, {InterfaceId{{'p', 'o', 'r', 't', '-', '7'}}},
                  Address::from_string("2001:db8:99::1"));
  Message r = unwrap(res);
  BOOST_TEST(r.type == MessageType::Reply);
  BOOST_TEST(r.find<RapidCommit>() != nullptr);
  BOOST_TEST(res.needs_commit);
  BOOST_TEST(first_addr(r)->address.to_string() == "2001:db8:2::");
}

BOOST_AUTO_TEST_CASE(identity_rules_drop_bad_messages) {
  using server::DropReason;
  auto dropped = [&](const Message& m) {
    auto r = send(m, T0);
    BOOST_TEST(!r.reply);
    return r.dropped.value_or(DropReason::Count_);
  };
  Message no_client = msg(MessageType::Solicit, client(1), {}, false);
  no_client.options.erase(no_client.options.begin());
  BOOST_TEST((dropped(no_client) == DropReason::MissingClientId));
  BOOST_TEST((dropped(msg(MessageType::Solicit, client(1), {}, true)) == DropReason::BadServerId));
  BOOST_TEST((dropped(msg(MessageType::Request, client(1), {}, false)) == DropReason::BadServerId));
  Message other = msg(MessageType::Request, client(1), {}, false);
  other.options.emplace_back(ServerId{client(99)});
  BOOST_TEST((dropped(other) == DropReason::BadServerId));
  BOOST_TEST((dropped(msg(MessageType::Advertise, client(1), {}, true)) == DropReason::NotForServers));
  auto off = send(msg(MessageType::Solicit, client(1), {IaNa{1, 0, 0, {}}}, false), T0, {},
                  Address::from_string("2001:db8:77::1"));
  BOOST_TEST((*off.dropped == DropReason::NoSubnet));
  Bytes junk{0x01, 0x00};
  auto res = srv->handle({relay, 547, {}, 547, "", junk}, T0);
  BOOST_TEST((*res.dropped == DropReason::Malformed));
  BOOST_TEST(srv->stats().dropped[static_cast<int>(DropReason::Malformed)] == 1U);
}

BOOST_AUTO_TEST_CASE(direct_unicast_request_gets_use_multicast) {
  Message m = msg(MessageType::Request, client(1), {IaNa{1, 0, 0, {}}}, true);
  Bytes wire = encode_message(m);
  server::Datagram d{Address::from_string("2001:db8:1::55"), 546,
                     Address::from_string("2001:db8:1::547"), 547, "eth0", wire};
  auto res = srv->handle(d, T0);
  auto r = decode_message(res.reply->payload);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->find<StatusCodeOption>()->status ==
             static_cast<std::uint16_t>(StatusCode::UseMulticast));
  BOOST_TEST(!res.needs_commit);
  BOOST_TEST(res.reply->dport == 546);
}

BOOST_AUTO_TEST_CASE(client_lifetime_hints_are_bounded) {
  // Without min/max bounds the configured lifetimes win over a client's hint.
  Options ias{IaNa{1, 0, 0, {IaAddress{Address{}, 10, 20, {}}}}};
  Message adv = unwrap(send(msg(MessageType::Solicit, client(1), ias, false), T0));
  BOOST_TEST(first_addr(adv)->valid == 4000U);
}

BOOST_AUTO_TEST_SUITE_END()
