// make_trace: writes a synthetic but protocol-correct capture for benchmarks: N clients behind a
// relay doing SOLICIT/ADVERTISE/REQUEST/REPLY with IA_NA and IA_PD, and (with --failover) the
// primary's lazy BNDUPD/BNDREPLY for each lease on one TCP 647 stream.
//   make_trace OUT.pcap CLIENTS [--failover]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "trace/packet.h"
#include "trace/pcap_writer.h"
#include "wire/failover_message.h"
#include "wire/message.h"

using namespace failover6;
using namespace failover6::wire;

namespace {

Address addr(const char* s) { return Address::from_string(s); }

Address nth(Address base, std::uint32_t n) {
  for (int i = 15; i >= 12; --i) {
    base.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n);
    n >>= 8;
  }
  return base;
}

Message client_msg(MessageType t, std::uint32_t xid, const Duid& client, const Duid& server,
                   const Address& a, const Address& p, std::uint32_t life) {
  Message m;
  m.type = t;
  m.transaction_id = xid;
  m.options.emplace_back(ClientId{client});
  if (t != MessageType::Solicit) m.options.emplace_back(ServerId{server});
  m.options.emplace_back(ElapsedTime{0});
  m.options.emplace_back(OptionRequest{{23, 24}});
  Options na;
  Options pd;
  if (t != MessageType::Solicit) {
    na.emplace_back(IaAddress{a, life / 2, life, {}});
    pd.emplace_back(IaPrefix{life / 2, life, 56, p, {}});
  }
  m.options.emplace_back(IaNa{1, life / 4, life / 2, na});
  m.options.emplace_back(IaPd{2, life / 4, life / 2, pd});
  return m;
}

Message relay(Message inner, MessageType t, const Address& peer) {
  Message r;
  r.type = t;
  r.link_address = addr("2001:db8:1::1");
  r.peer_address = peer;
  r.options.emplace_back(InterfaceId{{'e', 't', 'h', '0'}});
  r.options.emplace_back(RelayMsg{std::move(inner)});
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_trace OUT.pcap CLIENTS [--failover]\n");
    return 2;
  }
  std::string out = argv[1];
  long clients = std::strtol(argv[2], nullptr, 10);
  bool failover = argc > 3 && std::strcmp(argv[3], "--failover") == 0;
  trace::PcapWriter w(out, trace::PcapWriter::LinkLayer::Ethernet);
  Address relay_addr = addr("2001:db8:1::1");
  Address server = addr("2001:db8::547");
  Address partner = addr("2001:db8::548");
  Duid server_duid = Duid::en(2495, ByteView(reinterpret_cast<const std::uint8_t*>("f6-a"), 4));
  std::int64_t t = 1'800'000'000LL * 1'000'000'000LL;
  std::uint32_t seq = 1000;
  std::uint32_t xid = 1;
  Bytes buf;
  auto udp = [&](const Address& s, std::uint16_t sp, const Address& d, std::uint16_t dp,
                 const Message& m) {
    buf.clear();
    encode_message(m, buf);
    w.write_udp(t, s, sp, d, dp, buf);
    t += 10'000;  // 10 us apart
  };
  if (failover)
    w.write_tcp(t, server, 40000, partner, 647, seq - 1, 0, trace::TCP_SYN, {});
  for (long i = 0; i < clients; ++i) {
    auto n = static_cast<std::uint32_t>(i);
    std::uint8_t mac[6] = {0x02, 0, static_cast<std::uint8_t>(n >> 24),
                           static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                           static_cast<std::uint8_t>(n)};
    Duid client = Duid::llt(1, 800000000, ByteView(mac, 6));
    Address peer = nth(addr("fe80::"), n + 1);
    Address a = nth(addr("2001:db8:1::"), 0x10000 + 2 * n + 1);
    Address p = addr("2001:db8:8000::");
    p.bytes[5] = static_cast<std::uint8_t>(n);
    p.bytes[4] = static_cast<std::uint8_t>(0x80 | ((n >> 8) & 0x7f));
    std::uint32_t x = (xid++) & 0xFFFFFF;
    udp(relay_addr, 547, server, 547,
        relay(client_msg(MessageType::Solicit, x, client, server_duid, a, p, 3600),
              MessageType::RelayForw, peer));
    udp(server, 547, relay_addr, 547,
        relay(client_msg(MessageType::Advertise, x, client, server_duid, a, p, 3600),
              MessageType::RelayRepl, peer));
    x = (xid++) & 0xFFFFFF;
    udp(relay_addr, 547, server, 547,
        relay(client_msg(MessageType::Request, x, client, server_duid, a, p, 3600),
              MessageType::RelayForw, peer));
    udp(server, 547, relay_addr, 547,
        relay(client_msg(MessageType::Reply, x, client, server_duid, a, p, 3600),
              MessageType::RelayRepl, peer));
    if (failover) {
      FailoverMessage up;
      up.type = MessageType::BndUpd;
      up.transaction_id = n & 0xFFFFFF;
      up.sent_time = to_failover_time(t / 1'000'000'000);
      Options lease{FBindingStatus{1}, FStartTimeOfState{up.sent_time},
                    FStateExpirationTime{up.sent_time + 3600}, CltTime{0},
                    FPartnerLifetime{up.sent_time + 5400}};
      up.options.emplace_back(ClientData{{ClientId{client}, LqBaseTime{up.sent_time},
                                          IaNa{1, 900, 1800, {IaAddress{a, 1800, 3600, lease}}},
                                          IaPd{2, 900, 1800, {IaPrefix{1800, 3600, 56, p, lease}}}}});
      Bytes f = encode_failover_framed(up);
      w.write_tcp(t, server, 40000, partner, 647, seq, 1, trace::TCP_ACK | trace::TCP_PSH, f);
      seq += static_cast<std::uint32_t>(f.size());
      t += 10'000;
    }
  }
  w.close();
  std::printf("%llu packets\n", static_cast<unsigned long long>(w.packets()));
  return 0;
}
