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

/// @brief Why @p text is not "[ADDR]:PORT" (e.g. "not a port: 'x' (0-65535)", "no :PORT",
///        "'foo' is not an IP address (host names are not resolved)").
/// @return empty when parse_endpoint() accepts it.
std::string endpoint_error(std::string_view text);

/// @brief As parse_endpoint(), but throws.
/// @param what names the argument in the error text (e.g. "target", "--target").
/// @throws std::invalid_argument "<what> <text>: <endpoint_error(text)>; expected
///         [ADDR]:PORT, e.g. [::1]:647 or 127.0.0.1:647".
Endpoint require_endpoint(std::string_view text, std::string_view what);

}  // namespace failover6::fault
