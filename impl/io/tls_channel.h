// failover6::io::TlsContext and TlsChannel: the secure mode of the partner link (RFC 8156 §10,
// RFC 7653 §8.2 and §9.1, RFC 7525) with OpenSSL 3: TLS 1.3 only, mutual certificate
// authentication against the relationship's CA, the partner's identity checked against
// tls.peer_name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "io/partner_channel.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX
struct ssl_st;      // OpenSSL's SSL

namespace failover6::io {

/// Which end of the TLS handshake this server is: the primary connects, so it is the TLS
/// client; the secondary accepts, so it is the TLS server (RFC 8156 §6.1, RFC 7653 §8.2).
enum class TlsRole : std::uint8_t { Client, Server };

/// The TLS configuration of one failover relationship (an OpenSSL SSL_CTX), loaded once and
/// shared by every connection of that relationship, whichever role they take.
///
/// - Protocol: TLS 1.3 only (RFC 7525's advice, and all OpenSSL 3 offers it). No session
///   tickets: every connection does the full mutual authentication.
/// - Authentication is mutual: both ends present cert_file/key_file and require a certificate
///   from the other, chained to ca_file. A missing certificate, another CA, an expired
///   certificate or a name other than peer_name fails the handshake.
/// - Identity: the partner certificate's subjectAltName DNS names (or, without any, its
///   subject CN) must match peer_name (X509_VERIFY_PARAM host check, no partial wildcards).
///
/// Thread-safety: immutable after construction; channels may be made from any thread.
class TlsContext {
 public:
  /// @brief Loads the certificate, key and CA of @p tls.
  ///
  /// An empty cert_file (and key_file) makes a context that presents no certificate, which
  /// partners refuse; it exists for tests of that refusal, the configuration requires both.
  /// @throws std::runtime_error naming the file and OpenSSL's reason when a file cannot be
  /// read, the key does not match the certificate, or peer_name or ca_file is empty.
  explicit TlsContext(const config::Tls& tls);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// @brief Makes the TLS channel of one connection over the connected non-blocking socket
  /// @p fd (not owned), as @p role. The handshake starts with the first try_handshake().
  /// @throws std::runtime_error when OpenSSL cannot allocate the session.
  std::unique_ptr<PartnerChannel> channel(int fd, TlsRole role) const;

  /// @return the settings the context was made from.
  const config::Tls& settings() const { return tls_; }

 private:
  config::Tls tls_;
  ssl_ctx_st* ctx_ = nullptr;
};

/// One TLS session on a partner connection (the PartnerChannel of secure mode).
///
/// Socket I/O goes through a small OpenSSL BIO that uses recv()/send(MSG_NOSIGNAL) on the
/// non-blocking descriptor, so a reset connection is an error, never SIGPIPE. The error text
/// of a failed handshake names the certificate problem when there is one ("partner
/// certificate rejected: hostname mismatch"), else OpenSSL's reason ("tlsv13 alert certificate
/// required", "sslv3 alert bad certificate").
///
/// TLS 1.3 note: the client finishes its handshake before the server has checked the client's
/// certificate. A primary whose certificate the secondary refuses therefore sees its
/// handshake complete and learns of the refusal from the alert on its next read.
class TlsChannel : public PartnerChannel {
 public:
  /// @param ctx the relationship's context (must outlive the channel)
  /// @param fd the connected, non-blocking socket (not owned)
  TlsChannel(ssl_ctx_st* ctx, int fd, TlsRole role, const std::string& peer_name);
  ~TlsChannel() override;
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  IoStatus try_handshake() override;
  IoResult try_read(std::span<std::uint8_t> into) override;
  IoResult try_write(wire::ByteView from) override;
  /// @brief Sends close_notify once, if the session is established and has not failed.
  void shutdown() override;
  std::string error() const override { return error_; }
  /// @return e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384, partner certificate CN=secondary...".
  std::string describe() const override;

  /// The socket state the BIO shares with the channel (public for the BIO callbacks only).
  struct Socket {
    int fd = -1;
    int last_errno = 0;  ///< errno of the last failed recv/send, 0 after EOF
  };

 private:
  /// Maps an OpenSSL failure (return value @p ret of the last call) to an IoStatus, setting
  /// error_ for Closed and Failed.
  IoStatus fail_status(int ret, const char* what);

  ssl_st* ssl_ = nullptr;
  Socket socket_;
  bool established_ = false;
  bool failed_ = false;
  std::string error_;
};

}  // namespace failover6::io
