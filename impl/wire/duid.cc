#include "wire/duid.h"

#include <cstring>
#include <ostream>
#include <stdexcept>

namespace failover6::wire {

namespace {
void put16(Bytes& b, std::uint16_t v) {
  Writer(b).u16(v);
}
void put32(Bytes& b, std::uint32_t v) {
  Writer(b).u32(v);
}
void append(Bytes& b, ByteView v) {
  // resize + copy: GCC 12 -O3 reports a false -Warray-bounds for vector::insert here.
  std::size_t at = b.size();
  b.resize(at + v.size());
  if (!v.empty()) std::memcpy(b.data() + at, v.data(), v.size());
}
}  // namespace

Duid Duid::llt(std::uint16_t hardware_type, std::uint32_t time, ByteView link_layer) {
  Duid d;
  put16(d.raw, 1);
  put16(d.raw, hardware_type);
  put32(d.raw, time);
  append(d.raw, link_layer);
  return d;
}

Duid Duid::en(std::uint32_t enterprise, ByteView identifier) {
  Duid d;
  put16(d.raw, 2);
  put32(d.raw, enterprise);
  append(d.raw, identifier);
  return d;
}

Duid Duid::ll(std::uint16_t hardware_type, ByteView link_layer) {
  Duid d;
  put16(d.raw, 3);
  put16(d.raw, hardware_type);
  append(d.raw, link_layer);
  return d;
}

Duid Duid::uuid(const std::array<std::uint8_t, 16>& uuid) {
  Duid d;
  put16(d.raw, 4);
  append(d.raw, uuid);
  return d;
}

Duid Duid::from_string(std::string_view hex) {
  auto b = parse_hex(hex);
  if (!b) throw std::invalid_argument("DUID '" + std::string(hex) + "' is not hex");
  if (b->size() < MIN_SIZE || b->size() > MAX_SIZE)
    throw std::invalid_argument("DUID '" + std::string(hex) + "' has " +
                                std::to_string(b->size()) + " octets; a DUID has 3 to 130");
  return Duid{std::move(*b)};
}

std::string Duid::to_string() const { return to_hex(raw, ':'); }

std::string Duid::describe() const {
  ByteView v(raw);
  auto u16at = [&](std::size_t i) { return static_cast<unsigned>((v[i] << 8) | v[i + 1]); };
  auto u32at = [&](std::size_t i) { return (u16at(i) << 16) | u16at(i + 2); };
  switch (type()) {
    case 1:
      if (v.size() >= 8)
        return "LLT hw=" + std::to_string(u16at(2)) + " time=" + std::to_string(u32at(4)) +
               " ll=" + to_hex(v.subspan(8), ':');
      break;
    case 2:
      if (v.size() >= 6)
        return "EN " + std::to_string(u32at(2)) + " id=" + to_hex(v.subspan(6));
      break;
    case 3:
      if (v.size() >= 4) return "LL hw=" + std::to_string(u16at(2)) + " ll=" + to_hex(v.subspan(4), ':');
      break;
    case 4:
      if (v.size() == 18) {
        std::string h = to_hex(v.subspan(2));
        return "UUID " + h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" +
               h.substr(16, 4) + "-" + h.substr(20);
      }
      break;
    default:
      break;
  }
  return "type " + std::to_string(type()) + " " + to_hex(raw.size() > 2 ? v.subspan(2) : v);
}

std::ostream& operator<<(std::ostream& os, const Duid& d) { return os << d.to_string(); }
std::ostream& operator<<(std::ostream& os, const Address& a) { return os << a.to_string(); }

std::string to_hex(ByteView b, char sep) {
  static constexpr char DIGITS[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 3);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (sep != '\0' && i != 0) s.push_back(sep);
    s.push_back(DIGITS[b[i] >> 4]);
    s.push_back(DIGITS[b[i] & 0xF]);
  }
  return s;
}

std::optional<Bytes> parse_hex(std::string_view text) {
  Bytes out;
  int nibble = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else if (c == ':' || c == '-' || c == ' ') {
      if (nibble >= 0) return std::nullopt;  // separators only between whole octets
      continue;
    } else return std::nullopt;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<std::uint8_t>((nibble << 4) | v));
      nibble = -1;
    }
  }
  if (nibble >= 0) return std::nullopt;
  return out;
}

}  // namespace failover6::wire
