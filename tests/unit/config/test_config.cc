// Configuration parsing (impl/config): Kea's Dhcp6 schema, our Failover6 member, and errors
// that name the JSON path and the reason (the shape of Kea's ha_config_unittest testInvalidConfig).
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "config/config.h"

using namespace failover6::config;
namespace bdata = boost::unit_test::data;

namespace {

// DESIGN.md's minimal standalone config, which must be accepted as written.
const char* MINIMAL = R"({
  "Dhcp6": {
    "renew-timer": 1000, "rebind-timer": 2000,
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "lease-database": { "type": "memfile", "persist": true, "name": "var/alpha/leases6" },
    "subnet6": [ {
      "id": 1, "subnet": "2001:db8:1::/64",
      "relay": { "ip-addresses": [ "2001:db8:1::1" ] },
      "pools": [ { "pool": "2001:db8:1::1000 - 2001:db8:1::ffff" } ],
      "pd-pools": [ { "prefix": "2001:db8:8000::", "prefix-len": 40, "delegated-len": 56 } ],
      "option-data": [ { "name": "dns-servers", "data": "2001:db8::53" } ]
    } ]
  },
  "Failover6": { "listen": [ "[::1]:5547" ] }
})";

std::string errors_of(const ParseResult& r) {
  std::string s;
  for (const auto& e : r.errors) s += e.to_string() + "\n";
  return s;
}

/// Puts @p fragment into the first subnet of a valid config.
std::string with_subnet_keys(const std::string& fragment) {
  return R"({"Dhcp6": {"subnet6": [{"id": 1, "subnet": "2001:db8:1::/64", )" + fragment + "}]}}";
}

struct Invalid {
  const char* name;
  std::string text;
  const char* expected;  ///< one of the errors, exactly ("path: message")
};
std::ostream& operator<<(std::ostream& os, const Invalid& c) { return os << c.name; }

const std::vector<Invalid> INVALID = {
    {"not json", "{", ""},
    {"Kea key not supported", R"({"Dhcp6": {"hooks-libraries": []}})",
     "Dhcp6.hooks-libraries: Kea key not supported by failover6d"},
    {"unknown key", R"({"Dhcp6": {"valid-lifetyme": 5}})", "Dhcp6.valid-lifetyme: unknown key"},
    {"negative lifetime", R"({"Dhcp6": {"valid-lifetime": -5}})",
     "Dhcp6.valid-lifetime: expected a non-negative integer, got -5"},
    {"preferred above valid", R"({"Dhcp6": {"preferred-lifetime": 10, "valid-lifetime": 5}})",
     "Dhcp6.preferred-lifetime: 10 exceeds valid-lifetime 5"},
    {"renew above rebind", R"({"Dhcp6": {"renew-timer": 10, "rebind-timer": 5}})",
     "Dhcp6.renew-timer: 10 exceeds rebind-timer 5"},
    {"bad subnet", R"({"Dhcp6": {"subnet6": [{"id": 1, "subnet": "2001:db8::/129"}]}})",
     "Dhcp6.subnet6[0].subnet: '2001:db8::/129' is not an IPv6 prefix"},
    {"missing id", R"({"Dhcp6": {"subnet6": [{"subnet": "2001:db8::/64"}]}})",
     "Dhcp6.subnet6[0].id: missing (failover6d needs explicit subnet ids)"},
    {"duplicate id",
     R"({"Dhcp6": {"subnet6": [{"id": 1, "subnet": "2001:db8::/64"}, {"id": 1, "subnet": "2001:db8:1::/64"}]}})",
     "Dhcp6.subnet6[1].id: duplicate subnet id 1"},
    {"pool outside subnet", with_subnet_keys(R"("pools": [{"pool": "2001:db8:2::1 - 2001:db8:2::9"}])"),
     "Dhcp6.subnet6[0].pools[0].pool: '2001:db8:2::1 - 2001:db8:2::9' is not inside subnet "
     "2001:db8:1::/64"},
    {"pool reversed", with_subnet_keys(R"("pools": [{"pool": "2001:db8:1::9 - 2001:db8:1::1"}])"),
     "Dhcp6.subnet6[0].pools[0].pool: '2001:db8:1::9 - 2001:db8:1::1': the last address is below "
     "the first"},
    {"pool garbage", with_subnet_keys(R"("pools": [{"pool": "ten addresses"}])"),
     "Dhcp6.subnet6[0].pools[0].pool: 'ten addresses' is neither \"first - last\" nor a prefix"},
    {"pd delegated shorter",
     with_subnet_keys(R"("pd-pools": [{"prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 40}])"),
     "Dhcp6.subnet6[0].pd-pools[0].delegated-len: 40 is shorter than prefix-len 48"},
    {"pd missing len", with_subnet_keys(R"("pd-pools": [{"prefix": "2001:db8:8000::", "delegated-len": 56}])"),
     "Dhcp6.subnet6[0].pd-pools[0].prefix-len: missing"},
    {"bad dns server",
     R"({"Dhcp6": {"option-data": [{"name": "dns-servers", "data": "2001:db8::53, nope"}]}})",
     "Dhcp6.option-data[0].data: 'nope' is not an IPv6 address"},
    {"unsupported option", R"({"Dhcp6": {"option-data": [{"name": "sntp-servers", "data": "::1"}]}})",
     "Dhcp6.option-data[0].name: option 'sntp-servers' is not supported (supported: dns-servers, "
     "domain-search, preference, information-refresh-time, sol-max-rt)"},
    {"reservation bad duid",
     with_subnet_keys(R"("reservations": [{"duid": "01", "ip-addresses": ["2001:db8:1::5"]}])"),
     "Dhcp6.subnet6[0].reservations[0].duid: DUID '01' has 1 octets; a DUID has 3 to 130"},
    {"lease db type", R"({"Dhcp6": {"lease-database": {"type": "mysql"}}})",
     "Dhcp6.lease-database.type: 'mysql' is not supported; failover6d has memfile only"},
    {"listen bad port", R"({"Dhcp6": {}, "Failover6": {"listen": ["[::1]:99999"]}})",
     "Failover6.listen[0]: \"[::1]:99999\" is not \"[address]:port\""},
    {"relationship without tls",
     R"({"Dhcp6": {}, "Failover6": {"relationships": [{"name": "r", "role": "primary",
         "this-server": "[::1]:6647", "peer": "[::1]:7647"}]}})",
     "Failover6.relationships[0].tls: missing: RFC 7653 §9.1 makes secure mode the default; give "
     "\"tls\" or set \"insecure\": true explicitly"},
    {"relationship bad role",
     R"({"Dhcp6": {}, "Failover6": {"relationships": [{"name": "r", "role": "backup", "insecure": true,
         "this-server": "[::1]:6647", "peer": "[::1]:7647"}]}})",
     "Failover6.relationships[0].role: must be \"primary\" or \"secondary\""},
    {"relationship unknown subnet",
     R"({"Dhcp6": {}, "Failover6": {"relationships": [{"name": "r", "role": "primary", "insecure": true,
         "this-server": "[::1]:6647", "peer": "[::1]:7647", "subnets": [9]}]}})",
     "Failover6.relationships[0].subnets[0]: no subnet6 has id 9"},
    {"mclt too short",
     R"({"Dhcp6": {}, "Failover6": {"relationships": [{"name": "r", "role": "primary", "insecure": true,
         "this-server": "[::1]:6647", "peer": "[::1]:7647", "mclt": 10}]}})",
     "Failover6.relationships[0].mclt: 10 is outside 30..604800"},
    {"prefix share over 100",
     R"({"Dhcp6": {}, "Failover6": {"relationships": [{"name": "r", "role": "primary", "insecure": true,
         "this-server": "[::1]:6647", "peer": "[::1]:7647", "prefix-share": 120}]}})",
     "Failover6.relationships[0].prefix-share: 120 is outside 0..100"},
    {"use-partner-prefixes not a boolean",
     R"({"Dhcp6": {}, "Failover6": {"relationships": [{"name": "r", "role": "primary", "insecure": true,
         "this-server": "[::1]:6647", "peer": "[::1]:7647", "use-partner-prefixes": "yes"}]}})",
     "Failover6.relationships[0].use-partner-prefixes: expected true or false, got \"yes\""},
    {"missing Dhcp6", R"({"Failover6": {}})", "Dhcp6: missing"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(config_parse)

BOOST_AUTO_TEST_CASE(minimal_config_from_design_is_accepted) {
  auto r = parse_config(MINIMAL);
  BOOST_REQUIRE_MESSAGE(r.ok(), errors_of(r));
  const auto& d = r.config.dhcp6;
  BOOST_TEST(d.timers.renew == 1000U);
  BOOST_TEST(d.timers.valid == 4000U);
  BOOST_TEST(d.lease_database.name == "var/alpha/leases6");
  BOOST_REQUIRE(d.subnets.size() == 1U);
  const auto& s = d.subnets[0];
  BOOST_TEST(s.subnet.to_string() == "2001:db8:1::/64");
  BOOST_TEST(s.relay_addresses.at(0).to_string() == "2001:db8:1::1");
  BOOST_TEST(s.pools.at(0).first.to_string() == "2001:db8:1::1000");
  BOOST_TEST(s.pools.at(0).last.to_string() == "2001:db8:1::ffff");
  BOOST_TEST(s.pd_pools.at(0).prefix.to_string() == "2001:db8:8000::/40");
  BOOST_TEST(s.pd_pools.at(0).delegated_length == 56);
  BOOST_TEST(s.timers.preferred == 3000U);  // inherited from the global value
  BOOST_REQUIRE(s.options.size() == 1U);
  BOOST_TEST(s.options[0].as<failover6::wire::DnsServers>()->servers.at(0).to_string() ==
             "2001:db8::53");
  BOOST_REQUIRE(r.config.failover6.listen.size() == 1U);
  BOOST_TEST(r.config.failover6.listen[0].to_string() == "[::1]:5547");
}

BOOST_AUTO_TEST_CASE(comments_in_kea_styles) {
  auto r = parse_config(R"(# hash comment
  // line comment
  { /* block */ "Dhcp6": { "comment": "a # in a string stays", "valid-lifetime": 50, # trailing
    "preferred-lifetime": 40 } })");
  BOOST_REQUIRE_MESSAGE(r.ok(), errors_of(r));
  BOOST_TEST(r.config.dhcp6.timers.valid == 50U);
}

BOOST_AUTO_TEST_CASE(subnet_overrides_and_option_precedence) {
  auto r = parse_config(R"({"Dhcp6": {
    "valid-lifetime": 4000, "preferred-lifetime": 3000,
    "option-data": [{"name": "dns-servers", "data": "2001:db8::1"},
                    {"name": "domain-search", "data": "example.com, lab.example"}],
    "subnet6": [{"id": 7, "subnet": "2001:db8:1::/64", "valid-lifetime": 600,
                 "preferred-lifetime": 300, "rapid-commit": true,
                 "pools": [{"pool": "2001:db8:1::/120"}],
                 "option-data": [{"name": "dns-servers", "data": "2001:db8::2"},
                                 {"name": "preference", "data": "255"}],
                 "interface-id": "eth0-relay",
                 "reservations": [{"duid": "00:03:00:01:aa:bb:cc:dd:ee:ff",
                                   "ip-addresses": ["2001:db8:1::5"],
                                   "prefixes": ["2001:db8:9::/56"]}]}]}})");
  BOOST_REQUIRE_MESSAGE(r.ok(), errors_of(r));
  const auto& s = r.config.dhcp6.subnets.at(0);
  BOOST_TEST(s.timers.valid == 600U);
  BOOST_TEST(s.rapid_commit);
  BOOST_TEST(s.preference == 255);
  BOOST_TEST(s.pools.at(0).last.to_string() == "2001:db8:1::ff");
  BOOST_TEST(std::string(s.interface_id.begin(), s.interface_id.end()) == "eth0-relay");
  BOOST_REQUIRE(s.options.size() == 2U);
  auto* dl = s.options[0].as<failover6::wire::DomainList>();
  BOOST_REQUIRE(dl);
  BOOST_TEST(dl->domains.at(1) == "lab.example.");
  auto* dns = s.options[1].as<failover6::wire::DnsServers>();
  BOOST_REQUIRE(dns);
  BOOST_TEST(dns->servers.at(0).to_string() == "2001:db8::2");
  BOOST_TEST(s.reservations.at(0).prefixes.at(0).to_string() == "2001:db8:9::/56");
}

BOOST_AUTO_TEST_CASE(failover_relationship) {
  auto r = parse_config(R"({"Dhcp6": {"subnet6": [{"id": 1, "subnet": "2001:db8:1::/64"}]},
    "Failover6": {"listen": ["[::1]:5547"], "metrics": {"listen": "[::1]:9100"},
      "relationships": [{"name": "pair", "role": "secondary", "this-server": "[::1]:6647",
        "peer": "[::1]", "mclt": 60, "keepalive": 10, "max-unacked": 8, "subnets": [1],
        "tls": {"cert-file": "b.crt", "key-file": "b.key", "ca-file": "ca.crt",
                "peer-name": "primary.lab"}}]}})");
  BOOST_REQUIRE_MESSAGE(r.ok(), errors_of(r));
  const auto& rel = r.config.failover6.relationships.at(0);
  BOOST_TEST(rel.role == "secondary");
  BOOST_TEST(rel.peer.port == 647);  // the RFC 8156 default
  BOOST_TEST(rel.mclt == 60U);
  BOOST_TEST(rel.prefix_share == 50U);  // the defaults (A12, A13)
  BOOST_TEST(rel.prefix_share_max == 256U);
  BOOST_TEST(!rel.use_partner_prefixes);
  BOOST_REQUIRE(rel.tls.has_value());
  BOOST_TEST(rel.tls->peer_name == "primary.lab");
  BOOST_TEST(r.config.failover6.metrics->port == 9100);
}

BOOST_DATA_TEST_CASE(invalid_configs_name_path_and_reason, bdata::make(INVALID), c) {
  auto r = parse_config(c.text);
  BOOST_REQUIRE(!r.ok());
  if (std::string(c.expected).empty()) {
    BOOST_TEST(r.errors.at(0).path == "<json>");
    BOOST_TEST(r.errors.at(0).message.find("line 1") != std::string::npos);
    return;
  }
  bool found = false;
  for (const auto& e : r.errors) found = found || e.to_string() == c.expected;
  BOOST_TEST(found, "expected '" << c.expected << "' among:\n" << errors_of(r));
}

BOOST_AUTO_TEST_CASE(every_error_is_reported_not_just_the_first) {
  auto r = parse_config(R"({"Dhcp6": {"hooks-libraries": [], "valid-lifetime": "x",
                                       "subnet6": [{"id": 1, "subnet": "nope"}]}})");
  BOOST_TEST(r.errors.size() == 3U, errors_of(r));
}

BOOST_AUTO_TEST_CASE(example_configs_are_valid) {
  for (const char* name : {"standalone.json", "pair-primary.json", "pair-secondary.json"}) {
    BOOST_TEST_CONTEXT(name) {
      auto r = load_config(std::string(FAILOVER6_SOURCE_DIR) + "/impl/examples/" + name);
      BOOST_TEST(r.ok(), errors_of(r));
    }
  }
}

BOOST_AUTO_TEST_CASE(unreadable_file) {
  auto r = load_config("/nonexistent/failover6.json");
  BOOST_REQUIRE(r.errors.size() == 1U);
  BOOST_TEST(r.errors[0].to_string() == "/nonexistent/failover6.json: cannot be read");
}

BOOST_AUTO_TEST_SUITE_END()
