#include "gen/fleet.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace failover6::gen {

namespace {

wire::Address offset(wire::Address base, std::uint32_t n) {
  // Adds n to the low 32 bits of the address (with carry into the next octets).
  std::uint64_t carry = n;
  for (int i = 15; i >= 0 && carry != 0; --i) {
    carry += base.bytes[i];
    base.bytes[i] = static_cast<std::uint8_t>(carry & 0xFF);
    carry >>= 8;
  }
  return base;
}

wire::Bytes text_bytes(const std::string& s) { return wire::Bytes(s.begin(), s.end()); }

wire::Duid make_duid(std::uint16_t type, std::uint32_t index, Rng& rng) {
  std::array<std::uint8_t, 6> mac{0x02, 0x6e, static_cast<std::uint8_t>(index >> 24),
                                   static_cast<std::uint8_t>(index >> 16),
                                   static_cast<std::uint8_t>(index >> 8),
                                   static_cast<std::uint8_t>(index)};
  switch (type) {
    case 1: return wire::Duid::llt(1, 0x2a000000U + (index & 0xFFFF), mac);
    case 2: {
      std::array<std::uint8_t, 8> id{};
      std::uint64_t v = rng.next();
      for (int k = 0; k < 4; ++k) id[k] = static_cast<std::uint8_t>(v >> (8 * k));
      for (int k = 0; k < 4; ++k) id[4 + k] = static_cast<std::uint8_t>(index >> (24 - 8 * k));
      return wire::Duid::en(2495, id);
    }
    case 3: return wire::Duid::ll(1, mac);
    case 4: {
      std::array<std::uint8_t, 16> u{};
      std::uint64_t a = rng.next();
      for (int k = 0; k < 12; ++k) u[k] = static_cast<std::uint8_t>(a >> (8 * (k % 8)));
      for (int k = 0; k < 4; ++k) u[12 + k] = static_cast<std::uint8_t>(index >> (24 - 8 * k));
      u[6] = static_cast<std::uint8_t>((u[6] & 0x0F) | 0x40);  // version 4
      u[8] = static_cast<std::uint8_t>((u[8] & 0x3F) | 0x80);  // RFC 4122 variant
      return wire::Duid::uuid(u);
    }
    default:
      throw std::invalid_argument("unknown DUID type " + std::to_string(type) +
                                  " (1 LLT, 2 EN, 3 LL, 4 UUID)");
  }
}

}  // namespace

wire::Address Fleet::client_address(std::uint32_t i) {
  wire::Address a = wire::Address::from_string("fe80::1:0:0");
  std::uint32_t v = i + 1;
  for (int k = 0; k < 4; ++k) a.bytes[12 + k] = static_cast<std::uint8_t>(v >> (24 - 8 * k));
  return a;
}

Fleet::Fleet(FleetConfig config) : config_(std::move(config)), rng_(config_.seed) {
  const auto& c = config_;
  if (c.clients == 0) throw std::invalid_argument("the fleet needs at least one client");
  if (c.clients > 0xFFFFFFF0U) throw std::invalid_argument("too many clients");
  if (c.relay_depth < 0 || c.relay_depth > 2)
    throw std::invalid_argument("relay depth must be 0 (direct), 1 or 2, not " +
                                std::to_string(c.relay_depth));
  if (c.relay_depth == 0 && c.relays != 0)
    throw std::invalid_argument(
        "direct clients (relay depth 0) have no relays: relays must be 0, not " +
        std::to_string(c.relays));
  if (c.relay_depth != 0 && c.relays == 0)
    throw std::invalid_argument(
        "the fleet needs at least one relay (or relay depth 0 for direct clients)");
  if (c.servers == 0 || c.servers > 254)
    throw std::invalid_argument("the number of servers must be 1..254, not " +
                                std::to_string(c.servers));
  if (!(c.information_only_fraction >= 0 && c.information_only_fraction <= 1) ||
      !(c.decline_fraction >= 0 && c.decline_fraction <= 1))
    throw std::invalid_argument("fractions must be in [0, 1]");
  if (c.duid_types.empty()) throw std::invalid_argument("no DUID types given");
  if (!c.profile.na && !c.profile.pd && c.information_only_fraction < 1)
    throw std::invalid_argument("clients must request IA_NA, IA_PD or both");
  if (c.start_interval < 0) throw std::invalid_argument("start interval must not be negative");

  relays_.reserve(c.relays);
  for (std::uint32_t r = 0; r < c.relays; ++r) {
    RelayConfig rc;
    rc.first.link_address = offset(c.link_base, r);
    rc.first.address = rc.first.link_address;
    rc.first.interface_id = text_bytes("gen-relay-" + std::to_string(r));
    if (c.remote_id) rc.first.remote_id = wire::RemoteId{2495, text_bytes("relay-" + std::to_string(r))};
    if (c.relay_depth == 2) {
      RelayHop h;
      h.link_address = offset(c.outer_link_base, r);
      h.address = h.link_address;
      h.interface_id = text_bytes("gen-agg-" + std::to_string(r));
      rc.second = h;
    }
    relays_.push_back(std::move(rc));
  }
  clients_.reserve(c.clients);
  decliners_.assign(c.clients, 0);
  for (std::uint32_t i = 0; i < c.clients; ++i) {
    std::uint16_t type = c.duid_types[i % c.duid_types.size()];
    bool info = c.information_only_fraction > 0 && rng_.uniform() < c.information_only_fraction;
    if (!info && c.decline_fraction > 0 && rng_.uniform() < c.decline_fraction) decliners_[i] = 1;
    Time at = c.start + static_cast<Duration>(i) * c.start_interval;
    clients_.emplace_back(make_duid(type, i, rng_), static_cast<std::uint32_t>(rng_.next()) | 1U,
                          at, info);
    timers_.emplace(at, i);
  }
  for (const auto& dt : c.duid_types)
    if (dt < 1 || dt > 4) make_duid(dt, 0, rng_);  // throws with the message above
}

template <class F>
void Fleet::drive(std::uint32_t i, Time now, std::vector<Datagram>& out, F&& f) {
  Client& c = clients_[i];
  const Time before = c.deadline();
  pending_.clear();
  ClientContext ctx{config_.profile, server_ids_, rng_, *this, pending_};
  f(c, ctx);
  if (decliners_[i] && c.state() == ClientState::Bound && c.address().held()) {
    decliners_[i] = 0;
    c.decline(ctx, now);
  }
  if (direct()) {
    // On the link: the bare client message, once, to the multicast group (no UNICAST option).
    for (auto& o : pending_) {
      scratch_.clear();
      wire::encode_message(o.message, scratch_);
      out.push_back({i, ALL_SERVERS, scratch_});
      ++stats_.sent[static_cast<std::uint8_t>(o.message.type)];
    }
    if (c.deadline() != NEVER && c.deadline() != before) timers_.emplace(c.deadline(), i);
    return;
  }
  const RelayConfig& relay = relays_[i % relays_.size()];
  for (auto& o : pending_) {
    const auto type = static_cast<std::uint8_t>(o.message.type);
    wire::Message fwd = wrap(relay, std::move(o.message), client_address(i));
    scratch_.clear();
    wire::encode_message(fwd, scratch_);
    if (o.server == ALL_SERVERS) {
      for (std::uint32_t s = 0; s < config_.servers; ++s) {
        out.push_back({i % static_cast<std::uint32_t>(relays_.size()), static_cast<std::uint8_t>(s), scratch_});
        ++stats_.sent[type];
      }
    } else {
      out.push_back({i % static_cast<std::uint32_t>(relays_.size()), o.server, scratch_});
      ++stats_.sent[type];
    }
  }
  if (c.deadline() != NEVER && c.deadline() != before) timers_.emplace(c.deadline(), i);
}

void Fleet::on_timer(Time now, std::vector<Datagram>& out) {
  while (!timers_.empty() && timers_.top().first <= now) {
    auto [t, i] = timers_.top();
    timers_.pop();
    if (clients_[i].deadline() != t) continue;  // stale entry
    drive(i, now, out, [&](Client& c, ClientContext& ctx) { c.on_timer(ctx, now); });
    // The popped entry is gone: re-arm even when the deadline did not move.
    if (clients_[i].deadline() == t && t != NEVER) timers_.emplace(t, i);
  }
}

bool Fleet::on_datagram(std::uint8_t server, wire::ByteView payload, Time now,
                        std::vector<Datagram>& out, std::uint32_t* relay) {
  auto m = wire::decode_message(payload);
  if (!m) {
    ++stats_.malformed;
    return false;
  }
  if (direct()) {
    if (m->is_relay()) {  // no relay agent between these clients and the servers
      ++stats_.malformed;
      return false;
    }
    auto i = direct_client(*m);
    if (!i) return false;
    if (relay) *relay = *i;
    ++stats_.received[static_cast<std::uint8_t>(m->type)];
    bool taken = false;
    drive(*i, now, out, [&](Client& c, ClientContext& ctx) {
      taken = c.on_message(ctx, *m, server, now);
    });
    if (!taken) ++stats_.unmatched;
    return taken;
  }
  auto peer = innermost_peer(*m);
  static const wire::Address prefix = wire::Address::from_string("fe80::1:0:0");
  if (!peer || !std::equal(prefix.bytes.begin(), prefix.bytes.begin() + 12, peer->bytes.begin())) {
    ++stats_.malformed;
    return false;
  }
  std::uint32_t v = 0;
  for (int k = 0; k < 4; ++k) v = (v << 8) | peer->bytes[12 + k];
  if (v == 0 || v > clients_.size()) {
    ++stats_.unmatched;
    return false;
  }
  const std::uint32_t i = v - 1;
  if (relay) *relay = i % static_cast<std::uint32_t>(relays_.size());
  Unwrapped u = unwrap(relays_[i % relays_.size()], *m);
  if (!u.message) {
    ++stats_.malformed;
    return false;
  }
  ++stats_.received[static_cast<std::uint8_t>(u.message->type)];
  bool taken = false;
  drive(i, now, out, [&](Client& c, ClientContext& ctx) {
    taken = c.on_message(ctx, *u.message, server, now);
  });
  if (!taken) ++stats_.unmatched;
  return taken;
}

std::optional<std::uint32_t> Fleet::direct_client(const wire::Message& m) {
  auto* id = m.find<wire::ClientId>();
  if (!id || id->duid.raw.size() < 4) {
    ++stats_.unmatched;
    return std::nullopt;
  }
  // make_duid() ends every DUID with the client's index; the whole DUID must match.
  const auto& raw = id->duid.raw;
  std::uint32_t v = 0;
  for (std::size_t k = raw.size() - 4; k < raw.size(); ++k) v = (v << 8) | raw[k];
  if (v >= clients_.size() || !(clients_[v].duid() == id->duid)) {
    ++stats_.unmatched;
    return std::nullopt;
  }
  return v;
}

void Fleet::release_all(Time now, std::vector<Datagram>& out) {
  for (std::uint32_t i = 0; i < clients_.size(); ++i)
    drive(i, now, out, [&](Client& c, ClientContext& ctx) { c.release(ctx, now); });
}

Time Fleet::next_deadline() {
  while (!timers_.empty() && clients_[timers_.top().second].deadline() != timers_.top().first)
    timers_.pop();
  return timers_.empty() ? NEVER : timers_.top().first;
}

std::uint32_t Fleet::clients_bound(Time now) const {
  std::uint32_t n = 0;
  for (const auto& c : clients_) n += c.bound(now) ? 1 : 0;
  return n;
}

std::uint32_t Fleet::leases_changed() const {
  std::uint32_t n = 0;
  for (const auto& c : clients_) n += c.leases_changed() ? 1 : 0;
  return n;
}

std::uint32_t Fleet::clients_informed() const {
  std::uint32_t n = 0;
  for (const auto& c : clients_) n += c.state() == ClientState::InfoBound ? 1 : 0;
  return n;
}

void Fleet::on_send(const Client&, const wire::Message&, bool retransmission) {
  if (retransmission) ++stats_.retransmissions;
}

void Fleet::on_exchange(const Client&, wire::MessageType request, wire::MessageType,
                        Duration latency) {
  ++stats_.exchanges;
  ++stats_.exchanges_by_request[static_cast<std::uint8_t>(request)];
  std::int64_t us = latency / 1000;
  stats_.latencies_us.push_back(static_cast<std::uint32_t>(std::clamp<std::int64_t>(us, 0, UINT32_MAX)));
}

void Fleet::on_failure(const Client&, Failure f) {
  ++stats_.failures;
  ++stats_.failures_by_kind[static_cast<std::size_t>(f)];
}

void Fleet::on_state(const Client& c, ClientState from) {
  if (c.state() == ClientState::Bound &&
      (from == ClientState::Requesting || from == ClientState::Soliciting))
    ++stats_.sarr;
}

}  // namespace failover6::gen
