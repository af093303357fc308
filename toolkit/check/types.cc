#include "check/types.h"

#include <cstring>
#include <ctime>

namespace failover6::check {

std::string_view ia_name(IaType t) {
  switch (t) {
    case IaType::Na: return "IA_NA";
    case IaType::Ta: return "IA_TA";
    case IaType::Pd: return "IA_PD";
  }
  return "IA_?";
}

std::string ClientKey::to_string() const {
  return duid.to_string() + " " + std::string(ia_name(ia)) + "/" + std::to_string(iaid);
}

std::size_t bytes_hash(std::span<const std::uint8_t> b) noexcept {
  // 8 octets at a time, multiply-xorshift mixing (DUIDs are 3..130 octets).
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ b.size();
  std::size_t i = 0;
  for (; i + 8 <= b.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, b.data() + i, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
  }
  std::uint64_t w = 0;
  std::memcpy(&w, b.data() + i, b.size() - i);
  h = (h ^ w) * 0x94D049BB133111EBULL;
  h ^= h >> 29;
  return static_cast<std::size_t>(h);
}

std::size_t duid_hash(const wire::Duid& d) noexcept { return bytes_hash(d.raw); }

Resource Resource::of(const wire::Address& a, std::uint8_t len) {
  Resource r{a, len > 128 ? std::uint8_t{128} : len};
  for (int bit = r.length; bit < 128; ++bit)
    r.prefix.bytes[static_cast<std::size_t>(bit / 8)] &=
        static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
  return r;
}

bool Resource::overlaps(const Resource& o) const {
  const int len = length < o.length ? length : o.length;
  for (int i = 0; i < len / 8; ++i)
    if (prefix.bytes[static_cast<std::size_t>(i)] != o.prefix.bytes[static_cast<std::size_t>(i)])
      return false;
  if (len % 8 == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF00U >> (len % 8));
  const auto i = static_cast<std::size_t>(len / 8);
  return (prefix.bytes[i] & mask) == (o.prefix.bytes[i] & mask);
}

std::string Resource::to_string() const {
  if (length == 128) return prefix.to_string();
  return prefix.to_string() + "/" + std::to_string(length);
}

std::string iso_time(std::int64_t ns) {
  std::time_t secs = static_cast<std::time_t>(ns / NS);
  long micros = static_cast<long>((ns % NS) / 1000);
  if (micros < 0) {
    micros += 1'000'000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%06ldZ", micros);
  return buf;
}

std::string seconds(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(ns) / 1e9);
  return buf;
}

}  // namespace failover6::check
