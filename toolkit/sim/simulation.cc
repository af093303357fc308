#include "sim/simulation.h"

#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <queue>
#include <sstream>
#include <stdexcept>

#include "check/check.h"
#include "config/config.h"
#include "failover/binding_codec.h"
#include "failover/endpoint.h"
#include "failover/router.h"
#include "gen/fleet.h"
#include "gen/rng.h"
#include "server/server.h"
#include "sim/sim_store.h"
#include "trace/packet.h"
#include "trace/pcap_writer.h"
#include "wire/failover_message.h"
#include "wire/message.h"

namespace failover6::sim {

namespace {

constexpr std::int64_t NS = 1'000'000'000;
constexpr std::int64_t MS = 1'000'000;
constexpr std::uint16_t FAILOVER_PORT = 647;

std::string node_config(const std::string& role, const SimOptions& o) {
  std::uint32_t v = o.valid_lifetime;
  std::string self = role == "primary" ? "[2001:db8::a]:647" : "[2001:db8::b]:647";
  std::string peer = role == "primary" ? "[2001:db8::b]:647" : "[2001:db8::a]:647";
  return R"({"Dhcp6": {
    "renew-timer": )" + std::to_string(v / 2) + R"(, "rebind-timer": )" + std::to_string(v * 4 / 5) +
         R"(, "preferred-lifetime": )" + std::to_string(v * 5 / 6) + R"(, "valid-lifetime": )" +
         std::to_string(v) + R"(,
    "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64",
      "relay": { "ip-addresses": [ "2001:db8:1::1" ] },
      "pools": [ { "pool": "2001:db8:1::1000 - 2001:db8:1::ffff" } ],
      "pd-pools": [ { "prefix": "2001:db8:8000::", "prefix-len": )" +
         std::to_string(o.pd_pool_len) + R"(, "delegated-len": 56 } ] } ] },
    "Failover6": { "listen": [ "[::1]:5547" ], "relationships": [ {
      "name": "pair", "role": ")" + role + R"(", "this-server": ")" + self + R"(",
      "peer": ")" + peer + R"(", "mclt": )" + std::to_string(o.mclt) +
         R"(, "keepalive": 10, "max-unacked": 8, "auto-partner-down": 0, "startup-time": 5,
      "use-partner-prefixes": )" + std::string(o.use_partner_prefixes ? "true" : "false") + R"(,
      "subnets": [ 1 ], "insecure": true } ] } })";
}

/// Derives an independent stream seed from the run seed and a purpose number.
std::uint64_t derive(std::uint64_t seed, std::uint64_t purpose) {
  gen::Rng r(seed ^ (purpose * 0x9E3779B97F4A7C15ULL));
  return r.next();
}

std::string status_text(wire::BindingStatus s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

std::string status_text(wire::BindingStatus st);

/// @return " IA_NA 2001:db8:1::1000 ACTIVE until +123 plt +150" for the leases of a BNDUPD
///         (times relative to SIM_T0), or "" for other messages.
std::string lease_of(const wire::FailoverMessage& m) {
  if (m.type != wire::MessageType::BndUpd) return "";
  auto d = failover::decode_bndupd(m);
  const auto* ok = std::get_if<failover::DecodedBndupd>(&d);
  if (!ok) return " (undecodable)";
  std::string out;
  for (const auto& b : ok->bindings) {
    out += " " + b.lease.key.to_string() + " " + status_text(b.lease.state);
    if (b.lease.state_expiration_time)
      out += " until +" + std::to_string(b.lease.state_expiration_time - SIM_T0);
    if (b.partner_lifetime) out += " plt +" + std::to_string(b.partner_lifetime - SIM_T0);
  }
  return out;
}

std::string fmt_time(std::int64_t t_ns) {
  char buf[40];
  std::int64_t rel = t_ns - SIM_T0 * NS;
  std::snprintf(buf, sizeof buf, "%+9.3f", static_cast<double>(rel) / NS);
  return buf;
}

enum class Kind : std::uint8_t {
  ClientReq,     ///< a relayed client datagram reaches server `node`
  ClientRep,     ///< a server reply reaches the fleet
  PartnerData,   ///< failover bytes (or FIN) reach `node` on connection `conn`
  PartnerReset,  ///< `node` learns its connection `conn` was reset by the peer
  Commit,        ///< `node`'s group commit completes
  Tick,          ///< `node`'s timers (every second)
  Crash,
  Restart,
  PartitionStart,
  PartitionEnd,
  PartnerDown,
  EndActivity,   ///< client activity ends: heal, restart, settle
};

struct Event {
  std::int64_t t = 0;
  std::uint64_t seq = 0;
  Kind kind = Kind::Tick;
  std::uint8_t node = 0;
  std::uint32_t a = 0;   ///< relay; partition kind; restart: wipe
  std::uint64_t conn = 0;
  std::uint64_t gen = 0;  ///< node boot generation the event belongs to
  bool fin = false;
  wire::Bytes bytes;
};

struct Later {
  bool operator()(const Event* x, const Event* y) const {
    return x->t != y->t ? x->t > y->t : x->seq > y->seq;
  }
};

/// Partition kinds.
enum Part : std::uint32_t {
  PartnerBoth = 0,  ///< partner link cut both ways
  PartnerPtoS = 1,  ///< primary → secondary blocked (one way)
  PartnerStoP = 2,  ///< secondary → primary blocked (one way)
  IsolateA = 3,     ///< the primary cut off from clients and partner, both ways
  IsolateB = 4,     ///< the secondary likewise
  PartKinds = 5,
};
// A partition of the client side alone (the partner link up) is an outage RFC 8156 does not
// address (the partner stays in NORMAL and does not answer): it is not simulated.
const char* part_name(std::uint32_t k) {
  static const char* names[] = {"partner link both ways", "partner link primary->secondary",
                                "partner link secondary->primary", "primary isolated",
                                "secondary isolated"};
  return k < PartKinds ? names[k] : "?";
}

struct Told {
  wire::Duid duid;
  std::int64_t end = 0;  ///< server-local seconds
};

struct Node {
  int index = 0;
  std::string role;
  config::Config cfg;
  wire::Duid duid;
  wire::Address addr;
  SimStore store;
  std::unique_ptr<failover::Endpoint> ep;
  std::unique_ptr<failover::PolicyRouter> router;
  std::unique_ptr<server::Server> srv;
  bool alive = false;
  std::int64_t skew = 0;
  std::uint64_t gen = 0;
  bool commit_scheduled = false;
  std::vector<std::pair<std::uint32_t, wire::Bytes>> held;  ///< replies awaiting commit
  /// Messages awaiting commit, each with the connection it was made for: one made for a
  /// connection that has since closed is dropped, as the daemon drops it.
  std::vector<std::pair<std::uint64_t, wire::FailoverMessage>> outbox;
  std::optional<std::string> close;                          ///< close after the outbox
  std::uint64_t conn = 0;  ///< the connection this side believes is open (0: none)
  std::int64_t next_connect = 0;
  std::int64_t backoff = 1;
  std::map<lease::LeaseKey, Told> told;
  /// A crash armed to strike at the next group commit, before it completes (the window
  /// between a REPLY's store change and its durability): downtime (s) and storage loss.
  std::optional<std::pair<std::uint32_t, bool>> crash_at_commit;
};

struct Conn {
  std::uint64_t id = 0;
  std::uint16_t port = 0;          ///< the primary's ephemeral port
  std::array<std::uint32_t, 2> seq{};  ///< next sequence number, by sender
  std::array<std::int64_t, 2> last_arrival{};  ///< FIFO per direction
  /// Sent while the direction was blocked: delivered in order when it heals.
  std::array<std::deque<std::pair<bool, wire::Bytes>>, 2> blocked;
};

class World {
 public:
  explicit World(const SimOptions& o)
      : o_(o),
        net_(derive(o.seed, 1)),
        faults_rng_(derive(o.seed, 2)),
        misc_(derive(o.seed, 3)),
        pcap_(o.pcap_path) {
    for (int i = 0; i < 2; ++i) {
      auto& n = nodes_[i];
      n.index = i;
      n.role = i == 0 ? "primary" : "secondary";
      auto parsed = config::parse_config(node_config(n.role, o));
      if (!parsed.ok())
        throw std::runtime_error("sim: bad built-in config: " + parsed.errors.at(0).to_string());
      n.cfg = parsed.config;
      std::uint8_t id[3] = {'s', 'v', static_cast<std::uint8_t>(n.role[0])};
      n.duid = wire::Duid::en(2495, wire::ByteView(id, 3));
      n.addr = wire::Address::from_string(i == 0 ? "2001:db8::a" : "2001:db8::b");
      if (o.faults.max_skew_s > 0)
        n.skew = static_cast<std::int64_t>(faults_rng_.below(2 * o.faults.max_skew_s + 1)) -
                 o.faults.max_skew_s;
    }
    gen::FleetConfig fc;
    fc.clients = o.clients;
    fc.relays = o.relays;
    fc.servers = 2;
    fc.profile.pd = o.pd;
    fc.seed = derive(o.seed, 4);
    fc.start = t0();
    std::int64_t spread = o.faults.clients_arrive_throughout ? o.duration_s : 20;
    fc.start_interval =
        std::max<std::int64_t>(1, spread * NS / std::max<std::uint32_t>(1, o.clients));
    fleet_ = std::make_unique<gen::Fleet>(fc);
  }

  ~World() {
    while (!queue_.empty()) {
      delete queue_.top();
      queue_.pop();
    }
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  SimResult run();
  /// @return what became of the unanswered client transactions (after run()).
  TxFates take_fates() { return std::move(fates_); }

 private:
  static std::int64_t t0() { return SIM_T0 * NS; }
  std::int64_t local(const Node& n) const { return now_ / NS + n.skew; }
  Node& peer(Node& n) { return nodes_[1 - n.index]; }

  void log(const Node* n, const std::string& what) {
    if (!o_.trace) return;
    std::string line = fmt_time(now_);
    line += n ? (n->index == 0 ? " A(primary)   " : " B(secondary) ") : " world        ";
    line += what;
    res_.trace.push_back(std::move(line));
  }
  void fail(std::string inv, std::string detail) {
    log(nullptr, "VIOLATION " + inv + ": " + detail);
    res_.failures.push_back({std::move(inv), now_, std::move(detail), {}, {}});
  }

  Event* make(std::int64_t t, Kind k, std::uint8_t node = 0) {
    auto* e = new Event();
    e->t = t;
    e->seq = seq_++;
    e->kind = k;
    e->node = node;
    return e;
  }
  void push(Event* e) { queue_.push(e); }

  void schedule_faults();
  void boot(Node& n);
  void crash(Node& n);
  void crash_and_restart(Node& n, std::uint32_t downtime_s, bool wipe);
  void step_done(Node& n);
  void commit(Node& n);
  void tick(Node& n);
  void try_connect();
  void close_side(Node& n, const std::string& why, bool send_fin);
  void send_partner(Node& from, bool fin, wire::Bytes bytes);
  void deliver_partner(Event& e);
  void flush_blocked(int dir);
  void client_send(std::vector<gen::Datagram>& out);
  void client_request(Event& e);
  void send_reply(Node& n, std::uint32_t relay, wire::Bytes bytes);
  void note_told(Node& n, const wire::Bytes& bytes);
  void check_durable(Node& n);
  /// Records the fate of one copy of a client message (or, for ReplyCrashed, of a server's
  /// reply) whose transaction the checker may give up on (REQUEST, RELEASE, DECLINE, REBIND);
  /// @p at: the server it met; Silent: whether @p at in state @p met had to answer decides
  /// between owed and not bound.
  enum class Fate : std::uint8_t { Lost, Down, Silent, ReplyCrashed };
  void note_fate(wire::ByteView message, Fate f, const Node* at,
                 failover::State met = failover::State::Startup);
  bool settled() const;
  void compare_stores();
  void end_activity();
  bool partner_blocked(int dir) const {
    return block_[dir == 0 ? PartnerPtoS : PartnerStoP] > 0 || block_[PartnerBoth] > 0 ||
           block_[IsolateA] > 0 || block_[IsolateB] > 0;
  }
  std::int64_t client_delay() {
    return MS + static_cast<std::int64_t>(net_.uniform() * o_.faults.client_jitter_ms * MS);
  }
  wire::Address relay_addr(std::uint32_t r) const { return fleet_->relay(r).source(); }

  const SimOptions& o_;
  gen::Rng net_, faults_rng_, misc_;
  trace::PcapWriter pcap_;
  std::array<Node, 2> nodes_;
  std::unique_ptr<gen::Fleet> fleet_;
  std::priority_queue<Event*, std::vector<Event*>, Later> queue_;
  std::uint64_t seq_ = 0;
  std::int64_t now_ = t0();
  std::map<std::uint64_t, Conn> conns_;
  std::uint64_t next_conn_ = 1;
  std::array<int, PartKinds> block_{};
  std::int64_t partner_inflight_ = 0;
  bool settling_ = false;
  std::int64_t activity_end_ = 0;
  std::vector<gen::Datagram> scratch_;
  SimResult res_;
  TxFates fates_;
};

void World::note_fate(wire::ByteView message, Fate f, const Node* at, failover::State met) {
  auto m = wire::decode_message(message);
  if (!m) return;
  const wire::Message& in = m->innermost();
  using wire::MessageType;
  const auto* cid = in.find<wire::ClientId>();
  if (!cid) return;
  if (f != Fate::ReplyCrashed && in.type != MessageType::Request &&
      in.type != MessageType::Rebind && in.type != MessageType::Release &&
      in.type != MessageType::Decline)
    return;
  TxFate& tx = fates_[{cid->duid.to_string(), in.transaction_id}];
  switch (f) {
    case Fate::Lost:
      ++tx.lost;
      break;
    case Fate::Down:
      ++tx.down;
      break;
    case Fate::ReplyCrashed:
      ++tx.reply_crashed;
      break;
    case Fate::Silent: {
      const auto* sid = in.find<wire::ServerId>();
      if (must_answer(static_cast<std::uint8_t>(met), at->index == 0, sid != nullptr,
                      sid && sid->duid == at->duid)) {
        ++tx.owed;
      } else {
        ++tx.not_bound;
        std::string what = at->role + " " + failover::to_string(met);
        if (tx.states.find(what) == std::string::npos)
          tx.states += (tx.states.empty() ? "" : ", ") + what;
      }
      break;
    }
  }
}

void World::schedule_faults() {
  const FaultProfile& f = o_.faults;
  std::int64_t lo = 30, hi = std::max<std::int64_t>(lo + 1, o_.duration_s - 40);
  auto when = [&] { return t0() + (lo + static_cast<std::int64_t>(faults_rng_.below(hi - lo))) * NS +
                           static_cast<std::int64_t>(faults_rng_.below(1000)) * MS; };
  for (int i = 0; i < f.crashes; ++i) {
    Event* e = make(when(), Kind::Crash, static_cast<std::uint8_t>(faults_rng_.below(2)));
    e->a = static_cast<std::uint32_t>(  // downtime, s
        f.crash_down_min_s +
        static_cast<int>(faults_rng_.below(
            static_cast<std::uint64_t>(f.crash_down_max_s - f.crash_down_min_s + 1))));
    e->fin = faults_rng_.uniform() < f.wipe_probability;            // restart without storage
    e->conn = faults_rng_.below(2);                                 // 1: at the next commit
    bool pd = faults_rng_.uniform() < f.partner_down_probability;
    push(e);
    if (f.cut_over_restart_s > 0) {
      std::int64_t from = e->t + static_cast<std::int64_t>(e->a) * NS - NS;
      std::int64_t len =
          static_cast<std::int64_t>(f.cut_over_restart_s) + static_cast<std::int64_t>(faults_rng_.below(21));
      Event* s = make(from, Kind::PartitionStart);
      s->a = PartnerBoth;
      push(s);
      Event* x = make(from + len * NS, Kind::PartitionEnd);
      x->a = PartnerBoth;
      push(x);
    }
    if (pd) {
      std::uint64_t within = f.partner_down_delay_max_s > 0
                                 ? std::min<std::uint64_t>(e->a, static_cast<std::uint64_t>(
                                                                     f.partner_down_delay_max_s))
                                 : e->a;
      Event* p = make(e->t + static_cast<std::int64_t>(1 + faults_rng_.below(within)) * NS,
                      Kind::PartnerDown, static_cast<std::uint8_t>(1 - e->node));
      push(p);
    }
  }
  for (int i = 0; i < f.partitions; ++i) {
    std::int64_t start = when();
    auto kind = static_cast<std::uint32_t>(faults_rng_.below(PartKinds));
    std::int64_t len = static_cast<std::int64_t>(5 + faults_rng_.below(86)) * NS;
    Event* s = make(start, Kind::PartitionStart);
    s->a = kind;
    push(s);
    Event* e = make(start + len, Kind::PartitionEnd);
    e->a = kind;
    push(e);
    if (faults_rng_.uniform() < f.partner_down_probability) {
      // The operator declares the partner down on the side clients still reach.
      std::uint8_t side = kind == IsolateA ? 1 : 0;
      push(make(start + len / 2, Kind::PartnerDown, side));
    }
  }
}

void World::boot(Node& n) {
  n.alive = true;
  ++n.gen;
  n.crash_at_commit.reset();
  n.commit_scheduled = false;
  n.held.clear();
  n.outbox.clear();
  n.close.reset();
  n.conn = 0;
  n.backoff = 1;
  n.next_connect = 0;
  failover::EndpointHooks hooks;
  hooks.put = [&n](const lease::Lease& l) {
    n.store.put(l);
    n.srv->notice(l);
  };
  hooks.reschedule = [&n](const lease::Lease& l) { n.srv->notice(l); };
  if (o_.trace) {
    hooks.on_transition = [this, &n](const failover::Transition& t) {
      log(&n, "state " + failover::to_string(t.from) + " -> " + failover::to_string(t.to) + " (" +
                  t.reason + ")");
    };
  }
  n.ep = std::make_unique<failover::Endpoint>(n.cfg.failover6.relationships.at(0), n.cfg, n.store,
                                              hooks, local(n));
  n.router = std::make_unique<failover::PolicyRouter>(std::vector<failover::Endpoint*>{n.ep.get()});
  n.srv = std::make_unique<server::Server>(n.cfg, n.duid, n.store, n.router.get());
  // Rebuild the expiry schedule from the stored leases, as the daemon does at start.
  n.store.for_each([&n](const lease::Lease& l) { n.srv->notice(l); });
  Event* t = make(now_ + NS - (now_ % NS) + (n.index == 0 ? 100 : 600) * MS, Kind::Tick,
                  static_cast<std::uint8_t>(n.index));
  t->gen = n.gen;
  push(t);
  step_done(n);
}

void World::check_durable(Node& n) {
  // Every lease this server told a client about (REPLY sent, hence committed) and that the live
  // store still holds for that client must be in the durable part.
  std::int64_t lt = local(n);
  for (const auto& [key, told] : n.told) {
    if (told.end <= lt) continue;
    const lease::Lease* live = n.store.find(key);
    if (!live || live->state != wire::BindingStatus::Active || live->duid != told.duid) continue;
    const lease::Lease* d = n.store.durable().find(key);
    if (!d || d->duid != told.duid || (d->state == wire::BindingStatus::Active &&
                                       d->state_expiration_time + 1 < told.end)) {
      fail("durable-reply", n.role + " crashed and lost " + key.to_string() + " told to client " +
                                told.duid.to_string() + " until " +
                                std::to_string(told.end - SIM_T0) + " (durable: " +
                                (d ? status_text(d->state) + " until " +
                                         std::to_string(d->state_expiration_time - SIM_T0)
                                   : std::string("absent")) +
                                ")");
    }
  }
}

void World::crash(Node& n) {
  if (!n.alive) return;
  check_durable(n);
  n.alive = false;  // from here on the process is gone: its kernel closes the connection
  if (n.conn) close_side(n, "crash", true);
  n.srv.reset();
  n.router.reset();
  n.ep.reset();
  ++n.gen;
  std::size_t lost = n.store.crash();
  res_.lost_writes += lost;
  ++res_.crashes;
  for (const auto& [relay, bytes] : n.held) note_fate(bytes, Fate::ReplyCrashed, &n);
  log(&n, "CRASH: " + std::to_string(lost) + " pending store changes, " +
              std::to_string(n.held.size()) + " replies and " + std::to_string(n.outbox.size()) +
              " failover messages lost");
  n.held.clear();
  n.outbox.clear();
  n.close.reset();
}

void World::step_done(Node& n) {
  if (!n.alive) return;
  for (auto& m : n.ep->take_outbox()) n.outbox.emplace_back(n.conn, std::move(m));
  if (auto c = n.ep->take_close_request()) n.close = c;
  if (n.commit_scheduled) return;
  if (n.store.pending() || !n.held.empty() || !n.outbox.empty() || n.close) {
    n.commit_scheduled = true;
    Event* e = make(now_ + 200'000 + static_cast<std::int64_t>(misc_.below(1'800'000)), Kind::Commit,
                    static_cast<std::uint8_t>(n.index));
    e->gen = n.gen;
    push(e);
  }
}

void World::crash_and_restart(Node& n, std::uint32_t downtime_s, bool wipe) {
  crash(n);
  Event* r = make(now_ + static_cast<std::int64_t>(downtime_s) * NS, Kind::Restart,
                  static_cast<std::uint8_t>(n.index));
  r->fin = wipe;
  push(r);
}

void World::commit(Node& n) {
  n.commit_scheduled = false;
  if (n.crash_at_commit) {
    auto [downtime, wipe] = *n.crash_at_commit;
    n.crash_at_commit.reset();
    log(&n, "crash armed for the next commit strikes before it completes");
    crash_and_restart(n, downtime, wipe);
    return;
  }
  n.store.commit();
  auto held = std::move(n.held);
  n.held.clear();
  for (auto& [relay, bytes] : held) send_reply(n, relay, std::move(bytes));
  auto out = std::move(n.outbox);
  n.outbox.clear();
  for (auto& [conn, m] : out) {
    if (!n.conn || conn != n.conn) continue;  // that connection is gone: dropped
    if (o_.trace) log(&n, "send " + wire::to_string(m.type) + " xid " + std::to_string(m.transaction_id) +
                           lease_of(m));
    send_partner(n, false, wire::encode_failover_framed(m));
  }
  if (n.close) {
    std::string why = *n.close;
    n.close.reset();
    if (n.conn) close_side(n, why, true);
  }
  step_done(n);
}

void World::close_side(Node& n, const std::string& why, bool send_fin) {
  std::uint64_t id = n.conn;
  if (send_fin && id) send_partner(n, true, {});
  n.conn = 0;
  log(&n, "connection " + std::to_string(id) + " closed: " + why);
  if (n.alive) {
    n.ep->on_disconnected(local(n), why);
    if (n.index == 0) n.next_connect = local(n) + n.backoff;
    step_done(n);
  }
}

void World::send_partner(Node& from, bool fin, wire::Bytes bytes) {
  auto it = conns_.find(from.conn);
  if (it == conns_.end()) return;
  Conn& c = it->second;
  int dir = from.index;  // 0: primary → secondary
  const wire::Address& src = from.addr;
  const wire::Address& dst = peer(from).addr;
  std::uint16_t sport = dir == 0 ? c.port : FAILOVER_PORT;
  std::uint16_t dport = dir == 0 ? FAILOVER_PORT : c.port;
  std::uint32_t ack = c.seq[1 - dir];
  if (fin) {
    pcap_.write_tcp(now_, src, sport, dst, dport, c.seq[dir], ack, trace::TCP_FIN | trace::TCP_ACK, {});
    c.seq[dir] += 1;
  } else {
    pcap_.write_tcp(now_, src, sport, dst, dport, c.seq[dir], ack, trace::TCP_PSH | trace::TCP_ACK,
                    bytes);
    c.seq[dir] += static_cast<std::uint32_t>(bytes.size());
  }
  if (partner_blocked(dir)) {
    c.blocked[dir].emplace_back(fin, std::move(bytes));
    return;
  }
  std::int64_t at = now_ + MS + static_cast<std::int64_t>(net_.uniform() * o_.faults.partner_jitter_ms * MS);
  at = std::max(at, c.last_arrival[dir] + 1);
  c.last_arrival[dir] = at;
  Event* e = make(at, Kind::PartnerData, static_cast<std::uint8_t>(1 - dir));
  e->conn = c.id;
  e->fin = fin;
  e->bytes = std::move(bytes);
  ++partner_inflight_;
  push(e);
}

void World::flush_blocked(int dir) {
  for (auto& [id, c] : conns_) {
    while (!c.blocked[dir].empty()) {
      auto [fin, bytes] = std::move(c.blocked[dir].front());
      c.blocked[dir].pop_front();
      std::int64_t at = std::max(now_ + MS, c.last_arrival[dir] + 1);
      c.last_arrival[dir] = at;
      Event* e = make(at, Kind::PartnerData, static_cast<std::uint8_t>(1 - dir));
      e->conn = c.id;
      e->fin = fin;
      e->bytes = std::move(bytes);
      ++partner_inflight_;
      push(e);
    }
  }
}

void World::deliver_partner(Event& e) {
  --partner_inflight_;
  Node& to = nodes_[e.node];
  Node& from = peer(to);
  if (!to.alive || to.conn != e.conn) {
    // Nobody listens on that connection any more: data is answered with a reset.
    if (!e.fin && from.conn == e.conn && !partner_blocked(to.index)) {
      Event* r = make(now_ + MS, Kind::PartnerReset, static_cast<std::uint8_t>(from.index));
      r->conn = e.conn;
      push(r);
    }
    return;
  }
  if (e.fin) {
    close_side(to, "closed by the partner", true);
    return;
  }
  auto m = wire::decode_failover(wire::ByteView(e.bytes).subspan(2));
  if (!m) {
    fail("failover-codec", "a message the partner encoded does not decode");
    return;
  }
  if (o_.trace) log(&to, "recv " + wire::to_string(m->type) + " xid " + std::to_string(m->transaction_id) +
                           lease_of(*m));
  to.ep->on_message(*m, local(to));
  step_done(to);
}

void World::try_connect() {
  Node& p = nodes_[0];
  Node& s = nodes_[1];
  if (!p.alive || p.conn || local(p) < p.next_connect) return;
  if (!s.alive || partner_blocked(0) || partner_blocked(1)) {
    p.next_connect = local(p) + p.backoff;
    // As failover6d's PartnerLink: doubling up to one second less than the STARTUP timer
    // (5 s in this configuration), so a restarted partner is reached while in STARTUP.
    p.backoff = std::min<std::int64_t>(p.backoff * 2, 4);
    return;
  }
  if (s.conn) close_side(s, "replaced by a new connection", false);
  Conn c;
  c.id = next_conn_++;
  c.port = static_cast<std::uint16_t>(40000 + c.id % 20000);
  c.seq = {static_cast<std::uint32_t>(misc_.next()), static_cast<std::uint32_t>(misc_.next())};
  pcap_.write_tcp(now_, p.addr, c.port, s.addr, FAILOVER_PORT, c.seq[0], 0, trace::TCP_SYN, {});
  pcap_.write_tcp(now_, s.addr, FAILOVER_PORT, p.addr, c.port, c.seq[1], c.seq[0] + 1,
                  trace::TCP_SYN | trace::TCP_ACK, {});
  c.seq[0] += 1;
  c.seq[1] += 1;
  pcap_.write_tcp(now_, p.addr, c.port, s.addr, FAILOVER_PORT, c.seq[0], c.seq[1], trace::TCP_ACK, {});
  conns_[c.id] = c;
  p.conn = s.conn = c.id;
  p.backoff = 1;
  log(&p, "connection " + std::to_string(c.id) + " established");
  s.ep->on_connected(local(s));
  p.ep->on_connected(local(p));
  step_done(s);
  step_done(p);
}

void World::tick(Node& n) {
  std::int64_t lt = local(n);
  auto d = n.ep->next_deadline();
  if (d && *d <= lt) n.ep->on_timer(lt);
  n.srv->expire(lt);
  n.ep->poll(lt);
  step_done(n);
  if (n.index == 0) try_connect();
}

void World::client_send(std::vector<gen::Datagram>& out) {
  const FaultProfile& f = o_.faults;
  for (auto& d : out) {
    if (settling_) continue;
    int node = d.server;
    if (block_[node == 0 ? IsolateA : IsolateB] ||
        (f.client_loss > 0 && net_.uniform() < f.client_loss)) {
      note_fate(d.payload, Fate::Lost, nullptr);
      continue;
    }
    int copies = f.client_dup > 0 && net_.uniform() < f.client_dup ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      Event* e = make(now_ + client_delay(), Kind::ClientReq, static_cast<std::uint8_t>(node));
      e->a = d.relay;
      e->bytes = c + 1 < copies ? d.payload : std::move(d.payload);
      push(e);
    }
  }
  out.clear();
}

void World::client_request(Event& e) {
  Node& n = nodes_[e.node];
  if (!n.alive) {
    note_fate(e.bytes, Fate::Down, &n);
    return;
  }
  wire::Address src = relay_addr(e.a);
  pcap_.write_udp(now_, src, 547, n.addr, 547, e.bytes);
  if (o_.mute && o_.mute->node == n.index && now_ >= t0() + o_.mute->from_s * NS &&
      now_ < t0() + o_.mute->to_s * NS) {
    // The deliberate server fault of SimOptions::mute: dropped unanswered, whatever the state.
    note_fate(e.bytes, Fate::Silent, &n, n.ep->state());
    return;
  }
  server::Datagram d{src, 547, n.addr, 547, "", e.bytes};
  std::int64_t lt = local(n);
  const failover::State met = n.ep->state();  // the state the message met
  auto r = n.srv->handle(d, lt);
  if (!r.reply) note_fate(e.bytes, Fate::Silent, &n, met);
  if (r.reply) {
    if (r.needs_commit) n.held.emplace_back(e.a, std::move(r.reply->payload));
    else send_reply(n, e.a, std::move(r.reply->payload));
  }
  n.ep->poll(lt);
  step_done(n);
}

void World::note_told(Node& n, const wire::Bytes& bytes) {
  auto m = wire::decode_message(bytes);
  if (!m) {
    fail("server-codec", n.role + " sent a reply that does not decode");
    return;
  }
  const wire::Message& in = m->innermost();
  if (in.type != wire::MessageType::Reply) return;
  const auto* cid = in.find<wire::ClientId>();
  if (!cid) return;
  std::int64_t lt = local(n);
  auto note = [&](lease::LeaseKey key, std::uint32_t valid) {
    if (valid == 0) n.told.erase(key);
    else n.told[key] = Told{cid->duid, valid == 0xFFFFFFFFU ? INT64_MAX : lt + valid};
  };
  for (const auto& o : in.options) {
    if (const auto* na = o.as<wire::IaNa>()) {
      for (const auto& io : na->options)
        if (const auto* a = io.as<wire::IaAddress>())
          note({lease::LeaseType::Na, a->address, 128}, a->valid);
    } else if (const auto* pd = o.as<wire::IaPd>()) {
      for (const auto& io : pd->options)
        if (const auto* p = io.as<wire::IaPrefix>())
          note({lease::LeaseType::Pd, p->prefix, p->prefix_length}, p->valid);
    }
  }
}

void World::send_reply(Node& n, std::uint32_t relay, wire::Bytes bytes) {
  wire::Address dst = relay_addr(relay);
  pcap_.write_udp(now_, n.addr, 547, dst, 547, bytes);
  note_told(n, bytes);
  const FaultProfile& f = o_.faults;
  if (block_[n.index == 0 ? IsolateA : IsolateB]) return;
  if (f.client_loss > 0 && net_.uniform() < f.client_loss) return;
  int copies = f.client_dup > 0 && net_.uniform() < f.client_dup ? 2 : 1;
  for (int c = 0; c < copies; ++c) {
    Event* e = make(now_ + client_delay(), Kind::ClientRep, static_cast<std::uint8_t>(n.index));
    e->a = relay;
    e->bytes = c + 1 < copies ? bytes : std::move(bytes);
    push(e);
  }
}

bool World::settled() const {
  for (const Node& n : nodes_) {
    if (!n.alive || n.ep->state() != wire::ServerState::Normal || !n.ep->comm_ok() ||
        n.ep->partner_state() != wire::ServerState::Normal || n.ep->unacked() || n.ep->queued() ||
        !n.held.empty() || !n.outbox.empty() || n.store.pending())
      return false;
  }
  return partner_inflight_ == 0;
}

void World::compare_stores() {
  // Leases active on one side (not about to end) must be active for the same client on the
  // other side.
  std::size_t shown = 0, mismatches = 0, compared = 0;
  std::string detail;
  for (int i = 0; i < 2; ++i) {
    const Node& a = nodes_[i];
    const Node& b = nodes_[1 - i];
    std::int64_t margin = local(a) + failover::MAX_SKEW + 2;
    a.store.for_each([&](const lease::Lease& l) {
      if (!l.active_at(margin)) return;
      ++compared;
      const lease::Lease* o = b.store.find(l.key);
      if (o && o->state == wire::BindingStatus::Active && o->duid == l.duid && o->iaid == l.iaid) return;
      ++mismatches;
      if (shown++ < 5)
        detail += " " + l.key.to_string() + " active for " + l.duid.to_string() + " on " + a.role +
                  " but " +
                  (o ? status_text(o->state) + " for " + o->duid.to_string()
                     : std::string("absent")) +
                  " on " + b.role + ";";
    });
  }
  if (mismatches)
    fail("store-agreement", std::to_string(mismatches) + " of " + std::to_string(compared) +
                                " active bindings differ after settling in NORMAL:" + detail);
}

void World::end_activity() {
  settling_ = true;
  activity_end_ = now_;
  res_.clients_bound = fleet_->clients_bound(now_);
  log(nullptr, "client activity ends: heal every partition, restart crashed servers, settle");
  block_.fill(0);
  for (Node& n : nodes_) n.crash_at_commit.reset();
  flush_blocked(0);
  flush_blocked(1);
  for (Node& n : nodes_)
    if (!n.alive) {
      log(&n, "restart (with storage) for settling");
      boot(n);
    }
}

SimResult World::run() {
  res_.seed = o_.seed;
  boot(nodes_[0]);
  boot(nodes_[1]);
  schedule_faults();
  push(make(t0() + o_.duration_s * NS, Kind::EndActivity));
  const std::int64_t end = t0() + (o_.duration_s + o_.settle_limit_s) * NS;
  std::vector<gen::Datagram>& out = scratch_;
  bool stop = false;
  while (!stop) {
    std::int64_t fleet_t = settling_ ? gen::NEVER : fleet_->next_deadline();
    std::int64_t ev_t = queue_.empty() ? gen::NEVER : queue_.top()->t;
    std::int64_t t = std::min(fleet_t, ev_t);
    if (t == gen::NEVER || t > end) break;
    now_ = std::max(now_, t);
    if (fleet_t <= ev_t) {
      fleet_->on_timer(now_, out);
      client_send(out);
      continue;
    }
    Event* e = queue_.top();
    queue_.pop();
    Node& n = nodes_[e->node];
    switch (e->kind) {
      case Kind::ClientReq:
        client_request(*e);
        break;
      case Kind::ClientRep:
        if (!settling_) {
          fleet_->on_datagram(e->node, e->bytes, now_, out);
          client_send(out);
        }
        break;
      case Kind::PartnerData:
        deliver_partner(*e);
        break;
      case Kind::PartnerReset:
        if (n.alive && n.conn == e->conn) close_side(n, "connection reset by the partner", false);
        break;
      case Kind::Commit:
        if (n.alive && n.gen == e->gen) commit(n);
        break;
      case Kind::Tick:
        if (n.alive && n.gen == e->gen) {
          tick(n);
          Event* next = make(now_ + NS, Kind::Tick, e->node);
          next->gen = n.gen;
          push(next);
          if (settling_ && e->node == 1 && settled()) {
            res_.settled_after_s = (now_ - activity_end_) / NS;
            log(nullptr, "settled in NORMAL; comparing the stores");
            compare_stores();
            stop = true;
          }
        }
        break;
      case Kind::Crash:
        if (!settling_ && n.alive) {
          // Half the crashes strike inside a group commit (store changed, reply not sent).
          if (e->conn == 1 && !n.commit_scheduled) n.crash_at_commit = {{e->a, e->fin}};
          else crash_and_restart(n, e->a, e->fin);
        }
        break;
      case Kind::Restart:
        if (!n.alive) {
          if (e->fin) {
            n.store.wipe();
            n.told.clear();
            ++res_.wipes;
          }
          log(&n, e->fin ? "restart without storage" : "restart with storage");
          boot(n);
        }
        break;
      case Kind::PartitionStart:
        if (!settling_) {
          ++block_[e->a];
          ++res_.partitions;
          log(nullptr, std::string("partition begins: ") + part_name(e->a));
        }
        break;
      case Kind::PartitionEnd:
        if (!settling_ && block_[e->a] > 0) {
          --block_[e->a];
          log(nullptr, std::string("partition ends: ") + part_name(e->a));
          flush_blocked(0);
          flush_blocked(1);
        }
        break;
      case Kind::PartnerDown:
        if (!settling_ && n.alive) {
          auto err = n.ep->partner_down(local(n));
          if (!err) ++res_.partner_downs;
          log(&n, "operator partner-down: " + (err ? "refused: " + *err : std::string("accepted")));
          step_done(n);
        }
        break;
      case Kind::EndActivity:
        end_activity();
        break;
    }
    delete e;
  }
  if (!stop) {
    std::string st;
    for (const Node& n : nodes_)
      st += " " + n.role + "=" + (n.alive ? failover::to_string(n.ep->state()) + "/unacked " +
                                               std::to_string(n.ep->unacked()) + "/queued " +
                                               std::to_string(n.ep->queued())
                                         : std::string("down"));
    fail("settles-in-normal", "the pair did not settle in NORMAL within " +
                                  std::to_string(o_.settle_limit_s) + " s after client activity:" + st);
  }
  pcap_.close();
  res_.exchanges = fleet_->stats().exchanges;
  return std::move(res_);
}

}  // namespace

bool must_answer(std::uint8_t state, bool primary, bool server_id_present, bool server_id_is_this) {
  using S = wire::ServerState;
  if (server_id_present && !server_id_is_this) return false;  // the partner's: discarded
  switch (static_cast<S>(state)) {
    case S::CommunicationsInterrupted:
    case S::PartnerDown:
    case S::ResolutionInterrupted:
    case S::ConflictDone:
      return true;
    case S::Normal:
      return primary || server_id_present;  // the secondary is renew-responsive
    default:
      return false;  // STARTUP, POTENTIAL-CONFLICT, RECOVER, RECOVER-WAIT; RECOVER-DONE may
  }
}

namespace {

/// @return the client DUID and xid of a service-continuity give-up (the checker names one
///         of each), or nullopt.
std::optional<std::pair<std::string, std::uint32_t>> named_transaction(const SimFailure& f) {
  if (f.invariant != "service-continuity" || f.clients.size() != 1 || f.transactions.size() != 1)
    return std::nullopt;
  return std::make_pair(f.clients.front(), f.transactions.front());
}

}  // namespace

std::size_t exempt_by_fault_model(SimResult& r, const TxFates& fates) {
  std::size_t n = 0;
  std::vector<SimFailure> kept;
  for (auto& f : r.failures) {
    auto tx = named_transaction(f);
    auto it = tx ? fates.find(*tx) : fates.end();
    if (it == fates.end() || it->second.owed > 0) {
      kept.push_back(std::move(f));
      continue;
    }
    const TxFate& t = it->second;
    std::string why;
    auto add = [&](std::uint32_t count, const std::string& what) {
      if (count) why += (why.empty() ? "" : "; ") + std::to_string(count) + " " + what;
    };
    add(t.lost, "copies lost by the network");
    add(t.down, "copies reached a crashed server");
    add(t.not_bound, "copies reached a server not bound to answer (" + t.states + ")");
    add(t.reply_crashed, "replies lost when their server crashed before sending them");
    f.detail = "exempt (fault model): " + why + ": " + f.detail;
    r.exempted.push_back(std::move(f));
    ++n;
  }
  r.failures = std::move(kept);
  return n;
}

std::optional<FaultProfile> fault_profile(const std::string& name) {
  FaultProfile f;
  f.name = name;
  if (name == "none") return f;
  if (name == "crash") {
    f.crashes = 2;
    f.wipe_probability = 0.2;
    f.partner_down_probability = 0.3;
    return f;
  }
  if (name == "partition") {
    f.partitions = 2;
    f.partner_down_probability = 0.3;
    return f;
  }
  if (name == "mixed") {
    f.client_loss = 0.02;
    f.client_dup = 0.01;
    f.client_jitter_ms = 20;
    f.partner_jitter_ms = 5;
    f.crashes = 1;
    f.partitions = 1;
    f.wipe_probability = 0.15;
    f.partner_down_probability = 0.25;
    f.max_skew_s = 2;
    return f;
  }
  if (name == "outage") {
    f.client_loss = 0.01;
    f.crashes = 1;
    f.crash_down_min_s = 90;
    f.crash_down_max_s = 240;
    f.wipe_probability = 0.15;
    f.partner_down_probability = 1;
    f.partner_down_delay_max_s = 10;
    f.clients_arrive_throughout = true;
    return f;
  }
  if (name == "outage-cut") {
    f = *fault_profile("outage");
    f.name = name;
    f.cut_over_restart_s = 15;
    return f;
  }
  return std::nullopt;
}

const std::vector<std::string>& fault_profile_names() {
  static const std::vector<std::string> names{"none",  "crash",  "partition",
                                              "mixed", "outage", "outage-cut"};
  return names;
}

std::uint64_t hash_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::uint64_t h = 0xcbf29ce484222325ULL;
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      h ^= static_cast<std::uint8_t>(buf[i]);
      h *= 0x100000001b3ULL;
    }
  }
  return h;
}

SimResult run_simulation(const SimOptions& o) {
  if (o.pcap_path.empty()) throw std::invalid_argument("sim: no pcap path given");
  if (o.clients == 0) throw std::invalid_argument("sim: at least one client is needed");
  SimResult r;
  TxFates fates;
  {
    World w(o);
    r = w.run();
    fates = w.take_fates();
  }
  r.pcap_hash = hash_file(o.pcap_path);
  if (o.run_checker) {
    check::CheckOptions co;
    check::Report rep = check::run_check({o.pcap_path}, co);
    r.packets = rep.stats.frames;
    for (const auto& [name, inv] : rep.invariants) r.checker_checked += inv.checked;
    for (const auto& v : rep.violations)
      r.failures.push_back({v.invariant, v.time_ns, v.detail, v.clients, v.transactions});
    if (rep.violations_total > rep.violations.size())
      r.failures.push_back({"checker", rep.last_ns,
                            std::to_string(rep.violations_total - rep.violations.size()) +
                                " more checker violations not listed",
                            {},
                            {}});
    // Outages the fault model alone explains are reported apart, not as failures.
    exempt_by_fault_model(r, fates);
    if (o.trace)
      for (const auto& e : r.exempted)
        r.trace.push_back(fmt_time(e.time_ns) + " world        EXEMPT " + e.invariant + ": " + e.detail);
  }
  return r;
}

}  // namespace failover6::sim
