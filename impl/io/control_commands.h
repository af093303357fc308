// failover6::io control commands: the JSON control API of failover6d as a pure function of
// (request, server state), so every command is tested without sockets.
//
// Protocol (Kea's control channel): one JSON object per connection,
//   {"command": "<name>", "arguments": {...}}     ("arguments" optional)
// answered by
//   {"result": 0 | 1, "text": "<human-readable>", "arguments": <command-specific>}
// result 0 is success; result 1 is an error, with the reason in "text" (no "arguments").
//
// Commands:
//   list-commands  arguments: ["list-commands", "status", ...]
//   status         arguments: {"pid", "uptime", "version", "server-duid", "leases" (count),
//                  "subnets": [{"id", "subnet", "leases"}], "lease-database": {...},
//                  "relationships": [...]} (empty for a standalone server)
//   leases         filters (all optional, combined with AND): "duid" (hex), "address" (an
//                  IA_NA/IA_TA lease with that address, or an IA_PD prefix containing it),
//                  "prefix" ("P/len": every lease inside it), "subnet-id", "state"
//                  ("ACTIVE", ...), "type" ("IA_NA", "IA_TA", "IA_PD"), "limit" (default
//                  1000; "count" still counts them all).
//                  arguments: {"leases": [lease...], "count": n}
//   lease-get      "ip-address" (or "address"): the IA_NA or IA_TA lease of that address;
//                  "prefix": "P/len": the IA_PD lease of exactly that prefix.
//                  arguments: the lease; result 1 when there is none.
//   statistics     arguments: {"received", "received-by-type", "sent-by-type", "dropped",
//                  "leases-granted", ..., "io": {...}, "leases-by-state", "uptime"}
//   shutdown       result 0; the caller shuts the server down after answering.
// Leases are in the form of lease_to_json() (lease_report.h).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/service_view.h"

namespace failover6::io {

/// Control API result codes (Kea's CONTROL_RESULT_SUCCESS and CONTROL_RESULT_ERROR).
inline constexpr int CONTROL_SUCCESS = 0;
inline constexpr int CONTROL_ERROR = 1;

/// A command's answer and what the caller must do after sending it.
struct ControlOutcome {
  nlohmann::json response;
  bool shutdown = false;  ///< "shutdown" succeeded: stop the server once the answer is sent
};

/// @brief Builds a response object {"result", "text"[, "arguments"]}.
/// @param arguments omitted from the object when null.
nlohmann::json control_response(int result, const std::string& text,
                                nlohmann::json arguments = nullptr);

/// @brief Answers one control request. Never throws: a malformed request, an unknown command
/// or bad arguments give result 1 with the reason.
ControlOutcome handle_control(const nlohmann::json& request, const ServiceView& view);

/// @return the names of the commands handle_control() knows, sorted.
std::vector<std::string> control_commands();

}  // namespace failover6::io
