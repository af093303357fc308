// Python bindings for toolkit/gen: `Generator`, which runs emulated DHCPv6 clients behind
// relays against servers over UDP (the engine of `failover6 generate`) with the GIL released.
//
// Errors: unusable options raise ValueError (std::invalid_argument), socket and pcap errors
// RuntimeError. KeyboardInterrupt (or any signal handler that raises) stops a run early: the
// run is ended cleanly and the exception propagates.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gen/generator.h"
#include "py_json.h"
#include "py_register.h"

namespace failover6::python {

namespace {

using namespace pybind11::literals;

/// The options of one generator run, and the run itself.
class Generator {
 public:
  Generator(std::vector<std::string> servers, std::uint32_t clients, std::uint32_t relays,
            double rate, double duration, bool na, bool pd, double time_scale, std::string pcap,
            std::uint64_t seed, bool rapid_commit, int relay_depth, bool remote_id, bool release,
            bool until_bound, double info_only, double decline, const std::string& link_address,
            bool renew_unicast, bool start_delay, bool progress) {
    for (const auto& s : servers) {
      auto e = gen::parse_endpoint(s);
      if (!e) throw std::invalid_argument("server '" + s + "' is not [IPv6-ADDRESS]:PORT");
      o_.servers.push_back(*e);
    }
    auto link = wire::Address::parse(link_address);
    if (!link) throw std::invalid_argument("link_address '" + link_address + "' is not IPv6");
    auto& f = o_.fleet;
    f.clients = clients;
    f.relays = relays;
    f.relay_depth = relay_depth;
    f.remote_id = remote_id;
    f.link_base = *link;
    f.seed = seed;
    f.information_only_fraction = info_only;
    f.decline_fraction = decline;
    f.profile.na = na;
    f.profile.pd = pd;
    f.profile.rapid_commit = rapid_commit;
    f.profile.renew_unicast = renew_unicast;
    f.profile.random_start_delay = start_delay;
    o_.rate = rate;
    o_.duration_s = duration;
    o_.time_scale = time_scale;
    o_.pcap = std::move(pcap);
    o_.release_at_end = release;
    o_.stop_when_bound = until_bound;
    o_.progress = progress;
    // Checks the fleet options now rather than at run(): a bad config fails the constructor.
    gen::FleetConfig check = f;
    check.servers = static_cast<std::uint32_t>(std::max<std::size_t>(o_.servers.size(), 1));
    check.clients = clients == 0 ? 0 : 1;
    gen::Fleet probe(check);
  }

  /// Runs to the end with the GIL released; signals are checked every 100 ms.
  py::object run() {
    stop_.store(false);
    gen::GeneratorOptions o = o_;
    o.stop = &stop_;
    o.live = &live_;
    running_.store(true);
    struct Ended {  // running_ false again however run() leaves
      std::atomic<bool>& flag;
      ~Ended() { flag.store(false); }
    } ended{running_};
    std::packaged_task<gen::GeneratorResult()> task([o]() { return gen::run_generator(o, std::cerr); });
    auto result = task.get_future();
    std::thread worker(std::move(task));
    while (true) {
      bool ready;
      {
        py::gil_scoped_release nogil;
        ready = result.wait_for(std::chrono::milliseconds(100)) == std::future_status::ready;
      }
      if (ready) break;
      if (PyErr_CheckSignals() != 0) {
        stop_.store(true);
        {
          py::gil_scoped_release nogil;
          worker.join();
        }
        throw py::error_already_set();
      }
    }
    worker.join();
    gen::GeneratorResult r = result.get();  // rethrows the run's exception
    return to_python(gen::summary_json(r));
  }

  /// Asks a running run() (in another thread) to end early.
  void stop() { stop_.store(true); }

  /// The live progress of a run() in progress in another thread (or of the last one).
  py::object snapshot() const {
    gen::GeneratorSnapshot s = live_.snapshot();
    s.running = running_.load();
    return to_python(gen::snapshot_json(s));
  }

 private:
  gen::GeneratorOptions o_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{false};
  gen::GeneratorLive live_;
};

}  // namespace

void register_gen(py::module_& m) {
  py::class_<Generator>(m, "Generator",
                        "Emulated DHCPv6 clients behind relays, run against servers over UDP "
                        "(the engine of `failover6 generate`).")
      .def(py::init<std::vector<std::string>, std::uint32_t, std::uint32_t, double, double, bool,
                    bool, double, std::string, std::uint64_t, bool, int, bool, bool, bool, double,
                    double, const std::string&, bool, bool, bool>(),
           "servers"_a, py::kw_only(), "clients"_a, "relays"_a = 1, "rate"_a = 1000.0,
           "duration"_a = 10.0, "na"_a = true, "pd"_a = false, "time_scale"_a = 1.0,
           "pcap"_a = "", "seed"_a = 1, "rapid_commit"_a = false, "relay_depth"_a = 1,
           "remote_id"_a = false, "release"_a = false, "until_bound"_a = false,
           "info_only"_a = 0.0, "decline"_a = 0.0, "link_address"_a = "2001:db8:1::1",
           "renew_unicast"_a = true, "start_delay"_a = true, "progress"_a = false,
           "Checks the options; raises ValueError naming a bad one.")
      .def("run", &Generator::run,
           "Runs until the duration ends (or every client is bound with until_bound); returns "
           "the summary dict (the JSON of `failover6 generate --json`). Releases the GIL.")
      .def("stop", &Generator::stop, "Ends a run() in progress in another thread early.")
      .def("snapshot", &Generator::snapshot,
           "The live progress of a run() in progress in another thread, updated about every "
           "100 ms: running, elapsed_s, clients, clients_bound, clients_informed, "
           "leases_changed, exchanges, retransmissions, failures, datagrams_sent, "
           "datagrams_received, send_errors. Thread-safe.");
}

}  // namespace failover6::python
