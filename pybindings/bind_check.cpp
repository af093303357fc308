// failover6._core: the trace checker (toolkit/check). check() runs every invariant over
// capture files and returns the JSON report as plain Python values.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>

#include "check/check.h"
#include "py_json.h"
#include "py_register.h"
#include "trace/trace_error.h"

namespace failover6::python {

namespace {

py::object run(const std::vector<std::string>& files, std::uint32_t mclt, double max_outage,
               double skew, double dedup_window, const std::vector<std::uint16_t>& udp_ports,
               const std::vector<std::uint16_t>& failover_ports, bool timeline) {
  if (files.empty()) throw py::value_error("check() needs at least one capture file");
  if (max_outage < 0 || skew < 0 || dedup_window < 0 || !std::isfinite(max_outage) ||
      !std::isfinite(skew) || !std::isfinite(dedup_window))
    throw py::value_error("max_outage, skew and dedup_window must be finite and >= 0");
  check::CheckOptions o;
  o.mclt_s = mclt;
  o.max_outage_ns = std::llround(max_outage * 1e9);
  o.skew_ns = std::llround(skew * 1e9);
  o.dedup_window_ns = std::llround(dedup_window * 1e9);
  o.udp_ports = udp_ports;
  o.tcp_ports = failover_ports;
  nlohmann::json entries = nlohmann::json::array();
  if (timeline)
    o.timeline = [&](const check::TimelineEntry& e, const std::string& server) {
      nlohmann::json j = {{"time", check::iso_time(e.time_ns)},
                          {"time_unix", static_cast<double>(e.time_ns) / 1e9},
                          {"event", check::entry_kind_name(e.kind)},
                          {"client", e.client.duid.to_string()},
                          {"ia", std::string(check::ia_name(e.client.ia))},
                          {"iaid", e.client.iaid},
                          {"lease", e.resource.to_string()},
                          {"server", server},
                          {"frame", files[e.ref.file] + ":" + std::to_string(e.ref.frame)}};
      if (e.kind == check::TimelineEntry::Kind::Granted ||
          e.kind == check::TimelineEntry::Kind::Extended) {
        j["valid"] = e.valid;
        j["until"] = check::iso_time(e.end_ns);
      }
      entries.push_back(std::move(j));
    };
  check::Report report;
  {
    py::gil_scoped_release release;
    report = check::run_check(files, o);
  }
  nlohmann::json j = check::to_json(report);
  j["exit_code"] = report.exit_code();
  if (timeline) j["timeline"] = std::move(entries);
  return to_python(j);
}

}  // namespace

void register_check(py::module_& m) {
  py::register_exception<trace::TraceError>(m, "TraceError", PyExc_ValueError);
  m.def("check", &run, py::arg("files"), py::kw_only(), py::arg("mclt") = 0,
        py::arg("max_outage") = 0.0, py::arg("skew") = 5.0, py::arg("dedup_window") = 0.5,
        py::arg("udp_ports") = std::vector<std::uint16_t>{546, 547},
        py::arg("failover_ports") = std::vector<std::uint16_t>{647}, py::arg("timeline") = false,
        "Checks every invariant over capture files (merged by time); returns the JSON report "
        "of `failover6 check` as a dict, plus \"exit_code\" (0 clean, 1 violation) and, with "
        "timeline=True, \"timeline\": the lease events. Raises TraceError (a ValueError) for "
        "a file that is missing or not a capture.");
  m.def("invariant_names", [] { return check::invariant_names(); },
        "The invariant names, in report order.");
}

}  // namespace failover6::python
