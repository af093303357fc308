#include "io/metrics.h"

#include <functional>

#include "failover/state_machine.h"

#include <fmt/format.h>

#include <cstdint>
#include <iterator>

#include "io/lease_report.h"

namespace failover6::io {

namespace {

/// Label values escape backslash, double quote and newline (Prometheus text format).
std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  }
  void sample(std::string_view name, std::uint64_t v) {
    fmt::format_to(std::back_inserter(out_), "{} {}\n", name, v);
  }
  void sample(std::string_view name, std::string_view labels, std::uint64_t v) {
    fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, v);
  }
  void counter(std::string_view name, std::string_view help, std::uint64_t v) {
    family(name, "counter", help);
    sample(name, v);
  }
  void gauge(std::string_view name, std::string_view help, std::uint64_t v) {
    family(name, "gauge", help);
    sample(name, v);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string render_metrics(const ServiceView& v) {
  const server::Stats& s = v.server_stats;
  const BatchStats& b = v.io_stats;
  Exposition e;
  e.gauge("failover6_uptime_seconds", "Seconds since failover6d started.",
          static_cast<std::uint64_t>(v.now > v.started ? v.now - v.started : 0));
  e.counter("failover6_received_total", "DHCPv6 datagrams received.", s.received);
  e.family("failover6_received_messages_total", "counter",
           "DHCPv6 messages received, by innermost message type.");
  for (const auto& [type, n] : s.received_by_type)
    e.sample("failover6_received_messages_total", "type=\"" + escape_label(type) + "\"", n);
  e.family("failover6_sent_messages_total", "counter", "DHCPv6 messages sent, by message type.");
  for (const auto& [type, n] : s.sent_by_type)
    e.sample("failover6_sent_messages_total", "type=\"" + escape_label(type) + "\"", n);
  e.family("failover6_dropped_total", "counter", "Datagrams dropped without an answer, by reason.");
  for (int i = 0; i < static_cast<int>(server::DropReason::Count_); ++i)
    e.sample("failover6_dropped_total",
             fmt::format("reason=\"{}\"", server::to_string(static_cast<server::DropReason>(i))),
             s.dropped[i]);
  e.counter("failover6_leases_granted_total", "New bindings granted.", s.leases_granted);
  e.counter("failover6_leases_renewed_total", "Existing bindings extended.", s.leases_renewed);
  e.counter("failover6_leases_released_total", "Bindings released by clients.", s.leases_released);
  e.counter("failover6_leases_declined_total", "Addresses declined by clients.", s.leases_declined);
  e.counter("failover6_leases_expired_total", "Bindings that reached the end of their state.",
            s.leases_expired);
  e.counter("failover6_no_addrs_avail_total", "IA_NAs answered with NoAddrsAvail.",
            s.no_addrs_avail);
  e.counter("failover6_no_prefix_avail_total", "IA_PDs answered with NoPrefixAvail.",
            s.no_prefix_avail);
  e.counter("failover6_batches_total", "Receive batches processed.", b.batches);
  e.gauge("failover6_largest_batch", "Most datagrams processed in one batch.", b.largest_batch);
  e.counter("failover6_store_commits_total", "Lease store commits (group commits).", b.commits);
  e.counter("failover6_store_commit_failures_total", "Lease store commits that failed.",
            b.commit_failures);
  e.counter("failover6_replies_sent_total", "Replies handed to the sockets.", b.replies_sent);
  e.counter("failover6_replies_withheld_total",
            "Replies not sent because the commit of their leases failed.", b.replies_withheld);
  e.counter("failover6_send_failures_total", "Replies the sockets refused.", b.send_failures);
  e.counter("failover6_handler_errors_total", "Datagrams whose processing failed (bugs).",
            b.handler_errors);
  e.counter("failover6_replies_immediate_total",
            "Replies sent at once because they needed no commit (ADVERTISE, no change).",
            b.replies_immediate);
  e.counter("failover6_commit_microseconds_total",
            "Time from the start of each store commit to its completion, summed.",
            b.commit_us_total);

  LeaseCounts counts = count_leases(v.store);
  e.family("failover6_leases", "gauge", "Leases in the store, by type and binding state.");
  for (auto type : {lease::LeaseType::Na, lease::LeaseType::Ta, lease::LeaseType::Pd}) {
    for (int st = static_cast<int>(wire::BindingStatus::Active);
         st <= static_cast<int>(wire::BindingStatus::Reset); ++st) {
      auto status = static_cast<wire::BindingStatus>(st);
      auto it = counts.find({type, status});
      e.sample("failover6_leases",
               fmt::format("type=\"{}\",state=\"{}\"", lease::to_string(type),
                           wire::binding_status_name(static_cast<std::uint8_t>(st))),
               it == counts.end() ? 0 : it->second);
    }
  }
  if (v.relationships.is_array() && !v.relationships.empty()) {
    // One series per relationship: the RFC 8156 state as its number (2 NORMAL ... 10
    // CONFLICT-DONE, 1 STARTUP), communications, and the binding-update backlog.
    struct Series {
      const char* name;
      const char* type;
      const char* help;
      std::function<std::uint64_t(const nlohmann::json&)> value;
    };
    auto num = [](const nlohmann::json& r, const char* key) -> std::uint64_t {
      auto it = r.find(key);
      return it != r.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
    };
    const Series series[] = {
        {"failover6_failover_state", "gauge",
         "RFC 8156 endpoint state (1 STARTUP, 2 NORMAL, 3 COMMUNICATIONS-INTERRUPTED, 4 "
         "PARTNER-DOWN, 5 POTENTIAL-CONFLICT, 6 RECOVER, 7 RECOVER-WAIT, 8 RECOVER-DONE, 9 "
         "RESOLUTION-INTERRUPTED, 10 CONFLICT-DONE).",
         [](const nlohmann::json& r) -> std::uint64_t {
           auto st = failover::state_from_string(r.value("state", std::string()));
           return st ? static_cast<std::uint64_t>(*st) : 0;
         }},
        {"failover6_failover_communications_ok", "gauge",
         "1 while the handshake with the partner is complete.",
         [](const nlohmann::json& r) -> std::uint64_t {
           return r.value("communications-ok", false) ? 1 : 0;
         }},
        {"failover6_failover_unacked_updates", "gauge", "BNDUPDs sent and not yet acknowledged.",
         [num](const nlohmann::json& r) { return num(r, "unacked-updates"); }},
        {"failover6_failover_queued_updates", "gauge", "Binding updates waiting to be sent.",
         [num](const nlohmann::json& r) { return num(r, "queued-updates"); }},
        {"failover6_failover_bndupd_sent_total", "counter", "BNDUPDs sent to the partner.",
         [num](const nlohmann::json& r) { return num(r, "bndupd-sent"); }},
        {"failover6_failover_bndupd_received_total", "counter",
         "BNDUPDs received from the partner.",
         [num](const nlohmann::json& r) { return num(r, "bndupd-received"); }},
    };
    for (const auto& sr : series) {
      e.family(sr.name, sr.type, sr.help);
      for (const auto& r : v.relationships)
        e.sample(sr.name,
                 "relationship=\"" + escape_label(r.value("name", std::string())) + "\"",
                 sr.value(r));
    }
  }
  if (v.journal) {
    e.gauge("failover6_journal_bytes", "Size of the lease journal on disk.", v.journal->file_bytes);
  }
  return e.take();
}

std::string http_response(std::string_view head, const std::function<std::string()>& metrics) {
  auto reply = [](std::string_view status, std::string_view type, const std::string& body,
                  bool with_body) {
    std::string r = fmt::format(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        status, type, body.size());
    if (with_body) r += body;
    return r;
  };
  std::string_view line = head.substr(0, head.find("\r\n"));
  line = line.substr(0, line.find('\n'));
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0)
    return reply("400 Bad Request", "text/plain", "bad request\n", true);
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  if (method != "GET" && method != "HEAD")
    return reply("405 Method Not Allowed", "text/plain", "only GET /metrics\n", true);
  if (target != "/metrics")
    return reply("404 Not Found", "text/plain", "only /metrics\n", method == "GET");
  return reply("200 OK", "text/plain; version=0.0.4; charset=utf-8", metrics(), method == "GET");
}

}  // namespace failover6::io
