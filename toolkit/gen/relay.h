// failover6::gen relays: RELAY-FORW wrapping and RELAY-REPL unwrapping (RFC 8415 §19), one or
// two relay agents deep.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wire/message.h"

namespace failover6::gen {

/// One relay agent on the path (RFC 8415 §19.1.1).
struct RelayHop {
  wire::Address link_address;  ///< identifies the client's link to the server
  wire::Address address;       ///< the agent's own address: source of what it forwards
  wire::Bytes interface_id;    ///< INTERFACE_ID (RFC 8415 §21.18); empty: not sent
  std::optional<wire::RemoteId> remote_id;  ///< REMOTE_ID (RFC 4649), when configured
};

/// An emulated relay path: the agent nearest the clients, and optionally a second agent
/// between it and the servers (two-deep nesting).
struct RelayConfig {
  RelayHop first;                ///< on the clients' link
  std::optional<RelayHop> second;  ///< nearer the servers, when nested
  /// @return the address the servers see as the source: the outermost agent's.
  const wire::Address& source() const { return second ? second->address : first.address; }
  /// @return 1 or 2.
  int depth() const { return second ? 2 : 1; }
};

/// @brief Wraps the client message @p inner from the client at @p peer_address in the
///        RELAY-FORW layers of @p relay (the first hop's hop-count 0, the second's 1).
wire::Message wrap(const RelayConfig& relay, wire::Message inner,
                   const wire::Address& peer_address);

/// The result of unwrap(): the client's message and the client's address, or an error.
struct Unwrapped {
  const wire::Message* message = nullptr;  ///< inside @p reply; null on error
  wire::Address peer_address;              ///< the client the innermost layer names
  std::string error;                       ///< why the reply was rejected; empty when good
};

/// @brief Checks that @p reply is a RELAY-REPL with exactly @p relay's layers (each with
///        the hop's INTERFACE_ID echoed when one was sent, the outer layer's peer-address
///        the first hop's address) around a client/server message, and returns that message.
Unwrapped unwrap(const RelayConfig& relay, const wire::Message& reply);

/// @brief Reads the client's peer-address from the innermost relay layer of @p reply,
///        without other checks; nullopt when @p reply is not a relay message.
std::optional<wire::Address> innermost_peer(const wire::Message& reply);

}  // namespace failover6::gen
