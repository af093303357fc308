#include "io/partner_link.h"

#include <stdexcept>

namespace failover6::io {

namespace asio = boost::asio;
using asio::ip::tcp;

std::string_view to_string(PartnerLink::State s) {
  switch (s) {
    case PartnerLink::State::Stopped: return "Stopped";
    case PartnerLink::State::Connecting: return "Connecting";
    case PartnerLink::State::Negotiating: return "Negotiating";
    case PartnerLink::State::Up: return "Up";
    case PartnerLink::State::BackingOff: return "BackingOff";
    case PartnerLink::State::Waiting: return "Waiting";
  }
  return "?";
}

ReconnectBackoffParams reconnect_schedule(const config::Relationship& rel, ReconnectBackoffParams p) {
  if (p.rejected <= std::chrono::milliseconds{0}) p.rejected = p.max;
  const std::chrono::milliseconds startup{std::int64_t{rel.startup_time} * 1000};
  const auto cap = std::max(p.initial, startup - std::chrono::milliseconds{1000});
  if (rel.startup_time > 0) p.max = std::min(p.max, cap);
  return p;
}

tcp::endpoint to_tcp(const config::Endpoint& e) {
  asio::ip::address_v6::bytes_type b{};
  std::copy(e.address.bytes.begin(), e.address.bytes.end(), b.begin());
  return {asio::ip::address_v6(b), e.port};
}

PartnerLink::PartnerLink(asio::io_context& io, config::Relationship relationship, Logger& log,
                         Callbacks callbacks, Options options)
    : io_(io),
      rel_(std::move(relationship)),
      log_(log),
      cb_(std::move(callbacks)),
      opt_(options),
      primary_(rel_.role == "primary"),
      backoff_(reconnect_schedule(rel_, options.backoff)),
      timer_(io) {
  if (rel_.role != "primary" && rel_.role != "secondary")
    throw std::invalid_argument("relationship '" + rel_.name + "': role '" + rel_.role +
                                "' is neither primary nor secondary");
  if (rel_.tls)
    tls_ = std::make_shared<const TlsContext>(*rel_.tls);
  else if (!rel_.insecure)
    throw std::invalid_argument("relationship '" + rel_.name +
                                "': neither tls nor insecure is configured (RFC 7653 §9.1: "
                                "insecure mode must be chosen explicitly)");
}

PartnerLink::~PartnerLink() {
  *alive_ = false;
  stop();
}

void PartnerLink::set_callbacks(Callbacks callbacks) { cb_ = std::move(callbacks); }

void PartnerLink::start() {
  if (state_ != State::Stopped) return;
  if (!primary_) {
    state_ = State::Waiting;
    return;
  }
  backoff_.reset();
  state_ = State::Connecting;
  attempt();
}

void PartnerLink::stop() {
  state_ = State::Stopped;
  ++generation_;
  timer_.cancel();
  if (connecting_) {
    boost::system::error_code ignored;
    connecting_->close(ignored);
  }
  if (conn_) {
    conn_->close();
    retire_connection();
  }
}

bool PartnerLink::send(wire::Bytes framed) {
  if (state_ != State::Up || !conn_) return false;
  return conn_->send(std::move(framed));
}

void PartnerLink::close(const std::string& reason, bool rejected) {
  if (state_ == State::Stopped || !conn_) return;
  bool was_up = state_ == State::Up;
  std::string peer = conn_->remote();
  // What the failover layer queued last (a DISCONNECT, a CONNECTREPLY refusing a CONNECT)
  // still goes out before the connection closes.
  conn_->close_after_flush(std::chrono::seconds(2));
  retire_connection();
  totals_.last_error = "closed by this server: " + reason;
  log_.log(Msg::F6D_PARTNER_CLOSED, rel_.name, peer, totals_.last_error);
  after_down(was_up, rejected);
}

PartnerLink::Status PartnerLink::status() const {
  Status s = totals_;
  s.state = state_;
  s.connected = state_ == State::Up;
  s.up_since = up_since_;
  s.failures_in_a_row = backoff_.failures();
  if (conn_) {
    s.partner = conn_->remote();
    if (state_ == State::Up) s.session = conn_->describe();
    const auto& c = conn_->counters();
    s.bytes_in += c.bytes_in;
    s.bytes_out += c.bytes_out;
    s.frames_in += c.frames_in;
    s.frames_out += c.frames_out;
  }
  return s;
}

void PartnerLink::attempt() {
  if (state_ == State::Stopped) return;
  state_ = State::Connecting;
  ++totals_.connect_attempts;
  std::uint64_t gen = ++generation_;
  connecting_ = std::make_unique<tcp::socket>(io_);
  tcp::endpoint peer = to_tcp(rel_.peer);
  boost::system::error_code ec;
  connecting_->open(peer.protocol(), ec);
  if (!ec && !rel_.this_server.address.is_unspecified()) {
    config::Endpoint local{rel_.this_server.address, 0};
    connecting_->bind(to_tcp(local), ec);
    if (ec) {
      connect_failed("cannot bind to [" + rel_.this_server.address.to_string() +
                     "]: " + ec.message());
      return;
    }
  }
  if (ec) {
    connect_failed("cannot open a socket: " + ec.message());
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  timer_.expires_after(opt_.connect_timeout);
  timer_.async_wait([this, gen, alive](const boost::system::error_code& e) {
    if (alive.expired() || e || gen != generation_) return;
    ++generation_;  // the connect handler's abort is ignored
    boost::system::error_code ignored;
    connecting_->close(ignored);
    connect_failed("no answer within " + std::to_string(opt_.connect_timeout.count()) + " ms");
  });
  connecting_->async_connect(peer, [this, gen, alive](const boost::system::error_code& e) {
    if (alive.expired() || gen != generation_) return;
    timer_.cancel();
    if (e) {
      connect_failed(e.message());
      return;
    }
    on_connected(std::move(*connecting_));
  });
}

void PartnerLink::connect_failed(const std::string& reason) {
  connecting_.reset();
  totals_.last_error = reason;
  Duration d = backoff_.after_failure();
  log_.log(Msg::F6D_PARTNER_CONNECT_FAILED, rel_.name, rel_.peer.to_string(), reason, d.count());
  schedule(d);
}

void PartnerLink::on_connected(tcp::socket socket) {
  connecting_.reset();
  state_ = State::Negotiating;
  conn_ = PartnerConnection::create(std::move(socket), PartnerSide::Primary, tls_);
  conn_->start(handlers(), opt_.setup_timeout);
}

PartnerConnection::Handlers PartnerLink::handlers() {
  PartnerConnection::Handlers h;
  h.on_ready = [this] { on_ready(); };
  h.on_frame = [this](wire::ByteView m) {
    if (cb_.on_frame) cb_.on_frame(m);
  };
  h.on_closed = [this](CloseCause cause, const std::string& reason) { on_closed(cause, reason); };
  return h;
}

void PartnerLink::on_ready() {
  state_ = State::Up;
  up_at_ = std::chrono::steady_clock::now();
  up_since_ = std::chrono::system_clock::now();
  ++totals_.connections;
  totals_.last_error.clear();
  log_.log(Msg::F6D_PARTNER_CONNECTED, rel_.name, conn_->remote(), conn_->describe());
  if (cb_.on_up) cb_.on_up();
}

void PartnerLink::on_closed(CloseCause cause, const std::string& reason) {
  bool was_up = state_ == State::Up;
  std::string peer = conn_ ? conn_->remote() : rel_.peer.to_string();
  retire_connection();
  totals_.last_error = reason;
  switch (cause) {
    case CloseCause::TlsFailed:
    case CloseCause::TlsRefused:
      log_.log(Msg::F6D_TLS_HANDSHAKE_FAILED, rel_.name, peer, reason);
      break;
    case CloseCause::RefusedPartner:
      log_.log(Msg::F6D_PARTNER_REFUSED, peer, rel_.this_server.to_string(), reason);
      break;
    default: log_.log(Msg::F6D_PARTNER_CLOSED, rel_.name, peer, reason); break;
  }
  after_down(was_up, is_rejection(cause));
  if (was_up && cb_.on_down) cb_.on_down(reason);
}

void PartnerLink::retire_connection() {
  if (conn_) {
    const auto& c = conn_->counters();
    totals_.bytes_in += c.bytes_in;
    totals_.bytes_out += c.bytes_out;
    totals_.frames_in += c.frames_in;
    totals_.frames_out += c.frames_out;
    conn_.reset();
  }
  up_since_.reset();
}

void PartnerLink::after_down(bool was_up, bool rejected) {
  if (state_ == State::Stopped) return;
  if (!primary_) {
    state_ = State::Waiting;
    return;
  }
  Duration d;
  if (rejected)
    d = backoff_.after_rejection();
  else if (was_up)
    d = backoff_.after_disconnect(std::chrono::duration_cast<Duration>(
        std::chrono::steady_clock::now() - up_at_));
  else
    d = backoff_.after_failure();
  schedule(d);
}

void PartnerLink::schedule(Duration delay) {
  if (state_ == State::Stopped) return;
  state_ = State::BackingOff;
  std::uint64_t gen = ++generation_;
  std::weak_ptr<bool> alive = alive_;
  timer_.expires_after(delay);
  timer_.async_wait([this, gen, alive](const boost::system::error_code& e) {
    if (alive.expired() || e || gen != generation_) return;
    attempt();
  });
}

bool PartnerLink::adopt(std::shared_ptr<PartnerConnection> conn, wire::Bytes first_message) {
  if (primary_ || state_ == State::Stopped || !conn || conn->closed()) return false;
  if (conn_) {
    bool was_up = state_ == State::Up;
    std::string old = conn_->remote();
    conn_->close();
    retire_connection();
    std::string reason = "replaced by a new connection from " + conn->remote();
    log_.log(Msg::F6D_PARTNER_CLOSED, rel_.name, old, reason);
    state_ = State::Waiting;
    if (was_up && cb_.on_down) cb_.on_down(reason);
    if (state_ == State::Stopped) return false;
  }
  conn_ = std::move(conn);
  PartnerConnection* adopted = conn_.get();
  conn_->set_handlers(handlers());
  conn_->clear_deadline();
  on_ready();
  if (conn_.get() == adopted && state_ == State::Up && cb_.on_frame)
    cb_.on_frame(wire::ByteView(first_message));
  return true;
}

}  // namespace failover6::io
