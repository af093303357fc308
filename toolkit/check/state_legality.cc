#include "check/state_legality.h"

#include "check/failover_leases.h"

namespace failover6::check {

namespace {

enum : std::uint8_t {
  NORMAL = 2, COMM_INT = 3, PARTNER_DOWN = 4, POTENTIAL_CONFLICT = 5, RECOVER = 6,
  RECOVER_WAIT = 7, RECOVER_DONE = 8, RESOLUTION_INT = 9, CONFLICT_DONE = 10,
};
constexpr std::uint8_t S_FLAG = 0x02;

/// Edges a server takes while comms are down (so no STATE reports them).
bool hidden_edge(std::uint8_t from, std::uint8_t to) {
  switch (from) {
    case NORMAL: return to == COMM_INT || to == PARTNER_DOWN;
    case COMM_INT: return to == PARTNER_DOWN;
    case POTENTIAL_CONFLICT: return to == RESOLUTION_INT;
    case RESOLUTION_INT: return to == PARTNER_DOWN;
    case RECOVER_WAIT: return to == RECOVER_DONE;
    default: return false;
  }
}

std::string state_name(std::uint8_t s) { return wire::server_state_name(s); }

}  // namespace

bool StateLegality::direct_edge(std::uint8_t from, std::uint8_t to) {
  if (from == to) return true;
  switch (from) {
    case NORMAL: return to == COMM_INT || to == PARTNER_DOWN;
    case COMM_INT: return to == PARTNER_DOWN || to == NORMAL || to == POTENTIAL_CONFLICT;
    case PARTNER_DOWN: return to == POTENTIAL_CONFLICT || to == NORMAL;
    case POTENTIAL_CONFLICT: return to == RESOLUTION_INT || to == CONFLICT_DONE || to == NORMAL;
    case RECOVER: return to == POTENTIAL_CONFLICT || to == RECOVER_WAIT;
    case RECOVER_WAIT: return to == RECOVER_DONE;
    case RECOVER_DONE: return to == NORMAL || to == COMM_INT || to == POTENTIAL_CONFLICT;
    case RESOLUTION_INT: return to == PARTNER_DOWN || to == POTENTIAL_CONFLICT;
    case CONFLICT_DONE: return to == NORMAL;
    default: return false;
  }
}

bool StateLegality::across_outage(std::uint8_t from, std::uint8_t to) {
  // A server that restarted without its stable storage begins in RECOVER (RFC 8156 §8.2,
  // §8.3.2), and if its STARTUP timer ran out before the partner came back, no STATE with the
  // S flag shows the restart: RECOVER is reachable across any outage. (Found by the
  // simulator: crash seed 5.)
  if (to == RECOVER) return true;
  // States reachable from `from` through hidden edges (at most three steps), then one edge.
  std::uint8_t reach[16];
  int n = 0;
  reach[n++] = from;
  for (int i = 0; i < n && n < 16; ++i)
    for (std::uint8_t s = NORMAL; s <= CONFLICT_DONE; ++s)
      if (hidden_edge(reach[i], s)) {
        bool seen = false;
        for (int j = 0; j < n; ++j) seen = seen || reach[j] == s;
        if (!seen && n < 16) reach[n++] = s;
      }
  for (int i = 0; i < n; ++i)
    if (direct_edge(reach[i], to)) return true;
  return false;
}

StateLegality::StateLegality(ViolationSink sink, ChangeHook on_change)
    : Checker("state-legality", std::move(sink)), on_change_(std::move(on_change)) {
  applicable_ = false;
  note_ = "no STATE message in the capture";
}

std::uint8_t StateLegality::state_of(const wire::Address& server) const {
  for (const auto& [key, s] : servers_)
    if (std::get<0>(key) == server) return s.state;
  return 0;
}

StateLegality::Key StateLegality::sender(const FailoverEvent& e) {
  return e.from_connector ? Key{e.src, e.dport, true} : Key{e.src, e.sport, false};
}

StateLegality::Key StateLegality::receiver(const FailoverEvent& e) {
  return e.from_connector ? Key{e.dst, e.dport, false} : Key{e.dst, e.sport, true};
}

void StateLegality::on_failover(const FailoverEvent& e) {
  if (e.kind != FailoverEvent::Kind::Message) return;
  if (e.msg->type == wire::MessageType::State) return state(e);
  if (e.msg->type == wire::MessageType::UpdDone) {
    auto it = servers_.find(receiver(e));
    if (it != servers_.end() && it->second.state == POTENTIAL_CONFLICT)
      it->second.updone_in_pc = true;
  }
}

void StateLegality::state(const FailoverEvent& e) {
  const wire::FailoverMessage& m = *e.msg;
  auto st = option_value<wire::FServerState>(m.options);
  if (!st) return;  // failover-wire reports it
  const std::uint8_t flags = option_value<wire::FServerFlags>(m.options).value_or(0);
  const bool startup = (flags & S_FLAG) != 0;
  if (on_change_) on_change_({e.src, e.time_ns, *st, startup});
  applicable_ = true;
  note_.clear();
  Server& s = servers_[sender(e)];
  if (startup) {
    s.restarted = true;
    return;
  }
  ++checked_;
  const std::uint8_t from = s.state;
  const std::uint8_t to = *st;
  const bool primary = e.from_connector;
  auto pit = servers_.find(receiver(e));
  const std::uint8_t partner = pit == servers_.end() ? 0 : pit->second.state;
  std::string why;
  if (to == CONFLICT_DONE && !primary) why = "the secondary never enters CONFLICT-DONE";
  if (why.empty() && from != 0 && !s.restarted && from != to) {
    const bool same_conn = s.conn == e.conn;
    if (same_conn) {
      if (!direct_edge(from, to)) {
        why = "no such transition in RFC 8156 §8";
      } else if (to == NORMAL) {
        if (from == COMM_INT && partner != NORMAL && partner != COMM_INT && partner != RECOVER_DONE)
          why = "NORMAL from COMMUNICATIONS-INTERRUPTED needs the partner NORMAL, "
                "COMMUNICATIONS-INTERRUPTED or RECOVER-DONE";
        else if (from == PARTNER_DOWN && partner != RECOVER_DONE)
          why = "NORMAL from PARTNER-DOWN needs the partner in RECOVER-DONE";
        else if (from == RECOVER_DONE && partner != NORMAL && partner != RECOVER_DONE)
          why = "NORMAL from RECOVER-DONE needs the partner NORMAL or RECOVER-DONE";
        else if (from == POTENTIAL_CONFLICT && primary)
          why = "the primary leaves POTENTIAL-CONFLICT for CONFLICT-DONE, not NORMAL";
        else if (from == POTENTIAL_CONFLICT && !s.updone_in_pc)
          why = "the secondary leaves POTENTIAL-CONFLICT only after receiving UPDDONE";
        else if (from == CONFLICT_DONE && (!primary || partner != NORMAL))
          why = "NORMAL from CONFLICT-DONE is for the primary once the secondary is NORMAL";
      } else if (to == CONFLICT_DONE && !s.updone_in_pc) {
        why = "CONFLICT-DONE only after receiving UPDDONE in POTENTIAL-CONFLICT";
      }
    } else if (!across_outage(from, to)) {
      why = "not reachable across a communications failure in RFC 8156 §8";
    }
  }
  if (!why.empty()) {
    Violation v;
    v.time_ns = e.time_ns;
    v.detail = std::string(primary ? "primary " : "secondary ") + e.src.to_string() +
               " reported " + state_name(to) + " at " + iso_time(e.time_ns) +
               (from ? " after " + state_name(from) + " (reported " + iso_time(s.time_ns) + ")" : "") +
               (partner ? ", partner " + state_name(partner) : "") + ": " + why;
    v.servers = {e.src.to_string()};
    v.frames = {e.ref};
    if (s.ref.frame) v.frames.push_back(s.ref);
    report(std::move(v));
  }
  if (from != to) s.updone_in_pc = false;
  s.state = to;
  s.conn = e.conn;
  s.restarted = false;
  s.ref = e.ref;
  s.time_ns = e.time_ns;
}

}  // namespace failover6::check
