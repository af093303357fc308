#include "io/tls_channel.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

namespace failover6::io {

namespace {

/// The queued OpenSSL errors as one line ("error:...:reason; ..."), emptying the queue.
std::string openssl_errors() {
  std::vector<std::string> seen;
  while (unsigned long e = ERR_get_error()) {
    std::string text;
    if (ERR_SYSTEM_ERROR(e)) {
      text = std::strerror(static_cast<int>(ERR_GET_REASON(e)));
    } else if (const char* reason = ERR_reason_error_string(e)) {
      text = reason;
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof(buf));
      text = buf;
    }
    if (std::find(seen.begin(), seen.end(), text) == seen.end()) seen.push_back(text);
  }
  std::string out;
  for (const auto& t : seen) out += (out.empty() ? "" : "; ") + t;
  return out;
}

[[noreturn]] void fail_ctx(const std::string& what) {
  std::string why = openssl_errors();
  throw std::runtime_error("TLS: " + what + (why.empty() ? "" : ": " + why));
}

// ---- A socket BIO with MSG_NOSIGNAL --------------------------------------------------------

int bio_write(BIO* b, const char* data, int len) {
  auto* s = static_cast<TlsChannel::Socket*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  for (;;) {
    ssize_t n = ::send(s->fd, data, static_cast<std::size_t>(len), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    s->last_errno = errno;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(b);
    return -1;
  }
}

int bio_read(BIO* b, char* data, int len) {
  auto* s = static_cast<TlsChannel::Socket*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  for (;;) {
    ssize_t n = ::recv(s->fd, data, static_cast<std::size_t>(len), 0);
    if (n > 0) return static_cast<int>(n);
    if (n == 0) {
      s->last_errno = 0;
      return 0;
    }
    if (errno == EINTR) continue;
    s->last_errno = errno;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(b);
    return -1;
  }
}

long bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

/// The BIO method, made once and kept for the life of the process.
const BIO_METHOD* socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "failover6 socket");
    if (m == nullptr || BIO_meth_set_write(m, bio_write) != 1 ||
        BIO_meth_set_read(m, bio_read) != 1 || BIO_meth_set_ctrl(m, bio_ctrl) != 1 ||
        BIO_meth_set_create(m, bio_create) != 1)
      fail_ctx("cannot create the socket BIO method");
    return m;
  }();
  return method;
}

}  // namespace

// ---- TlsContext ------------------------------------------------------------------------------

TlsContext::TlsContext(const config::Tls& tls) : tls_(tls) {
  if (tls.peer_name.empty())
    throw std::runtime_error("TLS: peer-name is empty: the partner's identity cannot be checked");
  if (tls.ca_file.empty())
    throw std::runtime_error("TLS: ca-file is empty: the partner's certificate cannot be checked");
  ERR_clear_error();
  ctx_ = SSL_CTX_new(TLS_method());
  if (ctx_ == nullptr) fail_ctx("cannot create a context");
  try {
    if (SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION) != 1)
      fail_ctx("cannot restrict the protocol to TLS 1.3");
    SSL_CTX_set_num_tickets(ctx_, 0);
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (!tls.cert_file.empty()) {
      if (SSL_CTX_use_certificate_chain_file(ctx_, tls.cert_file.c_str()) != 1)
        fail_ctx("cannot load cert-file " + tls.cert_file);
      const std::string& key = tls.key_file.empty() ? tls.cert_file : tls.key_file;
      if (SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1)
        fail_ctx("cannot load key-file " + key);
      if (SSL_CTX_check_private_key(ctx_) != 1)
        fail_ctx("key-file " + key + " does not match cert-file " + tls.cert_file);
    }
    if (SSL_CTX_load_verify_locations(ctx_, tls.ca_file.c_str(), nullptr) != 1)
      fail_ctx("cannot load ca-file " + tls.ca_file);
    // Mutual authentication: the server (secondary) requires the client's certificate too.
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } catch (...) {
    SSL_CTX_free(ctx_);
    throw;
  }
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<PartnerChannel> TlsContext::channel(int fd, TlsRole role) const {
  return std::make_unique<TlsChannel>(ctx_, fd, role, tls_.peer_name);
}

// ---- TlsChannel ------------------------------------------------------------------------------

TlsChannel::TlsChannel(ssl_ctx_st* ctx, int fd, TlsRole role, const std::string& peer_name) {
  socket_.fd = fd;
  ERR_clear_error();
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr) fail_ctx("cannot create a session");
  BIO* bio = BIO_new(socket_method());
  if (bio == nullptr) {
    SSL_free(ssl_);
    fail_ctx("cannot create a BIO");
  }
  BIO_set_data(bio, &socket_);
  SSL_set_bio(ssl_, bio, bio);  // the SSL owns the BIO now
  // The partner's certificate must name peer_name (checked during chain verification, for
  // the client's certificate on the server as well as the reverse).
  SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (SSL_set1_host(ssl_, peer_name.c_str()) != 1) {
    SSL_free(ssl_);
    fail_ctx("cannot set the expected partner name " + peer_name);
  }
  if (role == TlsRole::Client) {
    // SSL_set_tlsext_host_name() without its C cast: SNI, so a partner can pick a certificate.
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(peer_name.c_str()));
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
}

TlsChannel::~TlsChannel() { SSL_free(ssl_); }

IoStatus TlsChannel::fail_status(int ret, const char* what) {
  int e = SSL_get_error(ssl_, ret);
  switch (e) {
    case SSL_ERROR_WANT_READ: return IoStatus::NeedRead;
    case SSL_ERROR_WANT_WRITE: return IoStatus::NeedWrite;
    case SSL_ERROR_ZERO_RETURN:
      error_ = "the partner closed the TLS session";
      failed_ = true;
      return IoStatus::Closed;
    default: break;
  }
  failed_ = true;
  unsigned long first = ERR_peek_error();
  bool unexpected_eof = ERR_GET_LIB(first) == ERR_LIB_SSL &&
                        ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
  std::string why = openssl_errors();
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    error_ = std::string(what) + ": partner certificate rejected: " +
             X509_verify_cert_error_string(verify);
    return IoStatus::Failed;
  }
  if (e == SSL_ERROR_SYSCALL && why.empty()) {
    if (socket_.last_errno == 0) {
      error_ = std::string(what) + ": the partner closed the connection";
      return established_ ? IoStatus::Closed : IoStatus::Failed;
    }
    error_ = std::string(what) + ": " + std::strerror(socket_.last_errno);
    return IoStatus::Failed;
  }
  if (unexpected_eof) {
    error_ = std::string(what) + ": the partner closed the connection without close_notify";
    return established_ ? IoStatus::Closed : IoStatus::Failed;
  }
  error_ = std::string(what) + ": " + (why.empty() ? "TLS error " + std::to_string(e) : why);
  return IoStatus::Failed;
}

IoStatus TlsChannel::try_handshake() {
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    established_ = true;
    return IoStatus::Done;
  }
  return fail_status(r, "TLS handshake");
}

IoResult TlsChannel::try_read(std::span<std::uint8_t> into) {
  ERR_clear_error();
  std::size_t n = 0;
  if (SSL_read_ex(ssl_, into.data(), into.size(), &n) == 1) return {IoStatus::Done, n};
  return {fail_status(0, "TLS read"), 0};
}

IoResult TlsChannel::try_write(wire::ByteView from) {
  ERR_clear_error();
  std::size_t n = 0;
  if (SSL_write_ex(ssl_, from.data(), from.size(), &n) == 1) return {IoStatus::Done, n};
  return {fail_status(0, "TLS write"), 0};
}

void TlsChannel::shutdown() {
  if (!established_ || failed_) return;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::string TlsChannel::describe() const {
  std::string out = std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
  if (X509* peer = SSL_get1_peer_certificate(ssl_)) {
    char name[256];
    X509_NAME_oneline(X509_get_subject_name(peer), name, sizeof(name));
    out += std::string(", partner certificate ") + name;
    X509_free(peer);
  }
  return out;
}

}  // namespace failover6::io
