#include "cli/decode_command.h"

#include <CLI/CLI.hpp>
#include <ctime>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "trace/trace_decoder.h"
#include "trace/trace_error.h"
#include "wire/describe.h"
#include "wire/json.h"

namespace failover6::cli {

namespace {

using nlohmann::json;
using trace::MessageMeta;

/// "2026-11-27T21:53:34.123456Z". Captures hold many packets per second, so the date and time
/// of the last second is kept and only the microseconds are formatted per call.
std::string iso_time(std::int64_t ns) {
  thread_local std::time_t cached_secs = -1;
  thread_local std::string cached;
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  long micros = static_cast<long>((ns % 1'000'000'000) / 1000);
  if (micros < 0) {
    micros += 1'000'000;
    --secs;
  }
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[48];
    std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S.", &tm);
    cached.assign(buf, n);
    cached_secs = secs;
  }
  std::string out = cached;
  char digits[7] = "000000";
  for (int i = 5; i >= 0; --i, micros /= 10) digits[i] = static_cast<char>('0' + micros % 10);
  out.append(digits, 6);
  out.push_back('Z');
  return out;
}

std::string endpoint(const wire::Address& a, std::uint16_t port) {
  return "[" + a.to_string() + "]:" + std::to_string(port);
}

/// The IA leases of a message in the flat form the JSON lines carry next to the full message.
json leases_json(const wire::Options& opts) {
  json out = json::array();
  auto add = [&](const char* ia, std::uint32_t iaid, const wire::Options& inner) {
    for (const auto& o : inner) {
      if (auto* a = o.as<wire::IaAddress>()) {
        out.push_back({{"ia", ia}, {"iaid", iaid}, {"address", a->address.to_string()},
                       {"preferred", a->preferred}, {"valid", a->valid}});
      } else if (auto* p = o.as<wire::IaPrefix>()) {
        out.push_back({{"ia", ia}, {"iaid", iaid},
                       {"prefix", p->prefix.to_string() + "/" + std::to_string(p->prefix_length)},
                       {"preferred", p->preferred}, {"valid", p->valid}});
      }
    }
  };
  for (const auto& o : opts) {
    if (auto* na = o.as<wire::IaNa>()) add("IA_NA", na->iaid, na->options);
    else if (auto* ta = o.as<wire::IaTa>()) add("IA_TA", ta->iaid, ta->options);
    else if (auto* pd = o.as<wire::IaPd>()) add("IA_PD", pd->iaid, pd->options);
  }
  return out;
}

class Printer : public trace::MessageSink {
 public:
  Printer(const DecodeOptions& opts, std::ostream& out) : opts_(opts), out_(out) {}
  std::string file;
  std::map<std::string, std::uint64_t> counts;  // message type name (or MALFORMED) -> count

  void on_dhcp6(const MessageMeta& meta, const wire::Expected<wire::Message>& m) override {
    if (!m) return malformed(meta, "dhcp6", m.error());
    const wire::Message& inner = m->innermost();
    ++counts[wire::to_string(inner.type)];
    if (opts_.quiet) return;
    if (!opts_.json) {
      out_ << prefix(meta) << wire::describe(*m) << '\n';
      return;
    }
    json j = base(meta, "dhcp6");
    j["type"] = wire::to_string(inner.type);
    j["xid"] = inner.transaction_id;
    if (auto* c = inner.find<wire::ClientId>()) j["client_duid"] = c->duid.to_string();
    if (auto* s = inner.find<wire::ServerId>()) j["server_duid"] = s->duid.to_string();
    j["relay_hops"] = m->relay_depth();
    j["leases"] = leases_json(inner.options);
    j["message"] = wire::to_json(*m);
    emit(j);
  }

  void on_failover(const MessageMeta& meta,
                   const wire::Expected<wire::FailoverMessage>& m) override {
    if (!m) return malformed(meta, "failover", m.error());
    ++counts[wire::to_string(m->type)];
    if (opts_.quiet) return;
    if (!opts_.json) {
      out_ << prefix(meta) << wire::describe(*m) << '\n';
      return;
    }
    json j = base(meta, "failover");
    j["type"] = wire::to_string(m->type);
    j["xid"] = m->transaction_id;
    j["message"] = wire::to_json(*m);
    emit(j);
  }

  void on_stream_lost(const MessageMeta& meta) override {
    ++counts["STREAM-LOST"];
    if (opts_.quiet) return;
    if (opts_.json) {
      json j = base(meta, "failover");
      j["error"] = "capture gap: failover stream framing lost for this direction";
      emit(j);
    } else {
      out_ << prefix(meta) << "STREAM-LOST capture gap: framing lost for this direction\n";
    }
  }

 private:
  std::string prefix(const MessageMeta& meta) const {
    return iso_time(meta.time_ns) + " " + endpoint(meta.src, meta.sport) + " > " +
           endpoint(meta.dst, meta.dport) + " ";
  }
  json base(const MessageMeta& meta, const char* kind) const {
    return {{"file", file},
            {"frame", meta.frame},
            {"time", iso_time(meta.time_ns)},
            {"time_ns", meta.time_ns},
            {"kind", kind},
            {"src", meta.src.to_string()},
            {"sport", meta.sport},
            {"dst", meta.dst.to_string()},
            {"dport", meta.dport}};
  }
  void malformed(const MessageMeta& meta, const char* kind, const wire::DecodeError& e) {
    ++counts["MALFORMED"];
    if (opts_.quiet) return;
    if (opts_.json) {
      json j = base(meta, kind);
      j["error"] = e.message;
      j["offset"] = e.offset;
      emit(j);
    } else {
      out_ << prefix(meta) << "MALFORMED " << e.to_string() << '\n';
    }
  }
  void emit(const json& j) {
    // Names and status texts come off the wire: replace invalid UTF-8 rather than throw.
    out_ << j.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
  }

  const DecodeOptions& opts_;
  std::ostream& out_;
};

}  // namespace

int run_decode(const DecodeOptions& opts, std::ostream& out, std::ostream& err) {
  trace::ReaderOptions ro;
  ro.udp_ports = opts.udp_ports;
  ro.tcp_ports = opts.tcp_ports;
  ro.all_udp = opts.all_udp;
  trace::TraceDecoder decoder(ro);
  Printer printer(opts, out);
  for (const auto& f : opts.files) {
    printer.file = f;
    try {
      decoder.read_file(f, printer);
    } catch (const trace::TraceError& e) {
      out.flush();
      err << "failover6 decode: " << e.what() << '\n';
      return 2;
    }
  }
  if (opts.summary) {
    const auto& st = decoder.stats();
    if (opts.json) {
      json s = {{"files", opts.files.size()},
                {"frames", st.reader.frames},
                {"dhcp6", st.dhcp6},
                {"dhcp6_malformed", st.dhcp6_malformed},
                {"failover", st.failover},
                {"failover_malformed", st.failover_malformed},
                {"streams_lost", st.streams_lost},
                {"non_ipv6", st.reader.non_ipv6},
                {"malformed_frames", st.reader.malformed},
                {"reassembled", st.reader.reassembled},
                {"types", printer.counts}};
      out << json{{"summary", s}}.dump() << '\n';
    } else {
      out << "summary: " << opts.files.size() << " files, " << st.reader.frames << " frames, "
          << st.dhcp6 << " DHCPv6 messages (" << st.dhcp6_malformed << " malformed), "
          << st.failover << " failover messages (" << st.failover_malformed << " malformed), "
          << st.reader.non_ipv6 << " non-IPv6 frames skipped, " << st.reader.malformed
          << " malformed frames\n";
      for (const auto& [name, n] : printer.counts) out << "  " << name << ": " << n << '\n';
    }
  }
  return 0;
}

void add_decode_command(CLI::App& app) {
  auto opts = std::make_shared<DecodeOptions>();
  auto* cmd = app.add_subcommand(
      "decode", "Print every DHCPv6 and RFC 8156 failover message in pcap/pcapng files");
  cmd->add_option("files", opts->files, "capture files (pcap or pcapng)")->required();
  cmd->add_flag("--json", opts->json, "one JSON object per line");
  cmd->add_flag("--summary", opts->summary, "print message counts at the end");
  cmd->add_flag("-q,--quiet", opts->quiet, "no per-message output");
  cmd->add_option("--udp-port", opts->udp_ports, "DHCPv6 UDP ports (default 546 547)");
  cmd->add_option("--tcp-port", opts->tcp_ports, "failover TCP ports (default 647)");
  cmd->add_flag("--all-udp", opts->all_udp, "decode every UDP datagram as DHCPv6");
  cmd->callback([opts]() {
    int rc = run_decode(*opts, std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace failover6::cli
