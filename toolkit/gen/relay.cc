#include "gen/relay.h"

namespace failover6::gen {

namespace {

wire::Message forward(const RelayHop& hop, std::uint8_t hop_count, wire::Message inner,
                      const wire::Address& peer) {
  wire::Message m;
  m.type = wire::MessageType::RelayForw;
  m.hop_count = hop_count;
  m.link_address = hop.link_address;
  m.peer_address = peer;
  m.options.reserve(3);
  if (!hop.interface_id.empty()) m.options.emplace_back(wire::InterfaceId{hop.interface_id});
  if (hop.remote_id) m.options.emplace_back(*hop.remote_id);
  m.options.emplace_back(wire::RelayMsg{std::move(inner)});
  return m;
}

/// Checks one RELAY-REPL layer against the hop that sent the matching RELAY-FORW.
std::string check(const RelayHop& hop, const wire::Message& layer, const char* which) {
  if (layer.type != wire::MessageType::RelayRepl)
    return std::string(which) + " layer is " + wire::to_string(layer.type) + ", not RELAY-REPL";
  if (layer.link_address != hop.link_address)
    return std::string(which) + " layer link-address " + layer.link_address.to_string() +
           " is not the relay's " + hop.link_address.to_string();
  if (!hop.interface_id.empty()) {
    auto* iid = layer.find<wire::InterfaceId>();
    if (!iid || iid->data != hop.interface_id)
      return std::string(which) + " layer does not echo the relay's INTERFACE_ID";
  }
  if (!layer.relayed()) return std::string(which) + " layer has no RELAY_MSG";
  return {};
}

}  // namespace

wire::Message wrap(const RelayConfig& relay, wire::Message inner,
                   const wire::Address& peer_address) {
  wire::Message m = forward(relay.first, 0, std::move(inner), peer_address);
  if (relay.second) m = forward(*relay.second, 1, std::move(m), relay.first.address);
  return m;
}

Unwrapped unwrap(const RelayConfig& relay, const wire::Message& reply) {
  Unwrapped u;
  const wire::Message* layer = &reply;
  if (relay.second) {
    if (auto e = check(*relay.second, *layer, "outer"); !e.empty()) return u.error = e, u;
    if (layer->peer_address != relay.first.address)
      return u.error = "outer layer peer-address " + layer->peer_address.to_string() +
                       " is not the inner relay's " + relay.first.address.to_string(),
             u;
    layer = layer->relayed();
  }
  if (auto e = check(relay.first, *layer, relay.second ? "inner" : "relay"); !e.empty())
    return u.error = e, u;
  u.peer_address = layer->peer_address;
  const wire::Message* msg = layer->relayed();
  if (msg->is_relay()) return u.error = "more relay layers than the relay path has", u;
  u.message = msg;
  return u;
}

std::optional<wire::Address> innermost_peer(const wire::Message& reply) {
  if (!reply.is_relay()) return std::nullopt;
  const wire::Message* layer = &reply;
  while (const wire::Message* r = layer->relayed()) {
    if (!r->is_relay()) break;
    layer = r;
  }
  return layer->peer_address;
}

}  // namespace failover6::gen
