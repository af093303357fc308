#include "fault/endpoint.h"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <stdexcept>

namespace failover6::fault {

std::string Endpoint::to_string() const {
  if (address.find(':') != std::string::npos) return "[" + address + "]:" + std::to_string(port);
  return address + ":" + std::to_string(port);
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535)
    return std::nullopt;
  boost::system::error_code aec;
  auto addr = boost::asio::ip::make_address(std::string(host), aec);
  if (aec) return std::nullopt;
  if (addr.is_v6() && text.front() != '[') return std::nullopt;
  if (addr.is_v4() && text.front() == '[') return std::nullopt;
  return Endpoint{addr.to_string(), static_cast<std::uint16_t>(value)};
}

Endpoint require_endpoint(std::string_view text, std::string_view what) {
  auto e = parse_endpoint(text);
  if (!e)
    throw std::invalid_argument(std::string(what) + " '" + std::string(text) +
                                "' is not [ADDR]:PORT (e.g. [::1]:647 or 127.0.0.1:647)");
  return *e;
}

}  // namespace failover6::fault
