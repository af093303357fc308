// io::PartnerLink and io::PartnerListener on real loopback sockets (::1, ephemeral ports), in
// insecure and secure mode (certificates made by ci/make_test_certs at test time): frames both
// ways (up to 65535 octets, bursts split across reads), refusal of unknown partners, m-to-1
// dispatch by relationship name, reconnection, STARTTLS refusal, certificate and identity
// failures. Each test runs the io_context until its condition holds, with a bounded deadline.
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>
#include <memory>
#include <optional>

#include "fakes.h"
#include "io/partner_link.h"
#include "io/partner_listener.h"
#include "partner_test_util.h"

using namespace failover6;
using namespace failover6::io;
using boost::asio::ip::tcp;
using test::ep;
using test::relationship;
using test::run_until;
using test::tls_for;

namespace {

const char* PRIMARY_NAME = "primary.failover6.test";
const char* SECONDARY_NAME = "secondary.failover6.test";

/// A secondary listener on [::1]:0 and helpers to add secondary and primary links.
struct Pair {
  boost::asio::io_context io;
  test::CapturedLog plog, slog;  ///< the primary's and the secondary's logs
  std::unique_ptr<PartnerListener> listener;
  std::vector<std::unique_ptr<PartnerLink>> links;
  std::vector<std::unique_ptr<test::Recorder>> recorders;

  ~Pair() {
    listener.reset();
    links.clear();
  }

  std::uint16_t listen(std::chrono::milliseconds setup_timeout = std::chrono::milliseconds(3000)) {
    PartnerListener::Options o;
    o.setup_timeout = setup_timeout;
    listener = std::make_unique<PartnerListener>(io, ep("::1", 0), slog.log, o);
    listener->start();
    return listener->port();
  }

  /// @return the link and its recorder.
  std::pair<PartnerLink*, test::Recorder*> add(config::Relationship r, bool start = true) {
    recorders.push_back(std::make_unique<test::Recorder>());
    test::Recorder* rec = recorders.back().get();
    bool secondary = r.role == "secondary";
    links.push_back(std::make_unique<PartnerLink>(io, std::move(r), secondary ? slog.log : plog.log,
                                                  rec->callbacks(), test::fast_options()));
    PartnerLink* l = links.back().get();
    if (secondary) listener->add(*l);
    if (start) l->start();
    return {l, rec};
  }

  /// A secondary for relationship @p name with partner ::1.
  std::pair<PartnerLink*, test::Recorder*> secondary(const std::string& name,
                                                     std::optional<config::Tls> tls = {},
                                                     const std::string& peer = "::1") {
    return add(relationship(name, "secondary", ep("::1", listener->port()), ep(peer, 647), tls));
  }

  /// A primary for relationship @p name that sends CONNECT(name) whenever it comes up.
  std::pair<PartnerLink*, test::Recorder*> primary(const std::string& name,
                                                   std::optional<config::Tls> tls = {},
                                                   std::uint16_t port = 0,
                                                   const std::string& connect_name = "*") {
    auto [l, rec] = add(relationship(name, "primary", ep("::1", 0),
                                     ep("::1", port != 0 ? port : listener->port()), tls),
                        false);
    std::string n = connect_name == "*" ? name : connect_name;
    rec->also_on_up = [l = l, n] { l->send(test::connect_frame(n)); };
    l->start();
    return {l, rec};
  }
};

/// A raw client socket (not a PartnerLink) for what a link would never send.
struct RawClient {
  int fd = -1;
  explicit RawClient(std::uint16_t port) {
    fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    sa.sin6_port = htons(port);
    BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  }
  ~RawClient() { ::close(fd); }
  void send(const wire::Bytes& b) const {
    BOOST_REQUIRE(::send(fd, b.data(), b.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(b.size()));
  }
  /// @brief Reads what is there without blocking. @return false once EOF or an error was seen.
  bool poll(wire::Bytes& into) const {
    std::uint8_t buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        into.insert(into.end(), buf, buf + n);
        continue;
      }
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
  }
};

bool has_line(const test::CapturedLog& log, std::string_view id, std::string_view text) {
  for (const auto& l : log.lines)
    if (l.find(id) != std::string::npos && l.find(text) != std::string::npos) return true;
  return false;
}

std::string all(const test::CapturedLog& log) {
  std::string out;
  for (const auto& l : log.lines) out += l + "\n";
  return out;
}

/// Sends a 65535-octet frame and 300 small ones from @p from, checks @p to got them in order.
void exchange_burst(Pair& p, PartnerLink& from, test::Recorder& to) {
  std::size_t before = to.frames.size();
  std::vector<wire::Bytes> sent;
  sent.push_back(test::filler_frame(65535, 0x5a));
  wire::Bytes batch;
  for (int i = 0; i < 300; ++i) {
    wire::Bytes f = test::filler_frame(12 + static_cast<std::size_t>(i % 40), static_cast<std::uint8_t>(i));
    sent.push_back(f);
    if (i < 150) {
      BOOST_TEST_REQUIRE(from.send(f));  // one send per frame
    } else {
      batch.insert(batch.end(), f.begin(), f.end());
    }
  }
  BOOST_TEST_REQUIRE(from.send(sent[0]));  // the big one after the first 150: order is kept
  BOOST_TEST_REQUIRE(from.send(batch));    // 150 frames in one send
  std::vector<wire::Bytes> expect(sent.begin() + 1, sent.begin() + 151);
  expect.push_back(sent[0]);
  expect.insert(expect.end(), sent.begin() + 151, sent.end());
  BOOST_TEST_REQUIRE(run_until(p.io, [&] { return to.frames.size() >= before + expect.size(); }));
  BOOST_TEST_REQUIRE(to.frames.size() == before + expect.size());
  for (std::size_t i = 0; i < expect.size(); ++i)
    BOOST_TEST_CONTEXT("frame " << i) {
      BOOST_TEST(to.frames[before + i] == test::unframed(expect[i]));
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(partner_link)

BOOST_FIXTURE_TEST_CASE(insecure_primary_connects_and_frames_pass_both_ways, Pair) {
  listen();
  auto [sec, srec] = secondary("r1");
  auto [pri, prec] = primary("r1");
  BOOST_TEST_REQUIRE(run_until(io, [&] { return srec->frames.size() == 1; }), all(slog) + all(plog));
  BOOST_TEST(prec->ups == 1);
  BOOST_TEST(srec->ups == 1);
  BOOST_TEST((srec->events == std::vector<std::string>{"up", "frame"}));
  BOOST_TEST(srec->frames[0] == test::unframed(test::connect_frame("r1")));
  BOOST_TEST(pri->is_up());
  BOOST_TEST(sec->is_up());

  exchange_burst(*this, *pri, *srec);
  exchange_burst(*this, *sec, *prec);

  auto ps = pri->status(), ss = sec->status();
  BOOST_TEST(ps.connected);
  BOOST_TEST(ps.up_since.has_value());
  BOOST_TEST(ps.session == "insecure");
  BOOST_TEST(ps.connect_attempts == 1U);
  BOOST_TEST(ps.bytes_out == ss.bytes_in);
  BOOST_TEST(ss.bytes_out == ps.bytes_in);
  BOOST_TEST(ps.frames_out == 1U + 152U);  // CONNECT + 152 send() calls
  BOOST_TEST(ss.frames_in == 1U + 301U);   // CONNECT + 301 frames
  BOOST_TEST(ss.partner.find("[::1]:") == 0U);
  BOOST_TEST(plog.count("F6D_PARTNER_CONNECTED") == 1U);
  BOOST_TEST(slog.count("F6D_PARTNER_LISTENING") == 1U);
  BOOST_TEST(!PartnerLink(io, relationship("x", "primary", ep("::1", 0), ep("::1", 1)), plog.log, {})
                  .send(test::connect_frame("x")));  // not up: nothing queued
}

BOOST_FIXTURE_TEST_CASE(unknown_partner_address_is_refused, Pair) {
  listen();
  auto [sec, srec] = secondary("r1", {}, "2001:db8::99");  // expects another partner
  auto [pri, prec] = primary("r1");
  BOOST_TEST_REQUIRE(run_until(io, [&] { return listener->refused() >= 2; }));
  BOOST_TEST(srec->ups == 0);
  BOOST_TEST(has_line(slog, "F6D_PARTNER_REFUSED", "no secondary relationship has partner address ::1"));
  BOOST_TEST(pri->status().connect_attempts >= 2U);  // it keeps trying
  BOOST_TEST(to_string(sec->status().state) == "Waiting");
}

BOOST_FIXTURE_TEST_CASE(m_to_1_dispatch_by_relationship_name, Pair) {
  listen();
  auto [sa, sarec] = secondary("alpha");
  auto [sb, sbrec] = secondary("beta");
  auto [pa, parec] = primary("alpha");
  auto [pb, pbrec] = primary("beta");
  BOOST_TEST_REQUIRE(run_until(io, [&] { return sarec->frames.size() == 1 && sbrec->frames.size() == 1; }),
                     all(slog));
  BOOST_TEST(sarec->frames[0] == test::unframed(test::connect_frame("alpha")));
  BOOST_TEST(sbrec->frames[0] == test::unframed(test::connect_frame("beta")));
  // Each secondary talks to its own primary.
  BOOST_TEST_REQUIRE(sa->send(test::filler_frame(20, 0xaa)));
  BOOST_TEST_REQUIRE(sb->send(test::filler_frame(20, 0xbb)));
  BOOST_TEST_REQUIRE(run_until(io, [&] { return parec->frames.size() == 1 && pbrec->frames.size() == 1; }));
  BOOST_TEST(parec->frames[0] == test::unframed(test::filler_frame(20, 0xaa)));
  BOOST_TEST(pbrec->frames[0] == test::unframed(test::filler_frame(20, 0xbb)));

  // A name no secondary relationship has, and a CONNECT without a name: both refused.
  primary("gamma");
  BOOST_TEST_REQUIRE(run_until(io, [&] { return has_line(slog, "F6D_PARTNER_REFUSED", "'gamma'"); }));
  primary("nameless", {}, 0, "");
  BOOST_TEST_REQUIRE(run_until(io, [&] {
    return has_line(slog, "F6D_PARTNER_REFUSED", "no OPTION_F_RELATIONSHIP_NAME but 2 relationships");
  }));
  BOOST_TEST(sarec->ups == 1);
  BOOST_TEST(sbrec->ups == 1);
}

BOOST_FIXTURE_TEST_CASE(first_message_must_be_connect, Pair) {
  listen();
  auto [sec, srec] = secondary("r1");
  RawClient c(listener->port());
  c.send(test::filler_frame(20, 1));  // a CONTACT first
  wire::Bytes got;
  BOOST_TEST_REQUIRE(run_until(io, [&] { return !c.poll(got); }));  // closed by the listener
  BOOST_TEST(has_line(slog, "F6D_PARTNER_REFUSED", "must be CONNECT (31)"));
  BOOST_TEST(srec->ups == 0);
}

BOOST_FIXTURE_TEST_CASE(a_new_connection_replaces_the_old_one, Pair) {
  listen();
  auto [sec, srec] = secondary("r1");
  auto [p1, p1rec] = primary("r1");
  BOOST_TEST_REQUIRE(run_until(io, [&] { return srec->frames.size() == 1; }));
  auto [p2, p2rec] = primary("r1");
  BOOST_TEST_REQUIRE(run_until(io, [&] { return srec->ups == 2; }));
  BOOST_TEST((std::vector<std::string>(srec->events.begin(), srec->events.begin() + 4) ==
              std::vector<std::string>{"up", "frame", "down", "up"}));
  BOOST_TEST(srec->down_reasons[0].find("replaced by a new connection") != std::string::npos);
  BOOST_TEST_REQUIRE(run_until(io, [&] { return p1rec->downs >= 1; }));
  p1->stop();
  p2->stop();
}

BOOST_FIXTURE_TEST_CASE(primary_reconnects_after_the_secondary_closes, Pair) {
  listen();
  auto [sec, srec] = secondary("r1");
  auto [pri, prec] = primary("r1");
  BOOST_TEST_REQUIRE(run_until(io, [&] { return srec->frames.size() == 1; }));
  sec->close("test: drop the partner");
  BOOST_TEST(!sec->is_up());
  BOOST_TEST(srec->downs == 0);  // close() does not call on_down
  BOOST_TEST(has_line(slog, "F6D_PARTNER_CLOSED", "closed by this server: test: drop the partner"));
  BOOST_TEST_REQUIRE(run_until(io, [&] { return srec->frames.size() == 2 && prec->ups == 2; }),
                     all(plog));
  BOOST_TEST(prec->downs == 1);
  BOOST_TEST(prec->down_reasons[0].find("closed the connection") != std::string::npos,
             prec->down_reasons[0]);
  auto ps = pri->status();
  BOOST_TEST(ps.connections == 2U);
  BOOST_TEST(ps.connect_attempts == 2U);
  BOOST_TEST(sec->status().connections == 2U);
}

BOOST_FIXTURE_TEST_CASE(primary_reconnects_when_the_listener_starts_late, Pair) {
  // Reserve a port: bound but not listening, so connects are refused until the listener runs.
  auto reserve = std::make_unique<tcp::acceptor>(io);
  reserve->open(tcp::v6());
  reserve->set_option(tcp::acceptor::reuse_address(true));
  reserve->bind(tcp::endpoint(boost::asio::ip::address_v6::loopback(), 0));
  std::uint16_t port = reserve->local_endpoint().port();
  recorders.push_back(std::make_unique<test::Recorder>());
  test::Recorder* prec = recorders.back().get();
  PartnerLink pri(io, relationship("r1", "primary", ep("::1", 0), ep("::1", port)), plog.log,
                  prec->callbacks(), test::fast_options());
  prec->also_on_up = [&] { pri.send(test::connect_frame("r1")); };
  pri.start();
  BOOST_TEST_REQUIRE(run_until(io, [&] { return pri.status().connect_attempts >= 3; }));
  BOOST_TEST(prec->ups == 0);
  BOOST_TEST(has_line(plog, "F6D_PARTNER_CONNECT_FAILED", "refused"), all(plog));
  BOOST_TEST(pri.status().failures_in_a_row >= 2U);
  BOOST_TEST(!pri.status().last_error.empty());

  reserve.reset();
  listener = std::make_unique<PartnerListener>(io, ep("::1", port), slog.log);
  auto [sec, srec] = add(relationship("r1", "secondary", ep("::1", port), ep("::1", 647)));
  listener->start();
  BOOST_TEST_REQUIRE(run_until(io, [&] { return srec->frames.size() == 1 && prec->ups == 1; }));
  BOOST_TEST(pri.status().connected);
  pri.stop();
}

BOOST_FIXTURE_TEST_CASE(tls_go_ahead_and_frames, Pair) {
  listen();
  auto [sec, srec] = secondary("r1", tls_for("secondary", PRIMARY_NAME));
  auto [pri, prec] = primary("r1", tls_for("primary", SECONDARY_NAME));
  BOOST_TEST_REQUIRE(run_until(io, [&] { return srec->frames.size() == 1; }), all(slog) + all(plog));
  BOOST_TEST((srec->events == std::vector<std::string>{"up", "frame"}));
  BOOST_TEST(pri->status().session.find("TLSv1.3") == 0U, pri->status().session);
  BOOST_TEST(pri->status().session.find(SECONDARY_NAME) != std::string::npos);
  BOOST_TEST(sec->status().session.find(PRIMARY_NAME) != std::string::npos);
  BOOST_TEST(has_line(slog, "F6D_PARTNER_CONNECTED", "TLSv1.3"));
  exchange_burst(*this, *pri, *srec);
  exchange_burst(*this, *sec, *prec);
}

BOOST_FIXTURE_TEST_CASE(insecure_secondary_refuses_starttls, Pair) {
  listen();
  auto [sec, srec] = secondary("r1");  // insecure
  // On the wire: REPLY with STATUS_CODE 15 and the same transaction-id, then the close.
  RawClient c(listener->port());
  wire::FailoverMessage st;
  st.type = wire::MessageType::StartTls;
  st.transaction_id = 0x010203;
  c.send(wire::encode_failover_framed(st));
  wire::Bytes got;
  BOOST_TEST_REQUIRE(run_until(io, [&] { return !c.poll(got); }));
  wire::FrameSplitter split;
  split.feed(got);
  auto frame = split.next();
  BOOST_TEST_REQUIRE(frame.has_value());
  auto reply = wire::decode_failover(*frame);
  BOOST_TEST_REQUIRE(reply.has_value());
  BOOST_TEST((reply->type == wire::MessageType::Reply));
  BOOST_TEST(reply->transaction_id == 0x010203U);
  BOOST_TEST_REQUIRE(reply->find<wire::StatusCodeOption>() != nullptr);
  BOOST_TEST(reply->find<wire::StatusCodeOption>()->status == 15U);
  BOOST_TEST(has_line(slog, "F6D_PARTNER_REFUSED", "asked for TLS"));

  // And a secure primary link reports the refusal and backs off.
  auto [pri, prec] = primary("r1", tls_for("primary", SECONDARY_NAME));
  BOOST_TEST_REQUIRE(run_until(io, [&] { return has_line(plog, "F6D_TLS_HANDSHAKE_FAILED", "TLSConnectionRefused"); }),
                     all(plog));
  BOOST_TEST(prec->ups == 0);
  BOOST_TEST(srec->ups == 0);
  BOOST_TEST(pri->status().last_error.find("TLSConnectionRefused") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(secure_secondary_refuses_a_plain_connect, Pair) {
  listen();
  auto [sec, srec] = secondary("r1", tls_for("secondary", PRIMARY_NAME));
  RawClient c(listener->port());
  c.send(test::connect_frame("r1"));
  wire::Bytes got;
  BOOST_TEST_REQUIRE(run_until(io, [&] { return !c.poll(got); }));
  BOOST_TEST(got.empty());
  BOOST_TEST(has_line(slog, "F6D_PARTNER_REFUSED", "requires STARTTLS"));
  BOOST_TEST(srec->ups == 0);
}

/// Runs a secure pair whose TLS set-up must fail; @return after both sides logged it.
void expect_tls_failure(Pair& p, config::Tls primary_tls, config::Tls secondary_tls,
                        std::string_view primary_text, std::string_view secondary_text) {
  p.listen();
  auto [sec, srec] = p.secondary("r1", secondary_tls);
  auto [pri, prec] = p.primary("r1", primary_tls);
  BOOST_TEST_REQUIRE(run_until(p.io, [&] {
    return has_line(p.plog, "", primary_text) && has_line(p.slog, "", secondary_text) &&
           !pri->is_up();
  }), all(p.plog) + all(p.slog));
  BOOST_TEST(srec->ups == 0);
  BOOST_TEST(srec->frames.empty());
  BOOST_TEST(!pri->status().last_error.empty());
}

BOOST_FIXTURE_TEST_CASE(rogue_primary_certificate_is_refused, Pair) {
  // The secondary rejects the primary's certificate (another CA); the primary sees the alert.
  expect_tls_failure(*this, tls_for("rogue", SECONDARY_NAME), tls_for("secondary", PRIMARY_NAME),
                     "alert", "partner certificate rejected: unable to get local issuer certificate");
  BOOST_TEST(has_line(slog, "F6D_TLS_HANDSHAKE_FAILED", "unable to get local issuer certificate"));
}

BOOST_FIXTURE_TEST_CASE(rogue_secondary_certificate_is_refused, Pair) {
  auto rogue = tls_for("rogue", PRIMARY_NAME);
  expect_tls_failure(*this, tls_for("primary", SECONDARY_NAME), rogue,
                     "partner certificate rejected: unable to get local issuer certificate", "alert");
  BOOST_TEST(has_line(plog, "F6D_TLS_HANDSHAKE_FAILED", "unable to get local issuer certificate"));
  BOOST_TEST(recorders.back()->ups == 0);  // the primary checks the certificate before it is up
}

BOOST_FIXTURE_TEST_CASE(wrong_peer_name_is_refused_by_the_primary, Pair) {
  expect_tls_failure(*this, tls_for("primary", "other.failover6.test"),
                     tls_for("secondary", PRIMARY_NAME),
                     "partner certificate rejected: hostname mismatch", "alert");
}

BOOST_FIXTURE_TEST_CASE(wrong_peer_name_is_refused_by_the_secondary, Pair) {
  expect_tls_failure(*this, tls_for("primary", SECONDARY_NAME),
                     tls_for("secondary", "other.failover6.test"), "alert",
                     "partner certificate rejected: hostname mismatch");
}

BOOST_FIXTURE_TEST_CASE(missing_client_certificate_is_refused, Pair) {
  expect_tls_failure(*this, tls_for("", SECONDARY_NAME), tls_for("secondary", PRIMARY_NAME),
                     "alert", "peer did not return a certificate");
}

BOOST_FIXTURE_TEST_CASE(set_up_timeout_closes_a_silent_partner, Pair) {
  listen(std::chrono::milliseconds(100));
  secondary("r1", tls_for("secondary", PRIMARY_NAME));
  RawClient c(listener->port());  // says nothing
  wire::Bytes got;
  BOOST_TEST_REQUIRE(run_until(io, [&] { return !c.poll(got); }));
  BOOST_TEST(has_line(slog, "F6D_PARTNER_CLOSED", "not complete within 100 ms"), all(slog));
  BOOST_TEST(listener->pending() == 0U);
}

BOOST_AUTO_TEST_CASE(configuration_errors) {
  boost::asio::io_context io;
  test::CapturedLog log;
  auto r = relationship("r", "primary", ep("::1", 0), ep("::1", 1));
  r.insecure = false;  // neither tls nor insecure
  BOOST_CHECK_EXCEPTION(PartnerLink(io, r, log.log, {}), std::invalid_argument,
                        [](const std::invalid_argument& e) {
                          return std::string(e.what()).find("neither tls nor insecure") !=
                                 std::string::npos;
                        });
  r.role = "tertiary";
  BOOST_CHECK_THROW(PartnerLink(io, r, log.log, {}), std::invalid_argument);
  auto bad = tls_for("primary", SECONDARY_NAME);
  bad.key_file = (test::cert_dir() / "secondary.key").string();
  BOOST_CHECK_EXCEPTION(
      PartnerLink(io, relationship("r", "primary", ep("::1", 0), ep("::1", 1), bad), log.log, {}),
      std::runtime_error, [](const std::runtime_error& e) {
        return std::string(e.what()).find("key values mismatch") != std::string::npos;
      });
  bad = tls_for("primary", SECONDARY_NAME);
  bad.ca_file = "/nonexistent/ca.crt";
  BOOST_CHECK_EXCEPTION(
      PartnerLink(io, relationship("r", "primary", ep("::1", 0), ep("::1", 1), bad), log.log, {}),
      std::runtime_error, [](const std::runtime_error& e) {
        return std::string(e.what()).find("/nonexistent/ca.crt") != std::string::npos;
      });
  PartnerListener l(io, ep("::1", 5999), log.log);
  PartnerLink p(io, relationship("r", "primary", ep("::1", 0), ep("::1", 1)), log.log, {});
  BOOST_CHECK_THROW(l.add(p), std::invalid_argument);
  PartnerLink s(io, relationship("r", "secondary", ep("::1", 6000), ep("::1", 1)), log.log, {});
  BOOST_CHECK_THROW(l.add(s), std::invalid_argument);  // another port
}

BOOST_AUTO_TEST_SUITE_END()
