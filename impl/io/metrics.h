// failover6::io metrics: the Prometheus text exposition of failover6d's counters, and the one
// HTTP exchange the metrics endpoint serves, both pure so tests need no sockets.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "io/service_view.h"

namespace failover6::io {

/// @brief Renders the Prometheus text format (version 0.0.4) of @p view.
///
/// Counters (suffix _total) come from server::Stats and BatchStats; gauges are the uptime,
/// the journal size and `failover6_leases{type="IA_NA",state="ACTIVE"}`, the leases per type
/// and binding state (every state of every type is present, 0 included, so dashboards see
/// a series from the start). Each family has # HELP and # TYPE lines.
std::string render_metrics(const ServiceView& view);

/// @brief Answers one HTTP/1.x request head (request line and headers, up to the blank line).
///
/// `GET /metrics` (a query string is ignored) gives 200 with @p metrics() as a
/// `text/plain; version=0.0.4` body; HEAD the same without the body; another path 404; another
/// method 405; an unparsable request line 400. Every response says `Connection: close`.
/// @return the complete response, status line to body.
std::string http_response(std::string_view request_head,
                          const std::function<std::string()>& metrics);

}  // namespace failover6::io
