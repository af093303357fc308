#include "check/check.h"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <unordered_set>

#include "check/failover_stream.h"
#include "check/failover_wire.h"
#include "check/lease_stability.h"
#include "check/mclt_bound.h"
#include "check/merge.h"
#include "check/no_duplicate_assignment.h"
#include "check/service_continuity.h"
#include "check/state_legality.h"

namespace failover6::check {

namespace {

/// Capture time between checker ticks (expiry sweeps).
constexpr std::int64_t TICK_NS = 10 * NS;
/// Per-server lists kept for the report.
constexpr std::size_t MAX_MARKS = 2000;

/// Per-server facts for the report, gathered as the messages go by.
struct ServerTrack {
  std::vector<std::string> addresses;
  std::uint64_t replies = 0;
  std::int64_t first_ns = 0;
  std::int64_t last_ns = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> outages;
};

}  // namespace

const std::vector<std::string>& invariant_names() {
  static const std::vector<std::string> names = {
      "no-duplicate-assignment", "lease-stability", "mclt-bound",
      "service-continuity",      "failover-wire",   "state-legality"};
  return names;
}

Report run_check(const std::vector<std::string>& files, const CheckOptions& options) {
  if (files.empty()) throw std::invalid_argument("no capture file given");
  Report report;
  report.files = files;
  auto sink = [&](Violation&& v) {
    ++report.violations_total;
    if (report.violations.size() < options.max_violations) report.violations.push_back(std::move(v));
  };

  std::unordered_map<wire::Address, std::vector<ServerInfo::State>, wire::AddressHash> states;
  NoDuplicateAssignment dup(sink);
  LeaseStability stability(sink);
  McltBound mclt(sink, McltBound::Limits{options.mclt_s, 5 * NS});
  ServiceContinuity continuity(sink, ServiceContinuity::Limits{options.max_outage_ns, 120 * NS});
  FailoverWire wire_check(sink, FailoverWire::Limits{options.skew_ns, 5 * NS});
  StateLegality legality(sink, [&](const StateLegality::Change& c) {
    auto& v = states[c.server];
    if (v.size() < MAX_MARKS) v.push_back({c.time_ns, wire::server_state_name(c.state), c.startup});
  });
  std::vector<Checker*> checkers = {&dup, &stability, &mclt, &continuity, &wire_check, &legality};

  std::vector<ServerTrack> tracks;
  std::int64_t last_client_ns = 0;
  Timeline* tl_ptr = nullptr;
  Timeline timeline(checkers, [&](const TimelineEntry& e) {
    if (e.kind == TimelineEntry::Kind::Granted) ++report.stats.leases_granted;
    if (options.timeline) options.timeline(e, tl_ptr->name(e.server));
  });
  tl_ptr = &timeline;

  FailoverStreams streams(options.tcp_ports, [&](const FailoverEvent& e) {
    switch (e.kind) {
      case FailoverEvent::Kind::Message: ++report.stats.failover; break;
      case FailoverEvent::Kind::Malformed: ++report.stats.failover_malformed; break;
      case FailoverEvent::Kind::Lost: ++report.stats.streams_lost; break;
      case FailoverEvent::Kind::Resync: ++report.stats.resyncs; break;
      case FailoverEvent::Kind::Encrypted: ++report.stats.tls_streams; break;
      default: break;
    }
    for (auto* c : checkers) c->on_failover(e);
  });

  trace::ReaderOptions ro;
  ro.udp_ports = options.udp_ports;
  ro.tcp_ports = options.tcp_ports;
  MergedReader reader(files, ro, options.dedup_window_ns);
  trace::Packet p;
  FrameRef ref;
  std::int64_t next_tick = 0;
  bool first = true;
  while (reader.next(p, ref)) {
    if (first) {
      report.first_ns = p.time_ns;
      next_tick = p.time_ns + TICK_NS;
      first = false;
    }
    report.last_ns = std::max(report.last_ns, p.time_ns);
    if (p.time_ns >= next_tick) {
      timeline.tick(p.time_ns);
      next_tick = p.time_ns + TICK_NS;
    }
    if (p.proto == trace::Packet::Proto::Tcp) {
      ++report.stats.tcp_segments;
      streams.feed(p, ref);
      continue;
    }
    auto m = wire::decode_message(p.payload);
    if (!m) {
      ++report.stats.dhcp6_malformed;
      continue;
    }
    ++report.stats.dhcp6;
    if (m->is_relay()) ++report.stats.relayed;
    const wire::Message& inner = m->innermost();
    if (inner.type == wire::MessageType::Reply || inner.type == wire::MessageType::Advertise) {
      if (auto* sid = inner.find<wire::ServerId>()) {
        const ServerIx s = timeline.server(sid->duid);
        if (s >= tracks.size()) tracks.resize(s + 1);
        ServerTrack& t = tracks[s];
        if (!t.replies) t.first_ns = p.time_ns;
        else if (p.time_ns - t.last_ns > options.outage_gap_ns && last_client_ns > t.last_ns &&
                 t.outages.size() < MAX_MARKS)
          t.outages.emplace_back(t.last_ns, p.time_ns);
        ++t.replies;
        t.last_ns = p.time_ns;
        const std::string a = p.src.to_string();
        if (t.addresses.size() < 8 && std::find(t.addresses.begin(), t.addresses.end(), a) == t.addresses.end())
          t.addresses.push_back(a);
      }
    } else if (inner.find<wire::ClientId>()) {
      last_client_ns = p.time_ns;
    }
    timeline.on_message(inner, p.time_ns, ref, p.src);
    report.stats.peak_live_leases = std::max<std::uint64_t>(report.stats.peak_live_leases, timeline.live());
  }
  streams.finish(report.last_ns);
  timeline.finish(report.last_ns);

  for (const auto& s : reader.stats()) {
    report.stats.frames += s.frames;
    report.stats.truncated_files += s.truncated_file ? 1 : 0;
  }
  report.stats.duplicates = reader.duplicates();
  for (auto* c : checkers)
    report.invariants[c->name()] = {c->checked(), c->violations(), c->applicable(), c->note()};
  std::stable_sort(report.violations.begin(), report.violations.end(),
                   [](const Violation& a, const Violation& b) { return a.time_ns < b.time_ns; });
  report.longest_outage_s = static_cast<double>(continuity.longest().duration_ns) / 1e9;
  report.longest_outage_client = continuity.longest().client;

  // Servers: DHCPv6 servers by SERVERID, joined with the failover endpoint of the same address.
  std::unordered_set<std::string> joined;
  for (ServerIx i = 0; i < timeline.servers().size(); ++i) {
    ServerInfo info;
    info.name = timeline.name(i);
    info.duid = timeline.servers()[i].to_string();
    if (i < tracks.size()) {
      info.addresses = tracks[i].addresses;
      info.replies = tracks[i].replies;
      info.first_ns = tracks[i].first_ns;
      info.last_ns = tracks[i].last_ns;
      info.outages = tracks[i].outages;
      if (tracks[i].replies && last_client_ns - tracks[i].last_ns > options.outage_gap_ns)
        info.outages.emplace_back(tracks[i].last_ns, last_client_ns);
    }
    for (const auto& a : info.addresses) {
      auto it = std::find_if(states.begin(), states.end(),
                             [&](const auto& kv) { return kv.first.to_string() == a; });
      if (it != states.end() && !joined.count(a)) {
        info.states = it->second;
        joined.insert(a);
      }
    }
    report.servers.push_back(std::move(info));
  }
  for (const auto& [addr, st] : states) {
    if (joined.count(addr.to_string())) continue;
    ServerInfo info;
    info.name = "failover endpoint " + addr.to_string();
    info.addresses = {addr.to_string()};
    info.states = st;
    report.servers.push_back(std::move(info));
  }
  return report;
}

}  // namespace failover6::check
