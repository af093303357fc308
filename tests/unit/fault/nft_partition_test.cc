// nftables script text of NftPartition, endpoint parsing, skew_env.
#include "fault/nft_partition.h"

#include <boost/test/unit_test.hpp>
#include <stdexcept>

#include "fault/endpoint.h"
#include "fault/process.h"

namespace failover6::fault::test {
namespace {

BOOST_AUTO_TEST_SUITE(nft_partition)

BOOST_AUTO_TEST_CASE(both_directions_with_port_drop_either_port_position) {
  auto s = nft_apply_script({"t1", "fd00::2", "both", "tcp", 647});
  BOOST_TEST(s ==
             "table inet t1 {}\n"
             "flush table inet t1\n"
             "table inet t1 {\n"
             "  chain input {\n"
             "    type filter hook input priority -10; policy accept;\n"
             "    ip6 saddr fd00::2 tcp dport 647 drop\n"
             "    ip6 saddr fd00::2 tcp sport 647 drop\n"
             "  }\n"
             "  chain output {\n"
             "    type filter hook output priority -10; policy accept;\n"
             "    ip6 daddr fd00::2 tcp dport 647 drop\n"
             "    ip6 daddr fd00::2 tcp sport 647 drop\n"
             "  }\n"
             "}\n");
}

BOOST_AUTO_TEST_CASE(direction_in_only_fills_the_input_chain) {
  auto s = nft_apply_script({"t2", "10.0.0.2", "in", "udp", std::nullopt});
  BOOST_TEST(s.find("ip saddr 10.0.0.2 meta l4proto udp drop") != std::string::npos);
  BOOST_TEST(s.find("daddr") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(direction_out_all_protocols) {
  auto s = nft_apply_script({"t3", "fd00::0:2", "out", "all", std::nullopt});
  BOOST_TEST(s.find("    ip6 daddr fd00::2 drop\n") != std::string::npos);  // canonical address
  BOOST_TEST(s.find("saddr") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(reject_tcp_answers_with_a_reset_both_ways) {
  auto s = nft_apply_script({"t4", "fd00::2", "both", "tcp", 647, "reject"});
  BOOST_TEST(s ==
             "table inet t4 {}\n"
             "flush table inet t4\n"
             "table inet t4 {\n"
             "  chain input {\n"
             "    type filter hook input priority -10; policy accept;\n"
             "    ip6 saddr fd00::2 tcp dport 647 tcp flags & rst == 0 reject with tcp reset\n"
             "    ip6 saddr fd00::2 tcp sport 647 tcp flags & rst == 0 reject with tcp reset\n"
             "  }\n"
             "  chain output {\n"
             "    type filter hook output priority -10; policy accept;\n"
             "    ip6 daddr fd00::2 tcp dport 647 tcp flags & rst == 0 reject with tcp reset\n"
             "    ip6 daddr fd00::2 tcp sport 647 tcp flags & rst == 0 reject with tcp reset\n"
             "  }\n"
             "}\n");
  BOOST_TEST(s.find("drop") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(reject_udp_answers_with_icmp_admin_prohibited) {
  auto v6 = nft_apply_script({"t5", "fd00::2", "in", "udp", std::nullopt, "reject"});
  BOOST_TEST(v6.find("    ip6 saddr fd00::2 meta l4proto udp reject with icmpv6 type "
                     "admin-prohibited\n") != std::string::npos);
  auto v4 = nft_apply_script({"t6", "10.0.0.2", "out", "udp", 547, "reject"});
  BOOST_TEST(v4.find("    ip daddr 10.0.0.2 udp dport 547 reject with icmp type "
                     "admin-prohibited\n") != std::string::npos);
  BOOST_TEST(v4.find("saddr") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(reject_all_protocols_resets_tcp_first) {
  auto s = nft_apply_script({"t7", "fd00::2", "out", "all", std::nullopt, "reject"});
  const auto tcp = s.find(
      "    ip6 daddr fd00::2 meta l4proto tcp tcp flags & rst == 0 reject with tcp reset\n");
  const auto rest = s.find("    ip6 daddr fd00::2 meta l4proto != tcp reject with icmpv6 type "
                          "admin-prohibited\n");
  BOOST_TEST(tcp != std::string::npos);
  BOOST_TEST(rest != std::string::npos);
  BOOST_TEST(tcp < rest);
}

BOOST_AUTO_TEST_CASE(drop_is_the_default_action) {
  NftSpec spec{"t8", "fd00::2", "both", "tcp", std::nullopt};
  BOOST_TEST(spec.action == "drop");
  NftPartition p("", "fd00::2", "both", "tcp", 647, "reject");
  BOOST_TEST(p.spec().action == "reject");
}

BOOST_AUTO_TEST_CASE(remove_script_declares_then_deletes) {
  BOOST_TEST(nft_remove_script("t1") == "table inet t1 {}\ndelete table inet t1\n");
}

BOOST_AUTO_TEST_CASE(bad_specs_are_rejected_with_the_field_named) {
  auto rejects = [](const NftSpec& s, const std::string& word) {
    try {
      nft_apply_script(s);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what()).find(word) != std::string::npos;
    }
    return false;
  };
  BOOST_TEST(rejects({"t", "host.example", "both", "tcp", std::nullopt}, "peer"));
  BOOST_TEST(rejects({"t", "fd00::2", "sideways", "tcp", std::nullopt}, "direction"));
  BOOST_TEST(rejects({"t", "fd00::2", "both", "sctp", std::nullopt}, "proto"));
  BOOST_TEST(rejects({"t", "fd00::2", "both", "all", 647}, "port"));
  BOOST_TEST(rejects({"t; flush ruleset", "fd00::2", "both", "tcp", std::nullopt}, "table"));
  BOOST_TEST(rejects({"t", "fd00::2", "both", "tcp", std::nullopt, "accept"}, "action"));
}

BOOST_AUTO_TEST_CASE(objects_get_unique_tables) {
  NftPartition a("", "fd00::2");
  NftPartition b("", "fd00::2");
  BOOST_TEST(a.spec().table != b.spec().table);
  BOOST_TEST(a.spec().table.rfind("failover6_part_", 0) == 0);
  BOOST_TEST(!a.applied());
  a.heal();  // nothing applied: nothing to run, no error
}

BOOST_AUTO_TEST_CASE(endpoints) {
  BOOST_TEST(parse_endpoint("[::1]:647")->to_string() == "[::1]:647");
  BOOST_TEST(parse_endpoint("127.0.0.1:0")->port == 0);
  BOOST_TEST(!parse_endpoint("::1:647"));
  BOOST_TEST(!parse_endpoint("[::1]"));
  BOOST_TEST(!parse_endpoint("[::1]:65536"));
  BOOST_TEST(!parse_endpoint("[127.0.0.1]:5"));
  BOOST_TEST(!parse_endpoint("localhost:5"));
  BOOST_CHECK_THROW(require_endpoint("junk", "target"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(skew_env_sets_faketime_offset) {
  std::map<std::string, std::string> env;
  try {
    env = skew_env(2.5);
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("libfaketime.so.1 not found") != std::string::npos);
    return;  // not installed here: the error is the contract
  }
  BOOST_TEST(env.at("FAKETIME") == "+2.5s");
  BOOST_TEST(skew_env(-30).at("FAKETIME") == "-30s");
  BOOST_TEST(env.at("LD_PRELOAD").find("libfaketime.so.1") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::fault::test
