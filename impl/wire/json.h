// failover6::wire JSON form: the one structured representation of messages shared by
// `failover6 decode --json`, the Python package and test fixtures.
//
// Layout (stable; documented in docs/wire-json.md):
//   message  {"type": "REQUEST", "msg_type": 3, "transaction_id": 4660, "options": [...]}
//   relay    {"type": "RELAY-FORW", "msg_type": 12, "hop_count": 0, "link_address": "...",
//             "peer_address": "...", "options": [...]}
//   failover {"type": "BNDUPD", "msg_type": 24, "transaction_id": 7, "sent_time": 123,
//             "has_sent_time": true, "options": [...]}
//   option   {"code": 3, "option": "IA_NA", <fields of the option type, snake_case>}
// Octet strings are lowercase hex; DUIDs are colon-separated hex as Kea prints them;
// addresses are RFC 5952 text.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "wire/failover_message.h"
#include "wire/message.h"

namespace failover6::wire {

/// @brief JSON form of one option (recursively for containers and relayed messages).
nlohmann::json to_json(const Option& o);
/// @brief JSON form of a DHCPv6 message.
nlohmann::json to_json(const Message& m);
/// @brief JSON form of a failover message.
nlohmann::json to_json(const FailoverMessage& m);

/// @brief Builds an option from its JSON form. "code" selects the type ("option", the name,
/// is used when "code" is absent); fields missing from the object take their defaults (0,
/// empty); a key that is not a field of the type is an error.
/// @throws std::invalid_argument naming the field and the reason (bad address, bad hex,
/// value out of range, unknown option name).
Option option_from_json(const nlohmann::json& j);
/// @brief Builds a DHCPv6 message from its JSON form. "type" may be a name or a number;
/// "msg_type" is used when "type" is absent. @throws std::invalid_argument as above.
Message message_from_json(const nlohmann::json& j);
/// @brief Builds a failover message from its JSON form. @throws std::invalid_argument.
FailoverMessage failover_from_json(const nlohmann::json& j);

}  // namespace failover6::wire
