// failover6::gen::Fleet: N emulated clients behind R emulated relays, sans-IO.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "gen/client.h"
#include "gen/relay.h"
#include "gen/rng.h"
#include "gen/time.h"

namespace failover6::gen {

/// How a fleet is made. Defaults: one client, one relay with link-address 2001:db8:1::1
/// (inside the example configs' subnet), IA_NA, all four DUID types in turn.
/// relay_depth 0 with relays 0 makes a direct fleet: the clients sit on the servers' link.
struct FleetConfig {
  std::uint32_t clients = 1;
  std::uint32_t relays = 1;      ///< 0 exactly when relay_depth is 0 (direct)
  std::uint32_t servers = 1;     ///< server endpoints every relay forwards to (1..254)
  /// 1, or 2 for a second relay agent between relay and servers; 0: direct, no relays.
  int relay_depth = 1;
  bool remote_id = false;        ///< relays add REMOTE_ID (enterprise 2495, "relay-<r>")
  /// Relay r has link-address link_base + r; the second hop outer_link_base + r.
  wire::Address link_base = wire::Address::from_string("2001:db8:1::1");
  wire::Address outer_link_base = wire::Address::from_string("2001:db8:ffff::1");
  ClientProfile profile;
  double information_only_fraction = 0.0;  ///< share of clients that only INFORMATION-REQUEST
  double decline_fraction = 0.0;  ///< share of clients that DECLINE their first address
  Time start = 0;                 ///< when client 0 starts
  Duration start_interval = 0;    ///< between successive client starts
  std::uint64_t seed = 1;
  /// DUID types (RFC 8415 §11: 1 LLT, 2 EN, 3 LL, 4 UUID) given to clients in turn.
  std::vector<std::uint16_t> duid_types{1, 2, 3, 4};
};

/// One datagram for the transport: a RELAY-FORW from relay `relay` to server `server`, or in
/// a direct fleet the client message of client `relay` to the multicast group (`server` is
/// then ALL_SERVERS).
struct Datagram {
  std::uint32_t relay = 0;  ///< the relay; in a direct fleet, the client
  std::uint8_t server = 0;  ///< the server index; ALL_SERVERS in a direct fleet
  wire::Bytes payload;
};

/// Counters of a fleet (message counts are indexed by message type, 0..255).
struct FleetStats {
  std::array<std::uint64_t, 256> sent{};      ///< client messages sent, per server copy
  std::array<std::uint64_t, 256> received{};  ///< client/server messages received (unwrapped)
  std::array<std::uint64_t, 256> exchanges_by_request{};  ///< completed, by request type
  std::uint64_t exchanges = 0;        ///< requests answered (SOLICIT-ADVERTISE counts once)
  std::uint64_t retransmissions = 0;  ///< client messages sent again (not per server copy)
  std::uint64_t failures = 0;         ///< failed transactions (see Failure)
  std::array<std::uint64_t, 8> failures_by_kind{};
  std::uint64_t unmatched = 0;        ///< replies no client took (stale, duplicate, foreign)
  std::uint64_t malformed = 0;        ///< datagrams that did not decode or unwrap
  std::uint64_t sarr = 0;             ///< SOLICIT..REPLY acquisitions completed
  std::vector<std::uint32_t> latencies_us;  ///< per exchange, protocol-time microseconds
};

/// @brief A population of clients and their relays, driven by `now` and received datagrams.
///
/// Client i sits behind relay i % relays, has the link-local address fe80::1:<i+1> (the
/// relays' peer-address, by which replies find their client) and starts at
/// start + i * start_interval. Every client message is wrapped by its relay path and sent
/// to every server, except a RENEW the profile sends to the granting server only. Replies are
/// unwrapped and checked against the relay path of the client they name.
///
/// Direct (relay_depth 0, relays 0): the clients are attached to the servers' link. Client
/// messages go out unwrapped as one datagram each to the All_DHCP_Relay_Agents_and_Servers
/// group (server ALL_SERVERS, relay = the client's index), a RENEW too: the emulated clients
/// never use the UNICAST option, so they multicast everything (RFC 8415 §18.2.4, §21.12).
/// Replies are client/server messages told apart by their CLIENTID (the DUID of client i
/// ends in the 4 octets of i), so all clients may share one source address.
///
/// Deterministic: the same config, `now` sequence and received datagrams give the same
/// datagrams. Not thread-safe.
class Fleet : private ClientObserver {
 public:
  /// @throws std::invalid_argument for a config it cannot run (no clients, servers out of
  ///         range, depth not 0, 1 or 2, relays 0 without depth 0 or the reverse, fractions
  ///         outside [0, 1], unknown DUID type).
  explicit Fleet(FleetConfig config);

  /// @brief Runs every client whose deadline is at or before @p now.
  void on_timer(Time now, std::vector<Datagram>& out);

  /// @brief Handles one datagram received from server @p server at @p now.
  /// @param relay when not null, receives the index of the relay the reply came through
  ///        (left unchanged when the datagram names no client of this fleet); in a direct
  ///        fleet, the index of the client it names.
  /// @return false when it was malformed or no client took it.
  bool on_datagram(std::uint8_t server, wire::ByteView payload, Time now,
                   std::vector<Datagram>& out, std::uint32_t* relay = nullptr);

  /// @brief Makes every client RELEASE its leases (and the others stop).
  void release_all(Time now, std::vector<Datagram>& out);

  /// @return the earliest client deadline (NEVER when none).
  Time next_deadline();

  /// @return the counters so far.
  const FleetStats& stats() const { return stats_; }
  /// @return clients holding an unexpired lease at @p now.
  std::uint32_t clients_bound(Time now) const;
  /// @return clients whose address or prefix changed on a RENEW/REBIND reply.
  std::uint32_t leases_changed() const;
  /// @return clients that completed an INFORMATION-REQUEST exchange and hold configuration.
  std::uint32_t clients_informed() const;
  /// @return the number of clients.
  std::size_t size() const { return clients_.size(); }
  /// @return client @p i.
  const Client& client(std::size_t i) const { return clients_.at(i); }
  /// @return relay @p r.
  const RelayConfig& relay(std::size_t r) const { return relays_.at(r); }
  /// @return the number of relays (0 in a direct fleet).
  std::size_t relay_count() const { return relays_.size(); }
  /// @return true for a direct fleet (no relays, unwrapped messages).
  bool direct() const { return config_.relay_depth == 0; }
  /// @return the link-local address of client @p i.
  static wire::Address client_address(std::uint32_t i);
  /// @return the config.
  const FleetConfig& config() const { return config_; }

 private:
  void on_send(const Client&, const wire::Message&, bool retransmission) override;
  void on_exchange(const Client&, wire::MessageType request, wire::MessageType response,
                   Duration latency) override;
  void on_failure(const Client&, Failure) override;
  void on_state(const Client&, ClientState from) override;

  /// Runs @p f on client @p i with a context, then emits its output and reschedules it.
  template <class F>
  void drive(std::uint32_t i, Time now, std::vector<Datagram>& out, F&& f);
  /// Finds the client a direct reply names by its CLIENTID; nullopt (counted) when none.
  std::optional<std::uint32_t> direct_client(const wire::Message& m);

  FleetConfig config_;
  std::vector<Client> clients_;
  std::vector<RelayConfig> relays_;
  std::vector<std::uint8_t> decliners_;  ///< per client: 1 = declines its first address
  ServerIds server_ids_;
  Rng rng_;
  FleetStats stats_;
  std::vector<ClientOutput> pending_;  ///< scratch output of one client call
  using Entry = std::pair<Time, std::uint32_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> timers_;
  wire::Bytes scratch_;
};

}  // namespace failover6::gen
