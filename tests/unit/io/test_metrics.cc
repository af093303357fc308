// The Prometheus exposition (io::render_metrics) and the metrics HTTP exchange
// (io::http_response), without sockets.
#include <boost/test/unit_test.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "io/metrics.h"

using namespace failover6;
using namespace failover6::io;

namespace {

struct MetricsFixture {
  config::Config config;
  lease::MemoryStore store;
  server::Stats stats;
  BatchStats io_stats;
  wire::Duid duid = wire::Duid::en(32473, wire::Bytes{1});

  MetricsFixture() {
    lease::Lease l;
    l.key = {lease::LeaseType::Pd, wire::Address::from_string("2001:db8:8000:100::"), 56};
    l.duid = duid;
    l.state = wire::BindingStatus::Active;
    store.put(l);
    l.key = {lease::LeaseType::Na, wire::Address::from_string("2001:db8:1::1"), 128};
    l.state = wire::BindingStatus::Expired;
    store.put(l);
    stats.received = 12;
    stats.received_by_type["SOLICIT"] = 7;
    stats.sent_by_type["REPLY"] = 5;
    stats.dropped[static_cast<int>(server::DropReason::Malformed)] = 3;
    stats.leases_granted = 4;
    io_stats.commits = 9;
    io_stats.replies_withheld = 1;
  }

  std::string render() const {
    ServiceView v{config, store, stats, io_stats, duid, 1, 100, 160, JournalInfo{"j", 4096, 9},
                  nlohmann::json::array()};
    return render_metrics(v);
  }
};

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(metrics, MetricsFixture)

BOOST_AUTO_TEST_CASE(counters_and_gauges) {
  std::string t = render();
  const char* expected[] = {
      "failover6_uptime_seconds 60",
      "failover6_received_total 12",
      "failover6_received_messages_total{type=\"SOLICIT\"} 7",
      "failover6_sent_messages_total{type=\"REPLY\"} 5",
      "failover6_leases_granted_total 4",
      "failover6_store_commits_total 9",
      "failover6_replies_withheld_total 1",
      "failover6_leases{type=\"IA_PD\",state=\"ACTIVE\"} 1",
      "failover6_leases{type=\"IA_NA\",state=\"EXPIRED\"} 1",
      "failover6_leases{type=\"IA_NA\",state=\"ACTIVE\"} 0",
      "failover6_leases{type=\"IA_TA\",state=\"FREE\"} 0",
      "failover6_journal_bytes 4096",
      "# TYPE failover6_received_total counter",
      "# TYPE failover6_leases gauge",
  };
  for (const char* line : expected) BOOST_TEST_CONTEXT(line) { BOOST_TEST(has_line(t, line)); }
  BOOST_TEST(has_line(t, "failover6_dropped_total{reason=\"" +
                             std::string(server::to_string(server::DropReason::Malformed)) +
                             "\"} 3"));
}

BOOST_AUTO_TEST_CASE(every_line_is_valid_exposition_and_every_family_is_declared_once) {
  std::string t = render();
  const std::regex sample(R"(^([a-z_:][a-z0-9_:]*)(\{[a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*\})? [0-9]+$)");
  const std::regex comment(R"(^# (HELP|TYPE) ([a-z_:][a-z0-9_:]*) .+$)");
  std::set<std::string> typed;
  std::istringstream in(t);
  for (std::string l; std::getline(in, l);) {
    BOOST_TEST_CONTEXT(l) {
      std::smatch m;
      if (std::regex_match(l, m, comment)) {
        if (m[1] == "TYPE") BOOST_TEST(typed.insert(m[2]).second);
      } else {
        BOOST_TEST_REQUIRE(std::regex_match(l, m, sample));
        BOOST_TEST(typed.count(m[1]) == 1U);  // declared before its samples
      }
    }
  }
  BOOST_TEST(t.back() == '\n');
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(metrics_http)

BOOST_AUTO_TEST_CASE(requests) {
  auto body = [] { return std::string("failover6_up 1\n"); };
  struct Row {
    const char* request;
    const char* status_line;
    bool has_body;
  };
  const Row rows[] = {
      {"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\n", true},
      {"GET /metrics?x=1 HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK\r\n", true},
      {"HEAD /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n", false},
      {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n", false},
      {"POST /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 405 Method Not Allowed\r\n", false},
      {"hello\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", false},
      {"GET /metrics SPDY\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", false},
  };
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.request) {
      std::string r = http_response(row.request, body);
      BOOST_TEST(r.rfind(row.status_line, 0) == 0U);
      BOOST_TEST(r.find("Connection: close\r\n") != std::string::npos);
      BOOST_TEST((r.find("failover6_up 1\n") != std::string::npos) == row.has_body);
    }
  }
  std::string ok = http_response("GET /metrics HTTP/1.1\r\n\r\n", body);
  BOOST_TEST(ok.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
  BOOST_TEST(ok.find("Content-Length: 15\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
