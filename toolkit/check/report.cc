#include "check/report.h"

#include <algorithm>
#include <ostream>

namespace failover6::check {

using nlohmann::json;

namespace {

std::string xml_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t') o += ' ';
        else o += ch;
    }
  }
  return o;
}

const char* verdict(const Report& r) { return r.exit_code() ? "FAIL" : "PASS"; }

std::string state_color(const std::string& s) {
  if (s == "NORMAL") return "#4caf50";
  if (s == "COMMUNICATIONS-INTERRUPTED") return "#ff9800";
  if (s == "PARTNER-DOWN") return "#e53935";
  if (s == "POTENTIAL-CONFLICT" || s == "RESOLUTION-INTERRUPTED") return "#8e24aa";
  if (s == "CONFLICT-DONE") return "#5e35b1";
  if (s.rfind("RECOVER", 0) == 0) return "#1e88e5";
  return "#9e9e9e";
}

}  // namespace

std::string frame_name(const Report& r, FrameRef f) {
  std::string file = f.file < r.files.size() ? r.files[f.file] : "#" + std::to_string(f.file);
  return file + ":" + std::to_string(f.frame);
}

json to_json(const Report& r) {
  json j;
  j["verdict"] = r.exit_code() ? "fail" : "pass";
  j["files"] = r.files;
  json inv = json::object();
  for (const auto& [name, res] : r.invariants) {
    json o = {{"checked", res.checked}, {"violations", res.violations},
              {"applicable", res.applicable}};
    if (!res.note.empty()) o["note"] = res.note;
    inv[name] = o;
  }
  j["invariants"] = inv;
  json vs = json::array();
  for (const auto& v : r.violations) {
    json frames = json::array();
    for (const auto& f : v.frames) frames.push_back(frame_name(r, f));
    vs.push_back({{"invariant", v.invariant},
                  {"time", iso_time(v.time_ns)},
                  {"time_unix", static_cast<double>(v.time_ns) / 1e9},
                  {"detail", v.detail},
                  {"clients", v.clients},
                  {"leases", v.leases},
                  {"servers", v.servers},
                  {"transactions", v.transactions},
                  {"frames", frames}});
  }
  j["violations"] = vs;
  j["violations_total"] = r.violations_total;
  const auto& s = r.stats;
  j["stats"] = {{"frames", s.frames}, {"dhcp6", s.dhcp6}, {"dhcp6_malformed", s.dhcp6_malformed},
                {"relayed", s.relayed}, {"failover", s.failover},
                {"failover_malformed", s.failover_malformed}, {"duplicates_removed", s.duplicates},
                {"tcp_segments", s.tcp_segments}, {"streams_lost", s.streams_lost},
                {"tls_streams", s.tls_streams},
                {"resyncs", s.resyncs}, {"truncated_files", s.truncated_files},
                {"peak_live_leases", s.peak_live_leases}, {"leases_granted", s.leases_granted}};
  j["capture"] = {{"first", r.first_ns ? iso_time(r.first_ns) : ""},
                  {"last", r.last_ns ? iso_time(r.last_ns) : ""},
                  {"seconds", static_cast<double>(r.last_ns - r.first_ns) / 1e9}};
  json servers = json::array();
  for (const auto& sv : r.servers) {
    json outages = json::array();
    for (const auto& [a, b] : sv.outages)
      outages.push_back({{"from", iso_time(a)}, {"to", iso_time(b)},
                         {"seconds", static_cast<double>(b - a) / 1e9}});
    json states = json::array();
    for (const auto& st : sv.states)
      states.push_back({{"time", iso_time(st.time_ns)}, {"state", st.state}, {"startup", st.startup}});
    servers.push_back({{"name", sv.name}, {"duid", sv.duid}, {"addresses", sv.addresses},
                       {"replies", sv.replies}, {"outages", outages}, {"states", states}});
  }
  j["servers"] = servers;
  j["longest_outage"] = {{"seconds", r.longest_outage_s}, {"client", r.longest_outage_client}};
  return j;
}

void write_text(const Report& r, std::ostream& out, std::size_t max_lines) {
  out << "failover6 check: " << verdict(r) << " (" << r.violations_total << " violation"
      << (r.violations_total == 1 ? "" : "s") << ")\n";
  for (const auto& [name, res] : r.invariants) {
    char line[160];
    std::snprintf(line, sizeof(line), "  %-24s %-5s checked %-10llu violations %llu", name.c_str(),
                  !res.applicable ? "n/a" : res.violations ? "FAIL" : "ok",
                  static_cast<unsigned long long>(res.checked),
                  static_cast<unsigned long long>(res.violations));
    out << line;
    if (!res.note.empty()) out << "  (" << res.note << ")";
    out << '\n';
  }
  std::size_t n = 0;
  for (const auto& v : r.violations) {
    if (n++ == max_lines) {
      out << "  ... " << (r.violations_total - max_lines) << " more (see --json)\n";
      break;
    }
    std::string frames;
    for (const auto& f : v.frames) frames += (frames.empty() ? "" : ", ") + frame_name(r, f);
    out << "  [" << v.invariant << "] " << iso_time(v.time_ns) << " " << v.detail << " {" << frames
        << "}\n";
  }
  const auto& s = r.stats;
  out << "  input: " << r.files.size() << " file(s), " << s.frames << " frames, " << s.dhcp6
      << " DHCPv6 (" << s.relayed << " relayed, " << s.dhcp6_malformed << " malformed), "
      << s.failover << " failover (" << s.failover_malformed << " malformed), " << s.duplicates
      << " duplicates removed, " << r.stats.leases_granted << " leases granted (peak " << s.peak_live_leases
      << " live), " << r.servers.size() << " servers\n";
  if (s.tls_streams)
    out << "  note: " << s.tls_streams << " failover stream direction(s) switched to TLS after "
        << "STARTTLS; what they carried is not visible, so failover-wire, mclt-bound and "
        << "state-legality judge only what went in clear\n";
  if (s.streams_lost || s.resyncs || s.truncated_files)
    out << "  note: " << s.streams_lost << " failover stream gap(s), " << s.resyncs
        << " resynchronisation(s), " << s.truncated_files << " truncated file(s)\n";
}

void write_junit(const Report& r, std::ostream& out) {
  std::size_t failures = 0, skipped = 0;
  for (const auto& [n, res] : r.invariants) {
    failures += res.violations ? 1 : 0;
    skipped += res.applicable ? 0 : 1;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"failover6 check\" tests=\"" << r.invariants.size() << "\" failures=\""
      << failures << "\">\n  <testsuite name=\"invariants\" tests=\"" << r.invariants.size()
      << "\" failures=\"" << failures << "\" skipped=\"" << skipped << "\" errors=\"0\">\n";
  for (const auto& [name, res] : r.invariants) {
    out << "    <testcase classname=\"failover6.check\" name=\"" << xml_escape(name) << "\">\n";
    if (!res.applicable) {
      out << "      <skipped message=\"" << xml_escape(res.note) << "\"/>\n";
    } else if (res.violations) {
      out << "      <failure message=\"" << res.violations << " violation(s) in " << res.checked
          << " checked\" type=\"violation\">";
      std::size_t n = 0;
      for (const auto& v : r.violations) {
        if (v.invariant != name) continue;
        if (++n > 200) break;
        std::string frames;
        for (const auto& f : v.frames) frames += (frames.empty() ? "" : ", ") + frame_name(r, f);
        out << xml_escape(iso_time(v.time_ns) + " " + v.detail + " {" + frames + "}") << '\n';
      }
      out << "</failure>\n";
    }
    out << "      <system-out>" << xml_escape("checked " + std::to_string(res.checked) +
                                              (res.note.empty() ? "" : "; " + res.note))
        << "</system-out>\n    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

void write_html(const Report& r, std::ostream& out) {
  const std::int64_t t0 = r.first_ns;
  const std::int64_t span = std::max<std::int64_t>(r.last_ns - r.first_ns, 1);
  const double width = 1000.0;
  auto x = [&](std::int64_t t) {
    return std::clamp(static_cast<double>(t - t0) / static_cast<double>(span) * width, 0.0, width);
  };
  out << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>failover6 check: "
      << verdict(r) << "</title>\n<style>\n"
      << "body{font-family:sans-serif;margin:1.5em;color:#222}"
      << "h1 .PASS{color:#2e7d32}h1 .FAIL{color:#c62828}"
      << "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;"
      << "text-align:left;font-size:90%}tr.fail td{background:#fdecea}tr.na td{color:#888}"
      << ".srv{margin:1em 0}.srv h3{margin:.2em 0;font-size:100%}svg{background:#fafafa;"
      << "border:1px solid #ddd}.legend span{display:inline-block;margin-right:1em;font-size:85%}"
      << ".sw{display:inline-block;width:.9em;height:.9em;vertical-align:middle;margin-right:.3em}"
      << "code{font-size:85%}\n</style></head><body>\n";
  out << "<h1>failover6 check: <span class=\"" << verdict(r) << "\">" << verdict(r)
      << "</span></h1>\n<p>" << r.violations_total << " violation(s); capture "
      << xml_escape(r.first_ns ? iso_time(r.first_ns) : "-") << " to "
      << xml_escape(r.last_ns ? iso_time(r.last_ns) : "-") << "; files:";
  for (const auto& f : r.files) out << " <code>" << xml_escape(f) << "</code>";
  out << "</p>\n<table><tr><th>invariant</th><th>result</th><th>checked</th><th>violations</th>"
      << "<th>note</th></tr>\n";
  for (const auto& [name, res] : r.invariants)
    out << "<tr class=\"" << (!res.applicable ? "na" : res.violations ? "fail" : "ok") << "\"><td>"
        << xml_escape(name) << "</td><td>"
        << (!res.applicable ? "n/a" : res.violations ? "FAIL" : "ok") << "</td><td>" << res.checked
        << "</td><td>" << res.violations << "</td><td>" << xml_escape(res.note) << "</td></tr>\n";
  out << "</table>\n<h2>Servers</h2>\n<div class=\"legend\">";
  for (const char* s : {"NORMAL", "COMMUNICATIONS-INTERRUPTED", "PARTNER-DOWN", "POTENTIAL-CONFLICT",
                        "RECOVER", "CONFLICT-DONE"})
    out << "<span><i class=\"sw\" style=\"background:" << state_color(s) << "\"></i>" << s << "</span>";
  out << "<span><i class=\"sw\" style=\"background:#000;opacity:.35\"></i>outage</span>"
      << "<span><i class=\"sw\" style=\"background:#c62828\"></i>violation</span></div>\n";
  for (const auto& sv : r.servers) {
    out << "<div class=\"srv\"><h3>" << xml_escape(sv.name) << "</h3><small>";
    for (const auto& a : sv.addresses) out << xml_escape(a) << " ";
    out << "&middot; " << sv.replies << " answers</small><br>\n<svg width=\"" << width + 20
        << "\" height=\"64\" viewBox=\"-10 0 " << width + 20 << " 64\">\n";
    for (std::size_t i = 0; i < sv.states.size(); ++i) {
      const auto& st = sv.states[i];
      const double a = x(st.time_ns);
      const double b = i + 1 < sv.states.size() ? x(sv.states[i + 1].time_ns) : width;
      out << "<rect x=\"" << a << "\" y=\"4\" width=\"" << std::max(b - a, 1.0)
          << "\" height=\"18\" fill=\"" << state_color(st.state) << "\"" 
          << (st.startup ? " opacity=\".5\"" : "") << "><title>" << xml_escape(st.state)
          << (st.startup ? " (STARTUP flag)" : "") << " from " << iso_time(st.time_ns)
          << "</title></rect>\n";
    }
    for (const auto& [a, b] : sv.outages)
      out << "<rect x=\"" << x(a) << "\" y=\"26\" width=\"" << std::max(x(b) - x(a), 1.0)
          << "\" height=\"14\" fill=\"#000\" opacity=\".35\"><title>no answer from "
          << iso_time(a) << " to " << iso_time(b) << " (" << seconds(b - a)
          << " s)</title></rect>\n";
    std::size_t marks = 0;
    for (const auto& v : r.violations) {
      if (std::find(v.servers.begin(), v.servers.end(), sv.name) == v.servers.end() &&
          std::none_of(sv.addresses.begin(), sv.addresses.end(), [&](const std::string& a) {
            return std::find(v.servers.begin(), v.servers.end(), a) != v.servers.end();
          }))
        continue;
      if (++marks > 500) break;
      out << "<circle cx=\"" << x(v.time_ns) << "\" cy=\"52\" r=\"5\" fill=\"#c62828\"><title>"
          << xml_escape(v.invariant + " " + iso_time(v.time_ns) + ": " + v.detail)
          << "</title></circle>\n";
    }
    out << "<line x1=\"0\" y1=\"63\" x2=\"" << width << "\" y2=\"63\" stroke=\"#999\"/></svg></div>\n";
  }
  out << "<h2>Violations</h2>\n";
  if (r.violations.empty()) out << "<p>None.</p>\n";
  else {
    out << "<table><tr><th>time</th><th>invariant</th><th>detail</th><th>frames</th></tr>\n";
    for (const auto& v : r.violations) {
      std::string frames;
      for (const auto& f : v.frames) frames += (frames.empty() ? "" : ", ") + frame_name(r, f);
      out << "<tr><td>" << iso_time(v.time_ns) << "</td><td>" << xml_escape(v.invariant) << "</td><td>"
          << xml_escape(v.detail) << "</td><td><code>" << xml_escape(frames) << "</code></td></tr>\n";
    }
    out << "</table>\n";
    if (r.violations_total > r.violations.size())
      out << "<p>... and " << (r.violations_total - r.violations.size()) << " more.</p>\n";
  }
  const auto& s = r.stats;
  out << "<h2>Input</h2><p>" << s.frames << " frames, " << s.dhcp6 << " DHCPv6 messages ("
      << s.relayed << " relayed, " << s.dhcp6_malformed << " malformed), " << s.failover
      << " failover messages (" << s.failover_malformed << " malformed), " << s.duplicates
      << " duplicates removed, " << r.stats.leases_granted << " leases granted (peak " << s.peak_live_leases
      << " live).</p>\n</body></html>\n";
}

}  // namespace failover6::check
