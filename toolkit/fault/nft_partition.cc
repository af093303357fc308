#include "fault/nft_partition.h"

#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "fault/process.h"

namespace failover6::fault {

void validate(const NftSpec& s) {
  if (s.table.empty() || s.table.size() > 64 ||
      s.table.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
          std::string::npos)
    throw std::invalid_argument("nft table '" + s.table + "' must be 1-64 letters, digits or _");
  boost::system::error_code ec;
  boost::asio::ip::make_address(s.peer, ec);
  if (ec) throw std::invalid_argument("peer '" + s.peer + "' is not an IP address");
  if (s.direction != "both" && s.direction != "in" && s.direction != "out")
    throw std::invalid_argument("direction '" + s.direction + "' is not both, in or out");
  if (s.proto != "tcp" && s.proto != "udp" && s.proto != "all")
    throw std::invalid_argument("proto '" + s.proto + "' is not tcp, udp or all");
  if (s.port && s.proto == "all")
    throw std::invalid_argument("a port needs proto tcp or udp");
  if (s.port && *s.port == 0) throw std::invalid_argument("port 0 cannot be matched");
  if (s.action != "drop" && s.action != "reject")
    throw std::invalid_argument("action '" + s.action + "' is not drop or reject");
}

std::string nft_apply_script(const NftSpec& s) {
  validate(s);
  auto addr = boost::asio::ip::make_address(s.peer);
  const std::string family = addr.is_v6() ? "ip6" : "ip";
  const std::string peer = addr.to_string();
  // What a matching packet gets: dropped, or a RST (TCP) / ICMP error (anything else). RSTs
  // themselves pass: the RST nft answers a locally sent segment with comes in from the peer's
  // address, and rejecting it too would leave the local socket waiting, as with drop.
  const std::string icmp = addr.is_v6() ? "icmpv6" : "icmp";
  const std::string reset = " tcp flags & rst == 0 reject with tcp reset";
  const std::string prohibited = " reject with " + icmp + " type admin-prohibited";
  const bool reject = s.action == "reject";
  // One rule per port position: the port may be either end of a connection.
  std::vector<std::string> matches;  // match + verdict
  if (s.proto == "all") {
    if (reject) matches.push_back(" meta l4proto tcp" + reset);  // TCP first: RST, not ICMP
    matches.push_back(reject ? " meta l4proto != tcp" + prohibited : " drop");
  } else {
    const std::string verdict = !reject ? " drop" : s.proto == "tcp" ? reset : prohibited;
    if (!s.port) {
      matches.push_back(" meta l4proto " + s.proto + verdict);
    } else {
      matches.push_back(" " + s.proto + " dport " + std::to_string(*s.port) + verdict);
      matches.push_back(" " + s.proto + " sport " + std::to_string(*s.port) + verdict);
    }
  }
  std::ostringstream o;
  o << "table inet " << s.table << " {}\n"
    << "flush table inet " << s.table << "\n"
    << "table inet " << s.table << " {\n";
  auto chain = [&](const char* name, const char* hook, const char* field, bool on) {
    o << "  chain " << name << " {\n"
      << "    type filter hook " << hook << " priority -10; policy accept;\n";
    if (on)
      for (const auto& m : matches)
        o << "    " << family << " " << field << " " << peer << m << "\n";
    o << "  }\n";
  };
  chain("input", "input", "saddr", s.direction != "out");
  chain("output", "output", "daddr", s.direction != "in");
  o << "}\n";
  return o.str();
}

std::string nft_remove_script(const std::string& table) {
  return "table inet " + table + " {}\ndelete table inet " + table + "\n";
}

namespace {

std::string unique_table() {
  static std::atomic<unsigned> counter{0};
  return "failover6_part_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

}  // namespace

NftPartition::NftPartition(std::string netns, const std::string& peer,
                           const std::string& direction, const std::string& proto,
                           std::optional<std::uint16_t> port, const std::string& action)
    : netns_(std::move(netns)), spec_{unique_table(), peer, direction, proto, port, action} {
  validate(spec_);
}

NftPartition::~NftPartition() {
  try {
    close();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing to report from a destructor
  }
}

void NftPartition::run(const std::string& script) {
  std::vector<std::string> argv;
  if (!netns_.empty()) argv = {"ip", "netns", "exec", netns_};
  argv.insert(argv.end(), {"nft", "-f", "-"});
  auto r = run_command(argv, script, 30);
  if (r.returncode != 0)
    throw std::runtime_error("nft in " + (netns_.empty() ? std::string("this namespace") : "netns " + netns_) +
                             " failed (exit " + std::to_string(r.returncode) + "): " + r.output);
}

void NftPartition::apply() {
  touched_ = true;
  run(nft_apply_script(spec_));
  applied_ = true;
}

void NftPartition::heal() {
  if (!touched_) return;
  run(nft_remove_script(spec_.table));
  applied_ = false;
  touched_ = false;
}

void NftPartition::close() { heal(); }

}  // namespace failover6::fault
