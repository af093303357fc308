#include "wire/failover_message.h"

#include "wire/option_codec.h"

namespace failover6::wire {

namespace {

bool decode_body(ByteView data, bool with_sent_time, FailoverMessage& m,
                 detail::DecodeContext& ctx) {
  Reader r(data);
  std::uint8_t type = 0;
  r.u8(type);
  m.type = static_cast<MessageType>(type);
  m.has_sent_time = with_sent_time;
  std::size_t header = with_sent_time ? 8 : 4;
  if (data.size() < header)
    return ctx.fail(0, to_string(m.type) + ": " + std::to_string(data.size()) +
                           " octets, shorter than the " + std::to_string(header) +
                           "-octet header");
  r.u24(m.transaction_id);
  if (with_sent_time) r.u32(m.sent_time);
  return detail::decode_options(r, m.options, ctx);
}

}  // namespace

Expected<FailoverMessage> decode_failover(ByteView data) {
  detail::DecodeContext ctx;
  FailoverMessage m;
  if (data.empty()) return DecodeError{0, "empty failover message"};
  auto type = static_cast<MessageType>(data[0]);
  bool tls = type == MessageType::StartTls || type == MessageType::Reply;
  if (!is_failover(type) && !tls)
    return DecodeError{0, "message type " + std::to_string(data[0]) + " (" + to_string(type) +
                              ") is not used on the failover connection"};
  if (decode_body(data, true, m, ctx)) return m;
  if (tls) {
    // Ambiguity A7: RFC 7653's STARTTLS/REPLY may come without sent-time.
    detail::DecodeContext plain_ctx;
    FailoverMessage plain;
    if (decode_body(data, false, plain, plain_ctx)) return plain;
  }
  return ctx.error;
}

void encode_failover(const FailoverMessage& m, Bytes& out) {
  Writer w(out);
  w.u8(static_cast<std::uint8_t>(m.type));
  w.u24(m.transaction_id);
  if (m.has_sent_time) w.u32(m.sent_time);
  detail::encode_options(m.options, w);
}

Bytes encode_failover(const FailoverMessage& m) {
  Bytes out;
  encode_failover(m, out);
  return out;
}

Bytes encode_failover_framed(const FailoverMessage& m) {
  Bytes out;
  Writer w(out);
  auto at = w.begin_length();
  encode_failover(m, out);
  w.end_length(at, "failover message");
  return out;
}

void FrameSplitter::feed(ByteView data) {
  // Compact before growing so a long-lived connection does not accumulate consumed octets.
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ * 2 > buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), data.begin(), data.end());
}

std::optional<Bytes> FrameSplitter::next() {
  if (pending() < 2) return std::nullopt;
  std::size_t n = (std::size_t{buf_[pos_]} << 8) | buf_[pos_ + 1];
  if (pending() < 2 + n) return std::nullopt;
  auto first = buf_.begin() + static_cast<std::ptrdiff_t>(pos_ + 2);
  Bytes frame(first, first + static_cast<std::ptrdiff_t>(n));
  pos_ += 2 + n;
  return frame;
}

}  // namespace failover6::wire
