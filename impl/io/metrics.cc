#include "io/metrics.h"

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
