#include "fault/proxy_control.h"

#include <exception>
#include <string>

namespace failover6::fault {

nlohmann::json to_json(const ProxyStats& s) {
  return {{"mode", s.mode},
          {"delay_seconds", s.delay_seconds},
          {"drop", s.drop},
          {"connections", s.connections},
          {"open_connections", s.open_connections},
          {"refused", s.refused},
          {"resets", s.resets},
          {"connect_failures", s.connect_failures},
          {"bytes_to_target", s.bytes_to_target},
          {"bytes_from_target", s.bytes_from_target},
          {"dropped_to_target", s.dropped_to_target},
          {"dropped_from_target", s.dropped_from_target},
          {"held_bytes", s.held_bytes},
          {"pcap_packets", s.pcap_packets},
          {"pcap_error", s.pcap_error}};
}

namespace {

nlohmann::json error(const std::string& text) { return {{"result", 1}, {"text", text}}; }

}  // namespace

nlohmann::json handle_proxy_command(PartnerProxy& proxy, const nlohmann::json& request) {
  if (!request.is_object() || !request.contains("command") || !request["command"].is_string())
    return error("expected a JSON object with a string \"command\"");
  const auto command = request["command"].get<std::string>();
  std::string text = command;
  try {
    if (command == "pass" || command == "pass-through" || command == "heal") {
      proxy.pass_through();
      text = "pass";
    } else if (command == "blackhole") {
      proxy.blackhole();
    } else if (command == "reset") {
      text = "reset " + std::to_string(proxy.reset()) + " connection(s)";
    } else if (command == "refuse") {
      proxy.refuse();
    } else if (command == "delay") {
      if (!request.contains("seconds") || !request["seconds"].is_number())
        return error("delay needs a number \"seconds\"");
      proxy.delay(request["seconds"].get<double>());
    } else if (command == "one-way") {
      auto drop = request.contains("drop") && request["drop"].is_string()
                      ? parse_direction(request["drop"].get<std::string>())
                      : std::nullopt;
      if (!drop) return error("one-way needs \"drop\": \"to-target\" or \"from-target\"");
      proxy.one_way(*drop);
    } else if (command == "events") {
      auto events = nlohmann::json::array();
      for (const auto& e : proxy.events()) events.push_back({e.time, e.what});
      return {{"result", 0}, {"text", "events"}, {"arguments", {{"events", events}}}};
    } else if (command != "stats") {
      return error("unknown command '" + command +
                   "' (pass, blackhole, reset, refuse, delay, one-way, stats, events)");
    }
  } catch (const std::exception& e) {
    return error(e.what());
  }
  return {{"result", 0}, {"text", text}, {"arguments", to_json(proxy.stats())}};
}

}  // namespace failover6::fault
