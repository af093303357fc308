// failover6::wire::Address: an IPv6 address as 16 octets in network order.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace failover6::wire {

/// An IPv6 address (RFC 4291), 16 octets in network byte order.
///
/// A plain value type: comparable, hashable (see AddressHash) and trivially copyable, so
/// parsers can fill it with one memcpy. Text conversion follows RFC 5952 (inet_ntop).
struct Address {
  std::array<std::uint8_t, 16> bytes{};

  /// @brief Parses RFC 4291 text ("2001:db8::1", "::ffff:1.2.3.4").
  /// @return the address, or nullopt when @p text is not an IPv6 address.
  static std::optional<Address> parse(std::string_view text);

  /// @brief Parses like parse() but throws std::invalid_argument naming @p text on failure.
  static Address from_string(std::string_view text);

  /// @brief RFC 5952 canonical text, e.g. "2001:db8::1".
  std::string to_string() const;

  /// @brief True for the unspecified address "::".
  bool is_unspecified() const;

  /// @brief True when the lowest bit (bit 127) is set: RFC 8156 §4.2.1 gives odd addresses to
  /// the primary and even ones to the secondary.
  bool is_odd() const { return (bytes[15] & 1U) != 0; }

  friend auto operator<=>(const Address&, const Address&) = default;
};

/// Hash functor for unordered containers keyed by Address.
struct AddressHash {
  std::size_t operator()(const Address& a) const noexcept;
};

}  // namespace failover6::wire
