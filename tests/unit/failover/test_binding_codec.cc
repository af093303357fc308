// RFC 8156 §7.4 / §7.6 binding codec: lease <-> BNDUPD, verdicts <-> BNDREPLY
// (PROTOCOL.md §3.2, invariants 9 and 10).
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "failover/binding_codec.h"
#include "helpers.h"
#include "wire/failover_message.h"

using namespace failover6;
using namespace failover6::failover;
using namespace failover6::failover::testing;
using lease::Lease;
using lease::LeaseKey;
using lease::LeaseType;
using wire::BindingStatus;
using wire::StatusCode;

namespace {

namespace bdata = boost::unit_test::data;

constexpr std::uint32_t w(std::int64_t t) { return to_abs_time(t); }

/// One (lease type, binding status) row of the round-trip table.
struct RoundTrip {
  LeaseType type;
  BindingStatus state;
};
std::ostream& operator<<(std::ostream& os, const RoundTrip& r) {
  return os << lease::to_string(r.type) << " " << name(r.state);
}

std::vector<RoundTrip> every_type_and_status() {
  std::vector<RoundTrip> rows;
  for (LeaseType t : {LeaseType::Na, LeaseType::Ta, LeaseType::Pd})
    for (int s = 1; s <= 8; ++s) rows.push_back({t, static_cast<BindingStatus>(s)});
  return rows;
}

bool has_timeout(const Lease& l) { return l.state_expiration_time != 0; }

/// The one IAADDR/IAPREFIX option list of a one-lease client-form message.
const wire::Options& lease_opts(const wire::FailoverMessage& m) {
  const auto* cd = m.find<wire::ClientData>();
  BOOST_REQUIRE(cd);
  if (const auto* na = wire::find_option<wire::IaNa>(cd->options)) {
    const auto* a = wire::find_option<wire::IaAddress>(na->options);
    BOOST_REQUIRE(a);
    return a->options;
  }
  if (const auto* ta = wire::find_option<wire::IaTa>(cd->options)) {
    const auto* a = wire::find_option<wire::IaAddress>(ta->options);
    BOOST_REQUIRE(a);
    return a->options;
  }
  const auto* pd = wire::find_option<wire::IaPd>(cd->options);
  BOOST_REQUIRE(pd);
  const auto* p = wire::find_option<wire::IaPrefix>(pd->options);
  BOOST_REQUIRE(p);
  return p->options;
}

DecodedBndupd decode_ok(const wire::FailoverMessage& m) {
  auto r = decode_bndupd(m);
  if (const auto* e = std::get_if<BndupdError>(&r))
    BOOST_FAIL("decode_bndupd failed: " << wire::status_name(static_cast<std::uint16_t>(e->status))
                                        << ": " << e->message);
  return std::get<DecodedBndupd>(std::move(r));
}

BndupdError decode_err(const wire::FailoverMessage& m) {
  auto r = decode_bndupd(m);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<BndupdError>(r), "decode_bndupd accepted it");
  return std::get<BndupdError>(r);
}

/// @brief The generic wire codec must reproduce @p m exactly.
void check_wire_round_trip(const wire::FailoverMessage& m) {
  wire::Bytes bytes = wire::encode_failover(m);
  auto back = wire::decode_failover(bytes);
  BOOST_REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().to_string()));
  BOOST_TEST((*back == m), "decode_failover(encode_failover(m)) != m");
}

/// A BNDUPD with one CLIENT_DATA holding @p ia_opts after CLIENTID and LQ_BASE_TIME.
wire::FailoverMessage client_bndupd(wire::Options ia_opts) {
  wire::FailoverMessage m;
  m.type = wire::MessageType::BndUpd;
  m.transaction_id = 0x123456;
  m.sent_time = w(NOW);
  wire::ClientData cd;
  cd.options = {wire::ClientId{duid_a()}, wire::LqBaseTime{w(NOW)}};
  for (auto& o : ia_opts) cd.options.push_back(std::move(o));
  m.options.emplace_back(std::move(cd));
  return m;
}

const wire::Address A1 = wire::Address::from_string("2001:db8::11");
const wire::Address A2 = wire::Address::from_string("2001:db8::12");
const wire::Address P1 = wire::Address::from_string("2001:db8:100::");

/// The hand-built multi-lease BNDUPD: IA_NA 1 {A1 ACTIVE, A2 RELEASED}, IA_PD 2 {P1/56 ACTIVE}.
wire::FailoverMessage multi_lease_bndupd() {
  return client_bndupd({
      wire::IaNa{1, 100, 160,
                 {wire::IaAddress{A1, 200, 300,
                                  {wire::FBindingStatus{1}, wire::FStartTimeOfState{w(NOW - 500)},
                                   wire::FStateExpirationTime{w(NOW + 300)}, wire::CltTime{20},
                                   wire::FPartnerLifetime{w(NOW + 900)}}},
                  wire::IaAddress{A2, 0, 0,
                                  {wire::FBindingStatus{3}, wire::FStartTimeOfState{w(NOW - 10)},
                                   wire::FStateExpirationTime{w(NOW + 60)}, wire::CltTime{10},
                                   wire::FPartnerLifetime{w(NOW + 65)}}}}},
      wire::IaPd{2, 1000, 1600,
                 {wire::IaPrefix{2000, 3000, 56, P1,
                                 {wire::FBindingStatus{1}, wire::FStartTimeOfState{w(NOW - 700)},
                                  wire::FStateExpirationTime{w(NOW + 3000)}, wire::CltTime{30},
                                  wire::FPartnerLifetime{w(NOW + 5000)},
                                  wire::FExpirationTime{w(NOW + 4000)}}}}},
  });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(failover_binding_codec)

BOOST_DATA_TEST_CASE(every_status_and_ia_type_round_trips, bdata::make(every_type_and_status()),
                     row) {
  const Lease l = sample_lease(row.type, row.state);
  const wire::FailoverMessage m = encode_bndupd(l, 0x1234567, NOW);
  BOOST_TEST(m.type == wire::MessageType::BndUpd);
  BOOST_TEST(m.transaction_id == 0x234567U);  // 24 bits
  BOOST_TEST(m.sent_time == w(NOW));
  BOOST_TEST(m.find<wire::ClientData>() != nullptr, "client form expected for " << row);
  check_wire_round_trip(m);

  const DecodedBndupd d = decode_ok(m);
  BOOST_REQUIRE_EQUAL(d.bindings.size(), 1U);
  const IncomingBinding& b = d.bindings[0];
  // What crosses the wire as the lease itself: the §7.3 times travel in the other fields.
  Lease expected = l;
  const bool active = row.state == BindingStatus::Active;
  if (!active) expected.preferred = expected.valid = 0;
  if (row.type == LeaseType::Ta) expected.t1 = expected.t2 = 0;  // IA_TA has no T1/T2
  expected.cltt = expected.expiration_time = expected.partner_lifetime = 0;
  expected.partner_raw_cltt = expected.acked_partner_lifetime = 0;
  FAILOVER6_CHECK_LEASE(b.lease, expected, "lease of " << row);
  BOOST_TEST(!b.top_level_prefix);
  BOOST_TEST(b.cltt == l.cltt, row);
  BOOST_TEST(b.partner_raw_cltt == l.partner_raw_cltt, row);
  BOOST_TEST(b.partner_lifetime == (has_timeout(l) ? l.partner_lifetime : 0), row);
  BOOST_TEST(b.expiration_time == (has_timeout(l) ? l.expiration_time : 0), row);
}

// Invariant 10: mandatory options present, timeout-only options only with a timeout.
BOOST_DATA_TEST_CASE(bndupd_structure_per_status, bdata::make(every_type_and_status()), row) {
  const Lease l = sample_lease(row.type, row.state);
  const wire::FailoverMessage m = encode_bndupd(l, 1, NOW);
  const auto* cd = m.find<wire::ClientData>();
  BOOST_REQUIRE(cd);
  BOOST_TEST(wire::find_option<wire::ClientId>(cd->options)->duid == l.duid);
  BOOST_REQUIRE(wire::find_option<wire::LqBaseTime>(cd->options));
  BOOST_TEST(wire::find_option<wire::LqBaseTime>(cd->options)->value == w(NOW));
  const wire::Options& o = lease_opts(m);
  BOOST_TEST(wire::find_option<wire::FBindingStatus>(o)->value ==
             static_cast<std::uint8_t>(row.state));
  BOOST_TEST(wire::find_option<wire::FStartTimeOfState>(o)->value == w(NOW - 100));
  BOOST_TEST(wire::find_option<wire::CltTime>(o)->value == 50U, row);  // NOW - cltt
  BOOST_TEST(wire::find_option<wire::FPartnerRawCltTime>(o)->value == w(NOW - 60));
  BOOST_TEST(wire::find_option<wire::ClientFqdn>(o)->name == "host.example.com.");
  const bool timed = has_timeout(l);
  BOOST_TEST((wire::find_option<wire::FStateExpirationTime>(o) != nullptr) == timed, row);
  BOOST_TEST((wire::find_option<wire::FPartnerLifetime>(o) != nullptr) == timed, row);
  BOOST_TEST((wire::find_option<wire::FExpirationTime>(o) != nullptr) == timed, row);
  if (timed) {
    BOOST_TEST(wire::find_option<wire::FStateExpirationTime>(o)->value == w(NOW + 3600));
    BOOST_TEST(wire::find_option<wire::FPartnerLifetime>(o)->value == w(NOW + 7200));
    BOOST_TEST(wire::find_option<wire::FExpirationTime>(o)->value == w(NOW + 7000));
  }
}

BOOST_AUTO_TEST_CASE(ia_fields_and_lifetimes) {
  Lease l = sample_lease(LeaseType::Na, BindingStatus::Active);
  auto m = encode_bndupd(l, 1, NOW);
  const auto* na = wire::find_option<wire::IaNa>(m.find<wire::ClientData>()->options);
  BOOST_REQUIRE(na);
  BOOST_TEST(na->iaid == 7U);
  BOOST_TEST(na->t1 == 900U);
  BOOST_TEST(na->t2 == 1440U);
  const auto* a = wire::find_option<wire::IaAddress>(na->options);
  BOOST_TEST(a->address == l.key.address);
  BOOST_TEST(a->preferred == 1800U);
  BOOST_TEST(a->valid == 3600U);

  // Non-ACTIVE states send lifetimes 0.
  l.state = BindingStatus::Expired;
  m = encode_bndupd(l, 1, NOW);
  a = wire::find_option<wire::IaAddress>(
      wire::find_option<wire::IaNa>(m.find<wire::ClientData>()->options)->options);
  BOOST_TEST(a->preferred == 0U);
  BOOST_TEST(a->valid == 0U);

  Lease pd = sample_lease(LeaseType::Pd, BindingStatus::Active);
  m = encode_bndupd(pd, 1, NOW);
  const auto* ia = wire::find_option<wire::IaPd>(m.find<wire::ClientData>()->options);
  BOOST_REQUIRE(ia);
  const auto* p = wire::find_option<wire::IaPrefix>(ia->options);
  BOOST_TEST(p->prefix == pd.key.address);
  BOOST_TEST(p->prefix_length == 56);
  BOOST_TEST(p->valid == 3600U);
}

BOOST_AUTO_TEST_CASE(partner_lifetime_defaults_to_the_lease_end) {
  Lease l = sample_lease(LeaseType::Na, BindingStatus::Active);
  l.partner_lifetime = 0;  // acked, nothing pending: send the lease end
  auto m = encode_bndupd(l, 1, NOW);
  BOOST_TEST(wire::find_option<wire::FPartnerLifetime>(lease_opts(m))->value ==
             w(l.state_expiration_time));
}

BOOST_AUTO_TEST_CASE(unset_times_are_left_out) {
  Lease l = sample_lease(LeaseType::Na, BindingStatus::Active);
  l.cltt = 0;
  l.partner_raw_cltt = 0;
  l.expiration_time = 0;
  l.hostname.clear();
  auto m = encode_bndupd(l, 1, NOW);
  const auto& o = lease_opts(m);
  BOOST_TEST(!wire::find_option<wire::CltTime>(o));
  BOOST_TEST(!wire::find_option<wire::FPartnerRawCltTime>(o));
  BOOST_TEST(!wire::find_option<wire::FExpirationTime>(o));
  BOOST_TEST(!wire::find_option<wire::ClientFqdn>(o));
  auto b = decode_ok(m).bindings.at(0);
  BOOST_TEST(b.cltt == 0);
  BOOST_TEST(b.partner_raw_cltt == 0);
  BOOST_TEST(b.expiration_time == 0);
}

BOOST_DATA_TEST_CASE(top_level_iaprefix_round_trips,
                     bdata::make({BindingStatus::Free, BindingStatus::FreeBackup}), state) {
  Lease l = sample_lease(LeaseType::Pd, state);
  l.duid = {};
  l.iaid = 0;
  l.t1 = l.t2 = 0;
  l.cltt = l.partner_raw_cltt = 0;
  l.hostname.clear();
  const auto m = encode_bndupd(l, 9, NOW);
  BOOST_TEST(!m.find<wire::ClientData>(), name(state));
  const auto* p = m.find<wire::IaPrefix>();
  BOOST_REQUIRE(p);
  BOOST_TEST(p->prefix == l.key.address);
  BOOST_TEST(p->prefix_length == 56);
  BOOST_TEST(wire::find_option<wire::LqBaseTime>(p->options)->value == w(NOW));  // §7.4 MUST
  BOOST_TEST(wire::find_option<wire::FBindingStatus>(p->options)->value ==
             static_cast<std::uint8_t>(state));
  BOOST_TEST(!wire::find_option<wire::FPartnerLifetime>(p->options));
  check_wire_round_trip(m);

  const auto d = decode_ok(m);
  BOOST_REQUIRE_EQUAL(d.bindings.size(), 1U);
  BOOST_TEST(d.bindings[0].top_level_prefix);
  FAILOVER6_CHECK_LEASE(d.bindings[0].lease, l, name(state));
}

BOOST_AUTO_TEST_CASE(hostname_from_dns_removal_info) {
  auto m = encode_bndupd(sample_lease(LeaseType::Na, BindingStatus::Active), 1, NOW);
  auto& cd = std::get<wire::ClientData>(m.options.at(0).value);
  auto& na = std::get<wire::IaNa>(cd.options.at(2).value);
  auto& a = std::get<wire::IaAddress>(na.options.at(0).value);
  std::erase_if(a.options, [](const wire::Option& o) { return o.as<wire::ClientFqdn>(); });
  a.options.emplace_back(wire::FDnsRemovalInfo{{wire::FDnsHostName{"other.example.org."}}});
  BOOST_TEST(decode_ok(m).bindings.at(0).lease.hostname == "other.example.org.");
}

BOOST_AUTO_TEST_CASE(clt_time_counts_back_from_lq_base_time) {
  // LQ_BASE_TIME 100 s before sent-time: CLTT = base - CLT_TIME, not sent-time - CLT_TIME (A9).
  auto m = client_bndupd({wire::IaNa{
      1, 0, 0,
      {wire::IaAddress{A1, 0, 0,
                       {wire::FBindingStatus{2}, wire::FStartTimeOfState{w(NOW - 500)},
                        wire::CltTime{40}}}}}});
  std::get<wire::ClientData>(m.options[0].value).options[1] = wire::LqBaseTime{w(NOW - 100)};
  BOOST_TEST(decode_ok(m).bindings.at(0).cltt == NOW - 140);
  // CLT_TIME at the CLIENT_DATA level (RFC 5007 style) is taken too.
  auto m2 = client_bndupd(
      {wire::CltTime{7},
       wire::IaNa{1, 0, 0,
                  {wire::IaAddress{A1, 0, 0,
                                   {wire::FBindingStatus{2},
                                    wire::FStartTimeOfState{w(NOW - 500)}}}}}});
  BOOST_TEST(decode_ok(m2).bindings.at(0).cltt == NOW - 7);
  // No LQ_BASE_TIME at all: counted back from sent-time.
  std::get<wire::ClientData>(m2.options[0].value).options.erase(
      std::get<wire::ClientData>(m2.options[0].value).options.begin() + 1);
  m2.sent_time = w(NOW - 3);
  BOOST_TEST(decode_ok(m2).bindings.at(0).cltt == NOW - 10);
}

// ---- decode errors --------------------------------------------------------------------------

struct DecodeErrorCase {
  const char* name;
  wire::FailoverMessage message;
  StatusCode status;
  const char* text;
};
std::ostream& operator<<(std::ostream& os, const DecodeErrorCase& c) { return os << c.name; }

std::vector<DecodeErrorCase> decode_error_cases() {
  auto lease_with = [](wire::Options o) {
    return client_bndupd({wire::IaNa{1, 0, 0, {wire::IaAddress{A1, 0, 0, std::move(o)}}}});
  };
  std::vector<DecodeErrorCase> cases;
  wire::FailoverMessage empty;
  empty.type = wire::MessageType::BndUpd;
  empty.options = {wire::LqBaseTime{w(NOW)}};
  cases.push_back({"no CLIENT_DATA and no IAPREFIX", empty, StatusCode::MissingBindingInformation,
                   "BNDUPD carries neither OPTION_CLIENT_DATA nor a top-level OPTION_IAPREFIX"});
  auto no_id = lease_with({wire::FBindingStatus{1}, wire::FStartTimeOfState{w(NOW)}});
  auto& cd = std::get<wire::ClientData>(no_id.options[0].value);
  cd.options.erase(cd.options.begin());
  cases.push_back({"CLIENT_DATA without CLIENTID", no_id, StatusCode::MissingBindingInformation,
                   "OPTION_CLIENT_DATA has no OPTION_CLIENTID"});
  cases.push_back({"IAADDR without BINDING_STATUS",
                   lease_with({wire::FStartTimeOfState{w(NOW)}}),
                   StatusCode::MissingBindingInformation,
                   "IA_NA 2001:db8::11 (IAID 1) has no OPTION_F_BINDING_STATUS"});
  cases.push_back({"IAADDR without START_TIME_OF_STATE", lease_with({wire::FBindingStatus{1}}),
                   StatusCode::MissingBindingInformation,
                   "IA_NA 2001:db8::11 (IAID 1) has no OPTION_F_START_TIME_OF_STATE"});
  cases.push_back({"binding status 9",
                   lease_with({wire::FBindingStatus{9}, wire::FStartTimeOfState{w(NOW)}}),
                   StatusCode::MissingBindingInformation,
                   "IA_NA 2001:db8::11 (IAID 1): binding status 9 is not defined (1..8)"});
  cases.push_back({"binding status 0",
                   lease_with({wire::FBindingStatus{0}, wire::FStartTimeOfState{w(NOW)}}),
                   StatusCode::MissingBindingInformation,
                   "IA_NA 2001:db8::11 (IAID 1): binding status 0 is not defined (1..8)"});
  wire::FailoverMessage top;
  top.type = wire::MessageType::BndUpd;
  top.options = {wire::IaPrefix{0, 0, 56, P1, {wire::FStartTimeOfState{w(NOW)}}}};
  cases.push_back({"top-level IAPREFIX without BINDING_STATUS", top,
                   StatusCode::MissingBindingInformation,
                   "top-level IAPREFIX 2001:db8:100::/56 has no OPTION_F_BINDING_STATUS"});
  cases.push_back({"CLIENT_DATA without any lease", client_bndupd({wire::IaNa{1, 0, 0, {}}}),
                   StatusCode::MissingBindingInformation,
                   "BNDUPD describes no IAADDR or IAPREFIX"});
  auto second_bad = multi_lease_bndupd();
  auto& ia_pd = std::get<wire::IaPd>(std::get<wire::ClientData>(second_bad.options[0].value)
                                         .options.back().value);
  std::get<wire::IaPrefix>(ia_pd.options[0].value).options.erase(
      std::get<wire::IaPrefix>(ia_pd.options[0].value).options.begin());
  cases.push_back({"third lease without BINDING_STATUS", second_bad,
                   StatusCode::MissingBindingInformation,
                   "IA_PD 2001:db8:100::/56 (IAID 2) has no OPTION_F_BINDING_STATUS"});
  auto not_bndupd = multi_lease_bndupd();
  not_bndupd.type = wire::MessageType::BndReply;
  cases.push_back({"a BNDREPLY", not_bndupd, StatusCode::UnspecFail, "not a BNDUPD but BNDREPLY"});
  return cases;
}

BOOST_DATA_TEST_CASE(decode_errors_name_what_is_missing, bdata::make(decode_error_cases()), c) {
  const BndupdError e = decode_err(c.message);
  BOOST_TEST(wire::status_name(static_cast<std::uint16_t>(e.status)) ==
             wire::status_name(static_cast<std::uint16_t>(c.status)));
  BOOST_TEST(e.message == c.text);
}

// ---- several leases in one BNDUPD, and the BNDREPLY -----------------------------------------

BOOST_AUTO_TEST_CASE(multi_lease_bndupd_decodes_to_three_bindings) {
  const auto m = multi_lease_bndupd();
  check_wire_round_trip(m);
  const auto d = decode_ok(m);
  BOOST_REQUIRE_EQUAL(d.bindings.size(), 3U);
  const auto& b0 = d.bindings[0];
  BOOST_TEST(b0.lease.key.to_string() == "IA_NA 2001:db8::11");
  BOOST_TEST(b0.lease.iaid == 1U);
  BOOST_TEST(b0.lease.t1 == 100U);
  BOOST_TEST(b0.lease.t2 == 160U);
  BOOST_TEST(b0.lease.preferred == 200U);
  BOOST_TEST(b0.lease.valid == 300U);
  BOOST_TEST(name(b0.lease.state) == "ACTIVE");
  BOOST_TEST(b0.lease.start_time_of_state == NOW - 500);
  BOOST_TEST(b0.lease.state_expiration_time == NOW + 300);
  BOOST_TEST(b0.cltt == NOW - 20);
  BOOST_TEST(b0.partner_lifetime == NOW + 900);
  BOOST_TEST(b0.lease.duid == duid_a());
  const auto& b1 = d.bindings[1];
  BOOST_TEST(b1.lease.key.to_string() == "IA_NA 2001:db8::12");
  BOOST_TEST(name(b1.lease.state) == "RELEASED");
  BOOST_TEST(b1.lease.iaid == 1U);
  BOOST_TEST(b1.cltt == NOW - 10);
  const auto& b2 = d.bindings[2];
  BOOST_TEST(b2.lease.key.to_string() == "IA_PD 2001:db8:100::/56");
  BOOST_TEST(b2.lease.iaid == 2U);
  BOOST_TEST(b2.lease.t1 == 1000U);
  BOOST_TEST(b2.expiration_time == NOW + 4000);
  BOOST_TEST(b2.partner_lifetime == NOW + 5000);
  BOOST_TEST(!b2.top_level_prefix);
}

BOOST_AUTO_TEST_CASE(bndreply_mirrors_the_bndupd_with_per_lease_status) {
  const auto m = multi_lease_bndupd();
  const auto d = decode_ok(m);
  std::vector<LeaseVerdict> v = {
      {d.bindings[0].lease.key, StatusCode::Success, ""},
      {d.bindings[1].lease.key, StatusCode::OutdatedBindingInformation, "local data is newer"},
      {d.bindings[2].lease.key, StatusCode::Success, ""},
  };
  const auto r = encode_bndreply(m, v, std::nullopt, NOW + 1);
  check_wire_round_trip(r);
  BOOST_TEST(r.type == wire::MessageType::BndReply);
  BOOST_TEST(r.transaction_id == m.transaction_id);
  BOOST_TEST(r.sent_time == w(NOW + 1));
  BOOST_TEST(!r.find<wire::StatusCodeOption>());
  BOOST_REQUIRE_EQUAL(r.options.size(), 1U);  // exactly one CLIENT_DATA, like the BNDUPD
  const auto* cd = r.find<wire::ClientData>();
  BOOST_REQUIRE(cd);
  BOOST_TEST(wire::find_option<wire::ClientId>(cd->options)->duid == duid_a());
  const auto* na = wire::find_option<wire::IaNa>(cd->options);
  BOOST_REQUIRE(na);
  BOOST_TEST(na->iaid == 1U);
  BOOST_TEST(na->t1 == 100U);
  const auto addrs = wire::find_options<wire::IaAddress>(na->options);
  BOOST_REQUIRE_EQUAL(addrs.size(), 2U);
  // Accepted: no status, BINDING_STATUS + STATE_EXPIRATION_TIME as received, the exact echo.
  BOOST_TEST(addrs[0]->address == A1);
  BOOST_TEST(!wire::find_option<wire::StatusCodeOption>(addrs[0]->options));
  BOOST_TEST(wire::find_option<wire::FBindingStatus>(addrs[0]->options)->value == 1);
  BOOST_TEST(wire::find_option<wire::FStateExpirationTime>(addrs[0]->options)->value ==
             w(NOW + 300));
  BOOST_TEST(wire::find_option<wire::FPartnerLifetimeSent>(addrs[0]->options)->value ==
             w(NOW + 900));
  // Rejected: status with its text, no PARTNER_LIFETIME_SENT.
  BOOST_TEST(addrs[1]->address == A2);
  const auto* st = wire::find_option<wire::StatusCodeOption>(addrs[1]->options);
  BOOST_REQUIRE(st);
  BOOST_TEST(st->status == 19);
  BOOST_TEST(st->message == "local data is newer");
  BOOST_TEST(!wire::find_option<wire::FPartnerLifetimeSent>(addrs[1]->options));
  BOOST_TEST(wire::find_option<wire::FBindingStatus>(addrs[1]->options)->value == 3);
  const auto* pd = wire::find_option<wire::IaPd>(cd->options);
  BOOST_REQUIRE(pd);
  BOOST_TEST(pd->iaid == 2U);
  const auto* p = wire::find_option<wire::IaPrefix>(pd->options);
  BOOST_REQUIRE(p);
  BOOST_TEST(p->prefix_length == 56);
  BOOST_TEST(wire::find_option<wire::FPartnerLifetimeSent>(p->options)->value == w(NOW + 5000));

  // And the sender reads it back.
  const auto out = decode_bndreply(r);
  BOOST_REQUIRE_EQUAL(out.size(), 3U);
  BOOST_TEST(out[0].key.to_string() == "IA_NA 2001:db8::11");
  BOOST_TEST(out[0].status == StatusCode::Success);
  BOOST_TEST(out[0].partner_lifetime_sent == NOW + 900);
  BOOST_TEST(out[1].key.to_string() == "IA_NA 2001:db8::12");
  BOOST_TEST(out[1].status == StatusCode::OutdatedBindingInformation);
  BOOST_TEST(out[1].partner_lifetime_sent == 0);
  BOOST_TEST(out[2].key.to_string() == "IA_PD 2001:db8:100::/56");
  BOOST_TEST(out[2].status == StatusCode::Success);
  BOOST_TEST(out[2].partner_lifetime_sent == NOW + 5000);
  BOOST_TEST(bndreply_status(r).status == 0);
}

BOOST_AUTO_TEST_CASE(bndreply_verdicts_match_by_key_and_missing_ones_reject) {
  const auto m = multi_lease_bndupd();
  const auto d = decode_ok(m);
  // Out of order, and no verdict for the prefix.
  std::vector<LeaseVerdict> v = {
      {d.bindings[1].lease.key, StatusCode::AddressInUse, "bound to another client"},
      {d.bindings[0].lease.key, StatusCode::Success, "accepted with a note"},
  };
  const auto out = decode_bndreply(encode_bndreply(m, v, std::nullopt, NOW));
  BOOST_REQUIRE_EQUAL(out.size(), 3U);
  BOOST_TEST(out[0].status == StatusCode::Success);
  BOOST_TEST(out[0].partner_lifetime_sent == NOW + 900);
  BOOST_TEST(out[1].status == StatusCode::AddressInUse);
  BOOST_TEST(out[2].status == StatusCode::UnspecFail);
  BOOST_TEST(out[2].partner_lifetime_sent == 0);
}

BOOST_AUTO_TEST_CASE(whole_rejection_is_a_top_level_status_inherited_by_every_lease) {
  const auto m = multi_lease_bndupd();
  const auto r = encode_bndreply(
      m, {}, BndupdError{StatusCode::MissingBindingInformation, "no LQ_BASE_TIME"}, NOW);
  check_wire_round_trip(r);
  BOOST_REQUIRE(r.find<wire::StatusCodeOption>());
  BOOST_TEST(bndreply_status(r).status == 18);
  BOOST_TEST(bndreply_status(r).message == "no LQ_BASE_TIME");
  BOOST_TEST(r.find<wire::ClientData>() != nullptr);  // same top-level form (invariant 9)
  const auto out = decode_bndreply(r);
  BOOST_REQUIRE_EQUAL(out.size(), 3U);
  for (const auto& o : out) {
    BOOST_TEST_CONTEXT(o.key.to_string()) {
      BOOST_TEST(o.status == StatusCode::MissingBindingInformation);
      BOOST_TEST(o.partner_lifetime_sent == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(decode_bndreply_inherits_outer_statuses) {
  // Hand-built: top-level OutdatedBindingInformation; IA_NA 1 with its own AddressInUse; the
  // first IAADDR says Success itself, the second inherits the IA's; the IA_PD inherits the top.
  wire::FailoverMessage r;
  r.type = wire::MessageType::BndReply;
  auto sc = [](StatusCode c) {
    return wire::StatusCodeOption{static_cast<std::uint16_t>(c), ""};
  };
  r.options = {
      sc(StatusCode::OutdatedBindingInformation),
      wire::ClientData{{
          wire::ClientId{duid_a()},
          wire::IaNa{1, 0, 0,
                     {sc(StatusCode::AddressInUse),
                      wire::IaAddress{A1, 0, 0,
                                      {sc(StatusCode::Success),
                                       wire::FPartnerLifetimeSent{w(NOW + 9)}}},
                      wire::IaAddress{A2, 0, 0, {}}}},
          wire::IaPd{2, 0, 0, {wire::IaPrefix{0, 0, 56, P1, {}}}},
      }}};
  const auto out = decode_bndreply(r);
  BOOST_REQUIRE_EQUAL(out.size(), 3U);
  BOOST_TEST(out[0].status == StatusCode::Success);
  BOOST_TEST(out[0].partner_lifetime_sent == NOW + 9);
  BOOST_TEST(out[1].status == StatusCode::AddressInUse);
  BOOST_TEST(out[2].status == StatusCode::OutdatedBindingInformation);
  // A top-level IAPREFIX reply with no status of its own also inherits the top level.
  wire::FailoverMessage r2;
  r2.type = wire::MessageType::BndReply;
  r2.options = {sc(StatusCode::ConfigurationConflict), wire::IaPrefix{0, 0, 56, P1, {}}};
  const auto out2 = decode_bndreply(r2);
  BOOST_REQUIRE_EQUAL(out2.size(), 1U);
  BOOST_TEST(out2[0].key.to_string() == "IA_PD 2001:db8:100::/56");
  BOOST_TEST(out2[0].status == StatusCode::ConfigurationConflict);
}

BOOST_AUTO_TEST_CASE(top_level_prefix_bndreply_keeps_the_prefix_form) {
  Lease l = sample_lease(LeaseType::Pd, BindingStatus::FreeBackup);
  l.duid = {};
  const auto m = encode_bndupd(l, 77, NOW);
  const auto d = decode_ok(m);
  const auto r =
      encode_bndreply(m, {{d.bindings[0].lease.key, StatusCode::Success, ""}}, std::nullopt, NOW);
  check_wire_round_trip(r);
  BOOST_TEST(r.transaction_id == 77U);
  BOOST_TEST(!r.find<wire::ClientData>());
  const auto* p = r.find<wire::IaPrefix>();
  BOOST_REQUIRE(p);
  BOOST_TEST(p->prefix == l.key.address);
  BOOST_TEST(wire::find_option<wire::FBindingStatus>(p->options)->value == 6);
  BOOST_TEST(!wire::find_option<wire::FPartnerLifetimeSent>(p->options));  // none was sent
  const auto out = decode_bndreply(r);
  BOOST_REQUIRE_EQUAL(out.size(), 1U);
  BOOST_TEST(out[0].status == StatusCode::Success);
}

BOOST_AUTO_TEST_CASE(wire_time_helpers) {
  BOOST_TEST(to_abs_time(0) == 0U);
  BOOST_TEST(to_abs_time(wire::FAILOVER_EPOCH_UNIX) == 0U);
  BOOST_TEST(to_abs_time(NOW) == wire::to_failover_time(NOW));
  BOOST_TEST(from_abs_time(0) == 0);
  BOOST_TEST(from_abs_time(to_abs_time(NOW)) == NOW);
}

BOOST_AUTO_TEST_SUITE_END()
