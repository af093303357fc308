// The control API commands (io::handle_control) as a pure function of request and state.
#include <boost/test/unit_test.hpp>
#include <string>

#include "io/control_commands.h"

using namespace failover6;
using namespace failover6::io;
using nlohmann::json;

namespace {

const char* CONFIG = R"({
  "Dhcp6": {
    "lease-database": { "type": "memfile", "persist": false },
    "subnet6": [ {
      "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ { "pool": "2001:db8:1::1000 - 2001:db8:1::ffff" } ],
      "pd-pools": [ { "prefix": "2001:db8:8000::", "prefix-len": 40, "delegated-len": 56 } ]
    }, { "id": 2, "subnet": "2001:db8:2::/64" } ]
  },
  "Failover6": { "listen": [ "[::1]:5547" ] }
})";

config::Config parse() {
  auto r = config::parse_config(CONFIG);
  if (!r.ok()) throw std::runtime_error(r.errors.at(0).to_string());
  return r.config;
}

wire::Duid duid(std::uint8_t n) {
  std::uint8_t mac[6] = {2, 0, 0, 0, 0, n};
  return wire::Duid::ll(1, wire::ByteView(mac, 6));
}

lease::Lease make(lease::LeaseType type, const char* addr, std::uint8_t len, std::uint8_t client,
                  wire::BindingStatus state = wire::BindingStatus::Active) {
  lease::Lease l;
  l.key = {type, wire::Address::from_string(addr), len};
  l.duid = duid(client);
  l.iaid = 7;
  l.subnet_id = 1;
  l.state = state;
  l.start_time_of_state = 1000;
  l.state_expiration_time = 5000;
  l.preferred = 3000;
  l.valid = 4000;
  l.t1 = 1000;
  l.t2 = 2000;
  l.cltt = 1000;
  return l;
}

/// A server with three leases: client 1 holds an address and a prefix, client 2 an address
/// that has expired.
struct ControlFixture {
  config::Config config = parse();
  lease::MemoryStore store;
  server::Stats stats;
  BatchStats io_stats;
  wire::Duid server_duid = wire::Duid::en(32473, wire::Bytes{1, 2, 3});

  ControlFixture() {
    store.put(make(lease::LeaseType::Na, "2001:db8:1::1000", 128, 1));
    store.put(make(lease::LeaseType::Pd, "2001:db8:8000:100::", 56, 1));
    store.put(make(lease::LeaseType::Na, "2001:db8:1::1001", 128, 2, wire::BindingStatus::Expired));
    stats.received = 10;
    stats.received_by_type["SOLICIT"] = 4;
    stats.sent_by_type["ADVERTISE"] = 4;
    stats.dropped[static_cast<int>(server::DropReason::Malformed)] = 2;
    stats.leases_granted = 3;
    io_stats.commits = 5;
  }

  ServiceView view() const {
    return ServiceView{config, store, stats, io_stats, server_duid, 4242, 1000, 1060,
                       std::nullopt, json::array()};
  }

  json run(const std::string& command, const json& args = nullptr) {
    json r = {{"command", command}};
    if (!args.is_null()) r["arguments"] = args;
    return handle_control(r, view()).response;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(control_commands, ControlFixture)

BOOST_AUTO_TEST_CASE(status_has_an_empty_relationships_list) {
  json r = run("status");
  BOOST_TEST(r["result"] == 0);
  const json& a = r["arguments"];
  BOOST_TEST(a["relationships"].is_array());
  BOOST_TEST(a["relationships"].empty());
  BOOST_TEST(a["pid"] == 4242);
  BOOST_TEST(a["uptime"] == 60);
  BOOST_TEST(a["leases"] == 3);
  BOOST_TEST(a["server-duid"] == server_duid.to_string());
  BOOST_TEST(a["subnets"].size() == 2U);
  BOOST_TEST(a["subnets"][0]["subnet"] == "2001:db8:1::/64");
  BOOST_TEST(a["subnets"][0]["leases"] == 3);
  BOOST_TEST(a["subnets"][1]["leases"] == 0);
  BOOST_TEST(a["listen"][0] == "[::1]:5547");
  BOOST_TEST(a["lease-database"]["type"] == "memory");
}

BOOST_AUTO_TEST_CASE(status_carries_the_relationships_it_is_given) {
  ServiceView v = view();
  v.relationships = json::array({{{"name", "pair"}, {"role", "primary"}, {"state", "NORMAL"},
                                  {"partner-state", "NORMAL"}}});
  json r = handle_control({{"command", "status"}}, v).response;
  BOOST_TEST(r["arguments"]["relationships"][0]["state"] == "NORMAL");
}

BOOST_AUTO_TEST_CASE(leases_lists_everything_by_default) {
  json r = run("leases");
  BOOST_TEST(r["result"] == 0);
  BOOST_TEST(r["arguments"]["count"] == 3);
  BOOST_TEST(r["arguments"]["leases"].size() == 3U);
  BOOST_TEST(r["text"] == "3 leases");
}

BOOST_AUTO_TEST_CASE(leases_filters) {
  struct Row {
    const char* name;
    json args;
    std::size_t count;
  };
  const Row rows[] = {
      {"duid", {{"duid", duid(1).to_string()}}, 2},
      {"duid without colons", {{"duid", "000300010200000000" "02"}}, 1},
      {"address", {{"address", "2001:db8:1::1001"}}, 1},
      {"address inside a delegated prefix", {{"address", "2001:db8:8000:100::42"}}, 1},
      {"address nobody has", {{"address", "2001:db8:1::9"}}, 0},
      {"prefix covering all", {{"prefix", "2001:db8::/32"}}, 3},
      {"prefix covering the pd pool", {{"prefix", "2001:db8:8000::/40"}}, 1},
      {"state", {{"state", "EXPIRED"}}, 1},
      {"type", {{"type", "IA_PD"}}, 1},
      {"subnet-id", {{"subnet-id", 2}}, 0},
      {"duid and type", {{"duid", duid(1).to_string()}, {"type", "IA_NA"}}, 1},
  };
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.name) {
      json r = run("leases", row.args);
      BOOST_TEST(r["result"] == 0);
      BOOST_TEST(r["arguments"]["count"] == row.count);
      BOOST_TEST(r["arguments"]["leases"].size() == row.count);
    }
  }
}

BOOST_AUTO_TEST_CASE(leases_limit_keeps_the_count) {
  json r = run("leases", {{"limit", 1}});
  BOOST_TEST(r["arguments"]["leases"].size() == 1U);
  BOOST_TEST(r["arguments"]["count"] == 3);
}

BOOST_AUTO_TEST_CASE(leases_bad_filters_name_the_argument) {
  struct Row {
    json args;
    const char* text;
  };
  const Row rows[] = {
      {{{"address", "not-an-address"}}, "'address': 'not-an-address' is not an IPv6 address"},
      {{{"prefix", "2001:db8::/129"}}, "'prefix': '2001:db8::/129' is not an IPv6 prefix"},
      {{{"duid", "xyz"}}, "'duid'"},
      {{{"type", "IA_XX"}}, "'type': 'IA_XX' is not IA_NA, IA_TA or IA_PD"},
      {{{"limit", -1}}, "'limit' must be a non-negative integer"},
      {{{"address", 5}}, "'address' must be a string"},
  };
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.args.dump()) {
      json r = run("leases", row.args);
      BOOST_TEST(r["result"] == 1);
      BOOST_TEST(r["text"].get<std::string>().find(row.text) != std::string::npos);
      BOOST_TEST(!r.contains("arguments"));
    }
  }
}

BOOST_AUTO_TEST_CASE(lease_get_by_address) {
  json r = run("lease-get", {{"ip-address", "2001:db8:1::1000"}});
  BOOST_TEST(r["result"] == 0);
  const json& l = r["arguments"];
  BOOST_TEST(l["type"] == "IA_NA");
  BOOST_TEST(l["ip-address"] == "2001:db8:1::1000");
  BOOST_TEST(l["prefix-len"] == 128);
  BOOST_TEST(l["duid"] == duid(1).to_string());
  BOOST_TEST(l["iaid"] == 7);
  BOOST_TEST(l["subnet-id"] == 1);
  BOOST_TEST(l["state"] == "ACTIVE");
  BOOST_TEST(l["valid-lft"] == 4000);
  BOOST_TEST(l["preferred-lft"] == 3000);
  BOOST_TEST(l["expire"] == 5000);
  // "address" is accepted as well.
  BOOST_TEST(run("lease-get", {{"address", "2001:db8:1::1000"}})["result"] == 0);
}

BOOST_AUTO_TEST_CASE(lease_get_by_prefix) {
  json r = run("lease-get", {{"prefix", "2001:db8:8000:100::/56"}});
  BOOST_TEST(r["result"] == 0);
  BOOST_TEST(r["arguments"]["type"] == "IA_PD");
  BOOST_TEST(r["arguments"]["prefix-len"] == 56);
  // The exact prefix only: a covering or covered one is not that lease.
  BOOST_TEST(run("lease-get", {{"prefix", "2001:db8:8000::/40"}})["result"] == 1);
}

BOOST_AUTO_TEST_CASE(lease_get_misses_are_errors) {
  json r = run("lease-get", {{"ip-address", "2001:db8:1::9"}});
  BOOST_TEST(r["result"] == 1);
  BOOST_TEST(r["text"] == "no lease for address 2001:db8:1::9");
  BOOST_TEST(run("lease-get")["result"] == 1);
  BOOST_TEST(run("lease-get", {{"ip-address", "zz"}})["result"] == 1);
}

BOOST_AUTO_TEST_CASE(statistics) {
  json r = run("statistics");
  BOOST_TEST(r["result"] == 0);
  const json& a = r["arguments"];
  BOOST_TEST(a["received"] == 10);
  BOOST_TEST(a["received-by-type"]["SOLICIT"] == 4);
  BOOST_TEST(a["sent-by-type"]["ADVERTISE"] == 4);
  BOOST_TEST(a["dropped"][server::to_string(server::DropReason::Malformed)] == 2);
  BOOST_TEST(a["dropped"].size() == static_cast<std::size_t>(server::DropReason::Count_));
  BOOST_TEST(a["dropped-total"] == 2);
  BOOST_TEST(a["leases-granted"] == 3);
  BOOST_TEST(a["io"]["commits"] == 5);
  BOOST_TEST(a["leases-by-state"]["IA_NA"]["ACTIVE"] == 1);
  BOOST_TEST(a["leases-by-state"]["IA_NA"]["EXPIRED"] == 1);
  BOOST_TEST(a["leases-by-state"]["IA_PD"]["ACTIVE"] == 1);
}

BOOST_AUTO_TEST_CASE(shutdown_answers_then_asks_to_stop) {
  ControlOutcome o = handle_control({{"command", "shutdown"}}, view());
  BOOST_TEST(o.response["result"] == 0);
  BOOST_TEST(o.shutdown);
  BOOST_TEST(!handle_control({{"command", "status"}}, view()).shutdown);
}

BOOST_AUTO_TEST_CASE(list_commands) {
  json r = run("list-commands");
  BOOST_TEST(r["result"] == 0);
  const auto names = r["arguments"].get<std::vector<std::string>>();
  for (const char* c : {"lease-get", "leases", "list-commands", "shutdown", "statistics", "status"})
    BOOST_TEST(std::count(names.begin(), names.end(), c) == 1);
}

BOOST_AUTO_TEST_CASE(malformed_requests) {
  struct Row {
    json request;
    const char* text;
  };
  const Row rows[] = {
      {json::array(), "the request must be a JSON object"},
      {{{"arguments", json::object()}}, "the request has no \"command\" string"},
      {{{"command", 3}}, "the request has no \"command\" string"},
      {{{"command", "status"}, {"arguments", 3}}, "\"arguments\" must be an object"},
      {{{"command", "reload"}}, "unknown command 'reload'"},
  };
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.request.dump()) {
      ControlOutcome o = handle_control(row.request, view());
      BOOST_TEST(o.response["result"] == 1);
      BOOST_TEST(o.response["text"] == row.text);
      BOOST_TEST(!o.shutdown);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
