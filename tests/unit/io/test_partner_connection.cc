// io::PartnerConnection driven through a scripted PartnerChannel (STYLE.md rule 5, in the manner
// of dnsdist's MockupTLSConnection): each try_handshake/try_read/try_write answers the next
// scripted step, including short reads and writes, NeedRead/NeedWrite and failures. The
// connection sits on a real loopback TCP socket only so that its readiness waits complete: a
// scripted NeedRead makes the socket readable by writing one octet from the other end, which
// the next try_read drains, so nothing spins and nothing sleeps.
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>
#include <deque>
#include <memory>
#include <optional>

#include "io/partner_connection.h"
#include "partner_test_util.h"

using namespace failover6;
using namespace failover6::io;
using boost::asio::ip::tcp;
using test::run_until;

namespace {

/// One scripted answer.
struct Step {
  IoStatus status = IoStatus::Done;
  wire::Bytes data;        ///< read: the octets returned
  std::size_t accept = 0;  ///< write: octets taken (0 = all)
  std::string error;       ///< Closed/Failed: the channel's error text
};

/// The script and what the driver did, shared by the test and the channel it hands out.
struct Script {
  std::deque<Step> handshake, reads, writes;
  wire::Bytes written;
  int handshake_calls = 0;
  int fd = -1;       ///< the connection's socket (drained of wake-up octets)
  int peer_fd = -1;  ///< the other end (writes wake-up octets)
};

class ScriptedChannel : public PartnerChannel {
 public:
  explicit ScriptedChannel(std::shared_ptr<Script> s) : s_(std::move(s)) {}

  IoStatus try_handshake() override {
    drain();
    ++s_->handshake_calls;
    if (s_->handshake.empty()) return IoStatus::Done;
    Step st = pop(s_->handshake);
    return st.status;
  }
  IoResult try_read(std::span<std::uint8_t> into) override {
    drain();
    if (s_->reads.empty()) return {IoStatus::NeedRead, 0};  // waits for ever: end of script
    Step st = pop(s_->reads);
    if (st.status != IoStatus::Done) return {st.status, 0};
    BOOST_REQUIRE(st.data.size() <= into.size());
    std::copy(st.data.begin(), st.data.end(), into.begin());
    return {IoStatus::Done, st.data.size()};
  }
  IoResult try_write(wire::ByteView from) override {
    std::size_t n = from.size();
    if (!s_->writes.empty()) {
      Step st = pop(s_->writes);
      if (st.status != IoStatus::Done) return {st.status, 0};
      if (st.accept != 0) n = std::min(n, st.accept);
    }
    s_->written.insert(s_->written.end(), from.begin(), from.begin() + static_cast<long>(n));
    return {IoStatus::Done, n};
  }
  std::string error() const override { return error_; }
  std::string describe() const override { return "scripted"; }

 private:
  Step pop(std::deque<Step>& q) {
    Step st = std::move(q.front());
    q.pop_front();
    if (st.status == IoStatus::NeedRead) {
      char x = 'x';  // make the socket readable so the driver's wait completes
      BOOST_REQUIRE(::send(s_->peer_fd, &x, 1, MSG_NOSIGNAL) == 1);
    }
    if (!st.error.empty()) error_ = st.error;
    return st;
  }
  void drain() {
    char buf[64];
    while (::recv(s_->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
    }
  }
  std::shared_ptr<Script> s_;
  std::string error_;
};

Step read(wire::Bytes b) { return {IoStatus::Done, std::move(b), 0, ""}; }
Step status(IoStatus s, std::string error = "") { return {s, {}, 0, std::move(error)}; }
Step take(std::size_t n) { return {IoStatus::Done, {}, n, ""}; }

wire::Bytes slice(const wire::Bytes& b, std::size_t from, std::size_t to) {
  return wire::Bytes(b.begin() + static_cast<long>(from), b.begin() + static_cast<long>(to));
}

wire::Bytes message(wire::MessageType t, std::uint32_t xid, std::optional<std::uint16_t> st = {},
                    bool sent_time = true) {
  wire::FailoverMessage m;
  m.type = t;
  m.transaction_id = xid;
  m.sent_time = 777;
  m.has_sent_time = sent_time;
  if (st) m.options.emplace_back(wire::StatusCodeOption{*st, "no TLS here"});
  return wire::encode_failover_framed(m);
}

/// A connection on a loopback TCP pair with scripted clear-text and TLS channels.
struct Fixture {
  boost::asio::io_context io;
  tcp::socket peer{io};
  std::shared_ptr<Script> plain = std::make_shared<Script>();
  std::shared_ptr<Script> tls = std::make_shared<Script>();
  bool tls_made = false;
  std::shared_ptr<PartnerConnection> conn;
  int ready = 0;
  std::vector<wire::Bytes> frames;
  std::optional<CloseCause> cause;
  std::string reason;

  void make(PartnerSide side, bool secure) {
    tcp::acceptor acc(io, tcp::endpoint(boost::asio::ip::address_v6::loopback(), 0));
    peer.connect(acc.local_endpoint());
    tcp::socket mine = acc.accept();
    plain->fd = tls->fd = mine.native_handle();
    plain->peer_fd = tls->peer_fd = peer.native_handle();
    PartnerConnection::TlsFactory f;
    if (secure)
      f = [this]() -> std::unique_ptr<PartnerChannel> {
        tls_made = true;
        return std::make_unique<ScriptedChannel>(tls);
      };
    conn = std::make_shared<PartnerConnection>(std::move(mine), side,
                                               std::make_unique<ScriptedChannel>(plain), f);
    PartnerConnection::Handlers h;
    h.on_ready = [this] { ++ready; };
    h.on_frame = [this](wire::ByteView m) { frames.emplace_back(m.begin(), m.end()); };
    h.on_closed = [this](CloseCause c, const std::string& r) {
      cause = c;
      reason = r;
    };
    conn->start(h, std::chrono::milliseconds(3000));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(partner_connection_scripted)

BOOST_FIXTURE_TEST_CASE(secure_primary_with_short_reads_and_writes, Fixture) {
  wire::Bytes reply = message(wire::MessageType::Reply, 5);
  // Clear text: STARTTLS goes out 3 octets, then NeedWrite, then the rest; the REPLY comes
  // in two pieces after a NeedRead.
  plain->writes = {take(3), status(IoStatus::NeedWrite), take(0)};
  plain->reads = {status(IoStatus::NeedRead), read(slice(reply, 0, 1)),
                  read(slice(reply, 1, reply.size()))};
  // TLS: the handshake needs a read and a write first; then two frames arrive split across
  // three reads (the first octet of the length prefix alone), and writes are short.
  wire::Bytes f1 = test::filler_frame(40, 0xa1), f2 = test::filler_frame(20, 0xb2);
  wire::Bytes both = f1;
  both.insert(both.end(), f2.begin(), f2.end());
  tls->handshake = {status(IoStatus::NeedRead), status(IoStatus::NeedWrite), status(IoStatus::Done)};
  tls->reads = {read(slice(both, 0, 1)), status(IoStatus::NeedRead), read(slice(both, 1, 30)),
                read(slice(both, 30, both.size()))};
  tls->writes = {take(1), take(2), status(IoStatus::NeedWrite), take(5)};
  make(PartnerSide::Primary, true);

  BOOST_TEST_REQUIRE(run_until(io, [&] { return frames.size() == 2 || cause; }));
  BOOST_TEST(!cause.has_value(), reason);
  BOOST_TEST(ready == 1);
  BOOST_TEST(tls->handshake_calls == 3);
  // The clear-text side carried exactly one STARTTLS, with sent-time (decision A7).
  BOOST_TEST_REQUIRE(plain->written.size() == 10U);
  auto st = wire::decode_failover(test::unframed(plain->written));
  BOOST_TEST_REQUIRE(st.has_value());
  BOOST_TEST((st->type == wire::MessageType::StartTls));
  BOOST_TEST(st->has_sent_time);
  BOOST_TEST(frames[0] == test::unframed(f1));
  BOOST_TEST(frames[1] == test::unframed(f2));

  // Sends after set-up: queued in order, written through short writes, never interleaved.
  wire::Bytes a = test::filler_frame(30, 1), b = test::filler_frame(25, 2);
  BOOST_TEST(conn->send(a));
  BOOST_TEST(conn->send(b));
  wire::Bytes expect = a;
  expect.insert(expect.end(), b.begin(), b.end());
  BOOST_TEST_REQUIRE(run_until(io, [&] { return tls->written.size() >= expect.size() || cause; }));
  BOOST_TEST(tls->written == expect);
  BOOST_TEST(conn->counters().frames_in == 3U);   // REPLY + 2
  BOOST_TEST(conn->counters().frames_out == 3U);  // STARTTLS + 2
}

BOOST_FIXTURE_TEST_CASE(secure_primary_refused_with_tls_connection_refused, Fixture) {
  plain->reads = {read(message(wire::MessageType::Reply, 5, 15))};
  make(PartnerSide::Primary, true);
  BOOST_TEST_REQUIRE(run_until(io, [&] { return cause.has_value(); }));
  BOOST_TEST((*cause == CloseCause::TlsRefused));
  BOOST_TEST(reason.find("TLSConnectionRefused") != std::string::npos, reason);
  BOOST_TEST(!tls_made);
  BOOST_TEST(ready == 0);
  BOOST_TEST(is_rejection(*cause));
}

BOOST_FIXTURE_TEST_CASE(secure_primary_expects_a_reply, Fixture) {
  plain->reads = {read(test::connect_frame("x"))};
  make(PartnerSide::Primary, true);
  BOOST_TEST_REQUIRE(run_until(io, [&] { return cause.has_value(); }));
  BOOST_TEST((*cause == CloseCause::Protocol));
  BOOST_TEST(reason.find("expected the REPLY to STARTTLS") != std::string::npos, reason);
}

BOOST_FIXTURE_TEST_CASE(secure_secondary_answers_starttls_then_handshakes, Fixture) {
  // A STARTTLS without sent-time (RFC 7653's header) is accepted too (A7).
  plain->reads = {read(message(wire::MessageType::StartTls, 0x123456, {}, false))};
  tls->handshake = {status(IoStatus::NeedRead), status(IoStatus::Done)};
  tls->reads = {read(test::connect_frame("alpha"))};
  make(PartnerSide::Secondary, true);
  BOOST_TEST_REQUIRE(run_until(io, [&] { return frames.size() == 1 || cause; }));
  BOOST_TEST(!cause.has_value(), reason);
  BOOST_TEST(ready == 1);
  auto r = wire::decode_failover(test::unframed(plain->written));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST((r->type == wire::MessageType::Reply));
  BOOST_TEST(r->transaction_id == 0x123456U);
  BOOST_TEST(r->has_sent_time);
  BOOST_TEST(r->find<wire::StatusCodeOption>() == nullptr);  // go ahead
  BOOST_TEST(frames[0] == test::unframed(test::connect_frame("alpha")));
}

BOOST_FIXTURE_TEST_CASE(secure_secondary_refuses_anything_but_starttls, Fixture) {
  plain->reads = {read(test::connect_frame("alpha"))};
  make(PartnerSide::Secondary, true);
  BOOST_TEST_REQUIRE(run_until(io, [&] { return cause.has_value(); }));
  BOOST_TEST((*cause == CloseCause::RefusedPartner));
  BOOST_TEST(reason.find("requires STARTTLS") != std::string::npos, reason);
  BOOST_TEST(plain->written.empty());
  BOOST_TEST(frames.empty());
  BOOST_TEST(!tls_made);
}

BOOST_FIXTURE_TEST_CASE(data_after_starttls_is_refused, Fixture) {
  wire::Bytes b = message(wire::MessageType::StartTls, 9);
  b.push_back(0x16);  // a TLS record already: the partner did not wait for the REPLY
  plain->reads = {read(b)};
  make(PartnerSide::Secondary, true);
  BOOST_TEST_REQUIRE(run_until(io, [&] { return cause.has_value(); }));
  BOOST_TEST((*cause == CloseCause::Protocol));
  BOOST_TEST(!tls_made);
}

BOOST_FIXTURE_TEST_CASE(handshake_failure_carries_the_reason, Fixture) {
  plain->reads = {read(message(wire::MessageType::StartTls, 9))};
  tls->handshake = {status(IoStatus::NeedWrite),
                    status(IoStatus::Failed, "TLS handshake: partner certificate rejected: "
                                             "hostname mismatch")};
  make(PartnerSide::Secondary, true);
  BOOST_TEST_REQUIRE(run_until(io, [&] { return cause.has_value(); }));
  BOOST_TEST((*cause == CloseCause::TlsFailed));
  BOOST_TEST(reason.find("hostname mismatch") != std::string::npos, reason);
  BOOST_TEST(ready == 0);
}

BOOST_FIXTURE_TEST_CASE(insecure_secondary_answers_starttls_with_status_15, Fixture) {
  plain->reads = {read(message(wire::MessageType::StartTls, 0xabcdef))};
  make(PartnerSide::Secondary, false);
  BOOST_TEST_REQUIRE(run_until(io, [&] { return cause.has_value(); }));
  BOOST_TEST((*cause == CloseCause::RefusedPartner));
  BOOST_TEST(frames.empty());  // the STARTTLS is not passed on
  auto r = wire::decode_failover(test::unframed(plain->written));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST((r->type == wire::MessageType::Reply));
  BOOST_TEST(r->transaction_id == 0xabcdefU);
  const auto* sc = r->find<wire::StatusCodeOption>();
  BOOST_TEST_REQUIRE(sc != nullptr);
  BOOST_TEST(sc->status == 15U);
}

BOOST_FIXTURE_TEST_CASE(insecure_frames_and_errors, Fixture) {
  wire::Bytes f = test::filler_frame(100, 7);
  plain->reads = {read(slice(f, 0, 50)), read(slice(f, 50, f.size())),
                  status(IoStatus::Failed, "receive: Connection reset by peer")};
  make(PartnerSide::Primary, false);
  BOOST_TEST_REQUIRE(run_until(io, [&] { return cause.has_value(); }));
  BOOST_TEST(ready == 1);
  BOOST_TEST_REQUIRE(frames.size() == 1U);
  BOOST_TEST(frames[0] == test::unframed(f));
  BOOST_TEST((*cause == CloseCause::IoError));
  BOOST_TEST(reason == "receive: Connection reset by peer");
  BOOST_TEST(!conn->send(f));  // closed: nothing queued
}

BOOST_FIXTURE_TEST_CASE(set_up_timeout, Fixture) {
  make(PartnerSide::Secondary, true);  // no STARTTLS ever comes
  conn->set_deadline(std::chrono::milliseconds(50), "no STARTTLS in time");
  BOOST_TEST_REQUIRE(run_until(io, [&] { return cause.has_value(); }));
  BOOST_TEST((*cause == CloseCause::Timeout));
  BOOST_TEST(reason == "no STARTTLS in time");
}

BOOST_FIXTURE_TEST_CASE(close_calls_nothing_back, Fixture) {
  make(PartnerSide::Primary, false);
  BOOST_TEST_REQUIRE(run_until(io, [&] { return ready == 1; }));
  BOOST_TEST(conn->send(test::filler_frame(20, 1)));
  conn->close();
  test::run_for(io, std::chrono::milliseconds(20));
  BOOST_TEST(!cause.has_value());
  BOOST_TEST(conn->closed());
  BOOST_TEST(plain->written.empty());  // the queued frame was dropped, not written
}

BOOST_AUTO_TEST_SUITE_END()
