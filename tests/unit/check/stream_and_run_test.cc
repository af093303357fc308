// The failover-stream decoder (framing, mid-stream resync, gaps), the timeline's memory bound,
// the multi-file merge, the report writers and whole runs over the reference captures.
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "check/check.h"
#include "check/failover_stream.h"
#include "check/no_duplicate_assignment.h"
#include "check_fixtures.h"
#include "trace/trace_error.h"
#include "wire/message.h"

namespace failover6::check::test {
namespace {

using wire::MessageType;

const std::string CAPTURES = std::string(FAILOVER6_SOURCE_DIR) + "/captures/";

struct Events {
  std::vector<FailoverEvent> all;
  std::vector<MessageType> types;
  FailoverStreams::Handler handler() {
    return [this](const FailoverEvent& e) {
      all.push_back(e);
      all.back().msg = nullptr;
      if (e.kind == FailoverEvent::Kind::Message) types.push_back(e.msg->type);
    };
  }
  std::size_t count(FailoverEvent::Kind k) const {
    std::size_t n = 0;
    for (const auto& e : all) n += e.kind == k;
    return n;
  }
};

trace::Packet seg(std::uint32_t seq, std::uint8_t flags, const std::vector<std::uint8_t>& data,
                  double t) {
  trace::Packet p;
  p.proto = trace::Packet::Proto::Tcp;
  p.src = wire::Address::from_string("2001:db8::a");
  p.dst = wire::Address::from_string("2001:db8::b");
  p.sport = 40000;
  p.dport = 647;
  p.tcp_seq = seq;
  p.tcp_flags = flags;
  p.time_ns = at(t);
  p.payload = data;
  return p;
}

std::vector<std::uint8_t> frames(int n) {
  std::vector<std::uint8_t> out;
  for (int i = 0; i < n; ++i) {
    auto f = wire::encode_failover_framed(Wire::make(MessageType::Contact, static_cast<std::uint32_t>(i), 0));
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

BOOST_AUTO_TEST_SUITE(failover_stream)

BOOST_AUTO_TEST_CASE(frames_split_anywhere_decode_in_order) {
  Events ev;
  FailoverStreams s({647}, ev.handler());
  auto bytes = frames(3);
  std::vector<std::uint8_t> a(bytes.begin(), bytes.begin() + 5), b(bytes.begin() + 5, bytes.end());
  s.feed(seg(99, trace::TCP_SYN, {}, 0), {0, 1});
  s.feed(seg(100, trace::TCP_ACK, a, 0.1), {0, 2});
  s.feed(seg(105, trace::TCP_ACK, b, 0.2), {0, 3});
  s.finish(at(1));
  BOOST_TEST(ev.types.size() == 3U);
  BOOST_TEST(ev.count(FailoverEvent::Kind::Resync) == 0U);
  BOOST_TEST((ev.all.front().kind == FailoverEvent::Kind::Begin));
  BOOST_TEST(ev.all.front().from_syn);
  BOOST_TEST(ev.all.front().from_connector);
  BOOST_TEST((ev.all.back().kind == FailoverEvent::Kind::End));
}

BOOST_AUTO_TEST_CASE(mid_stream_start_resynchronises) {
  Events ev;
  FailoverStreams s({647}, ev.handler());
  auto bytes = frames(4);
  std::vector<std::uint8_t> tail(bytes.begin() + 3, bytes.end());  // starts inside frame 1
  s.feed(seg(1000, trace::TCP_ACK, tail, 0), {0, 1});
  s.finish(at(1));
  BOOST_TEST(ev.count(FailoverEvent::Kind::Resync) == 1U);
  BOOST_TEST(ev.count(FailoverEvent::Kind::Malformed) == 0U);
  BOOST_TEST(ev.types.size() == 3U);
  for (const auto& e : ev.all)
    if (e.kind == FailoverEvent::Kind::Resync) BOOST_TEST(e.skipped == 7U);  // 10-octet frames
}

BOOST_AUTO_TEST_CASE(a_capture_gap_is_reported_then_framing_resumes) {
  Events ev;
  FailoverStreams s({647}, ev.handler());
  auto bytes = frames(6);  // 10 octets each
  std::vector<std::uint8_t> one(bytes.begin(), bytes.begin() + 20);
  std::vector<std::uint8_t> three(bytes.begin() + 25, bytes.end());
  s.feed(seg(99, trace::TCP_SYN, {}, 0), {0, 1});
  s.feed(seg(100, trace::TCP_ACK, one, 0.1), {0, 2});
  s.feed(seg(125, trace::TCP_ACK, three, 0.2), {0, 3});  // octets 20..24 never captured
  s.finish(at(1));
  BOOST_TEST(ev.count(FailoverEvent::Kind::Lost) == 1U);
  BOOST_TEST(ev.count(FailoverEvent::Kind::Resync) == 1U);
  BOOST_TEST(ev.types.size() == 5U);  // 2 before, 3 after (frame 3 was cut)
}

BOOST_AUTO_TEST_CASE(an_undecodable_frame_is_malformed_and_framing_holds) {
  Events ev;
  FailoverStreams s({647}, ev.handler());
  auto bytes = frames(2);
  bytes[2] = 3;  // message type 3 (REQUEST) is no failover message
  s.feed(seg(99, trace::TCP_SYN, {}, 0), {0, 1});
  s.feed(seg(100, trace::TCP_ACK, bytes, 0.1), {0, 2});
  s.finish(at(1));
  BOOST_TEST(ev.count(FailoverEvent::Kind::Malformed) == 1U);
  BOOST_TEST(ev.types.size() == 1U);
}

/// @p p in the other direction (listener to connector).
trace::Packet back(trace::Packet p) {
  std::swap(p.src, p.dst);
  std::swap(p.sport, p.dport);
  return p;
}

std::vector<std::uint8_t> framed(const wire::FailoverMessage& m) {
  auto f = wire::encode_failover_framed(m);
  return {f.begin(), f.end()};
}

/// Bytes as TLS puts them on the wire: a handshake record header and noise.
std::vector<std::uint8_t> tls_records(std::size_t n) {
  std::vector<std::uint8_t> out{0x16, 0x03, 0x01, 0x02, 0x00};
  for (std::size_t i = 0; out.size() < n; ++i) out.push_back(static_cast<std::uint8_t>(i * 37 + 3));
  return out;
}

BOOST_AUTO_TEST_CASE(after_starttls_and_its_go_ahead_both_directions_are_tls) {
  Events ev;
  FailoverStreams s({647}, ev.handler());
  auto hello = framed(Wire::make(MessageType::StartTls, 1, 0));
  auto go = framed(Wire::make(MessageType::Reply, 1, 0));
  auto noise = tls_records(600);
  s.feed(seg(99, trace::TCP_SYN, {}, 0), {0, 1});
  s.feed(back(seg(499, trace::TCP_SYN | trace::TCP_ACK, {}, 0)), {0, 2});
  s.feed(seg(100, trace::TCP_ACK, hello, 0.1), {0, 3});
  s.feed(back(seg(500, trace::TCP_ACK, go, 0.2)), {0, 4});
  s.feed(seg(100 + static_cast<std::uint32_t>(hello.size()), trace::TCP_ACK, noise, 0.3), {0, 5});
  s.feed(back(seg(500 + static_cast<std::uint32_t>(go.size()), trace::TCP_ACK, noise, 0.4)), {0, 6});
  s.finish(at(1));
  BOOST_TEST(ev.count(FailoverEvent::Kind::Encrypted) == 2U);
  BOOST_TEST(ev.count(FailoverEvent::Kind::Malformed) == 0U);
  BOOST_TEST(ev.count(FailoverEvent::Kind::Resync) == 0U);
  BOOST_TEST((ev.types == std::vector<MessageType>{MessageType::StartTls, MessageType::Reply}));
}

BOOST_AUTO_TEST_CASE(a_refused_starttls_leaves_the_answer_in_clear) {
  Events ev;
  FailoverStreams s({647}, ev.handler());
  auto hello = framed(Wire::make(MessageType::StartTls, 1, 0));
  auto refusal = Wire::make(MessageType::Reply, 1, 0);
  refusal.options.emplace_back(wire::StatusCodeOption{15, "TLS refused"});
  auto answer = framed(refusal);
  auto more = framed(Wire::make(MessageType::Disconnect, 2, 0));
  answer.insert(answer.end(), more.begin(), more.end());
  s.feed(seg(99, trace::TCP_SYN, {}, 0), {0, 1});
  s.feed(back(seg(499, trace::TCP_SYN | trace::TCP_ACK, {}, 0)), {0, 2});
  s.feed(seg(100, trace::TCP_ACK, hello, 0.1), {0, 3});
  s.feed(back(seg(500, trace::TCP_ACK, answer, 0.2)), {0, 4});
  s.finish(at(1));
  BOOST_TEST(ev.count(FailoverEvent::Kind::Encrypted) == 1U);  // the primary's side only
  BOOST_TEST((ev.types == std::vector<MessageType>{MessageType::StartTls, MessageType::Reply,
                                                   MessageType::Disconnect}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(timeline)

wire::Message client_reply(MessageType type, int n, std::uint32_t xid, std::uint32_t valid) {
  wire::Message m;
  m.type = type;
  m.transaction_id = xid;
  m.options.emplace_back(wire::ClientId{client(n)});
  wire::Address a = wire::Address::from_string("2001:db8::");
  a.bytes[14] = static_cast<std::uint8_t>(n >> 8);
  a.bytes[15] = static_cast<std::uint8_t>(n);
  wire::Options ia;
  if (type == MessageType::Reply) {
    m.options.emplace_back(wire::ServerId{client(9999)});
    ia.emplace_back(wire::IaAddress{a, valid / 2, valid, {}});
  }
  m.options.emplace_back(wire::IaNa{1, 0, 0, ia});
  return m;
}

BOOST_AUTO_TEST_CASE(memory_grows_with_live_bindings_not_with_messages) {
  Collect c;
  NoDuplicateAssignment dup(c.sink());
  std::vector<TimelineEntry> entries;
  Timeline tl({&dup}, [&](const TimelineEntry& e) { entries.push_back(e); });
  const wire::Address src = wire::Address::from_string("2001:db8::a");
  std::size_t peak = 0;
  for (int n = 0; n < 3000; ++n) {
    tl.on_message(client_reply(MessageType::Request, n, static_cast<std::uint32_t>(n), 0), at(n), {0, 1}, src);
    tl.on_message(client_reply(MessageType::Reply, n, static_cast<std::uint32_t>(n), 60), at(n + 0.01), {0, 2}, src);
    if (n % 10 == 0) tl.tick(at(n));
    peak = std::max(peak, tl.live());
  }
  tl.finish(at(4000));
  BOOST_TEST(peak <= 80U);  // 60 s leases, one client a second, swept every 10 s
  BOOST_TEST(tl.live() == 0U);
  std::size_t granted = 0, expired = 0;
  for (const auto& e : entries) {
    granted += e.kind == TimelineEntry::Kind::Granted;
    expired += e.kind == TimelineEntry::Kind::Expired;
  }
  BOOST_TEST(granted == 3000U);
  BOOST_TEST(expired == 3000U);
  BOOST_TEST(c.v.empty());
}

BOOST_AUTO_TEST_CASE(release_reply_ends_the_named_leases) {
  std::vector<TimelineEntry> entries;
  Timeline tl({}, [&](const TimelineEntry& e) { entries.push_back(e); });
  const wire::Address src = wire::Address::from_string("2001:db8::a");
  tl.on_message(client_reply(MessageType::Request, 1, 1, 0), at(0), {0, 1}, src);
  tl.on_message(client_reply(MessageType::Reply, 1, 1, 3600), at(0.1), {0, 2}, src);
  auto rel = client_reply(MessageType::Reply, 1, 2, 3600);
  rel.type = MessageType::Release;
  tl.on_message(rel, at(10), {0, 3}, src);
  wire::Message ok;
  ok.type = MessageType::Reply;
  ok.transaction_id = 2;
  ok.options = {wire::ClientId{client(1)}, wire::ServerId{client(9999)}};
  tl.on_message(ok, at(10.1), {0, 4}, src);
  BOOST_REQUIRE_EQUAL(entries.size(), 2U);
  BOOST_TEST((entries[1].kind == TimelineEntry::Kind::Released));
  BOOST_TEST(entries[1].ref.frame == 4U);
  BOOST_TEST(tl.live() == 0U);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(run)

BOOST_AUTO_TEST_CASE(reference_captures_give_their_verdicts) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"clean-pair.pcap"}, ""},
      {{"duplicate-assignment.pcap"}, "no-duplicate-assignment"},
      {{"lease-changed.pcap"}, "lease-stability"},
      {{"mclt-overrun.pcap"}, "mclt-bound"},
      {{"malformed-failover.pcap"}, "failover-wire"},
      {{"illegal-state.pcap"}, "state-legality"},
  };
  for (const auto& [files, broken] : cases) {
    std::vector<std::string> paths;
    for (const auto& f : files) paths.push_back(CAPTURES + f);
    Report r = run_check(paths);
    BOOST_TEST_CONTEXT(files[0]) {
      BOOST_TEST(r.exit_code() == (broken.empty() ? 0 : 1));
      BOOST_TEST(r.invariants.size() == 6U);
      for (const auto& [name, res] : r.invariants)
        BOOST_TEST((res.violations > 0) == (name == broken), name);
    }
  }
}

BOOST_AUTO_TEST_CASE(two_capture_points_merge_without_duplicates) {
  Report r = run_check({CAPTURES + "two-points-relay.pcap", CAPTURES + "two-points-servers.pcap"});
  Report one = run_check({CAPTURES + "clean-pair.pcap"});
  BOOST_TEST(r.exit_code() == 0);
  BOOST_TEST(r.stats.duplicates == one.stats.dhcp6);
  BOOST_TEST(r.stats.dhcp6 == one.stats.dhcp6);
  BOOST_TEST(r.invariants["service-continuity"].checked == one.invariants["service-continuity"].checked);
}

BOOST_AUTO_TEST_CASE(mid_stream_capture_resyncs_and_stays_clean) {
  CheckOptions o;
  o.mclt_s = 3600;
  Report r = run_check({CAPTURES + "midstream.pcap"}, o);
  BOOST_TEST(r.exit_code() == 0);
  BOOST_TEST(r.stats.resyncs >= 1U);
  BOOST_TEST(r.stats.failover_malformed == 0U);
}

BOOST_AUTO_TEST_CASE(unusable_input_throws) {
  BOOST_CHECK_THROW(run_check({}), std::invalid_argument);
  BOOST_CHECK_THROW(run_check({CAPTURES + "does-not-exist.pcap"}), trace::TraceError);
  const std::string junk = "/tmp/failover6-unit-check-junk.pcap";
  std::ofstream(junk) << "this is not a capture at all, just text\n";
  BOOST_CHECK_THROW(run_check({junk}), trace::TraceError);
  std::remove(junk.c_str());
}

BOOST_AUTO_TEST_CASE(report_writers) {
  Report r = run_check({CAPTURES + "duplicate-assignment.pcap"});
  auto j = to_json(r);
  BOOST_TEST(j["verdict"] == "fail");
  BOOST_TEST(j["invariants"]["no-duplicate-assignment"]["violations"] == 1);
  BOOST_TEST(j["invariants"]["mclt-bound"]["checked"].is_number());
  BOOST_REQUIRE(j["violations"].size() == 1U);
  const auto& v = j["violations"][0];
  for (const char* k : {"invariant", "time", "detail", "clients", "leases", "servers", "frames"})
    BOOST_TEST(v.contains(k), k);
  BOOST_TEST(v["frames"][0].get<std::string>().find("duplicate-assignment.pcap:") != std::string::npos);
  std::ostringstream junit, html, text;
  write_junit(r, junit);
  write_html(r, html);
  write_text(r, text);
  std::size_t cases = 0;
  for (std::size_t p = 0; (p = junit.str().find("<testcase ", p)) != std::string::npos; ++p) ++cases;
  BOOST_TEST(cases == 6U);
  BOOST_TEST(junit.str().find("<failure") != std::string::npos);
  BOOST_TEST(html.str().find("<svg") != std::string::npos);
  BOOST_TEST(html.str().find("http://") == std::string::npos);
  BOOST_TEST(html.str().find("https://") == std::string::npos);
  BOOST_TEST(html.str().find("<script") == std::string::npos);
  BOOST_TEST(text.str().find("FAIL") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::check::test
