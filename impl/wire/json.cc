#include "wire/json.h"

#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace failover6::wire {

using nlohmann::json;

namespace {

// ---- to_json: fields of each shape ----

template <OptionCode C, class T>
void fields(json& j, const UintOption<C, T>& o) {
  j["value"] = o.value;
}
template <OptionCode C>
void fields(json&, const EmptyOption<C>&) {}
template <OptionCode C>
void fields(json& j, const DuidOption<C>& o) {
  j["duid"] = o.duid.to_string();
}
template <OptionCode C>
void fields(json& j, const OpaqueOption<C>& o) {
  j["data"] = to_hex(o.data);
}
template <OptionCode C>
void fields(json& j, const NameOption<C>& o) {
  j["name"] = o.name;
}
json options_json(const Options& opts) {
  json a = json::array();
  for (const auto& o : opts) a.push_back(to_json(o));
  return a;
}
template <OptionCode C>
void fields(json& j, const ContainerOption<C>& o) {
  j["options"] = options_json(o.options);
}
void fields(json& j, const UnknownOption& o) { j["data"] = to_hex(o.data); }
void fields(json& j, const IaNa& o) {
  j["iaid"] = o.iaid;
  j["t1"] = o.t1;
  j["t2"] = o.t2;
  j["options"] = options_json(o.options);
}
void fields(json& j, const IaTa& o) {
  j["iaid"] = o.iaid;
  j["options"] = options_json(o.options);
}
void fields(json& j, const IaAddress& o) {
  j["address"] = o.address.to_string();
  j["preferred"] = o.preferred;
  j["valid"] = o.valid;
  j["options"] = options_json(o.options);
}
void fields(json& j, const OptionRequest& o) { j["codes"] = o.codes; }
void fields(json& j, const RelayMsg& o) { j["message"] = to_json(*o.message); }
void fields(json& j, const Auth& o) {
  j["protocol"] = o.protocol;
  j["algorithm"] = o.algorithm;
  j["rdm"] = o.rdm;
  j["replay_detection"] = o.replay_detection;
  j["info"] = to_hex(o.info);
}
void fields(json& j, const Unicast& o) { j["address"] = o.address.to_string(); }
void fields(json& j, const StatusCodeOption& o) {
  j["status"] = o.status;
  j["status_name"] = status_name(o.status);
  j["message"] = o.message;
}
json hex_list(const std::vector<Bytes>& v) {
  json a = json::array();
  for (const auto& b : v) a.push_back(to_hex(b));
  return a;
}
void fields(json& j, const UserClass& o) { j["classes"] = hex_list(o.classes); }
void fields(json& j, const VendorClass& o) {
  j["enterprise"] = o.enterprise;
  j["classes"] = hex_list(o.classes);
}
void fields(json& j, const VendorOpts& o) {
  j["enterprise"] = o.enterprise;
  json a = json::array();
  for (const auto& s : o.options) a.push_back({{"code", s.code}, {"data", to_hex(s.data)}});
  j["options"] = a;
}
void fields(json& j, const DnsServers& o) {
  json a = json::array();
  for (const auto& s : o.servers) a.push_back(s.to_string());
  j["servers"] = a;
}
void fields(json& j, const DomainList& o) { j["domains"] = o.domains; }
void fields(json& j, const IaPd& o) {
  j["iaid"] = o.iaid;
  j["t1"] = o.t1;
  j["t2"] = o.t2;
  j["options"] = options_json(o.options);
}
void fields(json& j, const IaPrefix& o) {
  j["preferred"] = o.preferred;
  j["valid"] = o.valid;
  j["prefix_length"] = o.prefix_length;
  j["prefix"] = o.prefix.to_string();
  j["options"] = options_json(o.options);
}
void fields(json& j, const RemoteId& o) {
  j["enterprise"] = o.enterprise;
  j["remote_id"] = to_hex(o.remote_id);
}
void fields(json& j, const ClientFqdn& o) {
  j["flags"] = o.flags;
  j["name"] = o.name;
}
void fields(json& j, const LqRelayData& o) {
  j["peer_address"] = o.peer_address.to_string();
  j["message"] = to_json(*o.message);
}
void fields(json& j, const Vss& o) {
  j["type"] = o.type;
  j["info"] = to_hex(o.info);
}
void fields(json& j, const FProtocolVersion& o) {
  j["major"] = o.major;
  j["minor"] = o.minor;
}
void fields(json& j, const FReconfigureData& o) {
  j["time"] = o.time;
  j["key"] = to_hex(o.key);
}
void fields(json& j, const FRelationshipName& o) { j["name"] = o.name; }

// ---- from_json helpers: each names the field it rejects ----

[[noreturn]] void bad(const std::string& field, const std::string& why) {
  throw std::invalid_argument("field '" + field + "': " + why);
}

template <class T>
T get_uint(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end()) return T{};
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0))
    bad(field, "expected a non-negative integer, got " + it->dump());
  auto v = it->get<std::uint64_t>();
  if (v > std::numeric_limits<T>::max())
    bad(field, std::to_string(v) + " exceeds " + std::to_string(std::numeric_limits<T>::max()));
  return static_cast<T>(v);
}
std::string get_string(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end()) return {};
  if (!it->is_string()) bad(field, "expected a string, got " + it->dump());
  return it->get<std::string>();
}
Bytes get_hex(const json& j, const char* field) {
  auto s = get_string(j, field);
  auto b = parse_hex(s);
  if (!b) bad(field, "'" + s + "' is not hex");
  return *b;
}
Address get_address(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end()) return {};
  auto s = get_string(j, field);
  auto a = Address::parse(s);
  if (!a) bad(field, "'" + s + "' is not an IPv6 address");
  return *a;
}
const json& get_array(const json& j, const char* field) {
  static const json EMPTY = json::array();
  auto it = j.find(field);
  if (it == j.end()) return EMPTY;
  if (!it->is_array()) bad(field, "expected an array");
  return *it;
}
Options get_options(const json& j) {
  Options out;
  for (const auto& o : get_array(j, "options")) out.push_back(option_from_json(o));
  return out;
}
std::vector<Bytes> get_hex_list(const json& j, const char* field) {
  std::vector<Bytes> out;
  for (const auto& e : get_array(j, field)) {
    auto b = e.is_string() ? parse_hex(e.get<std::string>()) : std::nullopt;
    if (!b) bad(field, "element " + e.dump() + " is not a hex string");
    out.push_back(*b);
  }
  return out;
}

template <OptionCode C, class T>
void parse_fields(const json& j, UintOption<C, T>& o) {
  o.value = get_uint<T>(j, "value");
}
template <OptionCode C>
void parse_fields(const json&, EmptyOption<C>&) {}
template <OptionCode C>
void parse_fields(const json& j, DuidOption<C>& o) {
  auto b = get_hex(j, "duid");
  o.duid.raw = std::move(b);
}
template <OptionCode C>
void parse_fields(const json& j, OpaqueOption<C>& o) {
  o.data = get_hex(j, "data");
}
template <OptionCode C>
void parse_fields(const json& j, NameOption<C>& o) {
  o.name = get_string(j, "name");
}
template <OptionCode C>
void parse_fields(const json& j, ContainerOption<C>& o) {
  o.options = get_options(j);
}
void parse_fields(const json& j, IaNa& o) {
  o.iaid = get_uint<std::uint32_t>(j, "iaid");
  o.t1 = get_uint<std::uint32_t>(j, "t1");
  o.t2 = get_uint<std::uint32_t>(j, "t2");
  o.options = get_options(j);
}
void parse_fields(const json& j, IaTa& o) {
  o.iaid = get_uint<std::uint32_t>(j, "iaid");
  o.options = get_options(j);
}
void parse_fields(const json& j, IaAddress& o) {
  o.address = get_address(j, "address");
  o.preferred = get_uint<std::uint32_t>(j, "preferred");
  o.valid = get_uint<std::uint32_t>(j, "valid");
  o.options = get_options(j);
}
void parse_fields(const json& j, OptionRequest& o) {
  for (const auto& e : get_array(j, "codes")) {
    if (!e.is_number_unsigned() || e.get<std::uint64_t>() > 0xFFFF)
      bad("codes", "element " + e.dump() + " is not an option code");
    o.codes.push_back(e.get<std::uint16_t>());
  }
}
void parse_fields(const json& j, RelayMsg& o) {
  if (!j.contains("message")) bad("message", "missing");
  *o.message = message_from_json(j.at("message"));
}
void parse_fields(const json& j, Auth& o) {
  o.protocol = get_uint<std::uint8_t>(j, "protocol");
  o.algorithm = get_uint<std::uint8_t>(j, "algorithm");
  o.rdm = get_uint<std::uint8_t>(j, "rdm");
  o.replay_detection = get_uint<std::uint64_t>(j, "replay_detection");
  o.info = get_hex(j, "info");
}
void parse_fields(const json& j, Unicast& o) { o.address = get_address(j, "address"); }
void parse_fields(const json& j, StatusCodeOption& o) {
  o.status = get_uint<std::uint16_t>(j, "status");
  o.message = get_string(j, "message");
}
void parse_fields(const json& j, UserClass& o) { o.classes = get_hex_list(j, "classes"); }
void parse_fields(const json& j, VendorClass& o) {
  o.enterprise = get_uint<std::uint32_t>(j, "enterprise");
  o.classes = get_hex_list(j, "classes");
}
void parse_fields(const json& j, VendorOpts& o) {
  o.enterprise = get_uint<std::uint32_t>(j, "enterprise");
  for (const auto& e : get_array(j, "options")) {
    if (!e.is_object()) bad("options", "element " + e.dump() + " is not an object");
    o.options.push_back({get_uint<std::uint16_t>(e, "code"), get_hex(e, "data")});
  }
}
void parse_fields(const json& j, DnsServers& o) {
  for (const auto& e : get_array(j, "servers")) {
    auto a = e.is_string() ? Address::parse(e.get<std::string>()) : std::nullopt;
    if (!a) bad("servers", "element " + e.dump() + " is not an IPv6 address");
    o.servers.push_back(*a);
  }
}
void parse_fields(const json& j, DomainList& o) {
  for (const auto& e : get_array(j, "domains")) {
    if (!e.is_string()) bad("domains", "element " + e.dump() + " is not a string");
    o.domains.push_back(e.get<std::string>());
  }
}
void parse_fields(const json& j, IaPd& o) {
  o.iaid = get_uint<std::uint32_t>(j, "iaid");
  o.t1 = get_uint<std::uint32_t>(j, "t1");
  o.t2 = get_uint<std::uint32_t>(j, "t2");
  o.options = get_options(j);
}
void parse_fields(const json& j, IaPrefix& o) {
  o.preferred = get_uint<std::uint32_t>(j, "preferred");
  o.valid = get_uint<std::uint32_t>(j, "valid");
  o.prefix_length = get_uint<std::uint8_t>(j, "prefix_length");
  o.prefix = get_address(j, "prefix");
  o.options = get_options(j);
}
void parse_fields(const json& j, RemoteId& o) {
  o.enterprise = get_uint<std::uint32_t>(j, "enterprise");
  o.remote_id = get_hex(j, "remote_id");
}
void parse_fields(const json& j, ClientFqdn& o) {
  o.flags = get_uint<std::uint8_t>(j, "flags");
  o.name = get_string(j, "name");
}
void parse_fields(const json& j, LqRelayData& o) {
  o.peer_address = get_address(j, "peer_address");
  if (!j.contains("message")) bad("message", "missing");
  *o.message = message_from_json(j.at("message"));
}
void parse_fields(const json& j, Vss& o) {
  o.type = get_uint<std::uint8_t>(j, "type");
  o.info = get_hex(j, "info");
}
void parse_fields(const json& j, FProtocolVersion& o) {
  o.major = get_uint<std::uint16_t>(j, "major");
  o.minor = get_uint<std::uint16_t>(j, "minor");
}
void parse_fields(const json& j, FReconfigureData& o) {
  o.time = get_uint<std::uint32_t>(j, "time");
  o.key = get_hex(j, "key");
}
void parse_fields(const json& j, FRelationshipName& o) { o.name = get_string(j, "name"); }

using FromJsonFn = Option (*)(const json&);
constexpr std::size_t TABLE_SIZE = 135;

template <class T>
Option from_json_as(const json& j) {
  T v{};
  parse_fields(j, v);
  return Option(std::move(v));
}

template <class... Ts>
constexpr std::array<FromJsonFn, TABLE_SIZE> make_table(std::variant<UnknownOption, Ts...>*) {
  std::array<FromJsonFn, TABLE_SIZE> t{};
  ((t[static_cast<std::size_t>(Ts::code)] = &from_json_as<Ts>), ...);
  return t;
}
constexpr auto BUILDERS = make_table(static_cast<OptionVariant*>(nullptr));

MessageType get_type(const json& j) {
  if (auto it = j.find("type"); it != j.end()) {
    if (it->is_string()) {
      auto t = parse_message_type(it->get<std::string>());
      if (!t) bad("type", "unknown message type '" + it->get<std::string>() + "'");
      return *t;
    }
    return static_cast<MessageType>(get_uint<std::uint8_t>(j, "type"));
  }
  if (j.contains("msg_type")) return static_cast<MessageType>(get_uint<std::uint8_t>(j, "msg_type"));
  bad("type", "missing");
}

void require_object(const json& j, const char* what) {
  if (!j.is_object())
    throw std::invalid_argument(std::string(what) + " must be a JSON object, got " + j.dump());
}

}  // namespace

json to_json(const Option& o) {
  json j = json::object();
  auto code = o.code();
  j["code"] = code;
  j["option"] = option_name(code);
  std::visit([&](const auto& v) { fields(j, v); }, o.value);
  return j;
}

json to_json(const Message& m) {
  json j = json::object();
  j["type"] = to_string(m.type);
  j["msg_type"] = static_cast<unsigned>(m.type);
  if (m.is_relay()) {
    j["hop_count"] = m.hop_count;
    j["link_address"] = m.link_address.to_string();
    j["peer_address"] = m.peer_address.to_string();
  } else {
    j["transaction_id"] = m.transaction_id;
  }
  j["options"] = options_json(m.options);
  return j;
}

json to_json(const FailoverMessage& m) {
  json j = json::object();
  j["type"] = to_string(m.type);
  j["msg_type"] = static_cast<unsigned>(m.type);
  j["transaction_id"] = m.transaction_id;
  j["sent_time"] = m.sent_time;
  j["has_sent_time"] = m.has_sent_time;
  j["options"] = options_json(m.options);
  return j;
}

Option option_from_json(const json& j) {
  require_object(j, "an option");
  std::uint16_t code = 0;
  if (j.contains("code")) {
    code = get_uint<std::uint16_t>(j, "code");
  } else if (j.contains("option")) {
    auto c = parse_option_code(get_string(j, "option"));
    if (!c) bad("option", "unknown option name '" + get_string(j, "option") + "'");
    code = *c;
  } else {
    bad("code", "an option needs \"code\" or \"option\"");
  }
  try {
    Option o = code < TABLE_SIZE && BUILDERS[code] != nullptr
                   ? BUILDERS[code](j)
                   : Option(UnknownOption{code, get_hex(j, "data")});
    // Reject keys the type does not have (a typo must not silently encode a default).
    json known = to_json(o);
    for (const auto& [key, _] : j.items())
      if (!known.contains(key)) bad(key, "not a field of this option");
    return o;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("option " + option_name(code) + " (" + std::to_string(code) +
                                "): " + e.what());
  }
}

Message message_from_json(const json& j) {
  require_object(j, "a message");
  Message m;
  m.type = get_type(j);
  if (m.is_relay()) {
    m.hop_count = get_uint<std::uint8_t>(j, "hop_count");
    m.link_address = get_address(j, "link_address");
    m.peer_address = get_address(j, "peer_address");
  } else {
    m.transaction_id = get_uint<std::uint32_t>(j, "transaction_id");
    if (m.transaction_id > 0xFFFFFF) bad("transaction_id", "exceeds 24 bits");
  }
  m.options = get_options(j);
  return m;
}

FailoverMessage failover_from_json(const json& j) {
  require_object(j, "a failover message");
  FailoverMessage m;
  m.type = get_type(j);
  m.transaction_id = get_uint<std::uint32_t>(j, "transaction_id");
  if (m.transaction_id > 0xFFFFFF) bad("transaction_id", "exceeds 24 bits");
  m.sent_time = get_uint<std::uint32_t>(j, "sent_time");
  if (auto it = j.find("has_sent_time"); it != j.end()) {
    if (!it->is_boolean()) bad("has_sent_time", "expected true or false");
    m.has_sent_time = it->get<bool>();
  }
  m.options = get_options(j);
  return m;
}

}  // namespace failover6::wire
