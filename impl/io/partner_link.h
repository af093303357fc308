// failover6::io::PartnerLink: the partner connection of one RFC 8156 failover relationship,
// as the failover layer sees it: up, frames, down. The primary connects and reconnects
// (RFC 8156 §6, §6.1); the secondary receives its connections from a PartnerListener.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/config.h"
#include "io/logger.h"
#include "io/partner_connection.h"
#include "io/reconnect_backoff.h"
#include "io/tls_channel.h"
#include "wire/buffer.h"

namespace failover6::io {

/// PartnerLink's timing (the defaults suit production; tests shrink them).
struct PartnerLinkOptions {
  ReconnectBackoffParams backoff{};                 ///< the primary's reconnect schedule
  std::chrono::milliseconds connect_timeout{10000};  ///< one TCP connect attempt
  std::chrono::milliseconds setup_timeout{10000};    ///< STARTTLS + TLS handshake
};

/// @brief The primary's reconnect schedule for @p rel from @p p: after failed attempts it
/// waits at most one second less than the relationship's STARTUP timer, so that a partner
/// restarting with the same configuration is reached while it is still in STARTUP (and
/// recovers from our state, RFC 8156 §8.3) rather than after it went back to its previous
/// state; a rejection keeps the long wait (p.max, or p.rejected when set). PROTOCOL.md A10.
ReconnectBackoffParams reconnect_schedule(const config::Relationship& rel,
                                          ReconnectBackoffParams p);

/// The transport of one failover relationship: a TCP connection to the partner, in secure
/// mode (STARTTLS + TLS 1.3 with mutual certificate authentication) when the relationship has
/// "tls", insecure only when it is explicitly "insecure" (RFC 7653 §9.1).
///
/// It moves frames and knows nothing of the failover protocol: the failover layer sends
/// CONNECT, STATE, ... with send() and handles what on_frame() delivers.
///
/// - Primary: start() connects from this_server's address (ephemeral port) to peer; when the
///   attempt fails or the connection goes down it tries again after the ReconnectBackoff
///   delay, forever, until stop(). Only the primary connects.
/// - Secondary: start() makes it accept connections; a PartnerListener on this_server's
///   endpoint hands them over (adopt()) after set-up and the partner's first message, which
///   is delivered to on_frame right after on_up. A new connection replaces the current one
///   (on_down for the old one first): only the primary connects, so a new connection means
///   the old one is dead.
///
/// Callbacks (run on the io_context thread, never from inside a member call except adopt()):
/// - on_up(): the connection is ready (TCP connected and, in secure mode, STARTTLS agreed and
///   the TLS handshake done).
/// - on_frame(message): one failover message without its 2-octet prefix; the view is valid
///   during the call only.
/// - on_down(reason): a connection that was up went away (partner closed, error, replaced).
///   Not called for close() or stop(): the caller knows.
/// A callback may call send(), close() or stop().
///
/// Not thread-safe: one io_context thread.
class PartnerLink {
 public:
  using Duration = std::chrono::milliseconds;

  /// The failover layer's callbacks.
  struct Callbacks {
    std::function<void()> on_up;
    std::function<void(wire::ByteView message)> on_frame;
    std::function<void(const std::string& reason)> on_down;
  };

  /// Timing.
  using Options = PartnerLinkOptions;

  /// Where the link is.
  enum class State : std::uint8_t {
    Stopped,      ///< not started, or stopped
    Connecting,   ///< primary: TCP connect in progress
    Negotiating,  ///< primary: connected, STARTTLS/TLS in progress
    Up,           ///< the connection is ready
    BackingOff,   ///< primary: waiting before the next attempt
    Waiting,      ///< secondary: waiting for the primary to connect
  };

  /// A snapshot for the status command and metrics.
  struct Status {
    State state = State::Stopped;
    bool connected = false;  ///< state == Up
    /// when the current connection came up (wall clock), if it is up
    std::optional<std::chrono::system_clock::time_point> up_since;
    std::string partner;               ///< "[addr]:port" of the current connection, or ""
    std::string session;               ///< "insecure" or the TLS description, while up
    std::uint64_t connect_attempts = 0;  ///< primary: TCP connects tried, in total
    std::uint64_t failures_in_a_row = 0;  ///< primary: attempts failed since the last stable up
    std::uint64_t connections = 0;     ///< connections that came up, in total
    std::string last_error;            ///< why the last attempt or connection ended, or ""
    std::uint64_t bytes_in = 0;        ///< over all connections
    std::uint64_t bytes_out = 0;
    std::uint64_t frames_in = 0;
    std::uint64_t frames_out = 0;
  };

  /// @brief A link for @p relationship; nothing happens before start().
  /// @throws std::invalid_argument when the role is neither "primary" nor "secondary", or
  /// when the relationship has neither tls nor insecure; std::runtime_error from TlsContext
  /// when the TLS files cannot be loaded.
  PartnerLink(boost::asio::io_context& io, config::Relationship relationship, Logger& log,
              Callbacks callbacks, Options options = {});
  ~PartnerLink();
  PartnerLink(const PartnerLink&) = delete;
  PartnerLink& operator=(const PartnerLink&) = delete;

  /// @brief Replaces the callbacks (when the failover layer is made after the link).
  void set_callbacks(Callbacks callbacks);

  /// @brief Primary: starts connecting. Secondary: starts accepting connections handed over
  /// by the PartnerListener. No effect when already started.
  void start();
  /// @brief Closes the connection (no on_down) and stops connecting or accepting.
  void stop();

  /// @brief Queues framed octets (one or more messages, each with its 2-octet prefix, e.g.
  /// from wire::encode_failover_framed) for the partner, in order.
  /// @return false (nothing queued) when the link is not up.
  bool send(wire::Bytes framed);

  /// @brief Drops the current connection (no on_down), logging @p reason. The primary tries
  /// again after its back-off (the longest one when @p rejected: CONNECTREPLY with a status,
  /// DISCONNECT received); the secondary waits for a new connection.
  void close(const std::string& reason, bool rejected = false);

  /// @return true while the connection is ready.
  bool is_up() const { return state_ == State::Up; }
  /// @return the current state and counters.
  Status status() const;
  /// @return the relationship the link serves.
  const config::Relationship& relationship() const { return rel_; }
  /// @return the relationship's name.
  const std::string& name() const { return rel_.name; }
  /// @return true for the primary role.
  bool is_primary() const { return primary_; }
  /// @return true in secure (TLS) mode.
  bool secure() const { return static_cast<bool>(tls_); }
  /// @return the TLS context (null in insecure mode), for the PartnerListener.
  const std::shared_ptr<const TlsContext>& tls_context() const { return tls_; }
  /// @return the set-up timeout, for the PartnerListener.
  Duration setup_timeout() const { return opt_.setup_timeout; }

  /// @brief Secondary: takes over @p conn, a ready connection from this relationship's
  /// partner, whose first message was @p first_message (delivered to on_frame right after
  /// on_up). Called by PartnerListener.
  /// @return false (and @p conn untouched) when the link is a primary or not started.
  bool adopt(std::shared_ptr<PartnerConnection> conn, wire::Bytes first_message);

 private:
  void attempt();
  void on_connected(boost::asio::ip::tcp::socket socket);
  void connect_failed(const std::string& reason);
  void on_ready();
  void on_closed(CloseCause cause, const std::string& reason);
  void retire_connection();
  void schedule(Duration delay);
  void after_down(bool was_up, bool rejected);
  PartnerConnection::Handlers handlers();

  boost::asio::io_context& io_;
  config::Relationship rel_;
  Logger& log_;
  Callbacks cb_;
  Options opt_;
  bool primary_;
  std::shared_ptr<const TlsContext> tls_;
  ReconnectBackoff backoff_;
  State state_ = State::Stopped;
  std::shared_ptr<PartnerConnection> conn_;
  std::unique_ptr<boost::asio::ip::tcp::socket> connecting_;
  boost::asio::steady_timer timer_;  ///< connect timeout or back-off
  std::uint64_t generation_ = 0;     ///< invalidates callbacks of older attempts
  std::chrono::steady_clock::time_point up_at_{};
  std::optional<std::chrono::system_clock::time_point> up_since_;
  std::string peer_text_;
  Status totals_;  ///< counters of finished connections, attempts, last_error
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

/// @return "Stopped", "Connecting", "Negotiating", "Up", "BackingOff" or "Waiting".
std::string_view to_string(PartnerLink::State s);

/// @return the asio endpoint of a configured endpoint.
boost::asio::ip::tcp::endpoint to_tcp(const config::Endpoint& e);

}  // namespace failover6::io
