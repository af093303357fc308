#include "samples.h"

#include <stdexcept>

namespace failover6::wire::testing {

Bytes hex(const char* text) {
  auto b = parse_hex(text);
  if (!b) throw std::invalid_argument(std::string("bad hex in test: ") + text);
  return *b;
}

namespace {
Address addr(const char* s) { return Address::from_string(s); }
Duid llt() { return Duid::llt(1, 0x12345678, hex("00 11 22 33 44 55")); }
}  // namespace

std::vector<Option> every_option() {
  Message inner = sample_request();
  std::vector<Option> v;
  v.emplace_back(UnknownOption{999, hex("de ad be ef")});
  v.emplace_back(ClientId{llt()});
  v.emplace_back(ServerId{Duid::en(9, hex("0a 0b 0c"))});
  v.emplace_back(IaNa{1, 100, 200, {IaAddress{addr("2001:db8::1"), 300, 400, {}}}});
  v.emplace_back(IaTa{2, {IaAddress{addr("2001:db8::2"), 30, 40, {}}}});
  v.emplace_back(IaAddress{addr("2001:db8::3"), 5, 6, {StatusCodeOption{0, "ok"}}});
  v.emplace_back(OptionRequest{{23, 24, 82}});
  v.emplace_back(Preference{255});
  v.emplace_back(ElapsedTime{1234});
  v.emplace_back(RelayMsg{inner});
  v.emplace_back(Auth{3, 1, 0, 0x0102030405060708ULL, hex("aa bb")});
  v.emplace_back(Unicast{addr("2001:db8::547")});
  v.emplace_back(StatusCodeOption{2, "no addresses"});
  v.emplace_back(RapidCommit{});
  v.emplace_back(UserClass{{hex("01 02"), hex("03")}});
  v.emplace_back(VendorClass{4491, {hex("68 65 6c 6c 6f")}});
  v.emplace_back(VendorOpts{4491, {{1, hex("01")}, {2, hex("")}}});
  v.emplace_back(InterfaceId{hex("65 74 68 30")});
  v.emplace_back(ReconfMsg{5});
  v.emplace_back(ReconfAccept{});
  v.emplace_back(DnsServers{{addr("2001:db8::53"), addr("2001:db8::54")}});
  v.emplace_back(DomainList{{"example.com.", "lab.example."}});
  v.emplace_back(IaPd{3, 1000, 1600, {IaPrefix{2000, 3000, 56, addr("2001:db8:8000::"), {}}}});
  v.emplace_back(IaPrefix{7, 8, 48, addr("2001:db8:1::"), {}});
  v.emplace_back(InformationRefreshTime{86400});
  v.emplace_back(RemoteId{9, hex("01 02 03")});
  v.emplace_back(SubscriberId{hex("73 75 62")});
  v.emplace_back(ClientFqdn{1, "host.example.com."});
  v.emplace_back(ClientData{{ClientId{llt()}, CltTime{5}}});
  v.emplace_back(CltTime{42});
  v.emplace_back(LqRelayData{addr("fe80::1"), relayed(inner, 1)});
  v.emplace_back(RelayId{Duid::ll(1, hex("00 11 22 33 44 66"))});
  v.emplace_back(Vss{1, hex("76 70 6e")});
  v.emplace_back(SolMaxRt{3600});
  v.emplace_back(InfMaxRt{7200});
  v.emplace_back(LqBaseTime{800000000});
  v.emplace_back(FBindingStatus{1});
  v.emplace_back(FConnectFlags{1});
  v.emplace_back(FDnsRemovalInfo{{FDnsHostName{"host"}, FDnsZoneName{"example.com."},
                                  FDnsFlags{3}}});
  v.emplace_back(FDnsHostName{"h"});
  v.emplace_back(FDnsZoneName{"z."});
  v.emplace_back(FDnsFlags{8});
  v.emplace_back(FExpirationTime{1});
  v.emplace_back(FMaxUnackedBndupd{10});
  v.emplace_back(FMclt{3600});
  v.emplace_back(FPartnerLifetime{2});
  v.emplace_back(FPartnerLifetimeSent{3});
  v.emplace_back(FPartnerDownTime{4});
  v.emplace_back(FPartnerRawCltTime{5});
  v.emplace_back(FProtocolVersion{1, 0});
  v.emplace_back(FKeepaliveTime{60});
  v.emplace_back(FReconfigureData{6, hex("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f")});
  v.emplace_back(FRelationshipName{"pair-1"});
  v.emplace_back(FServerFlags{4});
  v.emplace_back(FServerState{2});
  v.emplace_back(FStartTimeOfState{7});
  v.emplace_back(FStateExpirationTime{8});
  return v;
}

Message sample_request() {
  Message m;
  m.type = MessageType::Request;
  m.transaction_id = 0xabcdef;
  m.options.emplace_back(ClientId{llt()});
  m.options.emplace_back(ServerId{Duid::ll(1, hex("00 aa bb cc dd ee"))});
  m.options.emplace_back(ElapsedTime{0});
  m.options.emplace_back(OptionRequest{{23, 24}});
  m.options.emplace_back(IaNa{1, 0, 0, {IaAddress{addr("2001:db8:1::1001"), 0, 0, {}}}});
  m.options.emplace_back(IaPd{2, 0, 0, {IaPrefix{0, 0, 56, addr("2001:db8:8000::"), {}}}});
  return m;
}

Message relayed(Message inner, int depth) {
  for (int i = 0; i < depth; ++i) {
    Message r;
    r.type = MessageType::RelayForw;
    r.hop_count = static_cast<std::uint8_t>(i);  // the relay nearest the client counts 0
    r.link_address = Address::from_string("2001:db8:1::1");
    r.peer_address = Address::from_string("fe80::1");
    r.options.emplace_back(InterfaceId{hex("65 74 68 30")});
    r.options.emplace_back(RelayMsg{std::move(inner)});
    inner = std::move(r);
  }
  return inner;
}

FailoverMessage sample_bndupd() {
  FailoverMessage m;
  m.type = MessageType::BndUpd;
  m.transaction_id = 7;
  m.sent_time = 800000000;
  IaAddress a{Address::from_string("2001:db8:1::1001"), 1800, 3600,
              {FBindingStatus{1}, FStartTimeOfState{799999000}, FStateExpirationTime{800003600},
               CltTime{0}, FPartnerLifetime{800007200}}};
  IaPrefix p{1800, 3600, 56, Address::from_string("2001:db8:8000::"),
             {FBindingStatus{1}, FStartTimeOfState{799999000}, FStateExpirationTime{800003600},
              CltTime{0}, FPartnerLifetime{800007200}}};
  m.options.emplace_back(ClientData{{ClientId{llt()}, LqBaseTime{800000000},
                                     IaNa{1, 900, 1440, {a}}, IaPd{2, 900, 1440, {p}}}});
  return m;
}

}  // namespace failover6::wire::testing
