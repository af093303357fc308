#include "fakes.h"

#include <stdexcept>

namespace failover6::io::test {

void FakePacketIo::queue(wire::Bytes payload, std::size_t socket, const std::string& src,
                         std::uint16_t sport) {
  ReceivedDatagram r;
  r.buffer = std::move(payload);
  r.socket = socket;
  r.datagram.src = wire::Address::from_string(src);
  r.datagram.sport = sport;
  r.datagram.dst = wire::Address::from_string("::1");
  r.datagram.dport = 547;
  inbox.push_back(std::move(r));
}

bool FakePacketIo::try_receive(ReceivedDatagram& out) {
  if (inbox.empty()) return false;
  out = std::move(inbox.front());
  inbox.pop_front();
  out.datagram.payload = wire::ByteView(out.buffer);
  ++receives;
  return true;
}

bool FakePacketIo::send(const server::Outbound& datagram, std::size_t socket) {
  if (refuse_sends) return false;
  sent.push_back({datagram, socket});
  return true;
}

void ScriptedStore::commit() {
  ++commit_calls;
  bool ok = true;
  if (!script.empty()) {
    ok = script.front();
    script.pop_front();
  }
  if (!ok) throw std::runtime_error("disk full");
  ++commits_ok;
}

std::size_t CapturedLog::count(std::string_view id) const {
  std::size_t n = 0;
  for (const auto& l : lines)
    if (l.find(id) != std::string::npos) ++n;
  return n;
}

}  // namespace failover6::io::test
