#include "fault/endpoint.h"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <stdexcept>

namespace failover6::fault {

std::string Endpoint::to_string() const {
  if (address.find(':') != std::string::npos) return "[" + address + "]:" + std::to_string(port);
  return address + ":" + std::to_string(port);
}

namespace {

/// Parses @p text into @p out; @return empty on success, else why it is not [ADDR]:PORT.
std::string parse(std::string_view text, Endpoint& out) {
  if (text.empty()) return "empty";
  std::string_view host;
  std::string_view port;
  const bool bracket = text.front() == '[';
  if (bracket) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return "no closing ']'";
    if (close + 1 >= text.size() || text[close + 1] != ':') return "no :PORT after ']'";
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return "no :PORT";
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return "an IPv6 address needs brackets, as in [" + std::string(host) + "]:" + std::string(port);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty()) return "no port after ':'";
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535)
    return "not a port: '" + std::string(port) + "' (0-65535)";
  boost::system::error_code aec;
  auto addr = boost::asio::ip::make_address(std::string(host), aec);
  if (aec) return "'" + std::string(host) + "' is not an IP address (host names are not resolved)";
  if (addr.is_v6() && !bracket) return "an IPv6 address needs brackets";
  if (addr.is_v4() && bracket) return "an IPv4 address takes no brackets";
  out = Endpoint{addr.to_string(), static_cast<std::uint16_t>(value)};
  return {};
}

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint e;
  if (!parse(text, e).empty()) return std::nullopt;
  return e;
}

std::string endpoint_error(std::string_view text) {
  Endpoint e;
  return parse(text, e);
}

Endpoint require_endpoint(std::string_view text, std::string_view what) {
  Endpoint e;
  auto why = parse(text, e);
  if (!why.empty())
    throw std::invalid_argument(std::string(what) + " " + std::string(text) + ": " + why +
                                "; expected [ADDR]:PORT, e.g. [::1]:647 or 127.0.0.1:647");
  return e;
}

}  // namespace failover6::fault
