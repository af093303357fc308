#include "io/lease_report.h"

#include <charconv>
#include <string>

namespace failover6::io {

using nlohmann::json;

json lease_to_json(const lease::Lease& l) {
  return json{
      {"type", lease::to_string(l.key.type)},
      {"ip-address", l.key.address.to_string()},
      {"prefix-len", l.key.prefix_length},
      {"duid", l.duid.to_string()},
      {"iaid", l.iaid},
      {"subnet-id", l.subnet_id},
      {"state", wire::binding_status_name(static_cast<std::uint8_t>(l.state))},
      {"preferred-lft", l.preferred},
      {"valid-lft", l.valid},
      {"t1", l.t1},
      {"t2", l.t2},
      {"cltt", l.cltt},
      {"start-time-of-state", l.start_time_of_state},
      {"expire", l.state_expiration_time},
      {"hostname", l.hostname},
      {"expiration-time", l.expiration_time},
      {"acked-partner-lifetime", l.acked_partner_lifetime},
      {"partner-lifetime", l.partner_lifetime},
      {"partner-raw-cltt", l.partner_raw_cltt},
  };
}

LeaseCounts count_leases(const lease::LeaseStore& store, std::optional<std::uint32_t> subnet_id) {
  LeaseCounts counts;
  store.for_each([&](const lease::Lease& l) {
    if (!subnet_id || l.subnet_id == *subnet_id) ++counts[{l.key.type, l.state}];
  });
  return counts;
}

std::optional<std::pair<wire::Address, std::uint8_t>> parse_prefix(std::string_view text) {
  std::size_t slash = text.find('/');
  auto addr = wire::Address::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  if (slash == std::string_view::npos) return std::pair{*addr, std::uint8_t{128}};
  std::string_view len = text.substr(slash + 1);
  unsigned n = 0;
  auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
  if (ec != std::errc{} || end != len.data() + len.size() || len.empty() || n > 128)
    return std::nullopt;
  return std::pair{*addr, static_cast<std::uint8_t>(n)};
}

bool prefix_contains(const wire::Address& outer, std::uint8_t outer_len,
                     const wire::Address& inner, std::uint8_t inner_len) {
  if (inner_len < outer_len) return false;
  std::size_t full = outer_len / 8;
  for (std::size_t i = 0; i < full; ++i)
    if (outer.bytes[i] != inner.bytes[i]) return false;
  unsigned rest = outer_len % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xFFU << (8 - rest));
  return (outer.bytes[full] & mask) == (inner.bytes[full] & mask);
}

}  // namespace failover6::io
