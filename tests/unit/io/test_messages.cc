// The log catalogue (impl/io/messages.h) checked as Kea's tools/check-messages.py checks its
// .mes files: unique, well-formed ids with explanations, each entry spelling its enumerator,
// every id used and every used id defined; and the Logger's line format and filtering.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "fakes.h"
#include "io/logger.h"
#include "io/messages.h"

using namespace failover6::io;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t placeholders(std::string_view f) {
  std::size_t n = 0;
  for (std::size_t at = f.find("{}"); at != std::string_view::npos; at = f.find("{}", at + 2)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_catalogue)

BOOST_AUTO_TEST_CASE(entries_are_well_formed) {
  std::set<std::string_view> names;
  const std::regex id(R"(F6D_[A-Z0-9_]+)");
  for (const auto& m : MESSAGES) {
    BOOST_TEST_CONTEXT(m.name) {
      BOOST_TEST(names.insert(m.name).second);
      BOOST_TEST(std::regex_match(std::string(m.name), id));
      BOOST_TEST(m.explanation.size() > 20U);
      BOOST_TEST(!m.format.empty());
      // Only plain "{}" placeholders: fmt would throw on anything else at run time.
      BOOST_TEST(std::count(m.format.begin(), m.format.end(), '{') == static_cast<long>(placeholders(m.format)));
    }
  }
}

BOOST_AUTO_TEST_CASE(each_entry_spells_its_enumerator) {
  std::string header = read(fs::path(FAILOVER6_SOURCE_DIR) / "impl/io/messages.h");
  const std::regex entry(R"re(\{Msg::(\w+), "(\w+)")re");
  std::size_t n = 0;
  for (std::sregex_iterator it(header.begin(), header.end(), entry), end; it != end; ++it, ++n)
    BOOST_TEST((*it)[1].str() == (*it)[2].str());
  BOOST_TEST(n == std::size(MESSAGES));
}

BOOST_AUTO_TEST_CASE(every_id_is_used_and_every_used_id_exists) {
  std::map<std::string, int> uses;
  const std::regex use(R"(Msg::(F6D_\w+))");
  for (const char* dir : {"impl/io", "impl/daemon"}) {
    for (const auto& f : fs::directory_iterator(fs::path(FAILOVER6_SOURCE_DIR) / dir)) {
      if (f.path().extension() != ".cc") continue;
      std::string text = read(f.path());
      for (std::sregex_iterator it(text.begin(), text.end(), use), end; it != end; ++it)
        ++uses[(*it)[1].str()];
    }
  }
  std::set<std::string> defined;
  for (const auto& m : MESSAGES) defined.emplace(m.name);
  for (const auto& name : defined) BOOST_TEST_CONTEXT(name) { BOOST_TEST(uses.count(name) == 1U); }
  for (const auto& [name, n] : uses) BOOST_TEST_CONTEXT(name) { BOOST_TEST(defined.count(name) == 1U); }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(logger)

BOOST_AUTO_TEST_CASE(line_format) {
  failover6::io::test::CapturedLog c;
  c.log.log(Msg::F6D_STARTED, "0.1.0", 42, "a.json");
  BOOST_TEST_REQUIRE(c.lines.size() == 1U);
  const std::regex line(
      R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  \[failover6d/\d+\] F6D_STARTED failover6d 0\.1\.0 started: pid 42, config a\.json)");
  BOOST_TEST(std::regex_match(c.lines[0], line), c.lines[0]);
}

BOOST_AUTO_TEST_CASE(severity_threshold) {
  std::vector<std::string> lines;
  Logger log(Severity::Warn, [&](Severity, std::string_view l) { lines.emplace_back(l); });
  log.log(Msg::F6D_LEASES_EXPIRED, 3);              // DEBUG: filtered
  log.log(Msg::F6D_LISTENING, "[::1]:547");         // INFO: filtered
  log.log(Msg::F6D_JOURNAL_TORN_TAIL, "j", "cut");  // WARN: kept
  log.log(Msg::F6D_JOURNAL_ERROR, "bad");           // FATAL: kept
  BOOST_TEST_REQUIRE(lines.size() == 2U);
  BOOST_TEST(lines[0].find(" WARN  ") != std::string::npos);
  BOOST_TEST(lines[1].find(" FATAL ") != std::string::npos);
  BOOST_TEST(!log.enabled(Severity::Info));
}

BOOST_AUTO_TEST_CASE(a_wrong_argument_count_does_not_throw) {
  failover6::io::test::CapturedLog c;
  c.log.log(Msg::F6D_STARTED);  // three placeholders, no arguments
  BOOST_TEST_REQUIRE(c.lines.size() == 1U);
  BOOST_TEST(c.lines[0].find("log format error") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(configured_outputs) {
  fs::path file = fs::temp_directory_path() / ("failover6-log-" + std::to_string(::getpid()));
  fs::remove(file);
  {
    failover6::config::Logger l;
    l.output = file.string();
    l.severity = "WARN";
    failover6::config::Logger other;
    other.name = "kea-dhcp6";  // not ours: ignored
    Logger log({l, other});
    log.log(Msg::F6D_LISTENING, "x");
    log.log(Msg::F6D_SIGHUP_IGNORED);
  }
  std::string text = read(file);
  BOOST_TEST(text.find("F6D_SIGHUP_IGNORED") != std::string::npos);
  BOOST_TEST(text.find("F6D_LISTENING") == std::string::npos);
  fs::remove(file);
  BOOST_TEST((parse_severity("DEBUG") == Severity::Debug));
  BOOST_TEST(!parse_severity("debug"));
}

BOOST_AUTO_TEST_SUITE_END()
