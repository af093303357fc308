// failover6::wire option types: one type per DHCPv6 option, each citing its RFC section.
//
// An Option holds exactly one of these types. Options the codec does not know are kept as
// UnknownOption (raw octets) and re-encoded byte for byte. Every type is a plain value with
// defaulted equality, so decode(encode(x)) == x can be tested directly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "wire/address.h"
#include "wire/buffer.h"
#include "wire/constants.h"
#include "wire/duid.h"

namespace failover6::wire {

struct Option;
struct Message;
/// A sequence of options, in wire order, duplicates kept.
using Options = std::vector<Option>;

/// A heap-allocated value with value semantics (deep copy, deep equality); used where a type
/// contains itself indirectly (a relay message inside an option inside a relay message).
template <class T>
class Box {
 public:
  Box() : p_(std::make_unique<T>()) {}
  Box(T v) : p_(std::make_unique<T>(std::move(v))) {}  // NOLINT: implicit by design
  Box(const Box& o) : p_(std::make_unique<T>(*o.p_)) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& o) {
    if (this != &o) p_ = std::make_unique<T>(*o.p_);
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  ~Box() = default;
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }
  friend bool operator==(const Box& a, const Box& b) { return *a.p_ == *b.p_; }

 private:
  std::unique_ptr<T> p_;
};

// ---- Generic shapes shared by several codes -------------------------------------------------

/// An option whose body is one unsigned integer of type T (network order, exactly sizeof(T)).
template <OptionCode C, class T>
struct UintOption {
  static constexpr OptionCode code = C;
  T value{};
  friend bool operator==(const UintOption&, const UintOption&) = default;
};

/// An option with an empty body (length 0).
template <OptionCode C>
struct EmptyOption {
  static constexpr OptionCode code = C;
  friend bool operator==(const EmptyOption&, const EmptyOption&) = default;
};

/// An option whose body is one DUID (RFC 8415 §11).
template <OptionCode C>
struct DuidOption {
  static constexpr OptionCode code = C;
  Duid duid;
  friend bool operator==(const DuidOption&, const DuidOption&) = default;
};

/// An option whose body is opaque octets.
template <OptionCode C>
struct OpaqueOption {
  static constexpr OptionCode code = C;
  Bytes data;
  friend bool operator==(const OpaqueOption&, const OpaqueOption&) = default;
};

/// An option whose body is one domain name in RFC 1035 wire format, without compression.
/// `name` is in presentation form: labels joined by '.', a trailing '.' when the name is fully
/// qualified (ends with the root label), '\.' '\\' and '\DDD' escapes for other octets; "" is
/// the empty body.
template <OptionCode C>
struct NameOption {
  static constexpr OptionCode code = C;
  std::string name;
  friend bool operator==(const NameOption&, const NameOption&) = default;
};

/// An option whose body is a sequence of options (a container).
template <OptionCode C>
struct ContainerOption {
  static constexpr OptionCode code = C;
  Options options;
  friend bool operator==(const ContainerOption&, const ContainerOption&) = default;
};

// ---- RFC 8415 options --------------------------------------------------------------------

/// OPTION_CLIENTID (1), RFC 8415 §21.2.
using ClientId = DuidOption<OptionCode::ClientId>;
/// OPTION_SERVERID (2), RFC 8415 §21.3.
using ServerId = DuidOption<OptionCode::ServerId>;

/// OPTION_IA_NA (3), RFC 8415 §21.4: identity association for non-temporary addresses.
struct IaNa {
  static constexpr OptionCode code = OptionCode::IaNa;
  std::uint32_t iaid = 0;
  std::uint32_t t1 = 0;
  std::uint32_t t2 = 0;
  Options options;  ///< IAADDR, STATUS_CODE, ...
  friend bool operator==(const IaNa&, const IaNa&) = default;
};

/// OPTION_IA_TA (4), RFC 8415 §21.5: identity association for temporary addresses.
struct IaTa {
  static constexpr OptionCode code = OptionCode::IaTa;
  std::uint32_t iaid = 0;
  Options options;
  friend bool operator==(const IaTa&, const IaTa&) = default;
};

/// OPTION_IAADDR (5), RFC 8415 §21.6.
struct IaAddress {
  static constexpr OptionCode code = OptionCode::IaAddr;
  Address address;
  std::uint32_t preferred = 0;
  std::uint32_t valid = 0;
  Options options;  ///< STATUS_CODE; in RFC 8156 BNDUPDs the F_* lease options
  friend bool operator==(const IaAddress&, const IaAddress&) = default;
};

/// OPTION_ORO (6), RFC 8415 §21.7: requested option codes.
struct OptionRequest {
  static constexpr OptionCode code = OptionCode::Oro;
  std::vector<std::uint16_t> codes;
  friend bool operator==(const OptionRequest&, const OptionRequest&) = default;
};

/// OPTION_PREFERENCE (7), RFC 8415 §21.8.
using Preference = UintOption<OptionCode::Preference, std::uint8_t>;
/// OPTION_ELAPSED_TIME (8), RFC 8415 §21.9, in hundredths of a second.
using ElapsedTime = UintOption<OptionCode::ElapsedTime, std::uint16_t>;

/// OPTION_RELAY_MSG (9), RFC 8415 §21.10: the relayed message, decoded.
struct RelayMsg {
  static constexpr OptionCode code = OptionCode::RelayMsg;
  Box<Message> message;
  friend bool operator==(const RelayMsg&, const RelayMsg&) = default;
};

/// OPTION_AUTH (11), RFC 8415 §21.11. The fields are decoded; the authentication information
/// is kept opaque.
struct Auth {
  static constexpr OptionCode code = OptionCode::Auth;
  std::uint8_t protocol = 0;
  std::uint8_t algorithm = 0;
  std::uint8_t rdm = 0;
  std::uint64_t replay_detection = 0;
  Bytes info;
  friend bool operator==(const Auth&, const Auth&) = default;
};

/// OPTION_UNICAST (12), RFC 8415 §21.12.
struct Unicast {
  static constexpr OptionCode code = OptionCode::Unicast;
  Address address;
  friend bool operator==(const Unicast&, const Unicast&) = default;
};

/// OPTION_STATUS_CODE (13), RFC 8415 §21.13.
struct StatusCodeOption {
  static constexpr OptionCode code = OptionCode::StatusCode;
  std::uint16_t status = 0;  ///< see StatusCode
  std::string message;       ///< UTF-8, not NUL-terminated
  friend bool operator==(const StatusCodeOption&, const StatusCodeOption&) = default;
};

/// OPTION_RAPID_COMMIT (14), RFC 8415 §21.14.
using RapidCommit = EmptyOption<OptionCode::RapidCommit>;

/// OPTION_USER_CLASS (15), RFC 8415 §21.15: each class is 2-octet length + opaque data.
struct UserClass {
  static constexpr OptionCode code = OptionCode::UserClass;
  std::vector<Bytes> classes;
  friend bool operator==(const UserClass&, const UserClass&) = default;
};

/// OPTION_VENDOR_CLASS (16), RFC 8415 §21.16.
struct VendorClass {
  static constexpr OptionCode code = OptionCode::VendorClass;
  std::uint32_t enterprise = 0;
  std::vector<Bytes> classes;
  friend bool operator==(const VendorClass&, const VendorClass&) = default;
};

/// One vendor-specific sub-option inside VENDOR_OPTS (code(2) len(2) data).
struct VendorSubOption {
  std::uint16_t code = 0;
  Bytes data;
  friend bool operator==(const VendorSubOption&, const VendorSubOption&) = default;
};

/// OPTION_VENDOR_OPTS (17), RFC 8415 §21.17.
struct VendorOpts {
  static constexpr OptionCode code = OptionCode::VendorOpts;
  std::uint32_t enterprise = 0;
  std::vector<VendorSubOption> options;
  friend bool operator==(const VendorOpts&, const VendorOpts&) = default;
};

/// OPTION_INTERFACE_ID (18), RFC 8415 §21.18.
using InterfaceId = OpaqueOption<OptionCode::InterfaceId>;
/// OPTION_RECONF_MSG (19), RFC 8415 §21.19: the message type the client is to send.
using ReconfMsg = UintOption<OptionCode::ReconfMsg, std::uint8_t>;
/// OPTION_RECONF_ACCEPT (20), RFC 8415 §21.20.
using ReconfAccept = EmptyOption<OptionCode::ReconfAccept>;

/// OPTION_DNS_SERVERS (23), RFC 3646 §3.
struct DnsServers {
  static constexpr OptionCode code = OptionCode::DnsServers;
  std::vector<Address> servers;
  friend bool operator==(const DnsServers&, const DnsServers&) = default;
};

/// OPTION_DOMAIN_LIST (24), RFC 3646 §4: domain names in presentation form (see NameOption).
struct DomainList {
  static constexpr OptionCode code = OptionCode::DomainList;
  std::vector<std::string> domains;
  friend bool operator==(const DomainList&, const DomainList&) = default;
};

/// OPTION_IA_PD (25), RFC 8415 §21.21: identity association for prefix delegation.
struct IaPd {
  static constexpr OptionCode code = OptionCode::IaPd;
  std::uint32_t iaid = 0;
  std::uint32_t t1 = 0;
  std::uint32_t t2 = 0;
  Options options;  ///< IAPREFIX, STATUS_CODE, ...
  friend bool operator==(const IaPd&, const IaPd&) = default;
};

/// OPTION_IAPREFIX (26), RFC 8415 §21.22. Also a top-level option of RFC 8156 BNDUPDs.
struct IaPrefix {
  static constexpr OptionCode code = OptionCode::IaPrefix;
  std::uint32_t preferred = 0;
  std::uint32_t valid = 0;
  std::uint8_t prefix_length = 0;
  Address prefix;
  Options options;
  friend bool operator==(const IaPrefix&, const IaPrefix&) = default;
};

/// OPTION_INFORMATION_REFRESH_TIME (32), RFC 8415 §21.23.
using InformationRefreshTime = UintOption<OptionCode::InformationRefreshTime, std::uint32_t>;

/// OPTION_REMOTE_ID (37), RFC 4649 §3.
struct RemoteId {
  static constexpr OptionCode code = OptionCode::RemoteId;
  std::uint32_t enterprise = 0;
  Bytes remote_id;
  friend bool operator==(const RemoteId&, const RemoteId&) = default;
};

/// OPTION_SUBSCRIBER_ID (38), RFC 4580 §2.
using SubscriberId = OpaqueOption<OptionCode::SubscriberId>;

/// OPTION_CLIENT_FQDN (39), RFC 4704 §4: flags (N, O, S bits) and a possibly partial name.
struct ClientFqdn {
  static constexpr OptionCode code = OptionCode::ClientFqdn;
  std::uint8_t flags = 0;
  std::string name;  ///< presentation form, see NameOption
  friend bool operator==(const ClientFqdn&, const ClientFqdn&) = default;
};

/// OPTION_CLIENT_DATA (45), RFC 5007 §4.1.2.2: one client's data in a leasequery reply or an
/// RFC 8156 BNDUPD/BNDREPLY.
using ClientData = ContainerOption<OptionCode::ClientData>;
/// OPTION_CLT_TIME (46), RFC 5007 §4.1.2.3: seconds since the server last talked to the
/// client, relative to OPTION_LQ_BASE_TIME when that is present.
using CltTime = UintOption<OptionCode::CltTime, std::uint32_t>;

/// OPTION_LQ_RELAY_DATA (47), RFC 5007 §4.1.2.4: peer address and the relay message received.
struct LqRelayData {
  static constexpr OptionCode code = OptionCode::LqRelayData;
  Address peer_address;
  Box<Message> message;
  friend bool operator==(const LqRelayData&, const LqRelayData&) = default;
};

/// OPTION_RELAY_ID (53), RFC 5460 §5.4.1: the relay's DUID.
using RelayId = DuidOption<OptionCode::RelayId>;

/// OPTION_VSS (68), RFC 6607 §3.1: VPN identifier (type + information).
struct Vss {
  static constexpr OptionCode code = OptionCode::Vss;
  std::uint8_t type = 0;
  Bytes info;
  friend bool operator==(const Vss&, const Vss&) = default;
};

/// OPTION_SOL_MAX_RT (82), RFC 8415 §21.24.
using SolMaxRt = UintOption<OptionCode::SolMaxRt, std::uint32_t>;
/// OPTION_INF_MAX_RT (83), RFC 8415 §21.25.
using InfMaxRt = UintOption<OptionCode::InfMaxRt, std::uint32_t>;
/// OPTION_LQ_BASE_TIME (100), RFC 7653 §5.3.1: absolute time (seconds since 2000-01-01 UTC).
using LqBaseTime = UintOption<OptionCode::LqBaseTime, std::uint32_t>;

// ---- RFC 8156 failover options (§5.4) -----------------------------------------------------

/// OPTION_F_BINDING_STATUS (114), RFC 8156 §5.4.1: see BindingStatus.
using FBindingStatus = UintOption<OptionCode::FBindingStatus, std::uint8_t>;
/// OPTION_F_CONNECT_FLAGS (115), RFC 8156 §5.4.2: bit 0x0001 is FIXED_PD_LENGTH.
using FConnectFlags = UintOption<OptionCode::FConnectFlags, std::uint16_t>;
/// OPTION_F_DNS_REMOVAL_INFO (116), RFC 8156 §5.4.3: container for 117, 118, 119.
using FDnsRemovalInfo = ContainerOption<OptionCode::FDnsRemovalInfo>;
/// OPTION_F_DNS_HOST_NAME (117), RFC 8156 §5.4.4.
using FDnsHostName = NameOption<OptionCode::FDnsHostName>;
/// OPTION_F_DNS_ZONE_NAME (118), RFC 8156 §5.4.5.
using FDnsZoneName = NameOption<OptionCode::FDnsZoneName>;
/// OPTION_F_DNS_FLAGS (119), RFC 8156 §5.4.6: U 0x0008, S 0x0004, R 0x0002, F 0x0001.
using FDnsFlags = UintOption<OptionCode::FDnsFlags, std::uint16_t>;
/// OPTION_F_EXPIRATION_TIME (120), RFC 8156 §5.4.7 (absolute time).
using FExpirationTime = UintOption<OptionCode::FExpirationTime, std::uint32_t>;
/// OPTION_F_MAX_UNACKED_BNDUPD (121), RFC 8156 §5.4.8.
using FMaxUnackedBndupd = UintOption<OptionCode::FMaxUnackedBndupd, std::uint32_t>;
/// OPTION_F_MCLT (122), RFC 8156 §5.4.9 (seconds).
using FMclt = UintOption<OptionCode::FMclt, std::uint32_t>;
/// OPTION_F_PARTNER_LIFETIME (123), RFC 8156 §5.4.10 (absolute time).
using FPartnerLifetime = UintOption<OptionCode::FPartnerLifetime, std::uint32_t>;
/// OPTION_F_PARTNER_LIFETIME_SENT (124), RFC 8156 §5.4.11 (absolute time).
using FPartnerLifetimeSent = UintOption<OptionCode::FPartnerLifetimeSent, std::uint32_t>;
/// OPTION_F_PARTNER_DOWN_TIME (125), RFC 8156 §5.4.12 (absolute time).
using FPartnerDownTime = UintOption<OptionCode::FPartnerDownTime, std::uint32_t>;
/// OPTION_F_PARTNER_RAW_CLT_TIME (126), RFC 8156 §5.4.13 (absolute time).
using FPartnerRawCltTime = UintOption<OptionCode::FPartnerRawCltTime, std::uint32_t>;

/// OPTION_F_PROTOCOL_VERSION (127), RFC 8156 §5.4.14: major.minor, 1.0 initially.
struct FProtocolVersion {
  static constexpr OptionCode code = OptionCode::FProtocolVersion;
  std::uint16_t major = 1;
  std::uint16_t minor = 0;
  friend bool operator==(const FProtocolVersion&, const FProtocolVersion&) = default;
};

/// OPTION_F_KEEPALIVE_TIME (128), RFC 8156 §5.4.15 (seconds). The RFC labels the field
/// "receive-time"; it is the keepalive time (PROTOCOL.md A8).
using FKeepaliveTime = UintOption<OptionCode::FKeepaliveTime, std::uint32_t>;

/// OPTION_F_RECONFIGURE_DATA (129), RFC 8156 §5.4.16.
struct FReconfigureData {
  static constexpr OptionCode code = OptionCode::FReconfigureData;
  std::uint32_t time = 0;  ///< absolute time the key was created
  Bytes key;
  friend bool operator==(const FReconfigureData&, const FReconfigureData&) = default;
};

/// OPTION_F_RELATIONSHIP_NAME (130), RFC 8156 §5.4.17: UTF-8, not NUL-terminated.
struct FRelationshipName {
  static constexpr OptionCode code = OptionCode::FRelationshipName;
  std::string name;
  friend bool operator==(const FRelationshipName&, const FRelationshipName&) = default;
};

/// OPTION_F_SERVER_FLAGS (131), RFC 8156 §5.4.18: ACK_STARTUP 0x04, STARTUP 0x02,
/// COMMUNICATED 0x01.
using FServerFlags = UintOption<OptionCode::FServerFlags, std::uint8_t>;
/// OPTION_F_SERVER_STATE (132), RFC 8156 §5.4.19: see ServerState.
using FServerState = UintOption<OptionCode::FServerState, std::uint8_t>;
/// OPTION_F_START_TIME_OF_STATE (133), RFC 8156 §5.4.20 (absolute time).
using FStartTimeOfState = UintOption<OptionCode::FStartTimeOfState, std::uint32_t>;
/// OPTION_F_STATE_EXPIRATION_TIME (134), RFC 8156 §5.4.21 (absolute time).
using FStateExpirationTime = UintOption<OptionCode::FStateExpirationTime, std::uint32_t>;

/// Any option the codec has no type for: kept as raw octets, re-encoded byte for byte.
struct UnknownOption {
  std::uint16_t code = 0;
  Bytes data;
  friend bool operator==(const UnknownOption&, const UnknownOption&) = default;
};

/// The closed set of option types. Adding a type here makes the decoder, encoder, JSON and
/// Python bindings pick it up (each visits this list).
using OptionVariant = std::variant<
    UnknownOption, ClientId, ServerId, IaNa, IaTa, IaAddress, OptionRequest, Preference,
    ElapsedTime, RelayMsg, Auth, Unicast, StatusCodeOption, RapidCommit, UserClass, VendorClass,
    VendorOpts, InterfaceId, ReconfMsg, ReconfAccept, DnsServers, DomainList, IaPd, IaPrefix,
    InformationRefreshTime, RemoteId, SubscriberId, ClientFqdn, ClientData, CltTime, LqRelayData,
    RelayId, Vss, SolMaxRt, InfMaxRt, LqBaseTime, FBindingStatus, FConnectFlags, FDnsRemovalInfo,
    FDnsHostName, FDnsZoneName, FDnsFlags, FExpirationTime, FMaxUnackedBndupd, FMclt,
    FPartnerLifetime, FPartnerLifetimeSent, FPartnerDownTime, FPartnerRawCltTime,
    FProtocolVersion, FKeepaliveTime, FReconfigureData, FRelationshipName, FServerFlags,
    FServerState, FStartTimeOfState, FStateExpirationTime>;

/// One DHCPv6 option: exactly one of the types above.
struct Option {
  OptionVariant value;

  Option() = default;
  template <class T, class = std::enable_if_t<!std::is_same_v<std::decay_t<T>, Option>>>
  Option(T&& v) : value(std::forward<T>(v)) {}  // NOLINT: implicit by design

  /// @return the option code (the code of an UnknownOption as received).
  std::uint16_t code() const;
  /// @return a pointer to the payload if it is a T, else nullptr.
  template <class T>
  const T* as() const {
    return std::get_if<T>(&value);
  }
  template <class T>
  T* as() {
    return std::get_if<T>(&value);
  }
  friend bool operator==(const Option&, const Option&) = default;
};

/// @return the first option of type T in @p opts, or nullptr.
template <class T>
const T* find_option(const Options& opts) {
  for (const auto& o : opts)
    if (auto* p = o.as<T>()) return p;
  return nullptr;
}

/// @return every option of type T in @p opts, in order.
template <class T>
std::vector<const T*> find_options(const Options& opts) {
  std::vector<const T*> out;
  for (const auto& o : opts)
    if (auto* p = o.as<T>()) out.push_back(p);
  return out;
}

}  // namespace failover6::wire

// Message completes the types above (RelayMsg and LqRelayData box a Message); including it here
// lets any file that uses Options copy and destroy them.
#include "wire/message.h"  // IWYU pragma: export
