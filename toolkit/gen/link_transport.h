// failover6::gen link transport: the socket of a direct fleet on an attached link. Every
// emulated client sends from the interface's link-local address, port 546, to
// All_DHCP_Relay_Agents_and_Servers (ff02::1:2) port 547 with hop limit 1, and the servers'
// unicast replies come back to that address, port 546 (RFC 8415 §7.1, §7.2, §18.3).
//
// One socket on the interface's own link-local address is shared by all clients: the replies
// are told apart by CLIENTID (see Fleet), so no address has to be added to the interface (no
// DAD per client, nothing to remove afterwards, any number of clients).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

#include "wire/address.h"

namespace failover6::gen {

/// The port DHCPv6 clients listen on (RFC 8415 §7.2).
inline constexpr std::uint16_t CLIENT_PORT = 546;
/// The port DHCPv6 servers and relay agents listen on (RFC 8415 §7.2).
inline constexpr std::uint16_t SERVER_PORT = 547;

/// @return All_DHCP_Relay_Agents_and_Servers, ff02::1:2 (RFC 8415 §7.1).
const wire::Address& all_dhcp_relay_agents_and_servers();

/// An interface the clients are attached to.
struct LinkInterface {
  std::string name;
  unsigned index = 0;          ///< the interface index (scope of its link-local addresses)
  wire::Address link_local;    ///< the source address of every client message
};

/// @brief Finds interface @p name and its (first) IPv6 link-local address.
/// @throws std::invalid_argument when there is no such interface, std::runtime_error when it
///         has no link-local address (down, or IPv6 disabled on it).
LinkInterface find_link(const std::string& name);

/// @brief A non-blocking UDP socket bound to [link-local%IFACE]:546, sending multicast out of
///        that interface only (IPV6_MULTICAST_IF, hop limit 1, no loopback of its own
///        multicasts).
class LinkSocket {
 public:
  /// @throws std::runtime_error when the socket cannot be made or bound (port 546 in use,
  ///         no privilege for it, the address still tentative).
  explicit LinkSocket(const LinkInterface& link);
  ~LinkSocket();
  LinkSocket(const LinkSocket&) = delete;
  LinkSocket& operator=(const LinkSocket&) = delete;

  /// @return the socket.
  int fd() const { return fd_; }
  /// @return [ff02::1:2%IFACE]:547, where every client message goes.
  const sockaddr_in6& multicast_destination() const { return group_; }

 private:
  int fd_ = -1;
  sockaddr_in6 group_{};
};

}  // namespace failover6::gen
