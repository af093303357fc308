// failover6::fault::Endpoint: "[ADDR]:PORT" text as the fault tools take it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace failover6::fault {

/// A numeric IP address and a port, as given on command lines and to the proxies.
struct Endpoint {
  /// The address in its canonical text form (IPv6 without brackets, or dotted IPv4).
  std::string address;
  /// The port (0 for "any" where a listening port is meant).
  std::uint16_t port = 0;
  /// @return "[ADDR]:PORT" for IPv6, "ADDR:PORT" for IPv4.
  std::string to_string() const;
};

/// @brief Parses "[IPv6]:PORT" or "IPv4:PORT". The port is required (0 allowed).
/// @return nullopt for anything else (no port, a host name, junk, port > 65535).
std::optional<Endpoint> parse_endpoint(std::string_view text);

/// @brief As parse_endpoint(), but throws.
/// @param what names the argument in the error text (e.g. "target").
/// @throws std::invalid_argument "<what> '<text>' is not [ADDR]:PORT".
Endpoint require_endpoint(std::string_view text, std::string_view what);

}  // namespace failover6::fault
