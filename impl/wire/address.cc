#include "wire/address.h"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

namespace failover6::wire {

std::optional<Address> Address::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; IPv6 text is at most 45 characters.
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.size() >= sizeof(buf)) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  Address a;
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  return a;
}

Address Address::from_string(std::string_view text) {
  auto a = parse(text);
  if (!a) throw std::invalid_argument("not an IPv6 address: '" + std::string(text) + "'");
  return *a;
}

std::string Address::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
  return buf;
}

bool Address::is_unspecified() const {
  for (auto b : bytes)
    if (b != 0) return false;
  return true;
}

std::size_t AddressHash::operator()(const Address& a) const noexcept {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  std::memcpy(&hi, a.bytes.data(), 8);
  std::memcpy(&lo, a.bytes.data() + 8, 8);
  return std::hash<std::uint64_t>{}(hi * 0x9E3779B97F4A7C15ULL ^ lo);
}

}  // namespace failover6::wire
