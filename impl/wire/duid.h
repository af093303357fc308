// failover6::wire::Duid: a DHCP Unique Identifier (RFC 8415 §11, RFC 6355).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "wire/buffer.h"

namespace failover6::wire {

/// A DUID kept as its raw octets (type code included), so that every DUID, of a known type or
/// not, re-encodes byte for byte. Typed accessors read the known layouts.
///
/// Valid DUIDs are 3..130 octets: a 2-octet type and 1..128 octets of data (RFC 8415 §11.1).
struct Duid {
  Bytes raw;

  /// Shortest and longest valid DUID, type code included.
  static constexpr std::size_t MIN_SIZE = 3;
  static constexpr std::size_t MAX_SIZE = 130;

  /// @brief DUID-LLT (type 1, RFC 8415 §11.2).
  /// @param time seconds since 2000-01-01 UTC, mod 2^32.
  static Duid llt(std::uint16_t hardware_type, std::uint32_t time, ByteView link_layer);
  /// @brief DUID-EN (type 2, RFC 8415 §11.3).
  static Duid en(std::uint32_t enterprise, ByteView identifier);
  /// @brief DUID-LL (type 3, RFC 8415 §11.4).
  static Duid ll(std::uint16_t hardware_type, ByteView link_layer);
  /// @brief DUID-UUID (type 4, RFC 6355 §4).
  static Duid uuid(const std::array<std::uint8_t, 16>& uuid);

  /// @brief Parses colon-separated or plain hex ("00:01:00:01:..." or "00010001...").
  /// @throws std::invalid_argument on odd length, a non-hex digit, or a size outside 3..130.
  static Duid from_string(std::string_view hex);

  /// @return the DUID type code, or 0 when fewer than 2 octets are held.
  std::uint16_t type() const {
    return raw.size() < 2 ? 0 : static_cast<std::uint16_t>((raw[0] << 8) | raw[1]);
  }
  /// @return colon-separated lowercase hex of all octets, as Kea prints DUIDs.
  std::string to_string() const;
  /// @return a short description: "LLT hw=1 time=... ll=aa:bb:..", "EN 9 id=..", "LL ..",
  /// "UUID ..", or "type N" with hex for unknown or truncated layouts.
  std::string describe() const;

  friend auto operator<=>(const Duid&, const Duid&) = default;
};

/// @brief Writes d.to_string() (for test diagnostics and logs).
std::ostream& operator<<(std::ostream& os, const Duid& d);
/// @brief Writes a.to_string().
std::ostream& operator<<(std::ostream& os, const Address& a);

/// @return lowercase hex of @p b, with @p sep between octets when it is not '\0'.
std::string to_hex(ByteView b, char sep = '\0');
/// @brief Parses hex with optional ':' or '-' separators (ignored); returns nullopt when the
/// text has an odd number of digits or a character that is neither a digit nor a separator.
std::optional<Bytes> parse_hex(std::string_view text);

}  // namespace failover6::wire
