#include "wire/constants.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <ostream>
#include <span>

namespace failover6::wire {

namespace {

struct Named {
  unsigned value;
  std::string_view name;
};

constexpr std::array<Named, 35> MESSAGE_NAMES{{
    {1, "SOLICIT"},        {2, "ADVERTISE"},         {3, "REQUEST"},
    {4, "CONFIRM"},        {5, "RENEW"},             {6, "REBIND"},
    {7, "REPLY"},          {8, "RELEASE"},           {9, "DECLINE"},
    {10, "RECONFIGURE"},   {11, "INFORMATION-REQUEST"}, {12, "RELAY-FORW"},
    {13, "RELAY-REPL"},    {14, "LEASEQUERY"},       {15, "LEASEQUERY-REPLY"},
    {16, "LEASEQUERY-DONE"}, {17, "LEASEQUERY-DATA"}, {18, "RECONFIGURE-REQUEST"},
    {19, "RECONFIGURE-REPLY"}, {20, "DHCPV4-QUERY"}, {21, "DHCPV4-RESPONSE"},
    {22, "ACTIVELEASEQUERY"}, {23, "STARTTLS"},      {24, "BNDUPD"},
    {25, "BNDREPLY"},      {26, "POOLREQ"},          {27, "POOLRESP"},
    {28, "UPDREQ"},        {29, "UPDREQALL"},        {30, "UPDDONE"},
    {31, "CONNECT"},       {32, "CONNECTREPLY"},     {33, "DISCONNECT"},
    {34, "STATE"},         {35, "CONTACT"},
}};

constexpr std::array<Named, 56> OPTION_NAMES{{
    {1, "CLIENTID"},
    {2, "SERVERID"},
    {3, "IA_NA"},
    {4, "IA_TA"},
    {5, "IAADDR"},
    {6, "ORO"},
    {7, "PREFERENCE"},
    {8, "ELAPSED_TIME"},
    {9, "RELAY_MSG"},
    {11, "AUTH"},
    {12, "UNICAST"},
    {13, "STATUS_CODE"},
    {14, "RAPID_COMMIT"},
    {15, "USER_CLASS"},
    {16, "VENDOR_CLASS"},
    {17, "VENDOR_OPTS"},
    {18, "INTERFACE_ID"},
    {19, "RECONF_MSG"},
    {20, "RECONF_ACCEPT"},
    {21, "SIP_SERVER_D"},
    {22, "SIP_SERVER_A"},
    {23, "DNS_SERVERS"},
    {24, "DOMAIN_LIST"},
    {25, "IA_PD"},
    {26, "IAPREFIX"},
    {32, "INFORMATION_REFRESH_TIME"},
    {37, "REMOTE_ID"},
    {38, "SUBSCRIBER_ID"},
    {39, "CLIENT_FQDN"},
    {45, "CLIENT_DATA"},
    {46, "CLT_TIME"},
    {47, "LQ_RELAY_DATA"},
    {53, "RELAY_ID"},
    {64, "AFTR_NAME"},
    {68, "VSS"},
    {82, "SOL_MAX_RT"},
    {83, "INF_MAX_RT"},
    {100, "LQ_BASE_TIME"},
    {112, "MUD_URL"},
    {114, "F_BINDING_STATUS"},
    {115, "F_CONNECT_FLAGS"},
    {116, "F_DNS_REMOVAL_INFO"},
    {117, "F_DNS_HOST_NAME"},
    {118, "F_DNS_ZONE_NAME"},
    {119, "F_DNS_FLAGS"},
    {120, "F_EXPIRATION_TIME"},
    {121, "F_MAX_UNACKED_BNDUPD"},
    {122, "F_MCLT"},
    {123, "F_PARTNER_LIFETIME"},
    {124, "F_PARTNER_LIFETIME_SENT"},
    {125, "F_PARTNER_DOWN_TIME"},
    {126, "F_PARTNER_RAW_CLT_TIME"},
    {127, "F_PROTOCOL_VERSION"},
    {128, "F_KEEPALIVE_TIME"},
    {129, "F_RECONFIGURE_DATA"},
    {130, "F_RELATIONSHIP_NAME"},
}};
// 131..134 follow 130 in the registry; kept in a second table to keep the one above readable.
constexpr std::array<Named, 4> OPTION_NAMES_2{{
    {131, "F_SERVER_FLAGS"},
    {132, "F_SERVER_STATE"},
    {133, "F_START_TIME_OF_STATE"},
    {134, "F_STATE_EXPIRATION_TIME"},
}};

constexpr std::array<std::string_view, 23> STATUS_NAMES{
    "Success",       "UnspecFail",         "NoAddrsAvail",      "NoBinding",
    "NotOnLink",     "UseMulticast",       "NoPrefixAvail",     "UnknownQueryType",
    "MalformedQuery", "NotConfigured",     "NotAllowed",        "QueryTerminated",
    "DataMissing",   "CatchUpComplete",    "NotSupported",      "TLSConnectionRefused",
    "AddressInUse",  "ConfigurationConflict", "MissingBindingInformation",
    "OutdatedBindingInformation", "ServerShuttingDown", "DNSUpdateNotSupported",
    "ExcessiveTimeSkew"};

constexpr std::array<std::string_view, 9> BINDING_NAMES{
    "", "ACTIVE", "EXPIRED", "RELEASED", "PENDING-FREE", "FREE", "FREE-BACKUP", "ABANDONED",
    "RESET"};

constexpr std::array<std::string_view, 11> STATE_NAMES{"",
                                                        "STARTUP",
                                                        "NORMAL",
                                                        "COMMUNICATIONS-INTERRUPTED",
                                                        "PARTNER-DOWN",
                                                        "POTENTIAL-CONFLICT",
                                                        "RECOVER",
                                                        "RECOVER-WAIT",
                                                        "RECOVER-DONE",
                                                        "RESOLUTION-INTERRUPTED",
                                                        "CONFLICT-DONE"};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

std::optional<unsigned> parse_number(std::string_view s, unsigned max) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

template <std::size_t N>
std::optional<std::string_view> lookup(const std::array<Named, N>& t, unsigned v) {
  for (const auto& n : t)
    if (n.value == v) return n.name;
  return std::nullopt;
}

}  // namespace

std::string to_string(MessageType t) {
  auto v = static_cast<unsigned>(t);
  if (auto n = lookup(MESSAGE_NAMES, v)) return std::string(*n);
  return "MSG-" + std::to_string(v);
}

std::ostream& operator<<(std::ostream& os, MessageType t) { return os << to_string(t); }

std::optional<MessageType> parse_message_type(std::string_view name) {
  for (const auto& n : MESSAGE_NAMES)
    if (iequals(n.name, name)) return static_cast<MessageType>(n.value);
  if (auto v = parse_number(name.starts_with("MSG-") ? name.substr(4) : name, 255))
    return static_cast<MessageType>(*v);
  return std::nullopt;
}

std::string option_name(std::uint16_t code) {
  if (auto n = lookup(OPTION_NAMES, code)) return std::string(*n);
  if (auto n = lookup(OPTION_NAMES_2, code)) return std::string(*n);
  return "OPTION-" + std::to_string(code);
}

std::optional<std::uint16_t> parse_option_code(std::string_view name) {
  for (const auto& t : {std::span<const Named>(OPTION_NAMES), std::span<const Named>(OPTION_NAMES_2)})
    for (const auto& n : t)
      if (iequals(n.name, name)) return static_cast<std::uint16_t>(n.value);
  if (auto v = parse_number(name.starts_with("OPTION-") ? name.substr(7) : name, 0xFFFF))
    return static_cast<std::uint16_t>(*v);
  return std::nullopt;
}

std::string status_name(std::uint16_t code) {
  if (code < STATUS_NAMES.size()) return std::string(STATUS_NAMES[code]);
  return "Status-" + std::to_string(code);
}

std::string binding_status_name(std::uint8_t v) {
  if (v >= 1 && v < BINDING_NAMES.size()) return std::string(BINDING_NAMES[v]);
  return "BINDING-" + std::to_string(v);
}

std::ostream& operator<<(std::ostream& os, BindingStatus s) {
  return os << binding_status_name(static_cast<std::uint8_t>(s));
}

std::ostream& operator<<(std::ostream& os, ServerState s) {
  return os << server_state_name(static_cast<std::uint8_t>(s));
}

std::string server_state_name(std::uint8_t v) {
  if (v >= 1 && v < STATE_NAMES.size()) return std::string(STATE_NAMES[v]);
  return "STATE-" + std::to_string(v);
}

}  // namespace failover6::wire
