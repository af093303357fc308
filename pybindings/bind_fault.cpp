// Python bindings for toolkit/fault: the partner-link proxy, the client-traffic UDP proxy,
// process faults, clock skew and nftables partitions. Thin: plain values in and out; the
// typed, documented API is failover6/fault.py.
//
// Every call that can block (proxy mode changes wait for the io thread, Process.wait and
// terminate, nft runs) releases the GIL. Errors: std::invalid_argument -> ValueError,
// std::logic_error (a closed proxy) and std::runtime_error -> RuntimeError.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fault/nft_partition.h"
#include "fault/partner_proxy.h"
#include "fault/process.h"
#include "fault/udp_proxy.h"
#include "py_register.h"

namespace failover6::python {

namespace {

namespace py = pybind11;
using namespace pybind11::literals;
using fault::PartnerProxy;
using fault::UdpProxy;

py::dict proxy_stats(const fault::ProxyStats& s) {
  return py::dict("mode"_a = s.mode, "delay_seconds"_a = s.delay_seconds, "drop"_a = s.drop,
                  "connections"_a = s.connections, "open_connections"_a = s.open_connections,
                  "refused"_a = s.refused, "resets"_a = s.resets,
                  "connect_failures"_a = s.connect_failures,
                  "bytes_to_target"_a = s.bytes_to_target,
                  "bytes_from_target"_a = s.bytes_from_target,
                  "dropped_to_target"_a = s.dropped_to_target,
                  "dropped_from_target"_a = s.dropped_from_target, "held_bytes"_a = s.held_bytes,
                  "pcap_packets"_a = s.pcap_packets, "pcap_error"_a = s.pcap_error);
}

py::dict udp_stats(const fault::UdpProxyStats& s) {
  return py::dict("mode"_a = s.mode, "sources"_a = s.sources, "open_sources"_a = s.open_sources,
                  "expired"_a = s.expired, "to_target"_a = s.to_target,
                  "from_target"_a = s.from_target, "dropped"_a = s.dropped,
                  "bytes_to_target"_a = s.bytes_to_target,
                  "bytes_from_target"_a = s.bytes_from_target, "send_errors"_a = s.send_errors);
}

py::list events_list(const std::vector<fault::ProxyEvent>& events) {
  py::list out;
  for (const auto& e : events) out.append(py::make_tuple(e.time, e.what));
  return out;
}

fault::LinkDirection direction(const std::string& text) {
  auto d = fault::parse_direction(text);
  if (!d) throw std::invalid_argument("drop '" + text + "' is not \"to-target\" or \"from-target\"");
  return *d;
}

using release = py::call_guard<py::gil_scoped_release>;

void register_proxies(py::module_& m) {
  py::class_<PartnerProxy>(m, "PartnerProxy",
                           "TCP proxy of the partner link with switchable faults (own io thread).")
      .def(py::init<const std::string&, const std::string&, const std::string&, const std::string&>(),
           "target"_a, "listen"_a = "[::1]:0", "pcap"_a = "", "name"_a = "partner-link", release())
      .def_property_readonly("port", &PartnerProxy::port)
      .def_property_readonly("listen_address", &PartnerProxy::listen_address)
      .def_property_readonly("name", &PartnerProxy::name)
      .def_property_readonly(
          "mode",
          [](const PartnerProxy& p) {
            fault::ProxyMode mode;
            {
              py::gil_scoped_release nogil;
              mode = p.mode();
            }
            return std::string(fault::to_string(mode));
          })
      .def("pass_through", &PartnerProxy::pass_through, release())
      .def("blackhole", &PartnerProxy::blackhole, release())
      .def("reset", &PartnerProxy::reset, release())
      .def("refuse", &PartnerProxy::refuse, release())
      .def("delay", &PartnerProxy::delay, "seconds"_a, release())
      .def(
          "one_way",
          [](PartnerProxy& p, const std::string& drop) {
            auto d = direction(drop);
            py::gil_scoped_release nogil;
            p.one_way(d);
          },
          "drop"_a)
      .def("flush", &PartnerProxy::flush, release())
      .def("stats",
           [](const PartnerProxy& p) {
             fault::ProxyStats s;
             {
               py::gil_scoped_release nogil;
               s = p.stats();
             }
             return proxy_stats(s);
           })
      .def("events",
           [](const PartnerProxy& p) {
             std::vector<fault::ProxyEvent> e;
             {
               py::gil_scoped_release nogil;
               e = p.events();
             }
             return events_list(e);
           })
      .def("close", &PartnerProxy::close, release());

  py::class_<UdpProxy>(m, "UdpProxy",
                       "UDP forwarder in front of one server; blackhole() drops client->server.")
      .def(py::init<const std::string&, const std::string&, const std::string&, double>(),
           "target"_a, "listen"_a = "[::1]:0", "name"_a = "client-proxy",
           "idle_timeout"_a = UdpProxy::DEFAULT_IDLE_TIMEOUT, release())
      .def_readonly_static("MAX_SOURCES", &UdpProxy::MAX_SOURCES)
      .def_property_readonly("port", &UdpProxy::port)
      .def_property_readonly("listen_address", &UdpProxy::listen_address)
      .def_property_readonly("mode",
                             [](const UdpProxy& p) {
                               py::gil_scoped_release nogil;
                               return p.mode();
                             })
      .def("pass_through", &UdpProxy::pass_through, release())
      .def("blackhole", &UdpProxy::blackhole, release())
      .def("stats",
           [](const UdpProxy& p) {
             fault::UdpProxyStats s;
             {
               py::gil_scoped_release nogil;
               s = p.stats();
             }
             return udp_stats(s);
           })
      .def("events",
           [](const UdpProxy& p) {
             std::vector<fault::ProxyEvent> e;
             {
               py::gil_scoped_release nogil;
               e = p.events();
             }
             return events_list(e);
           })
      .def("close", &UdpProxy::close, release());
}

void register_process(py::module_& m) {
  using fault::Process;
  py::class_<Process>(m, "Process", "A child started with posix_spawn in its own process group.")
      .def(py::init([](std::vector<std::string> argv, std::map<std::string, std::string> env,
                       std::string log, std::string netns, std::string cwd) {
             fault::ProcessOptions o{std::move(argv), std::move(env), std::move(log),
                                     std::move(netns), std::move(cwd)};
             return std::make_unique<Process>(o);
           }),
           "argv"_a, "env"_a = std::map<std::string, std::string>{}, "log"_a = "",
           "netns"_a = "", "cwd"_a = "")
      .def_property_readonly("pid", &Process::pid)
      .def_property_readonly("alive", &Process::alive)
      .def_property_readonly("returncode", &Process::returncode)
      .def("kill", &Process::kill, release())
      .def("terminate", &Process::terminate, "timeout"_a = 10.0, release())
      .def("pause", &Process::pause)
      .def("resume", &Process::resume)
      .def("signal", &Process::signal, "sig"_a)
      .def("wait", &Process::wait, "timeout"_a, release());

  m.def("skew_env", &fault::skew_env, "seconds"_a);
  m.def("faketime_library_paths", [] { return fault::FAKETIME_LIBRARY_PATHS; });
  m.def(
      "run_command",
      [](const std::vector<std::string>& argv, const std::string& input, double timeout) {
        fault::CommandResult r;
        {
          py::gil_scoped_release nogil;
          r = fault::run_command(argv, input, timeout);
        }
        return py::make_tuple(r.returncode, r.output);
      },
      "argv"_a, "input"_a = "", "timeout"_a = 30.0);
}

void register_nft(py::module_& m) {
  using fault::NftPartition;
  m.def(
      "nft_apply_script",
      [](const std::string& table, const std::string& peer, const std::string& direction,
         const std::string& proto, std::optional<std::uint16_t> port, const std::string& action) {
        return fault::nft_apply_script({table, peer, direction, proto, port, action});
      },
      "table"_a, "peer"_a, "direction"_a = "both", "proto"_a = "tcp", "port"_a = py::none(),
      "action"_a = "drop");
  m.def("nft_remove_script", &fault::nft_remove_script, "table"_a);
  py::class_<NftPartition>(m, "NftPartition",
                           "nftables drop (or reject) rules toward one peer in a netns.")
      .def(py::init<std::string, const std::string&, const std::string&, const std::string&,
                    std::optional<std::uint16_t>, const std::string&>(),
           "netns"_a, "peer"_a, "direction"_a = "both", "proto"_a = "tcp", "port"_a = py::none(),
           "action"_a = "drop")
      .def_property_readonly("action", [](const NftPartition& p) { return p.spec().action; })
      .def_property_readonly("table", [](const NftPartition& p) { return p.spec().table; })
      .def_property_readonly("applied", &NftPartition::applied)
      .def("apply", &NftPartition::apply, release())
      .def("heal", &NftPartition::heal, release())
      .def("close", &NftPartition::close, release());
}

}  // namespace

void register_fault(py::module_& m) {
  register_proxies(m);
  register_process(m);
  register_nft(m);
}

}  // namespace failover6::python
