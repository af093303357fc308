// Process: spawn, signals (SIGSTOP/SIGCONT/SIGTERM/SIGKILL) on a `sleep` child, run_command.
#include "fault/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace failover6::fault::test {
namespace {

/// The state letter of /proc/PID/stat ('S' sleeping, 'T' stopped, ...).
char proc_state(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(f, line);
  auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() ? '?' : line[close + 2];
}

/// Waits (bounded) until /proc shows @p state for @p pid; the kernel applies SIGSTOP/SIGCONT
/// asynchronously.
bool wait_state(pid_t pid, char state) {
  for (int i = 0; i < 2000; ++i) {
    if (proc_state(pid) == state) return true;
    struct timespec ts{0, 1'000'000};
    nanosleep(&ts, nullptr);
  }
  return false;
}

BOOST_AUTO_TEST_SUITE(process)

BOOST_AUTO_TEST_CASE(kill_reaps_with_sigkill) {
  Process p({{"sleep", "30"}, {}, "", "", ""});
  BOOST_TEST(p.alive());
  BOOST_TEST(!p.returncode());
  p.kill();
  BOOST_TEST(!p.alive());
  BOOST_TEST(*p.returncode() == -SIGKILL);
  p.kill();  // harmless once reaped
  BOOST_TEST(!p.signal(SIGTERM));
}

BOOST_AUTO_TEST_CASE(pause_and_resume_stop_and_continue) {
  Process p({{"sleep", "30"}, {}, "", "", ""});
  p.pause();
  BOOST_TEST(wait_state(p.pid(), 'T'));
  BOOST_TEST(p.alive());  // stopped is alive
  p.resume();
  BOOST_TEST(wait_state(p.pid(), 'S'));
  BOOST_TEST(!p.wait(0.05));  // still running: the timeout ends the wait
}

BOOST_AUTO_TEST_CASE(terminate_a_stopped_child) {
  Process p({{"sleep", "30"}, {}, "", "", ""});
  p.pause();
  BOOST_TEST(wait_state(p.pid(), 'T'));
  BOOST_TEST(p.terminate(5) == -SIGTERM);
}

BOOST_AUTO_TEST_CASE(terminate_escalates_to_sigkill) {
  // The child ignores SIGTERM once the trap is set; it says so on the log first.
  std::string log = "/tmp/unit_fault_term_" + std::to_string(::getpid()) + ".log";
  std::remove(log.c_str());
  Process p({{"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"}, {}, log, "", ""});
  for (int i = 0; i < 5000; ++i) {  // bounded wait for "ready"
    std::ifstream f(log);
    std::string s;
    if (std::getline(f, s) && s == "ready") break;
    struct timespec ts{0, 1'000'000};
    nanosleep(&ts, nullptr);
  }
  BOOST_TEST(p.terminate(0.2) == -SIGKILL);
  std::remove(log.c_str());
}

BOOST_AUTO_TEST_CASE(exit_code_env_cwd_and_log) {
  std::string log = "/tmp/unit_fault_log_" + std::to_string(::getpid()) + ".log";
  std::remove(log.c_str());
  Process p({{"sh", "-c", "echo \"$FAULT_TEST_VAR $(pwd)\"; echo err >&2; exit 7"},
             {{"FAULT_TEST_VAR", "hello"}},
             log,
             "",
             "/tmp"});
  BOOST_TEST(p.wait(10).value_or(-100) == 7);
  std::ifstream f(log);
  std::stringstream ss;
  ss << f.rdbuf();
  BOOST_TEST(ss.str() == "hello /tmp\nerr\n");
  std::remove(log.c_str());
}

BOOST_AUTO_TEST_CASE(errors_name_the_command) {
  BOOST_CHECK_THROW(Process({{}, {}, "", "", ""}), std::invalid_argument);
  try {
    Process p({{"/nonexistent/prog"}, {}, "", "", ""});
    BOOST_FAIL("spawned a missing program");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("/nonexistent/prog") != std::string::npos);
  }
  BOOST_CHECK_THROW(Process({{"true"}, {}, "/nonexistent/dir/x.log", "", ""}), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(destructor_kills_a_live_child) {
  pid_t pid;
  {
    Process p({{"sleep", "30"}, {}, "", "", ""});
    pid = p.pid();
  }
  BOOST_TEST(::kill(pid, 0) == -1);  // reaped: no such process
}

BOOST_AUTO_TEST_CASE(run_command_feeds_stdin_and_collects_output) {
  auto r = run_command({"sh", "-c", "tr a-z A-Z; exit 3"}, "partition\n");
  BOOST_TEST(r.returncode == 3);
  BOOST_TEST(r.output == "PARTITION\n");
  auto t = run_command({"sleep", "30"}, "", 0.1);
  BOOST_TEST(t.returncode == -SIGKILL);
}

BOOST_AUTO_TEST_CASE(child_inherits_no_other_descriptor) {
  // A descriptor of this process without FD_CLOEXEC (as Boost.Asio's sockets are) must not
  // reach the child: a restarted daemon would otherwise hold a proxy's listening socket.
  int fd = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
  BOOST_REQUIRE(fd >= 3);
  auto r = run_command({"sh", "-c", "test -e /proc/self/fd/" + std::to_string(fd) + " && echo leaked || echo clean"});
  Process p({{"sh", "-c", "test -e /proc/self/fd/" + std::to_string(fd) + " && exit 1 || exit 0"}, {}, "", "", ""});
  ::close(fd);
  BOOST_TEST(r.output == "clean\n");
  BOOST_TEST(p.wait(10).value_or(-100) == 0);
}

BOOST_AUTO_TEST_CASE(helpers_left_in_the_group_die_with_the_child) {
  // The child starts a helper in its group and exits; the helper must not outlive it.
  std::string pidfile = "/tmp/unit_fault_helper_" + std::to_string(::getpid());
  std::remove(pidfile.c_str());
  Process p({{"sh", "-c", "sleep 30 & echo $! > " + pidfile + "; exit 0"}, {}, "", "", ""});
  BOOST_TEST(p.wait(10).value_or(-100) == 0);
  std::ifstream f(pidfile);
  pid_t helper = 0;
  f >> helper;
  BOOST_REQUIRE(helper > 0);
  // Killed before the reap; it may stay a zombie of init for a moment.
  bool gone = false;
  for (int i = 0; i < 2000 && !gone; ++i) {
    char st = proc_state(helper);
    gone = st == '?' || st == 'Z' || st == 'X';
    if (!gone) {
      struct timespec ts{0, 1'000'000};
      nanosleep(&ts, nullptr);
    }
  }
  BOOST_TEST(gone);
  if (!gone) ::kill(helper, SIGKILL);
  std::remove(pidfile.c_str());
}

BOOST_AUTO_TEST_CASE(bad_environment_names_are_refused) {
  BOOST_CHECK_THROW(Process({{"true"}, {{"A=B", "1"}}, "", "", ""}), std::invalid_argument);
  BOOST_CHECK_THROW(Process({{"true"}, {{"", "1"}}, "", "", ""}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(run_command_timeout_holds_when_the_output_closes_early) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_command({"sh", "-c", "exec >/dev/null 2>&1; sleep 30"}, "", 0.3);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST(r.returncode == -SIGKILL);
  BOOST_TEST(ms < 5000);
}

BOOST_AUTO_TEST_CASE(run_command_survives_a_child_that_does_not_read) {
  // 4 MiB to a child that exits at once: the write fails (EPIPE) instead of SIGPIPE
  // killing this process.
  auto r = run_command({"sh", "-c", "exec 0<&-; exit 4"}, std::string(4 << 20, 'x'));
  BOOST_TEST(r.returncode == 4);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::fault::test
