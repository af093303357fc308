// Helpers for the check unit tests: hand-built clients, leases, replies and failover events.
#pragma once

#include <deque>
#include <vector>

#include "check/checker.h"
#include "check/events.h"

namespace failover6::check::test {

/// Collects violations.
struct Collect {
  std::vector<Violation> v;
  ViolationSink sink() {
    return [this](Violation&& x) { v.push_back(std::move(x)); };
  }
};

/// Capture time t seconds after a fixed epoch (2027-01-15T08:00:00Z).
std::int64_t at(double seconds);
/// The DUID of client @p n (DUID-LL).
wire::Duid client(int n);
/// A client IA.
ClientKey key(int n, IaType ia = IaType::Na, std::uint32_t iaid = 1);
/// An address resource.
Resource addr(const char* a);
/// A prefix resource.
Resource prefix(const char* p, std::uint8_t len);
/// A REPLY from @p server at @p t to client @p n for one IA with @p leases.
ServerReply reply(double t, ServerIx server, const ClientKey& c, std::vector<Lease> leases,
                  std::optional<wire::MessageType> request = wire::MessageType::Request,
                  std::vector<HeldLease> held = {});

/// Builds failover events whose messages stay alive as long as the builder.
class Wire {
 public:
  wire::Address primary = wire::Address::from_string("2001:db8::a");
  wire::Address secondary = wire::Address::from_string("2001:db8::b");
  ConnId conn = 1;

  /// A message event from the primary (the connector) or the secondary.
  FailoverEvent msg(double t, bool from_primary, wire::FailoverMessage m);
  /// A non-message event (Begin, End, Lost, Malformed).
  FailoverEvent event(double t, bool from_primary, FailoverEvent::Kind k);
  /// A message of @p type, xid @p xid, sent-time matching @p t.
  static wire::FailoverMessage make(wire::MessageType type, std::uint32_t xid, double t,
                                    wire::Options opts = {});
  /// CONNECT with every mandatory option.
  static wire::FailoverMessage connect(std::uint32_t xid, double t, std::uint32_t mclt = 3600,
                                       std::uint32_t max_unacked = 10);
  /// STATE with its mandatory options.
  static wire::FailoverMessage state(double t, std::uint8_t st, std::uint8_t flags = 0x01);
  /// A BNDUPD for client @p n's address @p a with PARTNER_LIFETIME @p pl (failover time).
  static wire::FailoverMessage bndupd(std::uint32_t xid, double t, int n, const char* a,
                                      std::uint32_t pl);
  /// The BNDREPLY echoing @p pl.
  static wire::FailoverMessage bndreply(std::uint32_t xid, double t, int n, const char* a,
                                        std::uint32_t pl);
  /// Failover time (seconds since 2000) of at(t).
  static std::uint32_t fo_time(double t);

  /// Feeds a full handshake (Begin both ways, CONNECT, CONNECTREPLY, STATE NORMAL x2) to @p c.
  void handshake(Checker& c, double t, std::uint32_t mclt = 3600, std::uint32_t max_unacked = 10);

 private:
  std::deque<wire::FailoverMessage> keep_;
};

}  // namespace failover6::check::test
