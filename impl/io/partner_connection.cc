#include "io/partner_connection.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <random>

namespace failover6::io {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::size_t READ_CHUNK = 64 * 1024;
constexpr std::size_t WRITE_CHUNK = 64 * 1024;
constexpr int READS_PER_TURN = 16;  ///< then yield to other handlers (fairness)

std::uint32_t now_failover_time() {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return wire::to_failover_time(s.count());
}

/// "STARTTLS (23)" or "an undecodable message (offset 3: ...)" for error texts.
std::string what_message(const wire::Expected<wire::FailoverMessage>& m) {
  if (!m) return "an undecodable message (" + m.error().to_string() + ")";
  return wire::to_string(m->type) + " (" + std::to_string(static_cast<int>(m->type)) + ")";
}

}  // namespace

std::string_view to_string(CloseCause c) {
  switch (c) {
    case CloseCause::PeerClosed: return "PeerClosed";
    case CloseCause::IoError: return "IoError";
    case CloseCause::Timeout: return "Timeout";
    case CloseCause::TlsFailed: return "TlsFailed";
    case CloseCause::TlsRefused: return "TlsRefused";
    case CloseCause::RefusedPartner: return "RefusedPartner";
    case CloseCause::Protocol: return "Protocol";
    case CloseCause::Overflow: return "Overflow";
  }
  return "?";
}

std::string to_string(const tcp::endpoint& e) {
  return "[" + e.address().to_string() + "]:" + std::to_string(e.port());
}

PartnerConnection::PartnerConnection(tcp::socket socket, PartnerSide side,
                                     std::unique_ptr<PartnerChannel> plain, TlsFactory tls)
    : socket_(std::move(socket)),
      deadline_(socket_.get_executor()),
      side_(side),
      channel_(std::move(plain)),
      tls_factory_(std::move(tls)),
      in_(READ_CHUNK) {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  remote_ep_ = socket_.remote_endpoint(ec);
  remote_ = ec ? std::string("[?]") : to_string(remote_ep_);
}

PartnerConnection::~PartnerConnection() { close(); }

std::shared_ptr<PartnerConnection> PartnerConnection::create(
    tcp::socket socket, PartnerSide side, std::shared_ptr<const TlsContext> tls) {
  int fd = socket.native_handle();
  TlsFactory factory;
  if (tls) {
    TlsRole role = side == PartnerSide::Primary ? TlsRole::Client : TlsRole::Server;
    factory = [tls, fd, role] { return tls->channel(fd, role); };
  }
  return std::make_shared<PartnerConnection>(std::move(socket), side,
                                             std::make_unique<PlainChannel>(fd),
                                             std::move(factory));
}

void PartnerConnection::start(Handlers handlers, Duration setup_timeout) {
  if (state_ != State::Idle) return;
  handlers_ = std::make_shared<const Handlers>(std::move(handlers));
  set_deadline(setup_timeout, "STARTTLS and TLS handshake not complete within " +
                                  std::to_string(setup_timeout.count()) + " ms");
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->begin(); });
}

void PartnerConnection::set_handlers(Handlers handlers) {
  if (state_ == State::Closed) return;
  handlers_ = std::make_shared<const Handlers>(std::move(handlers));
}

void PartnerConnection::begin() {
  if (state_ != State::Idle) return;  // closed before it began
  if (!secure()) {
    check_first_ = side_ == PartnerSide::Secondary;
    become_ready();
    return;
  }
  if (side_ == PartnerSide::Primary) {
    wire::FailoverMessage starttls;
    starttls.type = wire::MessageType::StartTls;
    starttls.transaction_id = std::random_device{}() & 0xffffffU;
    starttls.sent_time = now_failover_time();
    queue_message(starttls);
    state_ = State::AwaitReply;
    do_write();
  } else {
    state_ = State::AwaitStartTls;
  }
  do_read();
}

void PartnerConnection::queue_message(const wire::FailoverMessage& m) {
  wire::Bytes framed = wire::encode_failover_framed(m);
  out_.insert(out_.end(), framed.begin(), framed.end());
  ++counters_.frames_out;
}

bool PartnerConnection::send(wire::Bytes framed) {
  if (state_ != State::Open) return false;
  if (queued() + framed.size() > MAX_QUEUED) {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->fail(CloseCause::Overflow, "more than " + std::to_string(MAX_QUEUED) +
                                           " octets wait to be sent: the partner does not read");
    });
    return false;
  }
  if (out_pos_ > 0 && out_pos_ >= out_.size() / 2) {
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_pos_));
    out_pos_ = 0;
  }
  out_.insert(out_.end(), framed.begin(), framed.end());
  ++counters_.frames_out;
  if (!writer_busy_) {
    writer_busy_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->writer_busy_ = false;
      self->do_write();
    });
  }
  return true;
}

void PartnerConnection::close() {
  if (state_ == State::Closed) return;
  if ((state_ == State::Open || state_ == State::FlushThenQuietClose) && channel_)
    channel_->shutdown();
  state_ = State::Closed;
  ++deadline_gen_;
  deadline_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  channel_.reset();  // its descriptor is closed: never use it again
  handlers_.reset();
  out_.clear();
  out_pos_ = 0;
}

void PartnerConnection::close_after_flush(Duration grace) {
  if (state_ == State::Closed || state_ == State::FlushThenQuietClose) return;
  if (state_ != State::Open || out_pos_ >= out_.size()) {
    close();
    return;
  }
  handlers_.reset();  // as close(): no callback from here on
  state_ = State::FlushThenQuietClose;
  std::uint64_t gen = ++deadline_gen_;
  deadline_.expires_after(grace);
  deadline_.async_wait([weak = weak_from_this(), gen](const boost::system::error_code& ec) {
    if (ec) return;
    auto self = weak.lock();
    if (self && self->deadline_gen_ == gen) self->close();  // the partner does not read
  });
  do_write();
}

void PartnerConnection::set_deadline(Duration d, std::string what) {
  if (state_ == State::Closed) return;
  std::uint64_t gen = ++deadline_gen_;
  deadline_.expires_after(d);
  deadline_.async_wait([weak = weak_from_this(), gen, what = std::move(what)](
                           const boost::system::error_code& ec) {
    if (ec) return;
    auto self = weak.lock();
    if (!self || self->deadline_gen_ != gen) return;
    self->fail(CloseCause::Timeout, what);
  });
}

void PartnerConnection::clear_deadline() {
  ++deadline_gen_;
  deadline_.cancel();
}

void PartnerConnection::fail(CloseCause cause, std::string reason) {
  if (state_ == State::Closed) return;
  auto self = shared_from_this();
  auto h = handlers_;
  close();
  if (h && h->on_closed) h->on_closed(cause, reason);
}

void PartnerConnection::wait(Flow flow, IoStatus need) {
  (flow == Flow::Reader ? reader_busy_ : writer_busy_) = true;
  auto type = need == IoStatus::NeedRead ? tcp::socket::wait_read : tcp::socket::wait_write;
  socket_.async_wait(type, [self = shared_from_this(), flow](const boost::system::error_code& ec) {
    (flow == Flow::Reader ? self->reader_busy_ : self->writer_busy_) = false;
    if (self->closed()) return;
    if (ec) {
      self->fail(CloseCause::IoError, "waiting for the socket: " + ec.message());
      return;
    }
    if (flow == Flow::Writer)
      self->do_write();
    else if (self->state_ == State::Handshake)
      self->do_handshake();
    else
      self->do_read();
  });
}

void PartnerConnection::start_tls() {
  try {
    channel_ = tls_factory_();
  } catch (const std::exception& e) {
    fail(CloseCause::TlsFailed, e.what());
    return;
  }
  state_ = State::Handshake;
  do_handshake();
}

void PartnerConnection::do_handshake() {
  if (state_ != State::Handshake || reader_busy_) return;
  IoStatus s = channel_->try_handshake();
  switch (s) {
    case IoStatus::Done: become_ready(); return;
    case IoStatus::NeedRead:
    case IoStatus::NeedWrite: wait(Flow::Reader, s); return;
    case IoStatus::Closed:
    case IoStatus::Failed: fail(CloseCause::TlsFailed, channel_->error()); return;
  }
}

void PartnerConnection::become_ready() {
  state_ = State::Open;
  clear_deadline();
  auto self = shared_from_this();
  if (auto h = handlers_; h && h->on_ready) h->on_ready();
  if (state_ != State::Open) return;
  do_read();
  do_write();
}

void PartnerConnection::do_read() {
  if (reader_busy_ || !reading_state()) return;
  auto self = shared_from_this();
  for (int turn = 0; turn < READS_PER_TURN; ++turn) {
    IoResult r = channel_->try_read(in_);
    switch (r.status) {
      case IoStatus::Done: break;
      case IoStatus::NeedRead:
      case IoStatus::NeedWrite: wait(Flow::Reader, r.status); return;
      case IoStatus::Closed:
        fail(CloseCause::PeerClosed, state_ == State::Open
                                         ? channel_->error()
                                         : channel_->error() + " during the STARTTLS exchange");
        return;
      case IoStatus::Failed: fail(CloseCause::IoError, channel_->error()); return;
    }
    splitter_.feed(wire::ByteView(in_.data(), r.bytes));
    while (auto frame = splitter_.next()) {
      counters_.bytes_in += frame->size() + 2;
      ++counters_.frames_in;
      on_frame(*frame);
      if (!reading_state()) return;
    }
  }
  reader_busy_ = true;
  asio::post(socket_.get_executor(), [self] {
    self->reader_busy_ = false;
    self->do_read();
  });
}

void PartnerConnection::on_frame(const wire::Bytes& frame) {
  if (state_ != State::Open) {
    on_setup_frame(frame);
    return;
  }
  if (check_first_) {
    check_first_ = false;
    if (!frame.empty() && frame[0] == static_cast<std::uint8_t>(wire::MessageType::StartTls)) {
      // RFC 7653 §8.2 / RFC 8156 §10: an insecure server refuses TLS with a status code.
      auto m = wire::decode_failover(frame);
      wire::FailoverMessage reply;
      reply.type = wire::MessageType::Reply;
      reply.transaction_id = m ? m->transaction_id : 0;
      reply.sent_time = now_failover_time();
      reply.options.emplace_back(wire::StatusCodeOption{
          static_cast<std::uint16_t>(wire::StatusCode::TlsConnectionRefused),
          "TLS is not configured for this partner"});
      queue_message(reply);
      pending_cause_ = CloseCause::RefusedPartner;
      pending_reason_ =
          "the partner asked for TLS (STARTTLS) but this relationship is configured insecure: "
          "answered TLSConnectionRefused";
      state_ = State::FlushThenClose;
      do_write();
      return;
    }
  }
  if (auto h = handlers_; h && h->on_frame) h->on_frame(wire::ByteView(frame));
}

void PartnerConnection::on_setup_frame(const wire::Bytes& frame) {
  auto m = wire::decode_failover(frame);
  if (state_ == State::AwaitReply) {
    if (!m || m->type != wire::MessageType::Reply) {
      fail(CloseCause::Protocol, "expected the REPLY to STARTTLS, got " + what_message(m));
      return;
    }
    if (const auto* sc = m->find<wire::StatusCodeOption>(); sc && sc->status != 0) {
      fail(CloseCause::TlsRefused,
           "the partner refused TLS: REPLY with status " + wire::status_name(sc->status) +
               (sc->message.empty() ? "" : " (" + sc->message + ")"));
      return;
    }
    if (splitter_.pending() != 0) {
      fail(CloseCause::Protocol, "the partner sent data right after the REPLY to STARTTLS");
      return;
    }
    state_ = State::FlushThenTls;
    do_write();
    return;
  }
  // AwaitStartTls: a secure secondary accepts nothing else first (RFC 8156 §10).
  if (!m || m->type != wire::MessageType::StartTls) {
    fail(CloseCause::RefusedPartner,
         "secure mode requires STARTTLS as the first message, got " + what_message(m));
    return;
  }
  if (splitter_.pending() != 0) {
    fail(CloseCause::Protocol, "the partner sent data right after STARTTLS");
    return;
  }
  wire::FailoverMessage reply;  // no status code: go ahead
  reply.type = wire::MessageType::Reply;
  reply.transaction_id = m->transaction_id;
  reply.sent_time = now_failover_time();
  queue_message(reply);
  state_ = State::FlushThenTls;
  do_write();
}

void PartnerConnection::do_write() {
  if (writer_busy_ || state_ == State::Idle || state_ == State::Closed ||
      state_ == State::Handshake)
    return;
  auto self = shared_from_this();
  while (out_pos_ < out_.size()) {
    std::size_t len = std::min(out_.size() - out_pos_, WRITE_CHUNK);
    IoResult r = channel_->try_write(wire::ByteView(out_.data() + out_pos_, len));
    switch (r.status) {
      case IoStatus::Done:
        out_pos_ += r.bytes;
        counters_.bytes_out += r.bytes;
        continue;
      case IoStatus::NeedRead:
      case IoStatus::NeedWrite: wait(Flow::Writer, r.status); return;
      case IoStatus::Closed: fail(CloseCause::PeerClosed, channel_->error()); return;
      case IoStatus::Failed: fail(CloseCause::IoError, channel_->error()); return;
    }
  }
  out_.clear();
  out_pos_ = 0;
  if (state_ == State::FlushThenTls)
    start_tls();
  else if (state_ == State::FlushThenClose)
    fail(pending_cause_, pending_reason_);
  else if (state_ == State::FlushThenQuietClose)
    close();
}

}  // namespace failover6::io
