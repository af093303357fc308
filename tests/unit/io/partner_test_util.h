// Helpers for the partner-link tests: run the io_context until a condition holds (bounded, no
// sleeping), the TLS test certificates (made once per process by ci/make_test_certs into a
// temporary directory), relationship builders and a recorder of PartnerLink callbacks.
#pragma once

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "io/partner_link.h"
#include "wire/failover_message.h"

namespace failover6::io::test {

/// @brief Runs @p io until @p done() holds or @p limit passes (each step returns as soon as
/// one handler ran, so nothing waits longer than needed).
/// @return done() at the end.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    if (io.stopped()) io.restart();
    io.run_one_for(std::min<std::chrono::steady_clock::duration>(deadline - now,
                                                                  std::chrono::milliseconds(50)));
  }
  return done();
}

/// @brief Runs @p io for @p d of real time, handling whatever happens (to check that
/// something does NOT happen within a bounded window).
inline void run_for(boost::asio::io_context& io, std::chrono::milliseconds d) {
  if (io.stopped()) io.restart();
  io.run_for(d);
}

/// The test certificates' directory (made on first use, removed at exit).
inline const std::filesystem::path& cert_dir() {
  static const std::filesystem::path dir = [] {
    char tmpl[] = "/tmp/f6certs-XXXXXX";
    std::filesystem::path d = ::mkdtemp(tmpl);
    std::string cmd = std::string(FAILOVER6_SOURCE_DIR) + "/ci/make_test_certs " + d.string();
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("ci/make_test_certs failed");
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(cert_dir(), ec);
    });
    return d;
  }();
  return dir;
}

/// @return TLS settings presenting certificate @p who ("primary", "secondary", "rogue") and
/// expecting the partner named @p peer_name, with the test CA.
inline config::Tls tls_for(const std::string& who, const std::string& peer_name) {
  config::Tls t;
  if (!who.empty()) {
    t.cert_file = (cert_dir() / (who + ".crt")).string();
    t.key_file = (cert_dir() / (who + ".key")).string();
  }
  t.ca_file = (cert_dir() / "ca.crt").string();
  t.peer_name = peer_name;
  return t;
}

inline config::Endpoint ep(const std::string& addr, std::uint16_t port) {
  return {wire::Address::from_string(addr), port};
}

/// @return a relationship @p name with @p role, insecure unless @p tls is given.
inline config::Relationship relationship(const std::string& name, const std::string& role,
                                         config::Endpoint self, config::Endpoint peer,
                                         std::optional<config::Tls> tls = std::nullopt) {
  config::Relationship r;
  r.name = name;
  r.role = role;
  r.this_server = self;
  r.peer = peer;
  r.tls = std::move(tls);
  r.insecure = !r.tls;
  return r;
}

/// Short timeouts and back-off for tests.
inline PartnerLink::Options fast_options() {
  PartnerLink::Options o;
  o.backoff = {std::chrono::milliseconds(5), std::chrono::milliseconds(20),
               std::chrono::milliseconds(60000)};
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.setup_timeout = std::chrono::milliseconds(3000);
  return o;
}

/// Records a link's callbacks.
struct Recorder {
  int ups = 0;
  int downs = 0;
  std::vector<wire::Bytes> frames;
  std::vector<std::string> down_reasons;
  std::vector<std::string> events;  ///< "up", "frame", "down" in order
  std::function<void()> also_on_up;

  PartnerLink::Callbacks callbacks() {
    PartnerLink::Callbacks c;
    c.on_up = [this] {
      ++ups;
      events.emplace_back("up");
      if (also_on_up) also_on_up();
    };
    c.on_frame = [this](wire::ByteView m) {
      frames.emplace_back(m.begin(), m.end());
      events.emplace_back("frame");
    };
    c.on_down = [this](const std::string& r) {
      ++downs;
      down_reasons.push_back(r);
      events.emplace_back("down");
    };
    return c;
  }
};

/// @return a framed CONNECT naming relationship @p name (no name when empty).
inline wire::Bytes connect_frame(const std::string& name, std::uint32_t xid = 1) {
  wire::FailoverMessage m;
  m.type = wire::MessageType::Connect;
  m.transaction_id = xid;
  m.sent_time = 12345;
  if (!name.empty()) m.options.emplace_back(wire::FRelationshipName{name});
  return wire::encode_failover_framed(m);
}

/// @return a framed message of @p body_size octets in total (a CONTACT with one opaque
/// unknown option as filler), unframed size = body_size.
inline wire::Bytes filler_frame(std::size_t body_size, std::uint8_t fill) {
  wire::FailoverMessage m;
  m.type = wire::MessageType::Contact;
  m.transaction_id = fill;
  if (body_size > 12) m.options.emplace_back(wire::UnknownOption{9999, wire::Bytes(body_size - 12, fill)});
  return wire::encode_failover_framed(m);
}

/// @return the frame without its 2-octet prefix.
inline wire::Bytes unframed(const wire::Bytes& framed) {
  return wire::Bytes(framed.begin() + 2, framed.end());
}

}  // namespace failover6::io::test
