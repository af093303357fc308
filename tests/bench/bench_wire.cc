// Google Benchmark programs for impl/wire: decode and encode of the two messages a failover6
// server handles most, a relayed REQUEST (RFC 8415 §9, §16.4) and a client-form BNDUPD
// (RFC 8156 §7.4). ci/bench runs this and checks the decode target (>= 2M relayed REQUESTs/s).
//
// Every benchmark reports items_per_second (messages) and bytes_per_second (wire octets). A
// decode iteration includes destroying the decoded value (its frees are part of the cost).
// The messages are built with the codec's own types and encode_message()/encode_failover(),
// and each fixture checks once that its octets decode back to an equal value, so a codec bug
// shows up as a skipped benchmark with an error rather than as a fast wrong number.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "wire/failover_message.h"
#include "wire/message.h"

namespace {

using namespace failover6::wire;

/// 2021-06-01T00:00:00Z in the RFC 8156 time base; any fixed value would do.
constexpr std::uint32_t NOW = to_failover_time(1622505600);

/// A MAC address for the DUIDs (6 octets, so DUID-LLT is 2 + 2 + 4 + 6 = 14 octets).
constexpr std::array<std::uint8_t, 6> CLIENT_MAC = {0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e};
constexpr std::array<std::uint8_t, 6> SERVER_MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

Duid client_duid() { return Duid::llt(1, NOW - 86400, CLIENT_MAC); }

/// RELAY-FORW (hop 0, link and peer addresses, INTERFACE_ID) around a REQUEST with CLIENTID
/// (DUID-LLT, 14 octets), SERVERID, ELAPSED_TIME, ORO, IA_NA > IAADDR and IA_PD > IAPREFIX.
Message make_relayed_request() {
  Message request;
  request.type = MessageType::Request;
  request.transaction_id = 0x5a17c3;
  request.options.emplace_back(ClientId{client_duid()});
  request.options.emplace_back(ServerId{Duid::llt(1, NOW - 3600, SERVER_MAC)});
  request.options.emplace_back(ElapsedTime{0});
  request.options.emplace_back(OptionRequest{{23, 24, 82}});

  IaAddress ia_addr;
  ia_addr.address = Address::from_string("2001:db8:0:1::1:2b3c");
  ia_addr.preferred = 3600;
  ia_addr.valid = 7200;
  IaNa ia_na;
  ia_na.iaid = 0x2b3c4d5e;
  ia_na.t1 = 1800;
  ia_na.t2 = 2880;
  ia_na.options.emplace_back(std::move(ia_addr));
  request.options.emplace_back(std::move(ia_na));

  IaPrefix ia_prefix;
  ia_prefix.preferred = 3600;
  ia_prefix.valid = 7200;
  ia_prefix.prefix_length = 56;
  ia_prefix.prefix = Address::from_string("2001:db8:100:2b00::");
  IaPd ia_pd;
  ia_pd.iaid = 0x00000001;
  ia_pd.t1 = 1800;
  ia_pd.t2 = 2880;
  ia_pd.options.emplace_back(std::move(ia_prefix));
  request.options.emplace_back(std::move(ia_pd));

  Message relay;
  relay.type = MessageType::RelayForw;
  relay.hop_count = 0;
  relay.link_address = Address::from_string("2001:db8:0:1::1");
  relay.peer_address = Address::from_string("fe80::21a:2bff:fe3c:4d5e");
  const std::string ifname = "ge-0/0/1.100";
  relay.options.emplace_back(InterfaceId{Bytes(ifname.begin(), ifname.end())});
  relay.options.emplace_back(RelayMsg{std::move(request)});
  return relay;
}

/// Client-form BNDUPD (RFC 8156 §7.4): CLIENT_DATA > CLIENTID, LQ_BASE_TIME,
/// IA_NA > IAADDR > F_BINDING_STATUS, F_START_TIME_OF_STATE, F_STATE_EXPIRATION_TIME,
/// CLT_TIME, F_PARTNER_LIFETIME.
FailoverMessage make_bndupd() {
  IaAddress ia_addr;
  ia_addr.address = Address::from_string("2001:db8:0:1::1:2b3c");
  ia_addr.preferred = 3600;
  ia_addr.valid = 7200;
  ia_addr.options.emplace_back(FBindingStatus{static_cast<std::uint8_t>(BindingStatus::Active)});
  ia_addr.options.emplace_back(FStartTimeOfState{NOW - 120});
  ia_addr.options.emplace_back(FStateExpirationTime{NOW + 7080});
  ia_addr.options.emplace_back(CltTime{120});
  ia_addr.options.emplace_back(FPartnerLifetime{NOW + 3600});
  IaNa ia_na;
  ia_na.iaid = 0x2b3c4d5e;
  ia_na.t1 = 1800;
  ia_na.t2 = 2880;
  ia_na.options.emplace_back(std::move(ia_addr));

  ClientData data;
  data.options.emplace_back(ClientId{client_duid()});
  data.options.emplace_back(LqBaseTime{NOW});
  data.options.emplace_back(std::move(ia_na));

  FailoverMessage m;
  m.type = MessageType::BndUpd;
  m.transaction_id = 0x00c0ff;
  m.sent_time = NOW;
  m.options.emplace_back(std::move(data));
  return m;
}

/// The relayed REQUEST as a value and as octets, checked once to decode back equal.
struct RelayedRequest {
  Message message = make_relayed_request();
  Bytes wire = encode_message(message);
  std::string error;

  static Expected<Message> decode(ByteView in) { return decode_message(in); }
  static void encode(const Message& m, Bytes& out) { encode_message(m, out); }

  RelayedRequest() {
    auto decoded = decode_message(wire);
    if (!decoded)
      error = "relayed REQUEST does not decode: " + decoded.error().to_string();
    else if (!(*decoded == message))
      error = "relayed REQUEST decodes to a different value";
    else if (decoded->relay_depth() != 1 || decoded->innermost().type != MessageType::Request)
      error = "relayed REQUEST: unexpected relay nesting";
    else if (const auto* id = decoded->innermost().find<ClientId>();
             id == nullptr || id->duid.raw.size() != 14 || id->duid.type() != 1)
      error = "relayed REQUEST: CLIENTID is not a 14-octet DUID-LLT";
  }
};

/// The BNDUPD as a value and as octets (unframed), checked once to decode back equal.
struct Bndupd {
  FailoverMessage message = make_bndupd();
  Bytes wire = encode_failover(message);
  std::string error;

  static Expected<FailoverMessage> decode(ByteView in) { return decode_failover(in); }
  static void encode(const FailoverMessage& m, Bytes& out) { encode_failover(m, out); }

  Bndupd() {
    auto decoded = decode_failover(wire);
    if (!decoded)
      error = "BNDUPD does not decode: " + decoded.error().to_string();
    else if (!(*decoded == message))
      error = "BNDUPD decodes to a different value";
  }
};

const RelayedRequest& relayed_request() {
  static const RelayedRequest r;
  return r;
}

const Bndupd& bndupd() {
  static const Bndupd b;
  return b;
}

/// Sets the two rates every benchmark here reports.
void report(benchmark::State& state, std::size_t octets_per_item) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(octets_per_item));
}

/// Room for either message, so that encoders reuse one buffer as a server would.
constexpr std::size_t OUT_CAPACITY = 1024;

// ---- Relayed REQUEST -------------------------------------------------------------------------

void BM_DecodeRelayedRequest(benchmark::State& state) {
  const auto& f = relayed_request();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const ByteView in(f.wire);
  for (auto _ : state) {
    auto m = decode_message(in);
    benchmark::DoNotOptimize(m);
  }
  report(state, f.wire.size());
  state.counters["octets"] = static_cast<double>(f.wire.size());
}
BENCHMARK(BM_DecodeRelayedRequest);

void BM_EncodeRelayedRequest(benchmark::State& state) {
  const auto& f = relayed_request();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  Bytes out;
  out.reserve(OUT_CAPACITY);
  for (auto _ : state) {
    out.clear();
    encode_message(f.message, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, f.wire.size());
}
BENCHMARK(BM_EncodeRelayedRequest);

// ---- BNDUPD ----------------------------------------------------------------------------------

void BM_DecodeFailoverBndupd(benchmark::State& state) {
  const auto& f = bndupd();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const ByteView in(f.wire);
  for (auto _ : state) {
    auto m = decode_failover(in);
    benchmark::DoNotOptimize(m);
  }
  report(state, f.wire.size());
  state.counters["octets"] = static_cast<double>(f.wire.size());
}
BENCHMARK(BM_DecodeFailoverBndupd);

void BM_EncodeFailoverBndupd(benchmark::State& state) {
  const auto& f = bndupd();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  Bytes out;
  out.reserve(OUT_CAPACITY);
  for (auto _ : state) {
    out.clear();
    encode_failover(f.message, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, f.wire.size());
}
BENCHMARK(BM_EncodeFailoverBndupd);

// ---- Round trip: decode the octets, re-encode the value into a reused buffer -----------------

/// @param get returns the fixture (RelayedRequest or Bndupd), whose static decode() and
/// encode() name the codec functions to use.
template <class Fixture>
void BM_RoundTrip(benchmark::State& state, const Fixture& (*get)()) {
  const Fixture& f = get();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const ByteView in(f.wire);
  Bytes out;
  out.reserve(OUT_CAPACITY);
  for (auto _ : state) {
    out.clear();
    auto m = Fixture::decode(in);
    if (!m) {
      state.SkipWithError("decode failed inside the loop");
      break;
    }
    Fixture::encode(*m, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  if (out != f.wire) state.SkipWithError("round trip changed the octets");
  report(state, f.wire.size());
}
BENCHMARK_CAPTURE(BM_RoundTrip, relayed_request, &relayed_request);
BENCHMARK_CAPTURE(BM_RoundTrip, bndupd, &bndupd);

}  // namespace

BENCHMARK_MAIN();
