// Scripted I/O edges for the impl/io tests (STYLE.md rule 5): a PacketIo that hands out queued
// datagrams and records what is sent, and a lease store whose commits follow a script.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "io/logger.h"
#include "io/packet_io.h"
#include "lease/lease_store.h"

namespace failover6::io::test {

/// A PacketIo over a queue: queue() what the "network" delivers, then read sent().
class FakePacketIo : public PacketIo {
 public:
  /// One recorded send.
  struct Sent {
    server::Outbound datagram;
    std::size_t socket = 0;
  };

  /// @brief Queues a datagram from [@p src]:@p sport arriving on socket @p socket.
  void queue(wire::Bytes payload, std::size_t socket = 0,
             const std::string& src = "2001:db8:1::1", std::uint16_t sport = 547);

  bool try_receive(ReceivedDatagram& out) override;
  bool send(const server::Outbound& datagram, std::size_t socket) override;

  std::deque<ReceivedDatagram> inbox;  ///< still to be received
  std::vector<Sent> sent;              ///< sent so far, in order
  std::size_t receives = 0;            ///< successful try_receive() calls
  bool refuse_sends = false;           ///< send() returns false and records nothing
};

/// A MemoryStore whose commit() follows a script: each entry true = succeed, false = throw
/// std::runtime_error("disk full"); once the script is used up, commits succeed.
class ScriptedStore : public lease::MemoryStore {
 public:
  void commit() override;
  std::deque<bool> script;
  std::size_t commit_calls = 0;
  std::size_t commits_ok = 0;
};

/// A Logger that keeps every line (DEBUG and up) in `lines`.
struct CapturedLog {
  std::vector<std::string> lines;
  Logger log{Severity::Debug, [this](Severity, std::string_view l) { lines.emplace_back(l); }};
  /// @return how many lines contain @p id.
  std::size_t count(std::string_view id) const;
};

}  // namespace failover6::io::test
