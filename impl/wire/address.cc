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

// RFC 5952 text, octet for octet what glibc's inet_ntop prints (tested against it), without
// its sprintf per group: traces print several addresses per message.
std::string Address::to_string() const {
  static constexpr char DIGITS[] = "0123456789abcdef";
  std::uint16_t w[8];
  for (int i = 0; i < 8; ++i)
    w[i] = static_cast<std::uint16_t>((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  // The longest run of two or more zero groups (the first one on a tie) becomes "::".
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (w[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && w[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best = -1;
  char buf[INET6_ADDRSTRLEN];
  char* p = buf;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      *p++ = ':';
      if (i == 0) *p++ = ':';
      i += best_len - 1;
      continue;
    }
    // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) forms, as inet_ntop.
    if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
      for (int k = 12; k < 16; ++k) {
        unsigned v = bytes[static_cast<std::size_t>(k)];
        if (v >= 100) *p++ = DIGITS[v / 100];
        if (v >= 10) *p++ = DIGITS[(v / 10) % 10];
        *p++ = DIGITS[v % 10];
        if (k != 15) *p++ = '.';
      }
      break;
    }
    bool lead = true;
    for (int shift = 12; shift >= 0; shift -= 4) {
      unsigned nib = (w[i] >> shift) & 0xFU;
      if (lead && nib == 0 && shift != 0) continue;
      lead = false;
      *p++ = DIGITS[nib];
    }
    if (i != 7) *p++ = ':';
  }
  return std::string(buf, p);
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
