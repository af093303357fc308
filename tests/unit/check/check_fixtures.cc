#include "check_fixtures.h"

#include <cmath>

namespace failover6::check::test {

std::int64_t at(double seconds) {
  return 1'800'000'000LL * NS + std::llround(seconds * 1e9);
}

wire::Duid client(int n) {
  std::uint8_t mac[6] = {0x02, 0, 0, 0, static_cast<std::uint8_t>(n >> 8),
                         static_cast<std::uint8_t>(n)};
  return wire::Duid::ll(1, wire::ByteView(mac, 6));
}

ClientKey key(int n, IaType ia, std::uint32_t iaid) { return {client(n), ia, iaid}; }

Resource addr(const char* a) { return {wire::Address::from_string(a), 128}; }

Resource prefix(const char* p, std::uint8_t len) {
  return Resource::of(wire::Address::from_string(p), len);
}

ServerReply reply(double t, ServerIx server, const ClientKey& c, std::vector<Lease> leases,
                  std::optional<wire::MessageType> request, std::vector<HeldLease> held) {
  ServerReply r;
  r.time_ns = at(t);
  r.ref = {0, static_cast<std::uint64_t>(t * 10) + 1};
  r.server = server;
  r.client = c.duid;
  r.xid = 7;
  r.type = wire::MessageType::Reply;
  r.request = request;
  r.request_time_ns = at(t) - 1'000'000;
  r.request_ref = {0, r.ref.frame > 1 ? r.ref.frame - 1 : 1};
  IaResult ia;
  ia.client = c;
  ia.leases = std::move(leases);
  ia.held = std::move(held);
  r.ias.push_back(std::move(ia));
  return r;
}

std::uint32_t Wire::fo_time(double t) { return wire::to_failover_time(at(t) / NS); }

wire::FailoverMessage Wire::make(wire::MessageType type, std::uint32_t xid, double t,
                                 wire::Options opts) {
  wire::FailoverMessage m;
  m.type = type;
  m.transaction_id = xid;
  m.sent_time = fo_time(t);
  m.options = std::move(opts);
  return m;
}

wire::FailoverMessage Wire::connect(std::uint32_t xid, double t, std::uint32_t mclt,
                                    std::uint32_t max_unacked) {
  return make(wire::MessageType::Connect, xid, t,
              {wire::FProtocolVersion{1, 0}, wire::FMclt{mclt}, wire::FKeepaliveTime{60},
               wire::FMaxUnackedBndupd{max_unacked}, wire::FConnectFlags{0}});
}

wire::FailoverMessage Wire::state(double t, std::uint8_t st, std::uint8_t flags) {
  wire::Options o{wire::FServerState{st}, wire::FServerFlags{flags},
                  wire::FStartTimeOfState{fo_time(t)}};
  if (st == 4) o.emplace_back(wire::FPartnerDownTime{fo_time(t)});
  return make(wire::MessageType::State, 0x100 + st, t, std::move(o));
}

wire::FailoverMessage Wire::bndupd(std::uint32_t xid, double t, int n, const char* a,
                                   std::uint32_t pl) {
  const std::uint32_t now = fo_time(t);
  wire::Options lo{wire::FBindingStatus{1}, wire::FStartTimeOfState{now},
                   wire::FStateExpirationTime{now + 3600}, wire::FPartnerLifetime{pl}};
  return make(wire::MessageType::BndUpd, xid, t,
              {wire::ClientData{{wire::ClientId{client(n)}, wire::LqBaseTime{now},
                                 wire::IaNa{1, 1800, 2880,
                                            {wire::IaAddress{wire::Address::from_string(a), 1800,
                                                             3600, lo}}}}}});
}

wire::FailoverMessage Wire::bndreply(std::uint32_t xid, double t, int n, const char* a,
                                     std::uint32_t pl) {
  wire::Options lo{wire::FBindingStatus{1}, wire::FPartnerLifetimeSent{pl}};
  return make(wire::MessageType::BndReply, xid, t,
              {wire::ClientData{{wire::ClientId{client(n)},
                                 wire::IaNa{1, 1800, 2880,
                                            {wire::IaAddress{wire::Address::from_string(a), 1800,
                                                             3600, lo}}}}}});
}

FailoverEvent Wire::event(double t, bool from_primary, FailoverEvent::Kind k) {
  FailoverEvent e;
  e.kind = k;
  e.time_ns = at(t);
  e.ref = {0, static_cast<std::uint64_t>(t * 10) + 1};
  e.conn = conn;
  e.src = from_primary ? primary : secondary;
  e.dst = from_primary ? secondary : primary;
  e.sport = from_primary ? 40000 : 647;
  e.dport = from_primary ? 647 : 40000;
  e.from_connector = from_primary;
  e.from_syn = true;
  if (k == FailoverEvent::Kind::Malformed) e.error = "frame does not decode";
  return e;
}

FailoverEvent Wire::msg(double t, bool from_primary, wire::FailoverMessage m) {
  keep_.push_back(std::move(m));
  FailoverEvent e = event(t, from_primary, FailoverEvent::Kind::Message);
  e.msg = &keep_.back();
  return e;
}

void Wire::handshake(Checker& c, double t, std::uint32_t mclt, std::uint32_t max_unacked) {
  c.on_failover(event(t, true, FailoverEvent::Kind::Begin));
  c.on_failover(event(t, false, FailoverEvent::Kind::Begin));
  c.on_failover(msg(t, true, connect(1, t, mclt, max_unacked)));
  auto r = connect(1, t, mclt, max_unacked);
  r.type = wire::MessageType::ConnectReply;
  c.on_failover(msg(t, false, r));
  c.on_failover(msg(t, true, state(t, 2)));
  c.on_failover(msg(t, false, state(t, 2)));
}

}  // namespace failover6::check::test
