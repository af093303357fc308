// Relay wrapping (RELAY-FORW, one and two deep) and unwrapping of RELAY-REPL with its checks.
#include "gen/relay.h"

#include <boost/test/unit_test.hpp>

#include "scripted_server.h"

namespace failover6::gen::test {
namespace {

using wire::Address;
using wire::MessageType;

const Address CLIENT = Address::from_string("fe80::1:0:7");

wire::Bytes bytes(std::string_view s) { return wire::Bytes(s.begin(), s.end()); }

RelayConfig one_deep() {
  RelayConfig r;
  r.first.link_address = Address::from_string("2001:db8:1::1");
  r.first.address = r.first.link_address;
  r.first.interface_id = bytes("eth7");
  r.first.remote_id = wire::RemoteId{2495, bytes("port-9")};
  return r;
}

RelayConfig two_deep() {
  RelayConfig r = one_deep();
  RelayHop h;
  h.link_address = Address::from_string("2001:db8:ffff::1");
  h.address = h.link_address;
  h.interface_id = bytes("agg0");
  r.second = h;
  return r;
}

wire::Message solicit() {
  wire::Message m;
  m.type = MessageType::Solicit;
  m.transaction_id = 0x123456;
  m.options.emplace_back(wire::ClientId{wire::Duid::ll(1, std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 7})});
  m.options.emplace_back(wire::IaNa{5, 0, 0, {}});
  return m;
}

BOOST_AUTO_TEST_SUITE(relay)

BOOST_AUTO_TEST_CASE(wrap_one_deep) {
  auto r = one_deep();
  wire::Message fwd = wrap(r, solicit(), CLIENT);
  BOOST_TEST(fwd.type == MessageType::RelayForw);
  BOOST_TEST(fwd.hop_count == 0);
  BOOST_TEST(fwd.link_address == r.first.link_address);
  BOOST_TEST(fwd.peer_address == CLIENT);
  BOOST_REQUIRE(fwd.find<wire::InterfaceId>());
  BOOST_TEST(fwd.find<wire::InterfaceId>()->data == bytes("eth7"));
  BOOST_REQUIRE(fwd.find<wire::RemoteId>());
  BOOST_TEST(fwd.find<wire::RemoteId>()->remote_id == bytes("port-9"));
  BOOST_TEST(fwd.relay_depth() == 1);
  BOOST_TEST((fwd.innermost() == solicit()));
  // Survives the codec.
  auto back = wire::decode_message(wire::encode_message(fwd));
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == fwd));
}

BOOST_AUTO_TEST_CASE(wrap_two_deep) {
  auto r = two_deep();
  wire::Message fwd = wrap(r, solicit(), CLIENT);
  BOOST_TEST(fwd.relay_depth() == 2);
  BOOST_TEST(fwd.hop_count == 1);
  BOOST_TEST(fwd.link_address == r.second->link_address);
  BOOST_TEST(fwd.peer_address == r.first.address);
  BOOST_TEST(fwd.find<wire::InterfaceId>()->data == bytes("agg0"));
  const wire::Message* inner = fwd.relayed();
  BOOST_REQUIRE(inner);
  BOOST_TEST(inner->type == MessageType::RelayForw);
  BOOST_TEST(inner->hop_count == 0);
  BOOST_TEST(inner->peer_address == CLIENT);
  BOOST_TEST(inner->link_address == r.first.link_address);
  BOOST_TEST(r.source() == r.second->address);
}

BOOST_AUTO_TEST_CASE(unwrap_what_a_server_answers) {
  for (auto r : {one_deep(), two_deep()}) {
    BOOST_TEST_CONTEXT("depth " << r.depth()) {
      wire::Message fwd = wrap(r, solicit(), CLIENT);
      ScriptedServer s;
      wire::Message repl = relay_reply(fwd, s.advertise(solicit()));
      auto back = wire::decode_message(wire::encode_message(repl));
      BOOST_REQUIRE(back.has_value());
      Unwrapped u = unwrap(r, *back);
      BOOST_TEST(u.error == "");
      BOOST_REQUIRE(u.message);
      BOOST_TEST(u.message->type == MessageType::Advertise);
      BOOST_TEST(u.peer_address == CLIENT);
      BOOST_TEST(innermost_peer(*back).value() == CLIENT);
    }
  }
}

BOOST_AUTO_TEST_CASE(unwrap_rejects_wrong_layers) {
  ScriptedServer s;
  auto r1 = one_deep();
  auto r2 = two_deep();
  // One layer where two were sent.
  wire::Message one = relay_reply(wrap(r1, solicit(), CLIENT), s.advertise(solicit()));
  BOOST_TEST(unwrap(r2, one).error.find("outer layer link-address") != std::string::npos);
  // Two layers where one was sent.
  wire::Message two = relay_reply(wrap(r2, solicit(), CLIENT), s.advertise(solicit()));
  BOOST_TEST(unwrap(r1, two).error.find("relay layer link-address") != std::string::npos);
  // INTERFACE_ID not echoed.
  wire::Message no_iid = one;
  no_iid.options.erase(no_iid.options.begin());
  BOOST_TEST(unwrap(r1, no_iid).error == "relay layer does not echo the relay's INTERFACE_ID");
  // A RELAY-FORW is not an answer.
  BOOST_TEST(unwrap(r1, wrap(r1, solicit(), CLIENT)).error ==
             "relay layer is RELAY-FORW, not RELAY-REPL");
  // A client message without relay layers names no peer.
  BOOST_TEST(!innermost_peer(solicit()).has_value());
  BOOST_TEST(unwrap(r1, solicit()).message == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::gen::test
