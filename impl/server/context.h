// Internal to impl/server: the state of one client transaction, shared by server.cc and
// server_ia.cc.
#pragma once

#include "server/server.h"

namespace failover6::server {

/// Everything one client transaction needs.
struct Server::Context {
  const Datagram& datagram;
  const wire::Message& outer;
  const wire::Message& in;  ///< the client's message
  const config::Subnet* subnet = nullptr;
  std::int64_t now = 0;
  wire::Message reply;
  bool changed = false;  ///< the store was written
};

}  // namespace failover6::server
