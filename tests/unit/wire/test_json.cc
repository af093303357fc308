// The JSON form (wire/json.h): lossless for every option, and precise about bad input.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "samples.h"
#include "wire/json.h"

using namespace failover6::wire;
using nlohmann::json;

BOOST_AUTO_TEST_SUITE(wire_json)

BOOST_AUTO_TEST_CASE(every_option_round_trips_through_json) {
  for (const auto& o : testing::every_option()) {
    BOOST_TEST_CONTEXT("option " << option_name(o.code())) {
      json j = to_json(o);
      BOOST_TEST(j["code"].get<int>() == o.code());
      // Through text as well, as the CLI and fixtures use it.
      Option back = option_from_json(json::parse(j.dump()));
      BOOST_TEST((back == o));
    }
  }
}

BOOST_AUTO_TEST_CASE(name_fields_do_not_clash_with_the_option_name) {
  json j = to_json(Option(FRelationshipName{"pair-1"}));
  BOOST_TEST(j["option"] == "F_RELATIONSHIP_NAME");
  BOOST_TEST(j["name"] == "pair-1");
  BOOST_TEST((option_from_json(j) == Option(FRelationshipName{"pair-1"})));
}

BOOST_AUTO_TEST_CASE(message_fields) {
  json j = to_json(testing::relayed(testing::sample_request(), 1));
  BOOST_TEST(j["type"] == "RELAY-FORW");
  BOOST_TEST(j["hop_count"] == 0);
  BOOST_TEST(j["link_address"] == "2001:db8:1::1");
  const json& inner = j["options"][1]["message"];
  BOOST_TEST(inner["type"] == "REQUEST");
  BOOST_TEST(inner["transaction_id"] == 0xabcdef);
  BOOST_TEST(inner["options"][0]["duid"] == "00:01:00:01:12:34:56:78:00:11:22:33:44:55");
  BOOST_TEST(inner["options"][5]["options"][0]["prefix"] == "2001:db8:8000::");
  BOOST_TEST(inner["options"][5]["options"][0]["prefix_length"] == 56);
  BOOST_TEST((message_from_json(j) == testing::relayed(testing::sample_request(), 1)));
}

BOOST_AUTO_TEST_CASE(failover_round_trip) {
  auto m = testing::sample_bndupd();
  json j = to_json(m);
  BOOST_TEST(j["type"] == "BNDUPD");
  BOOST_TEST(j["sent_time"] == 800000000);
  BOOST_TEST((failover_from_json(j) == m));
}

BOOST_AUTO_TEST_CASE(options_by_name_and_defaults) {
  Option o = option_from_json(json{{"option", "ia_na"}, {"iaid", 5}});
  BOOST_REQUIRE(o.as<IaNa>());
  BOOST_TEST(o.as<IaNa>()->iaid == 5U);
  BOOST_TEST(o.as<IaNa>()->t1 == 0U);
  Message m = message_from_json(json{{"type", "solicit"}, {"transaction_id", 1}});
  BOOST_TEST(static_cast<int>(m.type) == 1);
}

void expect_error(const json& j, const std::string& text) {
  try {
    (void)message_from_json(j);
    BOOST_ERROR("no error for " << j.dump());
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()) == text);
  }
}

BOOST_AUTO_TEST_CASE(errors_name_the_field) {
  expect_error(json{{"type", "BOGUS"}}, "field 'type': unknown message type 'BOGUS'");
  expect_error(json{{"type", "REPLY"}, {"transaction_id", 0x1000000}},
               "field 'transaction_id': exceeds 24 bits");
  expect_error(json{{"type", "REPLY"},
                    {"options", json::array({{{"code", 5}, {"address", "2001:db8::zz"}}})}},
               "option IAADDR (5): field 'address': '2001:db8::zz' is not an IPv6 address");
  expect_error(json{{"type", "REPLY"}, {"options", json::array({{{"code", 7}, {"value", 256}}})}},
               "option PREFERENCE (7): field 'value': 256 exceeds 255");
  expect_error(json{{"type", "REPLY"}, {"options", json::array({{{"option", "NOPE"}}})}},
               "field 'option': unknown option name 'NOPE'");
  expect_error(json{{"type", "REPLY"},
                    {"options", json::array({{{"code", 1}, {"data", "000300010001"}}})}},
               "option CLIENTID (1): field 'data': not a field of this option");
  expect_error(json::array(), "a message must be a JSON object, got []");
}

BOOST_AUTO_TEST_SUITE_END()
