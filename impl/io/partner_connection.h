// failover6::io::PartnerConnection: one TCP connection between failover partners, from the
// moment it is connected (or accepted) until it closes: the STARTTLS exchange and the TLS
// handshake of secure mode (RFC 8156 §10, RFC 7653 §8.2), then 2-octet-framed messages in both
// directions (RFC 8156 §5.1, RFC 5460 §5.1). It knows nothing of relationships, reconnection or
// the failover state machine: PartnerLink and PartnerListener own it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "io/partner_channel.h"
#include "io/tls_channel.h"
#include "wire/failover_message.h"

namespace failover6::io {

/// Which partner this server is on the connection: the primary connected (and is the TLS
/// client), the secondary accepted (and is the TLS server).
enum class PartnerSide : std::uint8_t { Primary, Secondary };

/// Why a connection ended (PartnerConnection::Handlers::on_closed).
enum class CloseCause : std::uint8_t {
  PeerClosed,      ///< the partner closed the connection (EOF or TLS close_notify)
  IoError,         ///< a socket or TLS record error
  Timeout,         ///< a set-up step (STARTTLS, handshake, first message) took too long
  TlsFailed,       ///< the TLS handshake failed: certificate refused, no common protocol, ...
  TlsRefused,      ///< the partner answered our STARTTLS with a status (TLSConnectionRefused)
  RefusedPartner,  ///< we refused the partner: secure mode without STARTTLS, or STARTTLS to an
                   ///< insecure secondary, or an unusable first message
  Protocol,        ///< an unexpected message during set-up (no REPLY to our STARTTLS, ...)
  Overflow,        ///< more than MAX_QUEUED octets waited to be sent
};

/// @return the enumerator's name, e.g. "TlsFailed".
std::string_view to_string(CloseCause c);

/// @return true for the causes after which the primary backs off as after a rejection
/// (RFC 8156 §6.1): the partner refused TLS or the handshake failed.
constexpr bool is_rejection(CloseCause c) {
  return c == CloseCause::TlsFailed || c == CloseCause::TlsRefused;
}

/// One partner connection: set-up, then framed messages.
///
/// Set-up, by mode and side (secure mode = a TLS factory was given):
/// - secure primary: sends STARTTLS (type 23, with sent-time: decision A7) and expects the
///   REPLY (7). No status code (or Success) = go ahead: the TLS handshake runs as client, and
///   the connection is ready when it completes. A status code closes with TlsRefused.
/// - secure secondary: the first message must be STARTTLS, else the connection is closed at
///   once (RefusedPartner). It answers REPLY without status (same transaction-id, with
///   sent-time), and once that is sent runs the handshake as server; ready when complete.
/// - insecure primary: ready as soon as it is connected.
/// - insecure secondary: ready as soon as it is accepted; if the partner's first message is
///   STARTTLS it answers REPLY with STATUS_CODE TLSConnectionRefused (15) and closes after
///   sending it (RefusedPartner), without passing the STARTTLS on.
/// Octets after the STARTTLS or the REPLY in the same read, which would belong to the TLS
/// handshake, are a protocol error: neither side may send before the other's answer.
///
/// After set-up every complete frame goes to Handlers::on_frame (without its length prefix),
/// in order; send() queues framed octets that go out in order, never interleaved, coalesced
/// into as few writes as the channel takes. The socket I/O goes through a PartnerChannel,
/// so tests can script the TLS layer step by step (STYLE.md rule 5).
///
/// Callbacks: on_ready once, on_frame per frame, on_closed once when the connection ends for
/// any reason except close(). No callback is called from inside start(), send(),
/// set_handlers() or close(): all run from the io_context. Callbacks may call any member,
/// including close() and set_handlers(); the object stays alive while its callback runs.
/// Not thread-safe: one io_context thread.
class PartnerConnection : public std::enable_shared_from_this<PartnerConnection> {
 public:
  using Duration = std::chrono::milliseconds;
  /// Makes the TLS channel once STARTTLS was agreed (it may throw std::runtime_error).
  using TlsFactory = std::function<std::unique_ptr<PartnerChannel>()>;

  /// The owner's callbacks.
  struct Handlers {
    std::function<void()> on_ready;                    ///< set-up done: frames may flow
    std::function<void(wire::ByteView)> on_frame;      ///< one message, without its prefix
    std::function<void(CloseCause, const std::string&)> on_closed;  ///< cause and reason
  };

  /// Traffic counters (all octets on the socket, set-up and TLS overhead excluded).
  struct Counters {
    std::uint64_t bytes_in = 0;    ///< octets received in frames (prefixes included)
    std::uint64_t bytes_out = 0;   ///< octets handed to the channel (prefixes included)
    std::uint64_t frames_in = 0;   ///< frames delivered or consumed by set-up
    std::uint64_t frames_out = 0;  ///< send() calls accepted, plus set-up messages
  };

  /// The most octets send() queues before the connection is closed with Overflow (a partner
  /// that stopped reading; flow control proper is the failover layer's max-unacked).
  static constexpr std::size_t MAX_QUEUED = std::size_t{16} << 20;

  /// @brief A connection over @p socket using @p plain for the clear-text phase.
  /// @param socket a connected TCP socket; it is made non-blocking
  /// @param plain the clear-text channel (normally a PlainChannel on the socket)
  /// @param tls makes the TLS channel for secure mode; empty = insecure mode
  PartnerConnection(boost::asio::ip::tcp::socket socket, PartnerSide side,
                    std::unique_ptr<PartnerChannel> plain, TlsFactory tls);
  ~PartnerConnection();
  PartnerConnection(const PartnerConnection&) = delete;
  PartnerConnection& operator=(const PartnerConnection&) = delete;

  /// @brief The usual connection: a PlainChannel on @p socket and, when @p tls is set, secure
  /// mode with TLS channels from @p tls (kept alive by the connection).
  static std::shared_ptr<PartnerConnection> create(boost::asio::ip::tcp::socket socket,
                                                   PartnerSide side,
                                                   std::shared_ptr<const TlsContext> tls);

  /// @brief Starts the set-up; if it is not done within @p setup_timeout the connection closes
  /// with Timeout. Call once.
  void start(Handlers handlers, Duration setup_timeout);
  /// @brief Replaces the callbacks (how a listener hands a connection over to a link).
  void set_handlers(Handlers handlers);

  /// @brief Queues one or more framed messages (each with its 2-octet prefix).
  /// @return false, queuing nothing, when the connection is not ready or already closed, or
  /// when the queue would exceed MAX_QUEUED (the connection then closes with Overflow).
  bool send(wire::Bytes framed);

  /// @brief Closes the connection now (TLS close_notify if possible); no on_closed. Queued
  /// octets not yet written are dropped. Idempotent.
  void close();

  /// @brief Like close(), but the octets already queued are written first (a DISCONNECT, or
  /// a CONNECTREPLY rejecting a CONNECT, RFC 8156 §6.1.2), for at most @p grace; no on_closed.
  /// Reads stop at once. Idempotent.
  void close_after_flush(Duration grace);

  /// @brief Closes with Timeout and @p what as the reason unless clear_deadline() or another
  /// set_deadline() comes first. Replaces the set-up deadline.
  void set_deadline(Duration d, std::string what);
  /// @brief Cancels the deadline (the set-up deadline is cleared when the connection is ready).
  void clear_deadline();

  /// @return true once set-up is done and until the connection closes.
  bool ready() const { return state_ == State::Open; }
  /// @return true after close() or on_closed.
  bool closed() const { return state_ == State::Closed; }
  /// @return true in secure mode.
  bool secure() const { return static_cast<bool>(tls_factory_); }
  /// @return the traffic so far.
  const Counters& counters() const { return counters_; }
  /// @return the partner's address and port ("[::1]:40000"), fixed at construction.
  const std::string& remote() const { return remote_; }
  /// @return the partner's endpoint (unspecified if it could not be read).
  const boost::asio::ip::tcp::endpoint& remote_endpoint() const { return remote_ep_; }
  /// @return the channel's description once ready ("insecure", "TLSv1.3 ...").
  std::string describe() const { return channel_ ? channel_->describe() : "closed"; }
  /// @return octets queued and not yet written.
  std::size_t queued() const { return out_.size() - out_pos_; }

 private:
  enum class State : std::uint8_t {
    Idle,           ///< before start()
    AwaitReply,     ///< secure primary: STARTTLS sent, waiting for the REPLY
    AwaitStartTls,  ///< secure secondary: waiting for STARTTLS
    FlushThenTls,   ///< STARTTLS agreed: flushing clear text, then the handshake
    Handshake,      ///< TLS handshake in progress
    Open,           ///< frames flow
    FlushThenClose, ///< refusal sent: flushing it, then closing
    FlushThenQuietClose,  ///< close_after_flush(): flushing, then close() (no callback)
    Closed,
  };
  enum class Flow : std::uint8_t { Reader, Writer };

  void begin();
  void do_handshake();
  void do_read();
  void do_write();
  void wait(Flow flow, IoStatus need);
  void on_frame(const wire::Bytes& frame);
  void on_setup_frame(const wire::Bytes& frame);
  void queue_message(const wire::FailoverMessage& m);
  void start_tls();
  void become_ready();
  void fail(CloseCause cause, std::string reason);
  bool reading_state() const {
    return state_ == State::AwaitReply || state_ == State::AwaitStartTls || state_ == State::Open;
  }

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_;
  PartnerSide side_;
  std::unique_ptr<PartnerChannel> channel_;
  TlsFactory tls_factory_;
  std::shared_ptr<const Handlers> handlers_;
  State state_ = State::Idle;
  bool reader_busy_ = false;  ///< the reader flow has a wait or a post pending
  bool writer_busy_ = false;  ///< the writer flow has a wait or a post pending
  bool check_first_ = false;  ///< insecure secondary: the next frame may be a STARTTLS
  std::uint64_t deadline_gen_ = 0;
  CloseCause pending_cause_ = CloseCause::RefusedPartner;  ///< for FlushThenClose
  std::string pending_reason_;
  wire::FrameSplitter splitter_;
  std::vector<std::uint8_t> in_;
  wire::Bytes out_;
  std::size_t out_pos_ = 0;
  Counters counters_;
  boost::asio::ip::tcp::endpoint remote_ep_;
  std::string remote_;
};

/// @return "[addr]:port" for @p e.
std::string to_string(const boost::asio::ip::tcp::endpoint& e);

}  // namespace failover6::io
