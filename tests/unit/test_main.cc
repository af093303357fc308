// The one Boost.Test main shared by every unit-test binary.
#define BOOST_TEST_MODULE failover6
#include <boost/test/unit_test.hpp>
