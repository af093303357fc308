// The server DUID choice (io::choose_server_duid): configuration, stored, generated, persisted.
#include <boost/test/unit_test.hpp>

#include "io/server_identity.h"

using namespace failover6;
using namespace failover6::io;

namespace {

const wire::Bytes MAC{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
constexpr std::int64_t NOW = DUID_EPOCH + 1000;

config::ServerId server_id(const std::string& type, wire::Bytes identifier = {}) {
  config::ServerId s;
  s.type = type;
  s.identifier = std::move(identifier);
  return s;
}

DuidInputs inputs(std::optional<std::string> stored = std::nullopt, bool persistent = true,
                  std::optional<wire::Bytes> hw = MAC) {
  DuidInputs in;
  in.stored = std::move(stored);
  in.persistent = persistent;
  in.now = NOW;
  in.hardware = std::move(hw);
  in.random_identifier = {9, 8, 7, 6, 5, 4, 3, 2};
  return in;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_identity)

BOOST_AUTO_TEST_CASE(configured_identifiers) {
  auto en = server_id("EN", {0x66, 0x36});
  en.enterprise_id = 2495;
  DuidChoice c = choose_server_duid(en, inputs());
  BOOST_TEST(c.duid == wire::Duid::en(2495, wire::Bytes{0x66, 0x36}));
  BOOST_TEST((c.source == DuidSource::Config));
  BOOST_TEST(!c.store);

  c = choose_server_duid(server_id("LL", MAC), inputs());
  BOOST_TEST(c.duid == wire::Duid::ll(1, MAC));

  auto llt = server_id("LLT", MAC);
  llt.time = 77;
  c = choose_server_duid(llt, inputs());
  BOOST_TEST(c.duid == wire::Duid::llt(1, 77, MAC));
  BOOST_TEST(!c.store);
}

BOOST_AUTO_TEST_CASE(configured_llt_without_time_keeps_its_first_time) {
  auto llt = server_id("LLT", MAC);
  DuidChoice first = choose_server_duid(llt, inputs());
  BOOST_TEST(first.duid == wire::Duid::llt(1, 1000, MAC));
  BOOST_TEST(first.store);
  DuidInputs later = inputs(first.duid.to_string());
  later.now = NOW + 5000;
  DuidChoice second = choose_server_duid(llt, later);
  BOOST_TEST(second.duid == first.duid);
  BOOST_TEST(!second.store);
  // Another link-layer address in the configuration: a new DUID.
  DuidChoice other = choose_server_duid(server_id("LLT", {1, 2, 3, 4, 5, 6}), later);
  BOOST_TEST(other.duid != first.duid);
}

BOOST_AUTO_TEST_CASE(generated_then_stored_then_reused) {
  DuidChoice g = choose_server_duid(server_id("LLT"), inputs());
  BOOST_TEST(g.duid == wire::Duid::llt(1, 1000, MAC));
  BOOST_TEST((g.source == DuidSource::Generated));
  BOOST_TEST(g.store);
  DuidInputs later = inputs(g.duid.to_string(), true, std::nullopt);
  later.now = NOW + 99;
  DuidChoice again = choose_server_duid(server_id("LLT"), later);
  BOOST_TEST(again.duid == g.duid);
  BOOST_TEST((again.source == DuidSource::Stored));
  BOOST_TEST(!again.store);
}

BOOST_AUTO_TEST_CASE(without_hardware_address_an_en_duid) {
  DuidChoice g = choose_server_duid(server_id("LLT"), inputs(std::nullopt, true, std::nullopt));
  BOOST_TEST(g.duid == wire::Duid::en(DEFAULT_ENTERPRISE, wire::Bytes{9, 8, 7, 6, 5, 4, 3, 2}));
  auto en = server_id("EN");
  en.enterprise_id = 4491;
  BOOST_TEST(choose_server_duid(en, inputs()).duid ==
             wire::Duid::en(4491, wire::Bytes{9, 8, 7, 6, 5, 4, 3, 2}));
}

BOOST_AUTO_TEST_CASE(not_stored_without_persistence) {
  BOOST_TEST(!choose_server_duid(server_id("LLT"), inputs(std::nullopt, false)).store);
  auto no_persist = server_id("LLT");
  no_persist.persist = false;
  BOOST_TEST(!choose_server_duid(no_persist, inputs()).store);
}

BOOST_AUTO_TEST_CASE(a_stored_duid_of_another_type_or_garbage_is_replaced) {
  std::string en = wire::Duid::en(1, wire::Bytes{1}).to_string();
  DuidChoice c = choose_server_duid(server_id("LLT"), inputs(en));
  BOOST_TEST(c.duid == wire::Duid::llt(1, 1000, MAC));
  BOOST_TEST(c.store);
  c = choose_server_duid(server_id("LLT"), inputs(std::string("not hex")));
  BOOST_TEST((c.source == DuidSource::Generated));
}

BOOST_AUTO_TEST_SUITE_END()
