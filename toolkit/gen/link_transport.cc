#include "gen/link_transport.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace failover6::gen {

const wire::Address& all_dhcp_relay_agents_and_servers() {
  static const wire::Address group = wire::Address::from_string("ff02::1:2");
  return group;
}

LinkInterface find_link(const std::string& name) {
  LinkInterface link;
  link.name = name;
  if (name.empty() || name.size() >= IF_NAMESIZE)
    throw std::invalid_argument("'" + name + "' is not an interface name");
  link.index = ::if_nametoindex(name.c_str());
  if (link.index == 0) throw std::invalid_argument("no interface named '" + name + "'");
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    throw std::runtime_error(std::string("getifaddrs: ") + std::strerror(errno));
  bool found = false;
  for (ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET6 || a->ifa_name == nullptr ||
        name != a->ifa_name)
      continue;
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
    if (!IN6_IS_ADDR_LINKLOCAL(&sa->sin6_addr)) continue;
    std::memcpy(link.link_local.bytes.data(), &sa->sin6_addr, 16);
    found = true;
  }
  ::freeifaddrs(list);
  if (!found)
    throw std::runtime_error("interface " + name +
                             " has no IPv6 link-local address (is it up, with IPv6 enabled?)");
  return link;
}

LinkSocket::LinkSocket(const LinkInterface& link) {
  fd_ = ::socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket(AF_INET6): ") + std::strerror(errno));
  // Throws "what: strerror(e)"; e is errno as saved right after the failed call.
  auto fail = [&](const std::string& what, int e) {
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error(what + ": " + std::strerror(e));
  };
  int size = 8 << 20;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  auto set = [&](int option, int value, const char* name) {
    if (::setsockopt(fd_, IPPROTO_IPV6, option, &value, sizeof value) != 0) {
      const int e = errno;
      fail(std::string(name) + " on " + link.name, e);
    }
  };
  set(IPV6_MULTICAST_IF, static_cast<int>(link.index), "IPV6_MULTICAST_IF");
  set(IPV6_MULTICAST_HOPS, 1, "IPV6_MULTICAST_HOPS");  // link scope: never routed
  set(IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP");  // our own multicasts are not for us
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(CLIENT_PORT);
  sa.sin6_scope_id = link.index;
  std::memcpy(&sa.sin6_addr, link.link_local.bytes.data(), 16);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    const int e = errno;
    fail("bind([" + link.link_local.to_string() + "%" + link.name + "]:" +
             std::to_string(CLIENT_PORT) + ")" +
             (e == EADDRNOTAVAIL ? " (is the address still tentative, doing DAD?)" : ""),
         e);
  }
  group_.sin6_family = AF_INET6;
  group_.sin6_port = htons(SERVER_PORT);
  group_.sin6_scope_id = link.index;
  std::memcpy(&group_.sin6_addr, all_dhcp_relay_agents_and_servers().bytes.data(), 16);
}

LinkSocket::~LinkSocket() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace failover6::gen
