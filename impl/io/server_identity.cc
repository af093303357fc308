#include "io/server_identity.h"

#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace failover6::io {

const char* to_string(DuidSource s) {
  switch (s) {
    case DuidSource::Config: return "configuration";
    case DuidSource::Stored: return "lease store";
    case DuidSource::Generated: return "generated";
  }
  return "?";
}

namespace {

std::uint16_t duid_type_of(const std::string& type) {
  if (type == "EN") return 2;
  if (type == "LL") return 3;
  return 1;  // LLT
}

std::optional<wire::Duid> parse_stored(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  try {
    return wire::Duid::from_string(*text);
  } catch (const std::exception&) {
    return std::nullopt;  // unusable: generate a new one
  }
}

std::uint32_t llt_time(std::int64_t now) {
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(now - DUID_EPOCH) & 0xFFFFFFFFU);
}

}  // namespace

DuidChoice choose_server_duid(const config::ServerId& cfg, const DuidInputs& in) {
  const std::optional<wire::Duid> stored = parse_stored(in.stored);
  const bool can_store = in.persistent && cfg.persist;
  const wire::ByteView ident(cfg.identifier);

  if (!cfg.identifier.empty()) {
    if (cfg.type == "EN") return {wire::Duid::en(cfg.enterprise_id, ident), DuidSource::Config, false};
    if (cfg.type == "LL") return {wire::Duid::ll(cfg.htype, ident), DuidSource::Config, false};
    if (cfg.time != 0)
      return {wire::Duid::llt(cfg.htype, cfg.time, ident), DuidSource::Config, false};
    // LLT without a time: the time of the first start, kept in the store.
    if (stored && stored->type() == 1 && stored->raw.size() == 8 + cfg.identifier.size()) {
      wire::Duid same = wire::Duid::llt(cfg.htype, 0, ident);
      if (std::equal(same.raw.begin(), same.raw.begin() + 4, stored->raw.begin()) &&
          std::equal(same.raw.begin() + 8, same.raw.end(), stored->raw.begin() + 8))
        return {*stored, DuidSource::Config, false};
    }
    return {wire::Duid::llt(cfg.htype, llt_time(in.now), ident), DuidSource::Config, can_store};
  }

  if (stored && stored->type() == duid_type_of(cfg.type)) return {*stored, DuidSource::Stored, false};

  wire::Duid d;
  if (in.hardware && cfg.type == "LLT") {
    d = wire::Duid::llt(cfg.htype, cfg.time != 0 ? cfg.time : llt_time(in.now), *in.hardware);
  } else if (in.hardware && cfg.type == "LL") {
    d = wire::Duid::ll(cfg.htype, *in.hardware);
  } else {
    wire::Bytes id = in.random_identifier;
    if (id.empty()) id = {0};
    d = wire::Duid::en(cfg.enterprise_id != 0 ? cfg.enterprise_id : DEFAULT_ENTERPRISE, id);
  }
  return {d, DuidSource::Generated, can_store};
}

std::optional<wire::Bytes> first_hardware_address() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<wire::Bytes> found;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_PACKET) continue;
    if ((i->ifa_flags & IFF_LOOPBACK) != 0) continue;
    sockaddr_ll ll{};
    std::memcpy(&ll, i->ifa_addr, sizeof(ll));
    if (ll.sll_halen != 6) continue;
    wire::Bytes mac(ll.sll_addr, ll.sll_addr + 6);
    if (std::any_of(mac.begin(), mac.end(), [](std::uint8_t b) { return b != 0; })) found = mac;
  }
  ::freeifaddrs(list);
  return found;
}

wire::Bytes random_octets(std::size_t n) {
  std::random_device rd;
  wire::Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rd() & 0xFFU);
  return out;
}

}  // namespace failover6::io
