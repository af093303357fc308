// The malformed-input policy (STYLE.md rule 4): every rejection names the absolute offset and
// the reason, and no input makes the decoder read out of bounds (checked under ASan).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "samples.h"
#include "wire/failover_message.h"
#include "wire/message.h"

using namespace failover6::wire;
using failover6::wire::testing::hex;
namespace bdata = boost::unit_test::data;

namespace {

struct BadInput {
  const char* name;
  const char* hex;
  std::size_t offset;
  const char* message;
};
std::ostream& operator<<(std::ostream& os, const BadInput& b) { return os << b.name; }

const BadInput DHCP6_CASES[] = {
    {"empty", "", 0, "empty message"},
    {"short header", "01 0000", 0, "SOLICIT: 3 octets, shorter than the 4-octet header"},
    {"failover type over UDP", "18 000001 00000000", 0,
     "BNDUPD is an RFC 8156 failover message, not DHCPv6 over UDP"},
    {"short relay header", "0c 00 20010db8", 0,
     "RELAY-FORW: 6 octets, shorter than the 34-octet relay header"},
    {"option header cut", "01 000001 0001 00", 4,
     "3 trailing octets are too few for an option header"},
    {"option runs past end", "01 000001 0001 0010 0102", 4,
     "CLIENTID (1): length 16 runs past the end (2 octets left)"},
    {"IA_NA shorter than fixed part", "01 000001 0003 0008 00000001 00000000", 8,
     "IA_NA (3): length 8 is shorter than its 12-octet fixed part"},
    {"IAADDR inside IA_NA too short",
     "07 000001 0003 0014 00000001 00000000 00000000 0005 0004 20010db8", 24,
     "IAADDR (5): length 4 is shorter than its 24-octet fixed part"},
    {"ORO odd length", "01 000001 0006 0003 001700", 8, "ORO (6): odd length 3"},
    {"PREFERENCE length 2", "02 000001 0007 0002 00ff", 8, "PREFERENCE (7): length 2, expected 1"},
    {"RAPID_COMMIT with body", "01 000001 000e 0001 00", 8,
     "RAPID_COMMIT (14): length 1, expected 0"},
    {"DUID too short", "01 000001 0001 0002 0001", 8,
     "CLIENTID (1): DUID length 2 outside 3..130 (RFC 8415 §11.1)"},
    {"DNS_SERVERS not multiple of 16", "07 000001 0017 0004 20010db8", 8,
     "DNS_SERVERS (23): length 4 is not a multiple of 16"},
    {"IAPREFIX prefix length 129",
     "07 000001 001a 0019 00000000 00000000 81 20010db8000000000000000000000000", 16,
     "IAPREFIX (26): prefix-length 129 exceeds 128"},
    {"DOMAIN_LIST compression pointer", "07 000001 0018 0002 c00c", 8,
     "DOMAIN_LIST (24): domain name label length 192 (compression is not allowed in DHCPv6)"},
    {"DOMAIN_LIST label past end", "07 000001 0018 0003 05 6162", 8,
     "DOMAIN_LIST (24): domain name label of 5 octets runs past the end"},
    {"USER_CLASS item past end", "01 000001 000f 0003 0005 61", 8,
     "USER_CLASS (15): item length runs past the end of the option"},
    {"VENDOR_OPTS sub-option past end", "01 000001 0011 0009 00000009 0001 0009 61", 12,
     "VENDOR_OPTS (17): sub-option runs past the end of the option"},
    {"STATUS_CODE without code", "07 000001 000d 0001 00", 8,
     "STATUS_CODE (13): length 1 is shorter than its 2-octet status code"},
    {"relayed message truncated",
     "0c 00 20010db8000000000000000000000001 fe800000000000000000000000000002 0009 0002 0100",
     38, "SOLICIT: 2 octets, shorter than the 4-octet header"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(wire_malformed)

BOOST_DATA_TEST_CASE(dhcp6_rejections_name_offset_and_reason, bdata::make(DHCP6_CASES), c) {
  Bytes wire = hex(c.hex);
  auto m = decode_message(wire);
  BOOST_REQUIRE(!m.has_value());
  BOOST_TEST(m.error().message == c.message);
  BOOST_TEST(m.error().offset == c.offset);
  BOOST_TEST(m.error().to_string() ==
             "offset " + std::to_string(c.offset) + ": " + std::string(c.message));
}

BOOST_AUTO_TEST_CASE(value_throws_decode_failure) {
  auto m = decode_message(hex("01 0000"));
  BOOST_CHECK_THROW(m.value(), DecodeFailure);
}

// Every truncation of a valid relayed message is either rejected or (only at full length)
// accepted; nothing reads past the end (ASan would abort).
BOOST_AUTO_TEST_CASE(every_truncation_is_rejected_cleanly) {
  Bytes wire = encode_message(testing::relayed(testing::sample_request(), 3));
  for (std::size_t n = 0; n < wire.size(); ++n) {
    Bytes cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
    auto m = decode_message(cut);
    BOOST_TEST_CONTEXT("length " << n) {
      // A cut exactly at an option boundary of the outer relay leaves a valid, shorter message.
      if (m.has_value()) BOOST_TEST(encode_message(*m) == cut);
      else BOOST_TEST(m.error().offset <= n);
    }
  }
}

// Flipping any octet to any of a few values never breaks the decoder's contract: either an
// error with an in-range offset, or a message that re-encodes to the same octets.
BOOST_AUTO_TEST_CASE(single_octet_mutations_keep_the_contract) {
  Bytes wire = encode_message(testing::relayed(testing::sample_request(), 2));
  for (std::size_t i = 0; i < wire.size(); ++i) {
    for (std::uint8_t v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      Bytes mutated = wire;
      mutated[i] = v;
      auto m = decode_message(mutated);
      if (m.has_value()) {
        BOOST_TEST(encode_message(*m) == mutated);
      } else {
        BOOST_TEST(m.error().offset <= mutated.size());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(failover_rejections) {
  auto e = decode_failover(hex(""));
  BOOST_TEST(e.error().message == "empty failover message");
  e = decode_failover(hex("01 000001"));
  BOOST_TEST(e.error().message == "message type 1 (SOLICIT) is not used on the failover connection");
  e = decode_failover(hex("1f 000001 0000"));
  BOOST_TEST(e.error().message == "CONNECT: 6 octets, shorter than the 8-octet header");
  e = decode_failover(hex("1f 000001 00000000 007a 0003 000e10"));
  BOOST_TEST(e.error().to_string() == "offset 12: F_MCLT (122): length 3, expected 4");
}

BOOST_AUTO_TEST_CASE(deep_option_nesting_is_bounded) {
  // CLIENT_DATA inside CLIENT_DATA ... 60 deep: rejected by MAX_NESTING, not by the stack.
  Bytes body;
  for (int i = 0; i < 60; ++i) {
    Bytes outer = hex("002d");
    outer.push_back(static_cast<std::uint8_t>(body.size() >> 8));
    outer.push_back(static_cast<std::uint8_t>(body.size()));
    outer.insert(outer.end(), body.begin(), body.end());
    body = outer;
  }
  Bytes wire = hex("18 000001 00000000");
  wire.insert(wire.end(), body.begin(), body.end());
  auto m = decode_failover(wire);
  BOOST_REQUIRE(!m.has_value());
  BOOST_TEST(m.error().message == "options nested deeper than 48");
}

BOOST_AUTO_TEST_SUITE_END()
