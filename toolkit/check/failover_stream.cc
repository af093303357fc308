#include "check/failover_stream.h"

#include <algorithm>

namespace failover6::check {

namespace {

/// Longest prefix of a stream scanned for a frame start before it is given up as lost.
constexpr std::size_t MAX_RESYNC_BYTES = 256 * 1024;

bool plausible_type(std::uint8_t t) { return (t >= 23 && t <= 35) || t == 7; }

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

}  // namespace

FailoverStreams::FailoverStreams(std::vector<std::uint16_t> ports, Handler handler)
    : ports_(std::move(ports)), handler_(std::move(handler)), tcp_(*this) {}

bool FailoverStreams::is_port(std::uint16_t p) const {
  return std::find(ports_.begin(), ports_.end(), p) != ports_.end();
}

void FailoverStreams::feed(const trace::Packet& p, FrameRef ref) {
  ref_ = ref;
  tcp_.feed(p);
}

void FailoverStreams::finish(std::int64_t now_ns) { tcp_.finish(now_ns); }

FailoverStreams::Stream& FailoverStreams::stream(const trace::TcpFlowKey& flow) {
  auto it = streams_.find(flow);
  if (it != streams_.end()) return it->second;
  // The connection is named by its direction towards the failover port.
  const bool to_port = is_port(flow.dport) || !is_port(flow.sport);
  const trace::TcpFlowKey key = to_port ? flow : flow.reversed();
  auto [c, fresh] = conns_.try_emplace(key, next_conn_);
  if (fresh) ++next_conn_;
  Stream& s = streams_[flow];
  s.conn = c->second;
  return s;
}

FailoverEvent FailoverStreams::base(const trace::TcpFlowKey& flow, const Stream& s,
                                    FailoverEvent::Kind k, std::int64_t time_ns) const {
  FailoverEvent e;
  e.kind = k;
  e.time_ns = time_ns;
  e.ref = ref_;
  e.conn = s.conn;
  e.src = flow.src;
  e.dst = flow.dst;
  e.sport = flow.sport;
  e.dport = flow.dport;
  e.from_connector = is_port(flow.dport) && !is_port(flow.sport);
  return e;
}

void FailoverStreams::on_begin(const trace::TcpFlowKey& flow, bool from_syn, std::int64_t time_ns) {
  Stream& s = stream(flow);
  s.synced = from_syn;
  auto e = base(flow, s, FailoverEvent::Kind::Begin, time_ns);
  e.from_syn = from_syn;
  handler_(e);
}

void FailoverStreams::on_data(const trace::TcpFlowKey& flow, std::uint64_t,
                              std::span<const std::uint8_t> bytes, std::int64_t time_ns) {
  Stream& s = stream(flow);
  if (s.tls) return;
  s.buf.insert(s.buf.end(), bytes.begin(), bytes.end());
  drain(flow, s, time_ns);
}

void FailoverStreams::on_gap(const trace::TcpFlowKey& flow, std::uint64_t, std::uint64_t length,
                             std::int64_t time_ns) {
  Stream& s = stream(flow);
  if (s.tls) return;  // TLS records are not read, so nothing is lost to the checker
  auto e = base(flow, s, FailoverEvent::Kind::Lost, time_ns);
  e.skipped = length + (s.buf.size() - s.pos);
  handler_(e);
  s.buf.clear();
  s.pos = 0;
  s.synced = false;
}

void FailoverStreams::on_end(const trace::TcpFlowKey& flow, EndReason, std::int64_t time_ns) {
  auto it = streams_.find(flow);
  if (it == streams_.end()) return;
  Stream& s = it->second;
  if (s.synced && !s.tls && s.buf.size() > s.pos) {
    auto e = base(flow, s, FailoverEvent::Kind::Malformed, time_ns);
    e.error = "connection ended inside a frame (" + std::to_string(s.buf.size() - s.pos) +
              " octets of an incomplete message)";
    handler_(e);
  }
  handler_(base(flow, s, FailoverEvent::Kind::End, time_ns));
  streams_.erase(it);
  if (!streams_.count(flow.reversed())) {
    const trace::TcpFlowKey key = (is_port(flow.dport) || !is_port(flow.sport)) ? flow : flow.reversed();
    conns_.erase(key);
  }
}

bool FailoverStreams::resync(const trace::TcpFlowKey& flow, Stream& s, std::int64_t time_ns) {
  const std::uint8_t* d = s.buf.data();
  const std::size_t n = s.buf.size();
  for (std::size_t i = s.pos; i + 3 <= n; ++i) {
    const std::size_t len = be16(d + i);
    if (len < 4 || !plausible_type(d[i + 2])) continue;
    if (i + 2 + len > n) {
      // Not all there yet: wait for more octets unless the buffer is already big.
      if (n - s.pos < MAX_RESYNC_BYTES) return false;
      continue;
    }
    if (!wire::decode_failover(wire::ByteView(d + i + 2, len))) continue;
    const std::size_t next = i + 2 + len;
    if (next + 3 <= n && (be16(d + next) < 4 || !plausible_type(d[next + 2]))) continue;
    auto e = base(flow, s, FailoverEvent::Kind::Resync, time_ns);
    e.skipped = i - s.pos;
    handler_(e);
    s.pos = i;
    s.synced = true;
    return true;
  }
  if (n - s.pos > MAX_RESYNC_BYTES) {  // keep the tail only
    s.pos = n - 3;
  }
  return false;
}

bool FailoverStreams::starts_tls(const trace::TcpFlowKey& flow,
                                 const wire::FailoverMessage& m) const {
  // RFC 8156 §10 / RFC 7653: the primary sends STARTTLS and then the TLS handshake; the
  // secondary answers REPLY, and without a status code (go ahead) the handshake follows.
  // A REPLY with TLSConnectionRefused leaves the connection in clear (it closes next).
  if (m.type == wire::MessageType::StartTls) return true;
  if (m.type != wire::MessageType::Reply) return false;
  auto peer = streams_.find(flow.reversed());
  if (peer == streams_.end() || !peer->second.tls) return false;
  const auto* st = m.find<wire::StatusCodeOption>();
  return st == nullptr || st->status == 0;
}

void FailoverStreams::drain(const trace::TcpFlowKey& flow, Stream& s, std::int64_t time_ns) {
  for (;;) {
    if (!s.synced && !resync(flow, s, time_ns)) break;
    if (s.buf.size() - s.pos < 2) break;
    const std::size_t len = be16(s.buf.data() + s.pos);
    if (s.buf.size() - s.pos - 2 < len) break;
    auto m = wire::decode_failover(wire::ByteView(s.buf.data() + s.pos + 2, len));
    s.pos += 2 + len;
    if (m) {
      auto e = base(flow, s, FailoverEvent::Kind::Message, time_ns);
      e.msg = &*m;
      handler_(e);
      if (starts_tls(flow, *m)) {
        s.tls = true;
        s.buf.clear();
        s.pos = 0;
        handler_(base(flow, s, FailoverEvent::Kind::Encrypted, time_ns));
        return;
      }
    } else {
      auto e = base(flow, s, FailoverEvent::Kind::Malformed, time_ns);
      e.error = "frame of " + std::to_string(len) + " octets does not decode: " +
                m.error().to_string();
      handler_(e);
    }
  }
  if (s.pos > 65536 && s.pos * 2 > s.buf.size()) {
    s.buf.erase(s.buf.begin(), s.buf.begin() + static_cast<std::ptrdiff_t>(s.pos));
    s.pos = 0;
  } else if (s.pos == s.buf.size()) {
    s.buf.clear();
    s.pos = 0;
  }
}

}  // namespace failover6::check
