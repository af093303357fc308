#include "cli/check_command.h"

#include <CLI/CLI.hpp>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "check/check.h"
#include "trace/trace_error.h"

namespace failover6::cli {

namespace {

/// Writes @p fn's output to @p path; false (with a message on @p err) when it cannot.
template <class F>
bool write_file(const std::string& path, std::ostream& err, F&& fn) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) {
    err << "failover6 check: cannot write '" << path << "'\n";
    return false;
  }
  fn(f);
  f.close();
  if (!f) {
    err << "failover6 check: error writing '" << path << "'\n";
    return false;
  }
  return true;
}

}  // namespace

int run_check_command(const CheckCommandOptions& opts, std::ostream& out, std::ostream& err) {
  check::CheckOptions co;
  co.udp_ports = opts.udp_ports;
  co.tcp_ports = opts.tcp_ports;
  co.dedup_window_ns = std::llround(opts.dedup_window_s * 1e9);
  co.mclt_s = opts.mclt;
  co.max_outage_ns = std::llround(opts.max_outage_s * 1e9);
  co.skew_ns = std::llround(opts.skew_s * 1e9);
  std::ofstream timeline;
  if (!opts.timeline.empty()) {
    timeline.open(opts.timeline, std::ios::trunc);
    if (!timeline) {
      err << "failover6 check: cannot write '" << opts.timeline << "'\n";
      return 2;
    }
    co.timeline = [&](const check::TimelineEntry& e, const std::string& server) {
      nlohmann::json j = {{"time", check::iso_time(e.time_ns)},
                          {"event", check::entry_kind_name(e.kind)},
                          {"client", e.client.duid.to_string()},
                          {"ia", std::string(check::ia_name(e.client.ia))},
                          {"iaid", e.client.iaid},
                          {"lease", e.resource.to_string()},
                          {"server", server},
                          {"file", opts.files[e.ref.file]},
                          {"frame", e.ref.frame}};
      if (e.kind == check::TimelineEntry::Kind::Granted ||
          e.kind == check::TimelineEntry::Kind::Extended) {
        j["valid"] = e.valid;
        j["until"] = check::iso_time(e.end_ns);
      }
      timeline << j.dump() << '\n';
    };
  }
  check::Report report;
  try {
    report = check::run_check(opts.files, co);
  } catch (const trace::TraceError& e) {
    err << "failover6 check: " << e.what() << '\n';
    return 2;
  } catch (const std::invalid_argument& e) {
    err << "failover6 check: " << e.what() << '\n';
    return 2;
  }
  if (report.stats.frames == 0) {
    err << "failover6 check: no packets in " << opts.files.size() << " file(s)"
        << (report.stats.truncated_files ? " (truncated)" : "") << "; nothing to check\n";
    return 2;
  }
  bool ok = true;
  if (!opts.json.empty())
    ok &= write_file(opts.json, err, [&](std::ostream& f) { f << check::to_json(report).dump(1) << '\n'; });
  if (!opts.junit.empty())
    ok &= write_file(opts.junit, err, [&](std::ostream& f) { check::write_junit(report, f); });
  if (!opts.html.empty())
    ok &= write_file(opts.html, err, [&](std::ostream& f) { check::write_html(report, f); });
  if (timeline.is_open()) {
    timeline.close();
    if (!timeline) {
      err << "failover6 check: error writing '" << opts.timeline << "'\n";
      ok = false;
    }
  }
  if (!opts.quiet) check::write_text(report, out);
  if (!ok) return 2;
  return report.exit_code();
}

void add_check_command(CLI::App& app) {
  auto opts = std::make_shared<CheckCommandOptions>();
  CLI::App* sub = app.add_subcommand(
      "check",
      "Check DHCPv6 failover invariants over pcap/pcapng captures (merged by time). "
      "Exit 0: no violation; 1: a violation; 2: unusable input or usage.");
  sub->add_option("files", opts->files, "capture files (pcap or pcapng)")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--json", opts->json, "write the JSON report to this file");
  sub->add_option("--junit", opts->junit, "write a JUnit XML report (one test case per invariant)");
  sub->add_option("--html", opts->html, "write a self-contained HTML report");
  sub->add_option("--timeline", opts->timeline,
                  "write the lease timeline (one JSON object per line) to this file");
  sub->add_option("--udp-port", opts->udp_ports, "DHCPv6 UDP ports (default 546 547)");
  sub->add_option("--failover-port", opts->tcp_ports, "failover TCP ports (default 647)");
  sub->add_option("--dedup-window", opts->dedup_window_s,
                  "seconds within which identical datagrams from different files are one")
      ->check(CLI::Range(0.0, 60.0));
  sub->add_option("--mclt", opts->mclt, "MCLT in seconds for mclt-bound (default: from CONNECT)");
  sub->add_option("--max-outage", opts->max_outage_s,
                  "seconds: a client outage longer than this is a service-continuity violation")
      ->check(CLI::Range(0.0, 1e9));
  sub->add_option("--skew", opts->skew_s,
                  "failover sent-time tolerance in seconds (0: do not check)")
      ->check(CLI::Range(0.0, 1e9));
  sub->add_flag("-q,--quiet", opts->quiet, "no summary on stdout");
  sub->callback([opts]() {
    int rc = run_check_command(*opts, std::cout, std::cerr);
    std::cout.flush();
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace failover6::cli
