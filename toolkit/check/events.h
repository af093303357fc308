// failover6::check events: what the timeline and the failover-stream decoder hand to the
// invariant checkers, in capture-time order. Tests build these by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "check/types.h"
#include "wire/constants.h"
#include "wire/failover_message.h"

namespace failover6::check {

/// A client's message (after relay unwrapping), one per transmission.
struct ClientTx {
  std::int64_t time_ns = 0;
  FrameRef ref;
  wire::Duid client;
  std::uint32_t xid = 0;
  wire::MessageType type = wire::MessageType::Solicit;
  ServerIx server = NO_SERVER;  ///< the SERVERID the client named, if any
  /// For a RENEW or REBIND: the latest end (valid lifetime) of the client's live leases, as
  /// the timeline knows them (0 when unknown). A REBIND left unanswered past it means the
  /// client lost its leases.
  std::int64_t leases_end_ns = 0;
};

/// A client's live lease as the timeline knew it before a REPLY.
struct HeldLease {
  Resource resource;
  ServerIx server = NO_SERVER;  ///< who granted (or last extended) it
  std::int64_t end_ns = 0;      ///< REPLY time + valid lifetime
  FrameRef ref;                 ///< the REPLY that granted or last extended it
  std::int64_t since_ns = 0;    ///< when the client first got it (this holding)
};

/// What one IA of a server's REPLY said to a client.
struct IaResult {
  ClientKey client;
  std::uint32_t t1 = 0;
  std::uint32_t t2 = 0;
  std::uint16_t status = 0;     ///< the IA's STATUS_CODE (0 when absent)
  std::vector<Lease> leases;    ///< IAADDR / IAPREFIX, valid 0 included
  std::vector<HeldLease> held;  ///< the client's live leases in this IA just before the REPLY
};

/// A server's ADVERTISE or REPLY to a client (after relay unwrapping).
struct ServerReply {
  std::int64_t time_ns = 0;
  FrameRef ref;
  ServerIx server = NO_SERVER;
  wire::Address server_address;  ///< the UDP source of the datagram
  wire::Duid client;
  std::uint32_t xid = 0;
  wire::MessageType type = wire::MessageType::Reply;
  /// The client message this answers (paired by xid + client DUID), when it was captured.
  std::optional<wire::MessageType> request;
  FrameRef request_ref;
  std::int64_t request_time_ns = 0;
  std::vector<IaResult> ias;
};

/// Why a lease ended in the client's view.
enum class EndKind : std::uint8_t { Released, Declined, ZeroLifetime, Expired };

/// @return "released", "declined", "withdrawn (valid lifetime 0)", "expired".
const char* end_kind_name(EndKind k);

/// A lease ended in the client's view.
struct LeaseEnd {
  std::int64_t time_ns = 0;
  FrameRef ref;  ///< the REPLY that ended it (the granting REPLY for an expiry)
  ClientKey client;
  Resource resource;
  ServerIx server = NO_SERVER;
  EndKind kind = EndKind::Expired;
};

/// Identifies one failover TCP connection in the capture (both directions).
using ConnId = std::uint64_t;

/// Something seen on a failover TCP connection.
struct FailoverEvent {
  enum class Kind : std::uint8_t {
    Begin,      ///< a direction's stream began (from_syn says whether with a SYN)
    Message,    ///< a framed message decoded (msg set)
    Malformed,  ///< a frame that did not decode, or framing that cannot be right (error set)
    Lost,       ///< bytes missing from the capture; framing resynchronises later
    Resync,     ///< framing found again after joining mid-stream or a gap (skipped bytes)
    End,        ///< the direction's stream ended
    /// The direction carried STARTTLS (RFC 8156 §6.1): what follows is TLS, not visible.
    Encrypted,
  };
  Kind kind = Kind::Message;
  std::int64_t time_ns = 0;
  FrameRef ref;
  ConnId conn = 0;
  wire::Address src;
  wire::Address dst;
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  /// True when the sender is the side that connected (its peer's port is the failover port):
  /// in RFC 8156 that must be the primary.
  bool from_connector = false;
  bool from_syn = false;                      ///< Begin: the stream started with a SYN
  const wire::FailoverMessage* msg = nullptr; ///< Message: valid during the call only
  std::string error;                          ///< Malformed: why
  std::uint64_t skipped = 0;                  ///< Resync / Lost: octets skipped or missing
};

}  // namespace failover6::check
