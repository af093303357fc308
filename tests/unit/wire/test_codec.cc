// Round trips and golden encodings of the DHCPv6 codec (RFC 8415 §8, §9, §21).
#include <boost/test/unit_test.hpp>
#include <set>

#include "samples.h"
#include "wire/duid.h"
#include "wire/message.h"

using namespace failover6::wire;
using failover6::wire::testing::every_option;
using failover6::wire::testing::hex;
using failover6::wire::testing::relayed;
using failover6::wire::testing::sample_request;

BOOST_AUTO_TEST_SUITE(wire_codec)

BOOST_AUTO_TEST_CASE(samples_cover_every_option_type) {
  std::set<std::size_t> seen;
  for (const auto& o : every_option()) seen.insert(o.value.index());
  BOOST_TEST(seen.size() == std::variant_size_v<OptionVariant>);
}

BOOST_AUTO_TEST_CASE(every_option_round_trips_inside_a_message) {
  for (const auto& o : every_option()) {
    BOOST_TEST_CONTEXT("option " << option_name(o.code())) {
      Message m;
      m.type = MessageType::Reply;
      m.transaction_id = 0x010203;
      m.options.push_back(o);
      Bytes wire = encode_message(m);
      auto back = decode_message(wire);
      BOOST_REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().to_string()));
      BOOST_TEST((*back == m));
      BOOST_TEST(encode_message(*back) == wire);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_message_type_round_trips) {
  for (int t = 1; t <= 13; ++t) {
    BOOST_TEST_CONTEXT("type " << t) {
      Message m = sample_request();
      m.type = static_cast<MessageType>(t);
      if (m.is_relay()) m = relayed(sample_request(), 1), m.type = static_cast<MessageType>(t);
      Bytes wire = encode_message(m);
      auto back = decode_message(wire);
      BOOST_REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().to_string()));
      BOOST_TEST((*back == m));
      BOOST_TEST(static_cast<int>(back->type) == t);
    }
  }
}

// RFC 8415 §21.4 and §21.6 layouts, octet by octet.
BOOST_AUTO_TEST_CASE(ia_na_with_iaaddr_golden_bytes) {
  Message m;
  m.type = MessageType::Reply;
  m.transaction_id = 0x123456;
  m.options.emplace_back(
      IaNa{0x11, 0x22, 0x33, {IaAddress{Address::from_string("2001:db8::1"), 0x44, 0x55, {}}}});
  Bytes expected = hex(
      "07 123456"
      "0003 0028 00000011 00000022 00000033"
      "0005 0018 20010db8000000000000000000000001 00000044 00000055");
  BOOST_TEST(encode_message(m) == expected);
}

BOOST_AUTO_TEST_CASE(relay_header_golden_bytes) {
  Message inner;
  inner.type = MessageType::Solicit;
  inner.transaction_id = 1;
  Message r;
  r.type = MessageType::RelayForw;
  r.hop_count = 2;
  r.link_address = Address::from_string("2001:db8::1");
  r.peer_address = Address::from_string("fe80::2");
  r.options.emplace_back(RelayMsg{inner});
  Bytes expected = hex(
      "0c 02 20010db8000000000000000000000001 fe800000000000000000000000000002"
      "0009 0004 01 000001");
  BOOST_TEST(encode_message(r) == expected);
}

BOOST_AUTO_TEST_CASE(relay_nesting_to_eight_hops) {
  Message m = relayed(sample_request(), 8);
  Bytes wire = encode_message(m);
  auto back = decode_message(wire);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->relay_depth() == 8);
  BOOST_TEST((back->innermost() == sample_request()));
  BOOST_TEST(back->hop_count == 7);
}

BOOST_AUTO_TEST_CASE(relay_nesting_beyond_the_limit_is_rejected) {
  Bytes wire = encode_message(relayed(sample_request(), MAX_RELAY_DEPTH + 1));
  auto back = decode_message(wire);
  BOOST_REQUIRE(!back.has_value());
  BOOST_TEST(back.error().message.find("relay messages nested deeper than 32") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_options_are_kept_byte_for_byte) {
  Bytes wire = hex("01 000001 fffe 0003 010203 0040 0000 0015 0002 ffff");
  auto m = decode_message(wire);
  BOOST_REQUIRE(m.has_value());
  BOOST_REQUIRE(m->options.size() == 3);
  BOOST_TEST(m->options[0].as<UnknownOption>()->code == 0xfffe);
  BOOST_TEST(m->options[1].code() == 0x40);  // AFTR_NAME: not typed, kept raw
  BOOST_TEST(m->options[2].code() == 21);
  BOOST_TEST(encode_message(*m) == wire);
}

BOOST_AUTO_TEST_CASE(duid_constructors_and_text) {
  auto d = Duid::llt(1, 0x01020304, hex("aa bb cc dd ee ff"));
  BOOST_TEST(d.to_string() == "00:01:00:01:01:02:03:04:aa:bb:cc:dd:ee:ff");
  BOOST_TEST(d.type() == 1);
  BOOST_TEST(d.describe() == "LLT hw=1 time=16909060 ll=aa:bb:cc:dd:ee:ff");
  std::array<std::uint8_t, 16> u{};
  u[0] = 0x12;
  BOOST_TEST(Duid::uuid(u).describe() == "UUID 12000000-0000-0000-0000-000000000000");
  BOOST_TEST(Duid::en(9, hex("01")).describe() == "EN 9 id=01");
  BOOST_TEST((Duid::from_string("00:03:00:01:aa:bb") == Duid::ll(1, hex("aa bb"))));
  BOOST_CHECK_THROW(Duid::from_string("00:01"), std::invalid_argument);
  BOOST_CHECK_THROW(Duid::from_string("0g:01:02"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(domain_names_round_trip_with_escapes) {
  Message m;
  m.type = MessageType::Reply;
  m.options.emplace_back(DomainList{{"a\\.b.example.", "x\\032y.", "."}});
  m.options.emplace_back(ClientFqdn{0, "partial"});
  Bytes wire = encode_message(m);
  auto back = decode_message(wire);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((*back == m));
  // "a.b" is one label of three octets.
  auto* dl = back->find<DomainList>();
  BOOST_TEST(dl->domains[0] == "a\\.b.example.");
}

BOOST_AUTO_TEST_CASE(bad_names_do_not_encode) {
  Message m;
  m.type = MessageType::Reply;
  m.options.emplace_back(DomainList{{"a..b."}});
  BOOST_CHECK_THROW(encode_message(m), EncodeError);
  m.options[0] = DomainList{{std::string(64, 'x') + "."}};
  BOOST_CHECK_THROW(encode_message(m), EncodeError);
  m.options[0] = DomainList{{"partial", "second."}};
  BOOST_CHECK_THROW(encode_message(m), EncodeError);
}

BOOST_AUTO_TEST_CASE(oversized_option_body_is_an_encode_error) {
  Message m;
  m.type = MessageType::Reply;
  m.options.emplace_back(UnknownOption{99, Bytes(70000, 0)});
  BOOST_CHECK_THROW(encode_message(m), EncodeError);
}

BOOST_AUTO_TEST_CASE(address_text) {
  BOOST_TEST(Address::from_string("2001:0db8:0:0:0:0:0:1").to_string() == "2001:db8::1");
  BOOST_TEST(!Address::parse("2001:db8::g"));
  BOOST_TEST(!Address::parse(std::string(100, '1')));
  BOOST_TEST(Address::from_string("::1").is_odd());
  BOOST_TEST(!Address::from_string("::2").is_odd());
  BOOST_TEST(Address{}.is_unspecified());
}

BOOST_AUTO_TEST_CASE(names_tables) {
  BOOST_TEST(to_string(MessageType::RelayForw) == "RELAY-FORW");
  BOOST_TEST(to_string(MessageType::Contact) == "CONTACT");
  BOOST_TEST(to_string(static_cast<MessageType>(200)) == "MSG-200");
  BOOST_TEST(static_cast<int>(*parse_message_type("bndupd")) == 24);
  BOOST_TEST(static_cast<int>(*parse_message_type("MSG-77")) == 77);
  BOOST_TEST(!parse_message_type("NOPE"));
  BOOST_TEST(option_name(134) == "F_STATE_EXPIRATION_TIME");
  BOOST_TEST(option_name(5000) == "OPTION-5000");
  BOOST_TEST(*parse_option_code("ia_pd") == 25);
  BOOST_TEST(status_name(22) == "ExcessiveTimeSkew");
  BOOST_TEST(binding_status_name(6) == "FREE-BACKUP");
  BOOST_TEST(server_state_name(3) == "COMMUNICATIONS-INTERRUPTED");
}

BOOST_AUTO_TEST_SUITE_END()

#include <arpa/inet.h>

#include <random>

BOOST_AUTO_TEST_SUITE(wire_address)

// Address::to_string formats by hand for speed; it must print exactly what inet_ntop prints.
BOOST_AUTO_TEST_CASE(to_string_matches_inet_ntop) {
  std::mt19937_64 rng(20261127);
  std::vector<Address> cases;
  for (const char* s : {"::", "::1", "1::", "2001:db8::1", "::ffff:1.2.3.4", "::1.2.3.4",
                        "1:0:0:2:0:0:0:3", "1:0:0:2:0:0:3:4", "0:0:1::", "fe80::1:0:0:0",
                        "::ffff:0:1.2.3.4", "0:0:0:0:0:1:0:0", "::2:3:4:5:6:7", "1:2:3:4:5:6:7:8",
                        "0:1:0:1:0:1:0:1", "::ffff"})
    cases.push_back(Address::from_string(s));
  for (int i = 0; i < 20000; ++i) {
    Address a;
    for (auto& b : a.bytes) {
      // Mostly zeros, so runs of zero groups of every length occur.
      auto r = rng();
      b = (r % 3 == 0) ? static_cast<std::uint8_t>(r >> 8) : 0;
    }
    cases.push_back(a);
  }
  for (const auto& a : cases) {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof(buf));
    BOOST_TEST(a.to_string() == std::string(buf));
  }
}

BOOST_AUTO_TEST_SUITE_END()
