// failover6::wire constants: message types, option codes, status codes and the RFC 8156 enums,
// each with one name table (to_string / parse) shared by the CLI, JSON and Python.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace failover6::wire {

/// DHCPv6 message types (IANA "DHCPv6 Message Types"). Values outside the enumerators are
/// representable and decode with the plain header (they print as "MSG-<n>").
enum class MessageType : std::uint8_t {
  Solicit = 1,             ///< RFC 8415 §16.2
  Advertise = 2,           ///< RFC 8415 §16.3
  Request = 3,             ///< RFC 8415 §16.4
  Confirm = 4,             ///< RFC 8415 §16.5
  Renew = 5,               ///< RFC 8415 §16.6
  Rebind = 6,              ///< RFC 8415 §16.7
  Reply = 7,               ///< RFC 8415 §16.10; also the answer to STARTTLS (RFC 7653 §8.2)
  Release = 8,             ///< RFC 8415 §16.12
  Decline = 9,             ///< RFC 8415 §16.13
  Reconfigure = 10,        ///< RFC 8415 §16.11
  InformationRequest = 11, ///< RFC 8415 §16.12
  RelayForw = 12,          ///< RFC 8415 §9.1
  RelayRepl = 13,          ///< RFC 8415 §9.2
  Leasequery = 14,         ///< RFC 5007
  LeasequeryReply = 15,    ///< RFC 5007
  LeasequeryDone = 16,     ///< RFC 5460
  LeasequeryData = 17,     ///< RFC 5460
  ReconfigureRequest = 18, ///< RFC 6977
  ReconfigureReply = 19,   ///< RFC 6977
  Dhcpv4Query = 20,        ///< RFC 7341
  Dhcpv4Response = 21,     ///< RFC 7341
  ActiveLeasequery = 22,   ///< RFC 7653
  StartTls = 23,           ///< RFC 7653 §5.2; the first message in RFC 8156 secure mode
  BndUpd = 24,             ///< RFC 8156 §5.3 binding update
  BndReply = 25,           ///< RFC 8156 §5.3
  PoolReq = 26,            ///< RFC 8156 §5.3
  PoolResp = 27,           ///< RFC 8156 §5.3
  UpdReq = 28,             ///< RFC 8156 §5.3
  UpdReqAll = 29,          ///< RFC 8156 §5.3
  UpdDone = 30,            ///< RFC 8156 §5.3
  Connect = 31,            ///< RFC 8156 §5.3
  ConnectReply = 32,       ///< RFC 8156 §5.3
  Disconnect = 33,         ///< RFC 8156 §5.3
  State = 34,              ///< RFC 8156 §5.3
  Contact = 35,            ///< RFC 8156 §5.3
};

/// @return the IANA name ("SOLICIT", "RELAY-FORW", "BNDUPD", ...) or "MSG-<n>".
std::string to_string(MessageType t);
/// @brief Writes to_string(t) (for test diagnostics and logs).
std::ostream& operator<<(std::ostream& os, MessageType t);
/// @return the type named @p name (as to_string spells it, case-insensitive, or a number).
std::optional<MessageType> parse_message_type(std::string_view name);
/// @return true for RELAY-FORW and RELAY-REPL (RFC 8415 §9 relay header).
constexpr bool is_relay(MessageType t) {
  return t == MessageType::RelayForw || t == MessageType::RelayRepl;
}
/// @return true for the RFC 8156 messages 24..35, which carry the 4-octet sent-time.
constexpr bool is_failover(MessageType t) {
  return static_cast<int>(t) >= 24 && static_cast<int>(t) <= 35;
}

/// DHCPv6 option codes decoded to typed options (IANA "DHCPv6 Option Codes").
enum class OptionCode : std::uint16_t {
  ClientId = 1,
  ServerId = 2,
  IaNa = 3,
  IaTa = 4,
  IaAddr = 5,
  Oro = 6,
  Preference = 7,
  ElapsedTime = 8,
  RelayMsg = 9,
  Auth = 11,
  Unicast = 12,
  StatusCode = 13,
  RapidCommit = 14,
  UserClass = 15,
  VendorClass = 16,
  VendorOpts = 17,
  InterfaceId = 18,
  ReconfMsg = 19,
  ReconfAccept = 20,
  DnsServers = 23,
  DomainList = 24,
  IaPd = 25,
  IaPrefix = 26,
  InformationRefreshTime = 32,
  RemoteId = 37,
  SubscriberId = 38,
  ClientFqdn = 39,
  ClientData = 45,
  CltTime = 46,
  LqRelayData = 47,
  RelayId = 53,
  Vss = 68,
  SolMaxRt = 82,
  InfMaxRt = 83,
  LqBaseTime = 100,
  FBindingStatus = 114,
  FConnectFlags = 115,
  FDnsRemovalInfo = 116,
  FDnsHostName = 117,
  FDnsZoneName = 118,
  FDnsFlags = 119,
  FExpirationTime = 120,
  FMaxUnackedBndupd = 121,
  FMclt = 122,
  FPartnerLifetime = 123,
  FPartnerLifetimeSent = 124,
  FPartnerDownTime = 125,
  FPartnerRawCltTime = 126,
  FProtocolVersion = 127,
  FKeepaliveTime = 128,
  FReconfigureData = 129,
  FRelationshipName = 130,
  FServerFlags = 131,
  FServerState = 132,
  FStartTimeOfState = 133,
  FStateExpirationTime = 134,
};

/// @return the option's name without the OPTION_ prefix ("IA_NA", "F_MCLT") or "OPTION-<n>".
std::string option_name(std::uint16_t code);
/// @return the code named @p name (as option_name spells it, case-insensitive, or a number).
std::optional<std::uint16_t> parse_option_code(std::string_view name);

/// Status codes (RFC 8415 §21.13, RFC 5007, RFC 5460, RFC 7653, RFC 8156 §5.6).
enum class StatusCode : std::uint16_t {
  Success = 0,
  UnspecFail = 1,
  NoAddrsAvail = 2,
  NoBinding = 3,
  NotOnLink = 4,
  UseMulticast = 5,
  NoPrefixAvail = 6,
  UnknownQueryType = 7,
  MalformedQuery = 8,
  NotConfigured = 9,
  NotAllowed = 10,
  QueryTerminated = 11,
  DataMissing = 12,
  CatchUpComplete = 13,
  NotSupported = 14,
  TlsConnectionRefused = 15,
  AddressInUse = 16,
  ConfigurationConflict = 17,
  MissingBindingInformation = 18,
  OutdatedBindingInformation = 19,
  ServerShuttingDown = 20,
  DnsUpdateNotSupported = 21,
  ExcessiveTimeSkew = 22,
};
/// @return the RFC name ("NoAddrsAvail", "ExcessiveTimeSkew") or "Status-<n>".
std::string status_name(std::uint16_t code);

/// DUID types (RFC 8415 §11, RFC 6355).
enum class DuidType : std::uint16_t { Llt = 1, En = 2, Ll = 3, Uuid = 4 };

/// Binding status of a lease (RFC 8156 §5.4.1, OPTION_F_BINDING_STATUS).
enum class BindingStatus : std::uint8_t {
  Active = 1,
  Expired = 2,
  Released = 3,
  PendingFree = 4,
  Free = 5,
  FreeBackup = 6,
  Abandoned = 7,
  Reset = 8,
};
/// @return "ACTIVE", "FREE-BACKUP", ... or "BINDING-<n>".
std::string binding_status_name(std::uint8_t v);
/// @brief Writes binding_status_name().
std::ostream& operator<<(std::ostream& os, BindingStatus s);

/// Failover endpoint states (RFC 8156 §5.4.15, OPTION_F_SERVER_STATE).
enum class ServerState : std::uint8_t {
  Startup = 1,
  Normal = 2,
  CommunicationsInterrupted = 3,
  PartnerDown = 4,
  PotentialConflict = 5,
  Recover = 6,
  RecoverWait = 7,
  RecoverDone = 8,
  ResolutionInterrupted = 9,
  ConflictDone = 10,
};
/// @return "NORMAL", "COMMUNICATIONS-INTERRUPTED", ... or "STATE-<n>".
std::string server_state_name(std::uint8_t v);
/// @brief Writes server_state_name().
std::ostream& operator<<(std::ostream& os, ServerState s);

/// Seconds between the Unix epoch and 2000-01-01T00:00:00Z, the RFC 8156 §3 time base.
inline constexpr std::int64_t FAILOVER_EPOCH_UNIX = 946684800;

/// Maximum nesting of relay messages the decoder accepts (RFC 3315's HOP_COUNT_LIMIT, 32; RFC
/// 8415 lowered the relay default to 8, but captures from older relays may go deeper).
inline constexpr int MAX_RELAY_DEPTH = 32;
/// Maximum nesting of options and relays together; bounds the decoder's stack use.
inline constexpr int MAX_NESTING = 48;

}  // namespace failover6::wire
