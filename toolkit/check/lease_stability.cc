#include "check/lease_stability.h"

#include <algorithm>

namespace failover6::check {

LeaseStability::LeaseStability(ViolationSink sink) : Checker("lease-stability", std::move(sink)) {}

void LeaseStability::on_reply(const ServerReply& r) {
  if (r.type != wire::MessageType::Reply || !r.request) return;
  if (*r.request != wire::MessageType::Renew && *r.request != wire::MessageType::Rebind) return;
  const std::int64_t asked = r.request_time_ns ? r.request_time_ns : r.time_ns;
  const char* verb = *r.request == wire::MessageType::Renew ? "RENEW" : "REBIND";
  for (const auto& ia : r.ias) {
    std::vector<const HeldLease*> live;
    for (const auto& h : ia.held)
      if (h.end_ns > asked) live.push_back(&h);
    if (live.empty()) continue;
    ++checked_;
    auto held = [&](const Resource& res) {
      return std::any_of(live.begin(), live.end(),
                         [&](const HeldLease* h) { return h->resource == res; });
    };
    std::vector<std::string> gained;
    std::vector<std::string> withdrawn;
    for (const auto& l : ia.leases) {
      if (l.valid > 0 && !held(l.resource)) gained.push_back(l.resource.to_string());
      if (l.valid == 0 && held(l.resource)) withdrawn.push_back(l.resource.to_string());
    }
    const bool no_binding = ia.status == 3;
    if (gained.empty() && withdrawn.empty() && !no_binding) continue;
    Violation v;
    v.time_ns = r.time_ns;
    std::string had;
    for (const auto* h : live) {
      if (!had.empty()) had += ", ";
      had += h->resource.to_string() + " (from " + server_name(h->server) + ", valid until " +
             iso_time(h->end_ns) + ")";
      v.leases.push_back(h->resource.to_string());
      v.frames.push_back(h->ref);
    }
    v.detail = ia.client.to_string() + " held " + had + " and sent " + verb + "; " +
               server_name(r.server) + " answered at " + iso_time(r.time_ns);
    if (!gained.empty()) {
      std::string g;
      for (const auto& s : gained) g += (g.empty() ? "" : ", ") + s;
      v.detail += " with a different lease " + g;
      v.leases.insert(v.leases.end(), gained.begin(), gained.end());
    }
    if (!withdrawn.empty()) {
      std::string w;
      for (const auto& s : withdrawn) w += (w.empty() ? "" : ", ") + s;
      v.detail += (gained.empty() ? " withdrawing " : ", withdrawing ") + w;
    }
    if (no_binding) v.detail += " with NoBinding for the IA";
    v.clients = {ia.client.to_string()};
    v.servers = {server_name(r.server)};
    v.frames.insert(v.frames.begin(), r.ref);
    if (r.request_ref.frame) v.frames.insert(v.frames.begin() + 1, r.request_ref);
    report(std::move(v));
  }
}

}  // namespace failover6::check
