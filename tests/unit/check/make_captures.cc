// make_captures: writes the reference traces of captures/ (each with its provenance JSON and
// expected verdict), built with the project's own encoder and trace::PcapWriter.
//   make_captures OUT_DIR
// The traces are deterministic: the same binary writes the same octets. A relay forwards
// every client message to both partners (RFC 8156 deployments do); the primary (2001:db8::a)
// connects to the secondary (2001:db8::b) on TCP 647 and sends a BNDUPD after each REPLY.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "trace/packet.h"
#include "trace/pcap_writer.h"
#include "wire/failover_message.h"
#include "wire/message.h"

using namespace failover6;
using namespace failover6::wire;

namespace {

constexpr std::int64_t S = 1'000'000'000;

Address addr(const char* s) { return Address::from_string(s); }

/// One capture point: a file, a time offset, and which packets it sees.
struct Point {
  trace::PcapWriter* w;
  std::int64_t offset_ns = 0;
  bool udp = true;
  bool tcp = true;
  std::int64_t tcp_from_ns = 0;  ///< TCP before this capture time is not seen
};

/// The emulated pair, relay and clients.
class Lab {
 public:
  explicit Lab(std::vector<Point> points) : points_(std::move(points)) {}

  Address relay = addr("2001:db8:1::1");
  Address primary = addr("2001:db8::a");
  Address secondary = addr("2001:db8::b");
  Duid pduid = Duid::en(2495, ByteView(reinterpret_cast<const std::uint8_t*>("prim"), 4));
  Duid sduid = Duid::en(2495, ByteView(reinterpret_cast<const std::uint8_t*>("seco"), 4));
  std::int64_t t = 1'800'000'000LL * S;
  std::uint32_t mclt = 3600;
  bool open = false;

  std::uint32_t now_fo() const { return to_failover_time(t / S); }

  static Duid client_duid(int n) {
    std::uint8_t mac[6] = {0x02, 0, 0, 0, 0, static_cast<std::uint8_t>(n)};
    return Duid::ll(1, ByteView(mac, 6));
  }
  static Address peer(int n) {
    Address a = addr("fe80::2:0:0:0");
    a.bytes[15] = static_cast<std::uint8_t>(n);
    return a;
  }
  /// The primary's addresses are odd, the secondary's even (RFC 8156 §4.2.1).
  static Address lease_addr(int n, bool of_primary) {
    Address a = addr("2001:db8:1::1000");
    a.bytes[14] = static_cast<std::uint8_t>(n);
    a.bytes[15] = of_primary ? 1 : 2;
    return a;
  }

  void udp(const Address& s, std::uint16_t sp, const Address& d, std::uint16_t dp, const Message& m) {
    Bytes b = encode_message(m);
    for (auto& p : points_)
      if (p.udp) p.w->write_udp(t + p.offset_ns, s, sp, d, dp, b);
    t += 1'000'000;  // 1 ms apart
  }

  void tcp(bool from_primary, std::uint8_t flags, ByteView data) {
    const Address& s = from_primary ? primary : secondary;
    const Address& d = from_primary ? secondary : primary;
    std::uint32_t& seq = from_primary ? pseq_ : sseq_;
    std::uint32_t ack = from_primary ? sseq_ : pseq_;
    for (auto& p : points_)
      if (p.tcp && t >= p.tcp_from_ns)
        p.w->write_tcp(t + p.offset_ns, s, from_primary ? 40647 : 647, d,
                       from_primary ? 647 : 40647, seq, ack, flags, data);
    seq += static_cast<std::uint32_t>(data.size()) + ((flags & (trace::TCP_SYN | trace::TCP_FIN)) ? 1 : 0);
    t += 100'000;
  }

  /// One failover message; with @p split, as two segments (to start a capture mid-frame).
  void fo(bool from_primary, FailoverMessage m, bool split = false) {
    m.sent_time = now_fo();
    Bytes f = encode_failover_framed(m);
    if (!split) {
      tcp(from_primary, trace::TCP_ACK | trace::TCP_PSH, f);
    } else {
      tcp(from_primary, trace::TCP_ACK, ByteView(f.data(), 5));
      tcp(from_primary, trace::TCP_ACK | trace::TCP_PSH, ByteView(f.data() + 5, f.size() - 5));
    }
    (from_primary ? last_p_ : last_s_) = t;
  }

  void fo_raw(bool from_primary, const Bytes& framed) {
    tcp(from_primary, trace::TCP_ACK | trace::TCP_PSH, framed);
    (from_primary ? last_p_ : last_s_) = t;
  }

  FailoverMessage msg(MessageType type, Options opts = {}) {
    FailoverMessage m;
    m.type = type;
    m.transaction_id = ++xid_ & 0xFFFFFF;
    m.options = std::move(opts);
    return m;
  }

  /// TCP handshake, CONNECT, CONNECTREPLY, STATE both ways.
  void connect(std::uint8_t pstate = 2, std::uint8_t sstate = 2) {
    pseq_ = 1000;
    sseq_ = 5000;
    tcp(true, trace::TCP_SYN, {});
    tcp(false, trace::TCP_SYN | trace::TCP_ACK, {});
    tcp(true, trace::TCP_ACK, {});
    open = true;
    auto c = msg(MessageType::Connect, {FProtocolVersion{1, 0}, FMclt{mclt}, FKeepaliveTime{60},
                                        FMaxUnackedBndupd{100}, FConnectFlags{0},
                                        FRelationshipName{"lab"}});
    fo(true, c);
    auto r = msg(MessageType::ConnectReply, {FProtocolVersion{1, 0}, FMclt{mclt},
                                             FKeepaliveTime{60}, FMaxUnackedBndupd{100}, FConnectFlags{0}});
    r.transaction_id = c.transaction_id;
    fo(false, r);
    state(true, pstate);
    state(false, sstate);
  }

  void state(bool from_primary, std::uint8_t st) {
    Options o{FServerState{st}, FServerFlags{0x01}, FStartTimeOfState{now_fo()}};
    if (st == 4) o.emplace_back(FPartnerDownTime{now_fo()});
    fo(from_primary, msg(MessageType::State, std::move(o)));
  }

  void close() {
    tcp(true, trace::TCP_FIN | trace::TCP_ACK, {});
    tcp(false, trace::TCP_FIN | trace::TCP_ACK, {});
    tcp(true, trace::TCP_ACK, {});
    open = false;
  }

  /// Lets @p secs pass; while connected, each side sends CONTACT every 10 s of silence.
  void advance(std::int64_t secs) {
    const std::int64_t until = t + secs * S;
    while (open) {
      std::int64_t next = std::min(last_p_, last_s_) + 10 * S;
      if (next > until) break;
      t = std::max(t, next);
      const bool p = last_p_ <= last_s_;
      fo(p, msg(MessageType::Contact));
    }
    t = std::max(t, until);
  }

  Message client_msg(MessageType type, int n, std::uint32_t xid, const Address* a, std::uint32_t valid,
                     const Duid* server, std::uint32_t t1 = 1800, std::uint32_t t2 = 2880) {
    Message m;
    m.type = type;
    m.transaction_id = xid;
    m.options.emplace_back(ClientId{client_duid(n)});
    if (server) m.options.emplace_back(ServerId{*server});
    m.options.emplace_back(ElapsedTime{0});
    Options ia;
    if (a) ia.emplace_back(IaAddress{*a, valid / 2, valid, {}});
    m.options.emplace_back(IaNa{1, t1, t2, ia});
    return m;
  }

  Message relayed(Message inner, MessageType type, int n) {
    Message r;
    r.type = type;
    r.link_address = addr("2001:db8:1::1");
    r.peer_address = peer(n);
    r.options.emplace_back(InterfaceId{{'e', 't', 'h', '0'}});
    r.options.emplace_back(RelayMsg{std::move(inner)});
    return r;
  }

  /// A client message relayed to both servers.
  void from_client(const Message& m, int n) {
    udp(relay, 547, primary, 547, relayed(m, MessageType::RelayForw, n));
    udp(relay, 547, secondary, 547, relayed(m, MessageType::RelayForw, n));
  }
  /// A server's answer through the relay.
  void to_client(bool from_primary, const Message& m, int n) {
    udp(from_primary ? primary : secondary, 547, relay, 547, relayed(m, MessageType::RelayRepl, n));
  }

  /// SOLICIT / ADVERTISE / REQUEST / REPLY; returns nothing, the lease is @p a for @p valid.
  void sarr(int n, bool by_primary, const Address& a, std::uint32_t valid) {
    const Duid& sd = by_primary ? pduid : sduid;
    std::uint32_t x = next_client_xid();
    from_client(client_msg(MessageType::Solicit, n, x, nullptr, 0, nullptr), n);
    to_client(by_primary, client_msg(MessageType::Advertise, n, x, &a, valid, &sd), n);
    x = next_client_xid();
    from_client(client_msg(MessageType::Request, n, x, &a, valid, &sd), n);
    to_client(by_primary, client_msg(MessageType::Reply, n, x, &a, valid, &sd), n);
  }

  /// RENEW (to @p server) answered by @p by_primary with @p a.
  void renew(int n, bool to_primary, bool answer_by_primary, const Address& held,
             const Address& a, std::uint32_t valid, MessageType type = MessageType::Renew) {
    const Duid& to = to_primary ? pduid : sduid;
    const Duid& sd = answer_by_primary ? pduid : sduid;
    std::uint32_t x = next_client_xid();
    from_client(client_msg(type, n, x, &held, 0, type == MessageType::Rebind ? nullptr : &to), n);
    to_client(answer_by_primary, client_msg(MessageType::Reply, n, x, &a, valid, &sd), n);
  }

  void release(int n, bool by_primary, const Address& a) {
    const Duid& sd = by_primary ? pduid : sduid;
    std::uint32_t x = next_client_xid();
    from_client(client_msg(MessageType::Release, n, x, &a, 0, &sd), n);
    Message r;
    r.type = MessageType::Reply;
    r.transaction_id = x;
    r.options = {ClientId{client_duid(n)}, ServerId{sd}, StatusCodeOption{0, "released"}};
    to_client(by_primary, r, n);
  }

  /// BNDUPD for a lease from @p from_primary, and the partner's BNDREPLY.
  void bndupd(bool from_primary, int n, const Address& a, std::uint32_t valid,
              std::uint32_t partner_lifetime, std::uint8_t status = 1) {
    const std::uint32_t now = now_fo();
    Options lo{FBindingStatus{status}, FStartTimeOfState{now}};
    if (status == 1)
      lo.insert(lo.end(), {FStateExpirationTime{now + valid}, CltTime{0},
                           FPartnerLifetime{now + partner_lifetime}});
    auto up = msg(MessageType::BndUpd,
                  {ClientData{{ClientId{client_duid(n)}, LqBaseTime{now},
                               IaNa{1, 1800, 2880, {IaAddress{a, valid / 2, valid, lo}}}}}});
    fo(from_primary, up);
    Options ro{FBindingStatus{status}};
    if (status == 1)
      ro.insert(ro.end(), {FStateExpirationTime{now + valid}, FPartnerLifetimeSent{now + partner_lifetime}});
    auto rep = msg(MessageType::BndReply,
                   {ClientData{{ClientId{client_duid(n)}, IaNa{1, 1800, 2880, {IaAddress{a, valid / 2, valid, ro}}}}}});
    rep.transaction_id = up.transaction_id;
    fo(!from_primary, rep);
  }

  std::uint32_t next_client_xid() { return (0x100000 + ++cxid_) & 0xFFFFFF; }

 private:
  std::vector<Point> points_;
  std::uint32_t pseq_ = 1000;
  std::uint32_t sseq_ = 5000;
  std::uint32_t xid_ = 0;
  std::uint32_t cxid_ = 0;
  std::int64_t last_p_ = 0;
  std::int64_t last_s_ = 0;
};

/// The clean run: NORMAL, 8 clients bound by the primary with lazy updates, renewals that
/// keep the addresses, one release, and a clean close.
void clean_run(Lab& lab, const std::function<void()>& at_cut = {}) {
  lab.connect();
  for (int n = 1; n <= 8; ++n) {
    Address a = Lab::lease_addr(n, true);
    lab.sarr(n, true, a, 3600);  // new lease: at most the MCLT
    lab.bndupd(true, n, a, 3600, 1800 + 7200);
    if (n == 4 && at_cut) at_cut();
    lab.advance(1);
  }
  lab.advance(1800);
  for (int n = 1; n <= 8; ++n) {
    Address a = Lab::lease_addr(n, true);
    lab.renew(n, true, true, a, a, 7200);  // bounded by the acked lifetime + MCLT
    lab.bndupd(true, n, a, 7200, 3600 + 7200);
    lab.advance(1);
  }
  lab.advance(30);
  lab.release(1, true, Lab::lease_addr(1, true));
  lab.bndupd(true, 1, Lab::lease_addr(1, true), 0, 0, 3);
  lab.advance(5);
  lab.close();
}

struct Capture {
  std::string name;
  std::vector<std::string> files;
  std::vector<std::string> args;
  std::string description;
  int exit = 0;
  std::vector<std::string> violated;
};

std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

std::string json_list(const std::vector<std::string>& v) {
  std::string o = "[";
  for (std::size_t i = 0; i < v.size(); ++i) o += (i ? ", " : "") + json_str(v[i]);
  return o + "]";
}

void provenance(const std::string& dir, const Capture& c) {
  std::ofstream f(dir + "/" + c.name + ".json");
  f << "{\n  \"name\": " << json_str(c.name) << ",\n  \"files\": " << json_list(c.files)
    << ",\n  \"args\": " << json_list(c.args) << ",\n  \"description\": " << json_str(c.description)
    << ",\n  \"provenance\": \"synthetic: written by tests/unit/check/make_captures.cc "
       "(build/bin/make_captures captures) with impl/wire's encoder and trace::PcapWriter; "
       "raw IPv6 link type; deterministic\",\n  \"expected\": {\"exit\": "
    << c.exit << ", \"violated\": " << json_list(c.violated) << "}\n}\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_captures OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  auto path = [&](const std::string& f) { return dir + "/" + f; };
  std::vector<Capture> done;
  try {
    {  // clean-pair
      trace::PcapWriter w(path("clean-pair.pcap"));
      Lab lab({{&w}});
      clean_run(lab);
      done.push_back({"clean-pair", {"clean-pair.pcap"}, {},
                      "NORMAL pair: CONNECT/CONNECTREPLY/STATE, 8 relayed clients bound by the "
                      "primary (valid 3600 s = MCLT), lazy BNDUPD/BNDREPLY, renewals after 1800 s "
                      "extended to 7200 s within acked lifetime + MCLT, one RELEASE, CONTACT "
                      "keepalives, clean close.", 0, {}});
    }
    {  // clean-two-points: the same run seen from the relay side (UDP) and the servers (all)
      trace::PcapWriter a(path("two-points-relay.pcap"));
      trace::PcapWriter b(path("two-points-servers.pcap"));
      Lab lab({{&a, 0, true, false}, {&b, 300'000, true, true}});
      clean_run(lab);
      done.push_back({"two-points", {"two-points-relay.pcap", "two-points-servers.pcap"}, {},
                      "The clean run captured at two points: the relay side (DHCPv6 only) and the "
                      "servers' side (DHCPv6 0.3 ms later, and the failover stream). Merged by "
                      "time, every DHCPv6 datagram of the first file is a duplicate.", 0, {}});
    }
    {  // midstream: the failover capture starts inside a frame
      std::int64_t cut = 0;
      {
        // A dry run to learn the capture time of the cut (the runs are deterministic).
        trace::PcapWriter dry(path(".dry.pcap"));
        Lab d({{&dry}});
        clean_run(d, [&] { cut = d.t; });
      }
      std::remove(path(".dry.pcap").c_str());
      // At the cut the primary sends a CONTACT in two segments; TCP is captured only from
      // the second one on, so the capture begins 5 octets into a frame.
      trace::PcapWriter w(path("midstream.pcap"));
      Lab lab({{&w, 0, true, true, cut + 50'000}});
      clean_run(lab, [&] { lab.fo(true, lab.msg(MessageType::Contact), true); });
      done.push_back({"midstream", {"midstream.pcap"}, {"--mclt", "3600"},
                      "The clean run, but the failover capture begins in the middle of a frame "
                      "(no SYN, no CONNECT): the checker resynchronises the framing. --mclt gives "
                      "the MCLT the missing CONNECT carried.", 0, {}});
    }
    {  // duplicate-assignment
      trace::PcapWriter w(path("duplicate-assignment.pcap"));
      Lab lab({{&w}});
      lab.connect();
      Address a = Lab::lease_addr(1, true);
      lab.sarr(1, true, a, 3600);
      lab.bndupd(true, 1, a, 3600, 1800 + 7200);
      lab.advance(5);
      lab.close();  // partition: both sides go COMMUNICATIONS-INTERRUPTED
      lab.advance(60);
      lab.sarr(2, false, a, 3600);  // the secondary hands out the primary's address
      lab.advance(10);
      done.push_back({"duplicate-assignment", {"duplicate-assignment.pcap"}, {},
                      "Client 1 gets 2001:db8:1::101 from the primary; after the partner link "
                      "drops, the secondary gives the same address to client 2 while client 1's "
                      "lease is valid.", 1, {"no-duplicate-assignment"}});
    }
    {  // lease-changed-on-renew
      trace::PcapWriter w(path("lease-changed.pcap"));
      Lab lab({{&w}});
      lab.connect();
      Address a = Lab::lease_addr(1, true);
      lab.sarr(1, true, a, 3600);
      lab.bndupd(true, 1, a, 3600, 1800 + 7200);
      lab.advance(5);
      lab.close();
      lab.advance(1800);
      // RENEW to the (dead) primary goes unanswered; at T2 the client rebinds and the
      // secondary answers with another address.
      std::uint32_t x = lab.next_client_xid();
      for (int i = 0; i < 3; ++i) {
        lab.from_client(lab.client_msg(MessageType::Renew, 1, x, &a, 0, &lab.pduid), 1);
        lab.advance(10 << i);
      }
      lab.advance(1000);
      lab.renew(1, false, false, a, Lab::lease_addr(1, false), 3600, MessageType::Rebind);
      lab.advance(10);
      done.push_back({"lease-changed", {"lease-changed.pcap"}, {},
                      "Client 1 holds 2001:db8:1::101 from the primary; the primary stops "
                      "answering, the client's RENEWs go unanswered and at T2 its REBIND is "
                      "answered by the secondary with 2001:db8:1::102 instead.", 1, {"lease-stability"}});
    }
    {  // mclt-overrun
      trace::PcapWriter w(path("mclt-overrun.pcap"));
      Lab lab({{&w}});
      lab.connect();
      for (int n = 1; n <= 3; ++n) {
        Address a = Lab::lease_addr(n, true);
        lab.sarr(n, true, a, n == 2 ? 7200 : 3600);  // client 2: a new lease of 2 x MCLT
        lab.bndupd(true, n, a, n == 2 ? 7200 : 3600, 1800 + 7200);
        lab.advance(1);
      }
      lab.advance(5);
      lab.close();
      done.push_back({"mclt-overrun", {"mclt-overrun.pcap"}, {},
                      "In NORMAL with MCLT 3600 s, the primary gives client 2 a new lease of "
                      "7200 s before the partner acknowledged anything.", 1, {"mclt-bound"}});
    }
    {  // malformed-failover
      trace::PcapWriter w(path("malformed-failover.pcap"));
      Lab lab({{&w}});
      lab.connect();
      Address a = Lab::lease_addr(1, true);
      lab.sarr(1, true, a, 3600);
      lab.bndupd(true, 1, a, 3600, 1800 + 7200);
      lab.advance(1);
      // A BNDUPD whose CLIENT_DATA claims 200 octets more than the frame holds.
      auto up = lab.msg(MessageType::BndUpd, {ClientData{{ClientId{Lab::client_duid(2)},
                                                          LqBaseTime{lab.now_fo()}}}});
      up.sent_time = lab.now_fo();
      Bytes f = encode_failover_framed(up);
      const std::size_t opt_len_at = 2 + 8 + 2;  // frame length, header, option code
      f[opt_len_at] = static_cast<std::uint8_t>(f[opt_len_at] + 0);
      f[opt_len_at + 1] = static_cast<std::uint8_t>(f[opt_len_at + 1] + 200);
      lab.fo_raw(true, f);
      lab.advance(5);
      lab.close();
      done.push_back({"malformed-failover", {"malformed-failover.pcap"}, {},
                      "A BNDUPD on the failover stream whose CLIENT_DATA option length runs 200 "
                      "octets past the end of its frame.", 1, {"failover-wire"}});
    }
    {  // illegal-state
      trace::PcapWriter w(path("illegal-state.pcap"));
      Lab lab({{&w}});
      lab.connect();
      lab.advance(5);
      lab.state(true, 5);  // NORMAL -> POTENTIAL-CONFLICT on the same connection
      lab.advance(5);
      lab.close();
      done.push_back({"illegal-state", {"illegal-state.pcap"}, {},
                      "The primary reports NORMAL, then POTENTIAL-CONFLICT on the same "
                      "connection: RFC 8156 never enters POTENTIAL-CONFLICT from NORMAL.", 1,
                      {"state-legality"}});
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_captures: %s\n", e.what());
    return 1;
  }
  for (const auto& c : done) provenance(dir, c);
  std::printf("%zu captures written to %s\n", done.size(), dir.c_str());
  return 0;
}
