// libFuzzer target: the RFC 8156 endpoint (impl/failover) fed whatever a partner could send.
//
// Input: a role octet (even: this endpoint is the secondary, odd: the primary), then a stream
// of 2-octet-framed failover messages from the partner, delivered after on_connected() one
// second apart, with a timer tick after each. The clock starts at the first message's
// sent-time so that seeds pass the skew check. Oracle: nothing crashes or trips a sanitizer,
// every message the endpoint emits encodes and decodes back to itself, and the endpoint
// never has more BNDUPDs in flight than the partner allowed (MAX_UNACKED_BNDUPD, at least 1).
// Seeds: tests/fuzz/corpus/endpoint (tests/fuzz/make_corpus.py).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "config/config.h"
#include "failover/endpoint.h"
#include "fuzz_support.h"
#include "lease/lease_store.h"
#include "wire/failover_message.h"

namespace {

using namespace failover6;

const config::Config& fuzz_config(bool as_primary) {
  static const auto make = [](const char* role) {
    std::string text = std::string(R"({"Dhcp6": {
      "subnet6": [ { "id": 1, "subnet": "2001:db8::/32",
        "pools": [ { "pool": "2001:db8::1000 - 2001:db8::1fff" } ],
        "pd-pools": [ { "prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56 } ] } ] },
      "Failover6": { "relationships": [ { "name": "rel-1", "role": ")") + role +
                       R"(", "this-server": "[::1]:647", "peer": "[::1]:648", "mclt": 3600,
        "keepalive": 60, "max-unacked": 8, "subnets": [ 1 ], "insecure": true } ] } })";
    auto r = config::parse_config(text);
    if (!r.ok()) std::abort();
    return r.config;
  };
  static const config::Config primary_cfg = make("primary");
  static const config::Config secondary_cfg = make("secondary");
  return as_primary ? primary_cfg : secondary_cfg;
}

void check_outbox(failover::Endpoint& ep) {
  for (const auto& m : ep.take_outbox()) {
    wire::Bytes b = wire::encode_failover(m);  // throws (crash) if we built something invalid
    auto back = wire::decode_failover(b);
    if (!back || !(*back == m)) std::abort();
  }
  ep.take_close_request();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  failover6::fuzz::g_accepted = true;  // every input is fine as long as nothing breaks
  if (size < 1) return 0;
  bool primary = (data[0] & 1) != 0;
  const config::Config& cfg = fuzz_config(primary);
  lease::MemoryStore store;
  std::int64_t now = 1'800'000'000;
  // Start the clock at the first message's sent-time (octets 1+2+4..8), if there is one.
  if (size >= 11) {
    std::uint32_t t = (std::uint32_t{data[7]} << 24) | (std::uint32_t{data[8]} << 16) |
                      (std::uint32_t{data[9]} << 8) | data[10];
    now = wire::FAILOVER_EPOCH_UNIX + t;
  }
  failover::Endpoint ep(cfg.failover6.relationships.at(0), cfg, store, {}, now);
  ep.on_connected(now);
  check_outbox(ep);
  std::size_t pos = 1;
  while (pos + 2 <= size) {
    std::size_t len = (std::size_t{data[pos]} << 8) | data[pos + 1];
    pos += 2;
    if (pos + len > size) break;
    auto m = wire::decode_failover(wire::ByteView(data + pos, len));
    pos += len;
    ++now;
    if (m) ep.on_message(*m, now);
    ep.on_timer(now);
    ep.poll(now);
    check_outbox(ep);
    if (ep.link() == failover::Link::Down) ep.on_connected(now);  // the partner reconnects
  }
  return 0;
}
