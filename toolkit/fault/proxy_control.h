// failover6::fault::handle_proxy_command: the JSON commands of `failover6 proxy --control`.
#pragma once

#include <nlohmann/json.hpp>

#include "fault/partner_proxy.h"

namespace failover6::fault {

/// @brief The counters of @p stats as a JSON object (the keys of ProxyStats).
nlohmann::json to_json(const ProxyStats& stats);

/// @brief Applies one control command to @p proxy and builds its answer.
///
/// Commands (`{"command": NAME, ...}`): "pass" (also "pass-through", "heal"), "blackhole",
/// "reset", "refuse", "delay" with "seconds", "one-way" with "drop" ("to-target" or
/// "from-target"), "stats", "events".
///
/// @return `{"result": 0, "text": ..., "arguments": {stats}}` on success (for "events",
///         "arguments" is `{"events": [[time, what], ...]}`), or `{"result": 1, "text":
///         reason}` for an unknown command or bad argument. Never throws for bad input.
nlohmann::json handle_proxy_command(PartnerProxy& proxy, const nlohmann::json& request);

}  // namespace failover6::fault
