// A scripted DHCPv6 server for the generator's tests: pure functions that answer a client's
// message the way a server would, with the addresses and timers the test chooses.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <tuple>
#include <vector>

#include "gen/client.h"
#include "gen/fleet.h"
#include "gen/relay.h"
#include "wire/options.h"

namespace failover6::gen::test {

/// A server's identity and the lease it hands out.
struct ScriptedServer {
  wire::Duid duid = wire::Duid::en(2495, std::array<std::uint8_t, 2>{0x53, 0x31});
  wire::Address address = wire::Address::from_string("2001:db8:1::1000");
  wire::Address prefix = wire::Address::from_string("2001:db8:8000::");
  std::uint8_t prefix_length = 56;
  std::uint32_t t1 = 1000, t2 = 2000, preferred = 3000, valid = 4000;
  std::optional<std::uint8_t> preference;
  bool rapid_commit = false;

  /// @return @p type answering @p req: same xid, CLIENTID echoed, SERVERID, the IAs of the
  ///         request filled with this server's lease.
  wire::Message answer(const wire::Message& req, wire::MessageType type) const {
    wire::Message m;
    m.type = type;
    m.transaction_id = req.transaction_id;
    if (auto* c = req.find<wire::ClientId>()) m.options.emplace_back(*c);
    m.options.emplace_back(wire::ServerId{duid});
    if (preference) m.options.emplace_back(wire::Preference{*preference});
    if (rapid_commit) m.options.emplace_back(wire::RapidCommit{});
    for (const auto& o : req.options) {
      if (auto* na = o.as<wire::IaNa>())
        m.options.emplace_back(wire::IaNa{na->iaid, t1, t2,
                                          {wire::IaAddress{address, preferred, valid, {}}}});
      if (auto* pd = o.as<wire::IaPd>())
        m.options.emplace_back(wire::IaPd{
            pd->iaid, t1, t2, {wire::IaPrefix{preferred, valid, prefix_length, prefix, {}}}});
    }
    return m;
  }
  /// @return an ADVERTISE for @p req.
  wire::Message advertise(const wire::Message& req) const {
    return answer(req, wire::MessageType::Advertise);
  }
  /// @return a REPLY for @p req.
  wire::Message reply(const wire::Message& req) const {
    return answer(req, wire::MessageType::Reply);
  }
};

/// @return a RELAY-REPL answering the RELAY-FORW @p fwd with @p inner, layer for layer,
///         echoing each layer's INTERFACE_ID.
inline wire::Message relay_reply(const wire::Message& fwd, wire::Message inner) {
  wire::Message m;
  m.type = wire::MessageType::RelayRepl;
  m.hop_count = fwd.hop_count;
  m.link_address = fwd.link_address;
  m.peer_address = fwd.peer_address;
  if (auto* iid = fwd.find<wire::InterfaceId>()) m.options.emplace_back(*iid);
  const wire::Message* next = fwd.relayed();
  if (next && next->is_relay()) inner = relay_reply(*next, std::move(inner));
  m.options.emplace_back(wire::RelayMsg{std::move(inner)});
  return m;
}

/// Answers on their way back to the fleet: (delivery time, server index, datagram).
using Inflight = std::deque<std::tuple<Time, std::uint8_t, wire::Bytes>>;

/// Drives @p fleet on the virtual clock @p now until @p end: the fleet's timers and the
/// answers in @p inflight, in time order; after every step @p pump() handles what the fleet
/// put in its outgoing list (and may queue answers in @p inflight). Leaves @p now at @p end.
template <class Pump>
void run_fleet_until(Fleet& fleet, Time& now, Inflight& inflight, std::vector<Datagram>& out,
                     Time end, Pump&& pump) {
  while (true) {
    Time next = fleet.next_deadline();
    if (!inflight.empty()) next = std::min(next, std::get<0>(inflight.front()));
    if (next > end) break;
    now = next;
    fleet.on_timer(now, out);
    pump();
    while (!inflight.empty() && std::get<0>(inflight.front()) <= now) {
      auto [t, s, bytes] = std::move(inflight.front());
      inflight.pop_front();
      fleet.on_datagram(s, bytes, now, out);
      pump();
    }
  }
  now = end;
}

}  // namespace failover6::gen::test
