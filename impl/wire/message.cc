#include "wire/message.h"

#include "wire/option_codec.h"

namespace failover6::wire {

namespace detail {

bool decode_message_into(Reader r, Message& m, DecodeContext& ctx) {
  std::size_t start = r.offset();
  std::uint8_t type = 0;
  if (!r.u8(type)) return ctx.fail(start, "empty message");
  m.type = static_cast<MessageType>(type);
  if (is_relay(m.type)) {
    if (r.remaining() < 33)
      return ctx.fail(start, to_string(m.type) + ": " + std::to_string(r.remaining() + 1) +
                                 " octets, shorter than the 34-octet relay header");
    r.u8(m.hop_count);
    r.address(m.link_address);
    r.address(m.peer_address);
  } else {
    if (is_failover(m.type))
      return ctx.fail(start, to_string(m.type) +
                                 " is an RFC 8156 failover message, not DHCPv6 over UDP");
    if (!r.u24(m.transaction_id))
      return ctx.fail(start, to_string(m.type) + ": " + std::to_string(r.remaining() + 1) +
                                 " octets, shorter than the 4-octet header");
  }
  return decode_options(r.sub(r.remaining()), m.options, ctx);
}

void encode_message_into(const Message& m, Writer& w) {
  w.u8(static_cast<std::uint8_t>(m.type));
  if (m.is_relay()) {
    w.u8(m.hop_count);
    w.address(m.link_address);
    w.address(m.peer_address);
  } else {
    w.u24(m.transaction_id);
  }
  encode_options(m.options, w);
}

}  // namespace detail

const Message* Message::relayed() const {
  if (!is_relay()) return nullptr;
  const auto* r = find<RelayMsg>();
  return r ? &*r->message : nullptr;
}

const Message& Message::innermost() const {
  const Message* m = this;
  while (const Message* inner = m->relayed()) m = inner;
  return *m;
}

int Message::relay_depth() const {
  int n = 0;
  for (const Message* m = relayed(); m != nullptr; m = m->relayed()) ++n;
  return n;
}

Expected<Message> decode_message(ByteView data) {
  detail::DecodeContext ctx;
  Message m;
  if (!detail::decode_message_into(Reader(data), m, ctx)) return ctx.error;
  return m;
}

void encode_message(const Message& m, Bytes& out) {
  Writer w(out);
  detail::encode_message_into(m, w);
}

Bytes encode_message(const Message& m) {
  Bytes out;
  out.reserve(256);
  encode_message(m, out);
  return out;
}

}  // namespace failover6::wire
