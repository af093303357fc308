// io::ReconnectBackoff as a table (STYLE.md rule 3): each row is a sequence of outcomes and the
// delays the policy must answer, with the default schedule 1 s doubling to 30 s.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "io/partner_link.h"
#include "io/reconnect_backoff.h"

using failover6::io::ReconnectBackoff;
using ms = std::chrono::milliseconds;

namespace {

/// One outcome fed to the policy.
enum class Event { Failure, Rejection, UpShort, UpLong };

struct Row {
  std::string name;
  std::vector<Event> events;
  std::vector<long> delays_ms;  ///< expected answer per event
};

std::ostream& operator<<(std::ostream& os, const Row& r) { return os << r.name; }

const std::vector<Row> ROWS = {
    {"failures double from 1 s", {Event::Failure, Event::Failure, Event::Failure, Event::Failure},
     {1000, 2000, 4000, 8000}},
    {"failures cap at 30 s",
     {Event::Failure, Event::Failure, Event::Failure, Event::Failure, Event::Failure,
      Event::Failure, Event::Failure},
     {1000, 2000, 4000, 8000, 16000, 30000, 30000}},
    {"a rejection waits the maximum", {Event::Rejection}, {30000}},
    {"failures after a rejection stay at the maximum",
     {Event::Failure, Event::Rejection, Event::Failure}, {1000, 30000, 30000}},
    {"a stable connection resets the schedule",
     {Event::Failure, Event::Failure, Event::Failure, Event::UpLong, Event::Failure},
     {1000, 2000, 4000, 1000, 2000}},
    {"a connection dropped at once counts as a failure",
     {Event::Failure, Event::UpShort, Event::UpShort}, {1000, 2000, 4000}},
    {"a stable connection resets even after a rejection", {Event::Rejection, Event::UpLong},
     {30000, 1000}},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(reconnect_backoff)

BOOST_DATA_TEST_CASE(schedule, boost::unit_test::data::make(ROWS), row) {
  ReconnectBackoff b;  // defaults: 1 s, 30 s, stable after 30 s
  BOOST_TEST_REQUIRE(row.events.size() == row.delays_ms.size());
  for (std::size_t i = 0; i < row.events.size(); ++i) {
    ms d{};
    switch (row.events[i]) {
      case Event::Failure: d = b.after_failure(); break;
      case Event::Rejection: d = b.after_rejection(); break;
      case Event::UpShort: d = b.after_disconnect(ms(500)); break;
      case Event::UpLong: d = b.after_disconnect(ms(30000)); break;
    }
    BOOST_TEST_CONTEXT("event " << i) { BOOST_TEST(d.count() == row.delays_ms[i]); }
  }
}

BOOST_AUTO_TEST_CASE(reset_and_counters) {
  ReconnectBackoff b({ms(10), ms(40), ms(100)});
  BOOST_TEST(b.after_failure().count() == 10);
  BOOST_TEST(b.after_failure().count() == 20);
  BOOST_TEST(b.failures() == 2U);
  BOOST_TEST(b.next_delay().count() == 40);
  b.reset();
  BOOST_TEST(b.failures() == 0U);
  BOOST_TEST(b.after_failure().count() == 10);
}

BOOST_AUTO_TEST_CASE(parameters_are_sanitised) {
  ReconnectBackoff b({ms(0), ms(0), ms(0)});  // nonsense: at least 1 ms, max >= initial
  BOOST_TEST(b.after_failure().count() == 1);
  BOOST_TEST(b.after_failure().count() == 1);
  BOOST_TEST(b.params().max.count() == 1);
}

BOOST_AUTO_TEST_CASE(the_primary_reaches_a_restarting_partner_within_its_startup_time) {
  // PartnerLink's schedule (A10): failed attempts back off to one second less than the
  // STARTUP timer, so a partner that restarts with the same configuration hears from us
  // before that timer sends it back to its previous state; rejections still wait 30 s.
  failover6::config::Relationship rel;
  rel.startup_time = 5;
  ReconnectBackoff b(failover6::io::reconnect_schedule(rel, {}));
  std::vector<long> got;
  for (int i = 0; i < 6; ++i) got.push_back(static_cast<long>(b.after_failure().count()));
  BOOST_TEST(got == (std::vector<long>{1000, 2000, 4000, 4000, 4000, 4000}),
             boost::test_tools::per_element());
  BOOST_TEST(b.after_rejection().count() == 30000);
  rel.startup_time = 60;  // a long STARTUP timer: the 30 s ceiling holds
  BOOST_TEST(failover6::io::reconnect_schedule(rel, {}).max.count() == 30000);
  rel.startup_time = 0;  // no STARTUP wait at all: the default schedule
  BOOST_TEST(failover6::io::reconnect_schedule(rel, {}).max.count() == 30000);
  rel.startup_time = 1;  // never below the first delay
  BOOST_TEST(failover6::io::reconnect_schedule(rel, {}).max.count() == 1000);
}

BOOST_AUTO_TEST_CASE(rejection_delay_can_differ_from_the_ceiling) {
  ReconnectBackoff b({ms(10), ms(40), ms(100), ms(500)});
  BOOST_TEST(b.after_rejection().count() == 500);
  BOOST_TEST(b.after_failure().count() == 40);  // the schedule stays at its ceiling
}

BOOST_AUTO_TEST_SUITE_END()
