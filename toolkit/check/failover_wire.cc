#include "check/failover_wire.h"

#include "check/failover_leases.h"

namespace failover6::check {

using wire::MessageType;

namespace {

std::string hex_xid(std::uint32_t x) {
  char b[16];
  std::snprintf(b, sizeof(b), "0x%06x", x);
  return b;
}

/// Invariants 1 and 24 over every option, nested ones included.
void lint_options(const wire::Options& opts, std::vector<std::string>& bad) {
  for (const auto& o : opts) {
    if (auto* f = o.as<wire::FServerFlags>(); f && (f->value & 0xF8))
      bad.push_back("SERVER_FLAGS has MBZ bits set (0x" + wire::to_hex(wire::ByteView(&f->value, 1)) + ")");
    if (auto* f = o.as<wire::FConnectFlags>(); f && (f->value & 0xFFFE))
      bad.push_back("CONNECT_FLAGS has MBZ bits set (" + std::to_string(f->value) + ")");
    if (auto* f = o.as<wire::FDnsFlags>(); f && (f->value & 0xFFF0))
      bad.push_back("DNS_FLAGS has MBZ bits set (" + std::to_string(f->value) + ")");
    if (auto* b = o.as<wire::FBindingStatus>(); b && (b->value < 1 || b->value > 8))
      bad.push_back("BINDING_STATUS " + std::to_string(b->value) + " is not in 1..8");
    if (auto* s = o.as<wire::FServerState>(); s && (s->value < 2 || s->value > 10))
      bad.push_back("SERVER_STATE " + std::to_string(s->value) + " is not in 2..10");
    if (o.as<wire::Auth>()) bad.push_back("OPTION_AUTH (11) must not be used on failover");
    if (auto* cd = o.as<wire::ClientData>()) lint_options(cd->options, bad);
    else if (auto* na = o.as<wire::IaNa>()) lint_options(na->options, bad);
    else if (auto* ta = o.as<wire::IaTa>()) lint_options(ta->options, bad);
    else if (auto* pd = o.as<wire::IaPd>()) lint_options(pd->options, bad);
    else if (auto* a = o.as<wire::IaAddress>()) lint_options(a->options, bad);
    else if (auto* p = o.as<wire::IaPrefix>()) lint_options(p->options, bad);
    else if (auto* d = o.as<wire::FDnsRemovalInfo>()) lint_options(d->options, bad);
  }
}

/// Invariant 10.
void lint_bndupd(const wire::FailoverMessage& m, const FailoverLeases& fl,
                 std::vector<std::string>& bad) {
  if (fl.client_data + fl.top_prefixes != 1) {
    bad.push_back("BNDUPD must carry exactly one CLIENT_DATA or one IAPREFIX (has " +
                  std::to_string(fl.client_data) + " and " + std::to_string(fl.top_prefixes) + ")");
    return;
  }
  if (fl.client_form) {
    if (!fl.client) bad.push_back("BNDUPD CLIENT_DATA has no CLIENTID");
    if (!wire::find_option<wire::LqBaseTime>(*fl.container))
      bad.push_back("BNDUPD CLIENT_DATA has no LQ_BASE_TIME");
  } else if (!wire::find_option<wire::LqBaseTime>(*fl.leases.front().options)) {
    bad.push_back("BNDUPD IAPREFIX has no LQ_BASE_TIME");
  }
  (void)m;
  for (const auto& l : fl.leases) {
    const auto& o = *l.options;
    auto status = option_value<wire::FBindingStatus>(o);
    std::string where = " for " + l.resource.to_string();
    if (!status) bad.push_back("BNDUPD lease has no BINDING_STATUS" + where);
    if (!wire::find_option<wire::FStartTimeOfState>(o))
      bad.push_back("BNDUPD lease has no START_TIME_OF_STATE" + where);
    if (status && *status == 1) {
      if (!wire::find_option<wire::FStateExpirationTime>(o))
        bad.push_back("ACTIVE lease has no STATE_EXPIRATION_TIME" + where);
      if (!wire::find_option<wire::FPartnerLifetime>(o))
        bad.push_back("ACTIVE lease has no PARTNER_LIFETIME" + where);
    }
  }
}

}  // namespace

FailoverWire::FailoverWire(ViolationSink sink, Limits limits)
    : Checker("failover-wire", std::move(sink)), limits_(limits) {
  applicable_ = false;
  note_ = "no failover connection in the capture";
}

void FailoverWire::flag(const FailoverEvent& e, std::vector<std::string>& bad,
                        const std::string& what) {
  if (bad.empty()) return;
  Violation v;
  v.time_ns = e.time_ns;
  std::string all;
  for (const auto& b : bad) all += (all.empty() ? "" : "; ") + b;
  v.detail = what + " from [" + e.src.to_string() + "]:" + std::to_string(e.sport) + " to [" +
             e.dst.to_string() + "]:" + std::to_string(e.dport) + " at " + iso_time(e.time_ns) +
             ": " + all;
  v.servers = {e.src.to_string(), e.dst.to_string()};
  v.frames = {e.ref};
  report(std::move(v));
}

void FailoverWire::on_failover(const FailoverEvent& e) {
  applicable_ = true;
  note_.clear();
  Conn& c = conns_[e.conn];
  Side& me = c.side[e.from_connector ? 0 : 1];
  Side& peer = c.side[e.from_connector ? 1 : 0];
  std::vector<std::string> bad;
  switch (e.kind) {
    case FailoverEvent::Kind::Begin:
      me.began = true;
      me.from_syn = e.from_syn;
      return;
    case FailoverEvent::Kind::Lost:
    case FailoverEvent::Kind::Resync:
      me.synced_gap = true;
      return;
    case FailoverEvent::Kind::Encrypted:  // nothing more of this direction is visible
      me.outstanding.clear();
      me.requests.clear();
      return;
    case FailoverEvent::Kind::End: {
      // One direction ended (FIN): the other may still send (a half-closed connection), and
      // the handshake it completed still stands. Found by `failover6 sim` (mixed seed 2).
      // So do its outstanding BNDUPDs and requests: the partner may still answer them.
      Side ended;
      ended.state_sent = me.state_sent;
      ended.keepalive = me.keepalive;
      ended.max_unacked = me.max_unacked;
      ended.outstanding = std::move(me.outstanding);
      ended.requests = std::move(me.requests);
      me = std::move(ended);
      if (!c.side[0].began && !c.side[1].began) conns_.erase(e.conn);
      return;
    }
    case FailoverEvent::Kind::Malformed:
      ++checked_;
      bad.push_back(e.error);
      flag(e, bad, "malformed failover frame");
      me.any = true;
      me.last_ns = e.time_ns;
      return;
    case FailoverEvent::Kind::Message:
      ++checked_;
      message(e, c, me, peer, bad);
      flag(e, bad, wire::to_string(e.msg->type) + " xid " + hex_xid(e.msg->transaction_id));
      return;
  }
}

void FailoverWire::message(const FailoverEvent& e, Conn& c, Side& me, Side& peer,
                           std::vector<std::string>& bad) {
  const wire::FailoverMessage& m = *e.msg;
  const MessageType t = m.type;
  const std::uint32_t xid = m.transaction_id;
  lint_options(m.options, bad);

  // 2: who sends what, and the first message.
  if (!me.any && me.from_syn && e.from_connector && t != MessageType::Connect &&
      t != MessageType::StartTls)
    bad.push_back("the first message of a connection must be CONNECT or STARTTLS");
  if (t == MessageType::Connect && !e.from_connector)
    bad.push_back("CONNECT sent by the listening side (only the primary connects)");
  if (t == MessageType::ConnectReply && e.from_connector)
    bad.push_back("CONNECTREPLY sent by the connecting side (the primary)");
  if (t == MessageType::PoolReq && e.from_connector)
    bad.push_back("POOLREQ sent by the primary");
  if (t == MessageType::PoolResp && !e.from_connector)
    bad.push_back("POOLRESP sent by the secondary");

  // 5: clock skew.
  if (limits_.skew_ns > 0 && m.has_sent_time) {
    const std::int64_t sent = failover_time_ns(m.sent_time, e.time_ns);
    const std::int64_t skew = sent > e.time_ns ? sent - e.time_ns : e.time_ns - sent;
    if (skew > limits_.skew_ns + NS)  // sent-time has a one-second resolution
      bad.push_back("sent-time is " + seconds(skew) + " s off the capture time");
  }

  // 6: keepalive (the partner's keepalive / 4 is this side's longest silence).
  if (me.any && !me.synced_gap && peer.keepalive > 0) {
    const std::int64_t limit = std::int64_t{peer.keepalive} * NS / 4 + limits_.send_slack_ns;
    if (e.time_ns - me.last_ns > limit)
      bad.push_back("silent for " + seconds(e.time_ns - me.last_ns) + " s, more than the " +
                    "partner's keepalive " + std::to_string(peer.keepalive) + " s / 4 allows");
  }
  me.any = true;
  me.synced_gap = false;
  me.last_ns = e.time_ns;

  auto response_to = [&](const char* req) {
    auto it = peer.requests.find(xid);
    if (it == peer.requests.end())
      bad.push_back(std::string("xid matches no outstanding ") + req + " from the partner");
    else
      peer.requests.erase(it);
  };

  switch (t) {
    case MessageType::Connect: {
      c.handshake = true;
      c.side[0].state_sent = c.side[1].state_sent = false;
      for (auto [ok, name] : {std::pair{wire::find_option<wire::FProtocolVersion>(m.options) != nullptr, "PROTOCOL_VERSION"},
                              std::pair{wire::find_option<wire::FMclt>(m.options) != nullptr, "MCLT"},
                              std::pair{wire::find_option<wire::FKeepaliveTime>(m.options) != nullptr, "KEEPALIVE_TIME"},
                              std::pair{wire::find_option<wire::FMaxUnackedBndupd>(m.options) != nullptr, "MAX_UNACKED_BNDUPD"},
                              std::pair{wire::find_option<wire::FConnectFlags>(m.options) != nullptr, "CONNECT_FLAGS"}})
        if (!ok) bad.push_back(std::string("CONNECT lacks ") + name);
      c.mclt = option_value<wire::FMclt>(m.options).value_or(0);
      me.keepalive = option_value<wire::FKeepaliveTime>(m.options).value_or(0);
      me.max_unacked = option_value<wire::FMaxUnackedBndupd>(m.options).value_or(0);
      me.requests[xid] = e.time_ns;
      break;
    }
    case MessageType::ConnectReply: {
      response_to("CONNECT");
      const bool accept = !wire::find_option<wire::StatusCodeOption>(m.options) ||
                          wire::find_option<wire::StatusCodeOption>(m.options)->status == 0;
      if (accept) {
        auto mclt = option_value<wire::FMclt>(m.options);
        if (!mclt) bad.push_back("accepting CONNECTREPLY lacks MCLT");
        else if (c.mclt && *mclt != c.mclt)
          bad.push_back("CONNECTREPLY MCLT " + std::to_string(*mclt) + " differs from CONNECT's " +
                        std::to_string(c.mclt));
      }
      me.keepalive = option_value<wire::FKeepaliveTime>(m.options).value_or(me.keepalive);
      me.max_unacked = option_value<wire::FMaxUnackedBndupd>(m.options).value_or(me.max_unacked);
      break;
    }
    case MessageType::State: {
      me.state_sent = true;
      auto st = option_value<wire::FServerState>(m.options);
      if (!st) bad.push_back("STATE lacks SERVER_STATE");
      if (!wire::find_option<wire::FServerFlags>(m.options)) bad.push_back("STATE lacks SERVER_FLAGS");
      if (!wire::find_option<wire::FStartTimeOfState>(m.options))
        bad.push_back("STATE lacks START_TIME_OF_STATE");
      const bool pdt = wire::find_option<wire::FPartnerDownTime>(m.options) != nullptr;
      if (st && *st == 4 && !pdt) bad.push_back("PARTNER-DOWN STATE lacks PARTNER_DOWN_TIME");
      if (st && *st != 4 && pdt) bad.push_back("STATE carries PARTNER_DOWN_TIME outside PARTNER-DOWN");
      break;
    }
    case MessageType::BndUpd: {
      if (c.handshake && !(c.side[0].state_sent && c.side[1].state_sent))
        bad.push_back("BNDUPD before STATE went both ways after CONNECT");
      FailoverLeases fl = failover_leases(m);
      lint_bndupd(m, fl, bad);
      if (me.outstanding.count(xid))
        bad.push_back("xid reused while the BNDUPD with that xid is still un-acked");
      Update u{fl.client_form, e.time_ns, e.ref, {}};
      for (const auto& l : fl.leases)
        if (auto pl = option_value<wire::FPartnerLifetime>(*l.options))
          u.partner_lifetime[l.resource] = *pl;
      me.outstanding[xid] = std::move(u);
      if (peer.max_unacked > 0 && me.outstanding.size() > peer.max_unacked)
        bad.push_back(std::to_string(me.outstanding.size()) + " BNDUPDs un-acked, more than the " +
                      "partner's MAX_UNACKED_BNDUPD " + std::to_string(peer.max_unacked));
      for (auto& [rx, sent] : me.updreqs) sent.push_back(xid);
      break;
    }
    case MessageType::BndReply: {
      auto it = peer.outstanding.find(xid);
      if (it == peer.outstanding.end()) {
        bad.push_back("BNDREPLY xid matches no un-acked BNDUPD from the partner");
        break;
      }
      FailoverLeases fl = failover_leases(m);
      if (fl.client_form != it->second.client_form)
        bad.push_back(std::string("BNDREPLY is in the ") + (fl.client_form ? "client" : "prefix") +
                      " form but its BNDUPD was not");
      for (const auto& l : fl.leases) {
        if (l.status != 0) continue;
        auto sent = it->second.partner_lifetime.find(l.resource);
        if (sent == it->second.partner_lifetime.end()) continue;
        auto echo = option_value<wire::FPartnerLifetimeSent>(*l.options);
        if (!echo) bad.push_back("accepted lease " + l.resource.to_string() + " lacks PARTNER_LIFETIME_SENT");
        else if (*echo != sent->second)
          bad.push_back("PARTNER_LIFETIME_SENT for " + l.resource.to_string() + " is " +
                        std::to_string(*echo) + ", the BNDUPD's PARTNER_LIFETIME was " +
                        std::to_string(sent->second));
      }
      peer.outstanding.erase(it);
      break;
    }
    case MessageType::PoolReq:
      me.requests[xid] = e.time_ns;
      break;
    case MessageType::PoolResp:
      response_to("POOLREQ");
      break;
    case MessageType::UpdReq:
    case MessageType::UpdReqAll:
      me.requests[xid] = e.time_ns;
      peer.updreqs[xid];
      break;
    case MessageType::UpdDone: {
      response_to("UPDREQ/UPDREQALL");
      auto it = me.updreqs.find(xid);
      if (it != me.updreqs.end()) {
        std::size_t open = 0;
        for (std::uint32_t x : it->second) open += me.outstanding.count(x);
        if (open)
          bad.push_back("UPDDONE sent while " + std::to_string(open) +
                        " BNDUPD(s) of that UPDREQ are not yet acked");
        me.updreqs.erase(it);
      }
      break;
    }
    default:
      break;
  }
}

void FailoverWire::finish(std::int64_t) { conns_.clear(); }

}  // namespace failover6::check
