// RFC 8156 §5 message format: header with sent-time, 2-octet framing, STARTTLS (A7).
#include <boost/test/unit_test.hpp>

#include "samples.h"
#include "wire/failover_message.h"

using namespace failover6::wire;
using failover6::wire::testing::hex;
using failover6::wire::testing::sample_bndupd;

BOOST_AUTO_TEST_SUITE(wire_failover)

BOOST_AUTO_TEST_CASE(connect_golden_bytes) {
  FailoverMessage m;
  m.type = MessageType::Connect;
  m.transaction_id = 1;
  m.sent_time = 0x2faf0800;
  m.options = {FProtocolVersion{1, 0}, FMclt{3600}, FKeepaliveTime{60}, FMaxUnackedBndupd{10},
               FConnectFlags{0}, FRelationshipName{"r1"}};
  Bytes expected = hex(
      "1f 000001 2faf0800"
      "007f 0004 0001 0000"
      "007a 0004 00000e10"
      "0080 0004 0000003c"
      "0079 0004 0000000a"
      "0073 0002 0000"
      "0082 0002 7231");
  BOOST_TEST(encode_failover(m) == expected);
  Bytes framed = encode_failover_framed(m);
  BOOST_TEST(framed.size() == expected.size() + 2);
  BOOST_TEST(framed[0] == 0);
  BOOST_TEST(framed[1] == expected.size());
}

BOOST_AUTO_TEST_CASE(every_failover_type_round_trips) {
  for (int t = 23; t <= 35; ++t) {
    BOOST_TEST_CONTEXT("type " << t) {
      FailoverMessage m = sample_bndupd();
      m.type = static_cast<MessageType>(t);
      Bytes wire = encode_failover(m);
      auto back = decode_failover(wire);
      BOOST_REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().to_string()));
      BOOST_TEST((*back == m));
      BOOST_TEST(encode_failover(*back) == wire);
    }
  }
}

BOOST_AUTO_TEST_CASE(bndupd_structure_survives) {
  auto back = decode_failover(encode_failover(sample_bndupd()));
  BOOST_REQUIRE(back.has_value());
  const auto* cd = back->find<ClientData>();
  BOOST_REQUIRE(cd);
  const auto* ia = find_option<IaNa>(cd->options);
  BOOST_REQUIRE(ia);
  const auto* a = find_option<IaAddress>(ia->options);
  BOOST_REQUIRE(a);
  BOOST_TEST(find_option<FBindingStatus>(a->options)->value == 1);
  BOOST_TEST(find_option<FPartnerLifetime>(a->options)->value == 800007200U);
}

BOOST_AUTO_TEST_CASE(starttls_with_and_without_sent_time) {
  // With sent-time (what failover6 sends).
  auto with = decode_failover(hex("17 000005 00000010"));
  BOOST_REQUIRE(with.has_value());
  BOOST_TEST(with->has_sent_time);
  BOOST_TEST(with->sent_time == 16U);
  // Without (RFC 7653 layout): 4-octet header then options; the REPLY carries a status code.
  Bytes plain = hex("07 000005 000d 0002 000f");
  auto reply = decode_failover(plain);
  BOOST_REQUIRE(reply.has_value());
  BOOST_TEST(!reply->has_sent_time);
  BOOST_TEST(reply->find<StatusCodeOption>()->status == 15);
  BOOST_TEST(encode_failover(*reply) == plain);
  // A bare RFC 7653 STARTTLS is 4 octets.
  auto bare = decode_failover(hex("17 000006"));
  BOOST_REQUIRE(bare.has_value());
  BOOST_TEST(!bare->has_sent_time);
  BOOST_TEST(bare->transaction_id == 6U);
}

BOOST_AUTO_TEST_CASE(frame_splitter_handles_any_split) {
  Bytes stream;
  std::vector<Bytes> sent;
  for (int i = 0; i < 5; ++i) {
    FailoverMessage m = sample_bndupd();
    m.transaction_id = static_cast<std::uint32_t>(i);
    Bytes f = encode_failover_framed(m);
    sent.push_back(encode_failover(m));
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (std::size_t chunk : {1U, 2U, 3U, 7U, 64U, 100000U}) {
    BOOST_TEST_CONTEXT("chunk " << chunk) {
      FrameSplitter s;
      std::vector<Bytes> got;
      for (std::size_t i = 0; i < stream.size(); i += chunk) {
        std::size_t n = std::min(chunk, stream.size() - i);
        s.feed(ByteView(stream).subspan(i, n));
        while (auto f = s.next()) got.push_back(*f);
      }
      BOOST_TEST(s.pending() == 0U);
      BOOST_TEST((got == sent));
    }
  }
}

BOOST_AUTO_TEST_CASE(frame_splitter_waits_for_the_whole_frame) {
  FrameSplitter s;
  s.feed(hex("0008 23000001"));
  BOOST_TEST(!s.next());
  BOOST_TEST(s.pending() == 6U);
  s.feed(hex("00000001 00"));
  auto f = s.next();
  BOOST_REQUIRE(f);
  BOOST_TEST(f->size() == 8U);
  BOOST_TEST(!s.next());
  BOOST_TEST(s.pending() == 1U);
}

BOOST_AUTO_TEST_CASE(failover_time_base) {
  BOOST_TEST(to_failover_time(946684800) == 0U);
  BOOST_TEST(to_failover_time(946684800 + 3600) == 3600U);
  BOOST_TEST(to_failover_time(946684800 - 1) == 0xFFFFFFFFU);
}

BOOST_AUTO_TEST_SUITE_END()
