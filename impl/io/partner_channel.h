// failover6::io::PartnerChannel: the narrow, scriptable I/O edge of the partner link
// (STYLE.md rule 5): try-handshake / try-read / try-write on a non-blocking connection, each
// returning Done, NeedRead or NeedWrite (or the end of the connection). PlainChannel is the
// insecure implementation over a TCP socket; TlsChannel (tls_channel.h) the secure one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "wire/buffer.h"

namespace failover6::io {

/// What one try_* call achieved.
enum class IoStatus : std::uint8_t {
  Done,       ///< the step completed (for read/write: IoResult::bytes octets moved, > 0)
  NeedRead,   ///< nothing more now: call again once the socket is readable
  NeedWrite,  ///< nothing more now: call again once the socket is writable
  Closed,     ///< the partner ended the connection in order (EOF, TLS close_notify)
  Failed,     ///< the connection failed; PartnerChannel::error() says why
};

/// @return "Done", "NeedRead", "NeedWrite", "Closed" or "Failed".
std::string_view to_string(IoStatus s);

/// The outcome of a try_read() or try_write().
struct IoResult {
  IoStatus status = IoStatus::Done;
  std::size_t bytes = 0;  ///< octets read or written; > 0 exactly when status is Done
};

/// One partner connection's byte channel, driven by PartnerConnection.
///
/// The calls never block. NeedRead/NeedWrite tell the driver what readiness to wait for before
/// calling the same function again (a TLS write may need a read first, and the reverse); the
/// driver repeats a try_write() with at least the octets it offered before. After Closed or
/// Failed the channel is finished and the driver closes the socket. Tests implement this
/// interface with a script of steps, including short reads and writes.
class PartnerChannel {
 public:
  virtual ~PartnerChannel() = default;
  /// @brief Advances the handshake (TLS); a plain channel has none and returns Done.
  virtual IoStatus try_handshake() = 0;
  /// @brief Reads up to into.size() octets.
  virtual IoResult try_read(std::span<std::uint8_t> into) = 0;
  /// @brief Writes up to from.size() octets (possibly fewer: a short write).
  virtual IoResult try_write(wire::ByteView from) = 0;
  /// @brief Ends the session politely if it can without blocking (TLS close_notify). The
  /// driver closes the socket afterwards.
  virtual void shutdown() {}
  /// @return why the channel failed or closed, for logs ("" while it works).
  virtual std::string error() const = 0;
  /// @return a short description of the session once the handshake is done, for logs:
  /// "insecure" or "TLSv1.3 TLS_AES_256_GCM_SHA384, partner certificate CN=..."
  virtual std::string describe() const = 0;
};

/// The insecure channel: recv()/send() on a non-blocking TCP socket (send with MSG_NOSIGNAL,
/// so a reset connection is an error, never a SIGPIPE). Does not own the descriptor.
class PlainChannel : public PartnerChannel {
 public:
  /// @param fd a connected, non-blocking stream socket
  explicit PlainChannel(int fd) : fd_(fd) {}
  IoStatus try_handshake() override { return IoStatus::Done; }
  IoResult try_read(std::span<std::uint8_t> into) override;
  IoResult try_write(wire::ByteView from) override;
  std::string error() const override { return error_; }
  std::string describe() const override { return "insecure"; }

 private:
  int fd_;
  std::string error_;
};

}  // namespace failover6::io
