#include "check/service_continuity.h"

namespace failover6::check {

using wire::MessageType;

ServiceContinuity::ServiceContinuity(ViolationSink sink, Limits limits)
    : Checker("service-continuity", std::move(sink)), limits_(limits) {}

void ServiceContinuity::on_client(const ClientTx& tx) {
  auto it = pending_.find(DuidView{tx.client.raw, tx.xid, 0});
  const bool fresh = it == pending_.end();
  if (fresh) it = pending_.emplace(Key{tx.client, tx.xid}, Pending{}).first;
  Pending& p = it->second;
  if (fresh) {
    ++checked_;
    p.type = tx.type;
    p.first_ns = tx.time_ns;
    p.first = tx.ref;
  }
  ++p.count;
  p.last_ns = tx.time_ns;
  p.last = tx.ref;
  if (tx.leases_end_ns) p.leases_end_ns = tx.leases_end_ns;
  if (p.answered) return;  // a retransmission that crossed the answer
  auto o = outages_.find(DuidView{tx.client.raw, 0, 0});
  if (o == outages_.end()) {
    o = outages_.emplace(tx.client, OpenOutage{}).first;
    o->second.start_ns = tx.time_ns;
    o->second.first = tx.ref;
  }
  o->second.last_tx_ns = tx.time_ns;
}

void ServiceContinuity::close_outage(const wire::Duid& d, const OpenOutage& o,
                                     std::int64_t end_ns, bool answered, std::int64_t at_ns,
                                     FrameRef ref) {
  const std::int64_t dur = end_ns - o.start_ns;
  if (dur > longest_.duration_ns) longest_ = {d.to_string(), o.start_ns, dur, answered, o.first};
  if (limits_.max_outage_ns > 0 && dur > limits_.max_outage_ns) {
    Violation v;
    v.time_ns = at_ns;
    v.detail = "client " + d.to_string() + " went " + seconds(dur) + " s without an answer (from " +
               iso_time(o.start_ns) + (answered ? ")" : ", never answered)") +
               ", longer than the " + seconds(limits_.max_outage_ns) + " s allowed";
    v.clients = {d.to_string()};
    v.frames = {o.first};
    if (ref.frame) v.frames.push_back(ref);
    report(std::move(v));
  }
}

void ServiceContinuity::on_reply(const ServerReply& r) {
  auto it = pending_.find(DuidView{r.client.raw, r.xid, 0});
  if (it != pending_.end()) it->second.answered = true;
  auto o = outages_.find(DuidView{r.client.raw, 0, 0});
  if (o != outages_.end()) {
    // Answered transactions of this client no longer count as waiting.
    close_outage(r.client, o->second, r.time_ns, true, r.time_ns, r.ref);
    outages_.erase(o);
  }
}

bool ServiceContinuity::exhausted(const Pending& p, std::int64_t now_ns) const {
  if (p.answered) return false;
  switch (p.type) {
    case MessageType::Request:
      return p.count >= 10 && now_ns - p.last_ns > 30 * NS;
    case MessageType::Release:
    case MessageType::Decline:
      return p.count >= 4 && now_ns - p.last_ns > 10 * NS;
    case MessageType::Rebind:
      return p.leases_end_ns > 0 && now_ns >= p.leases_end_ns;
    default:
      return false;
  }
}

void ServiceContinuity::give_up(const Key& k, const Pending& p) {
  Violation v;
  v.time_ns = p.type == MessageType::Rebind ? p.leases_end_ns : p.last_ns;
  v.detail = "client " + k.duid.to_string() + " sent " + wire::to_string(p.type) + " xid 0x" +
             [&] {
               char b[8];
               std::snprintf(b, sizeof(b), "%06x", k.xid);
               return std::string(b);
             }() +
             " " + std::to_string(p.count) + " time(s) from " + iso_time(p.first_ns) + " to " +
             iso_time(p.last_ns) + " and no server answered";
  if (p.type == MessageType::Rebind)
    v.detail += " before its leases expired at " + iso_time(p.leases_end_ns);
  else
    v.detail += " within the client's retransmission limit";
  v.clients = {k.duid.to_string()};
  v.transactions = {k.xid};
  v.frames = {p.first, p.last};
  report(std::move(v));
}

void ServiceContinuity::on_tick(std::int64_t now_ns) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    const Pending& p = it->second;
    if (exhausted(p, now_ns)) {
      give_up(it->first, p);
      it = pending_.erase(it);
    } else if (now_ns - p.last_ns > limits_.forget_ns &&
               !(p.type == MessageType::Rebind && !p.answered && p.leases_end_ns > now_ns)) {
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = outages_.begin(); it != outages_.end();) {
    if (now_ns - it->second.last_tx_ns > limits_.forget_ns) {
      close_outage(it->first, it->second, it->second.last_tx_ns, false, it->second.last_tx_ns, {});
      it = outages_.erase(it);
    } else {
      ++it;
    }
  }
}

void ServiceContinuity::finish(std::int64_t end_ns) {
  for (const auto& [k, p] : pending_)
    if (exhausted(p, end_ns)) give_up(k, p);
  pending_.clear();
  for (const auto& [d, o] : outages_) close_outage(d, o, o.last_tx_ns, false, o.last_tx_ns, {});
  outages_.clear();
  if (longest_.duration_ns > 0)
    note_ = "longest outage " + seconds(longest_.duration_ns) + " s (client " + longest_.client +
            ", from " + iso_time(longest_.start_ns) + (longest_.answered ? ")" : ", unanswered)");
}

}  // namespace failover6::check
