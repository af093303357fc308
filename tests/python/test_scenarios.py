"""The scenarios of scenarios/, run as `failover6 run NAME --quick` end to end.

Every scenario runs test-sized against a bundled failover6d pair on loopback and must pass
(exit 0: every invariant held, every expectation met) and leave report.json, report.html,
junit.xml and its captures in --out, with the faults it injected named in the report. The
hot-standby and partition scenarios also run against a Kea 2.2 HA pair in network namespaces
(root, Kea installed; skipped otherwise): there only the run's completion and a verdict in
report.json are asserted, whatever the verdict is (RFC 7031 judges Kea, not this suite).

ctest runs this file as its own entry (pytest_scenarios), in parallel with the other suites.
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("FAILOVER6_BUILD_DIR", CHECKOUT / "build"))
if not BUILD.is_absolute():
    BUILD = CHECKOUT / BUILD
CLI = BUILD / "bin" / "failover6"
DAEMON = Path(os.environ.get("FAILOVER6_DAEMON", BUILD / "bin" / "failover6d"))
SCENARIOS = CHECKOUT / "scenarios"
PLUGINS = Path(__file__).resolve().parent / "plugins"

#: Bound on one quick scenario (they take 10 to 45 s).
QUICK_TIMEOUT_S = 150
#: Bound on one Kea run (HA start-up and its own failure detection take longer).
KEA_TIMEOUT_S = 240

#: The lab events each quick scenario must have recorded (the faults it injected).
FAULTS = {
    "hot-standby": {"kill", "partner-down"},
    "partition": {"partition", "heal"},
    "geo-delay": {"delay", "kill", "partner-down"},
    "m-to-1": {"kill", "partner-down"},
    "long-lived": {"pause", "resume", "partition", "heal"},
    "partial-loss": {"block-clients", "stop", "partner-down"},
    "prefix-delegation": {"kill", "partner-down"},
    "lazy-update-latency": {"delay"},
    "storage-loss": {"kill", "wipe-storage", "restart"},
}

pytestmark = pytest.mark.skipif(not CLI.exists() or not DAEMON.exists(),
                                reason=f"{CLI} or {DAEMON} not built")


def run_scenario(name: str, out: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """`failover6 run NAME --out OUT ARGS`, output captured; fails the test on a timeout."""
    env = dict(os.environ, FAILOVER6_SCENARIOS=str(SCENARIOS))
    try:
        return subprocess.run([str(CLI), "run", name, "--out", str(out), *args], env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        # TimeoutExpired holds bytes even with text=True
        text = [x.decode(errors="replace") if isinstance(x, bytes) else (x or "")
                for x in (e.stdout, e.stderr)]
        pytest.fail(f"{name} did not end within {timeout} s:\n{text[0]}\n{text[1]}")


def test_every_scenario_is_listed() -> None:
    r = subprocess.run([str(CLI), "run", "--list"], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, FAILOVER6_SCENARIOS=str(SCENARIOS)))
    assert r.returncode == 0, r.stderr
    for name in FAULTS:
        assert f"  {name} " in r.stdout, r.stdout


def test_unknown_scenario_lists_the_known_ones(tmp_path: Path) -> None:
    r = run_scenario("no-such-scenario", tmp_path, timeout=30)
    assert r.returncode == 2
    assert "unknown scenario 'no-such-scenario'" in r.stderr
    assert "hot-standby" in r.stderr


def test_unknown_tunable_is_a_usage_error(tmp_path: Path) -> None:
    r = run_scenario("partition", tmp_path, "--set", "no_such_tunable=1", timeout=30)
    assert r.returncode == 2
    assert "unknown tunable 'no_such_tunable'" in r.stderr


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_quick_scenario_passes_against_bundled(name: str, tmp_path: Path) -> None:
    out = tmp_path / name
    r = run_scenario(name, out, "--quick", timeout=QUICK_TIMEOUT_S)
    log = f"stdout:\n{r.stdout[-6000:]}\nstderr:\n{r.stderr[-3000:]}"
    assert r.returncode == 0, log
    assert f"{name}: PASS" in r.stdout, log
    assert f"report {out / 'report.html'}" in r.stdout, log
    for f in ("report.json", "report.html", "junit.xml"):
        assert (out / f).is_file(), f"{f} missing\n{log}"
    report = json.loads((out / "report.json").read_text())
    assert report["scenario"] == name and report["target"] == "bundled"
    assert report["verdict"] == "pass" and report["check_verdict"] == "pass"
    assert report["quick"] is True and report["tunables"]
    assert report["invariants"] and not report["violations"]
    assert all(e["ok"] is not False for e in report["expectations"])
    assert report["fleets"] and all(f.get("clients_bound", 0) > 0 for f in report["fleets"])
    pcaps = sorted(out.glob("*.pcap"))
    assert pcaps, log
    assert {Path(p).name for p in report["pcaps"]} == {p.name for p in pcaps}
    assert any(p.name.startswith("partner-") for p in pcaps), "no partner-link capture"
    events = {e["what"] for e in report["events"]}
    assert FAULTS[name] <= events, f"faults {FAULTS[name] - events} not in {sorted(events)}"
    page = (out / "report.html").read_text()
    assert "PASS" in page and "<svg" in page
    for what in FAULTS[name]:
        assert f">{what}" in page, f"fault {what} not on the HTML timeline"
    suite = ET.parse(out / "junit.xml").getroot()
    cases = suite.findall(".//testcase")
    assert {c.get("name") for c in cases} >= set(report["invariants"])
    assert all(c.get("classname") == f"failover6.scenario.{name}" for c in cases)
    assert suite.get("failures") == "0"


def test_partition_that_splits_the_clients_passes_against_bundled(tmp_path: Path) -> None:
    """RFC 7031 §5.1.2 with split clients: during the partition one fleet reaches only the
    primary and one only the secondary; each side allocates from its own share, so no
    invariant breaks (about 20 s)."""
    out = tmp_path / "split"
    r = run_scenario("partition", out, "--quick", "--set", "split_clients=true",
                     timeout=QUICK_TIMEOUT_S)
    log = f"stdout:\n{r.stdout[-6000:]}\nstderr:\n{r.stderr[-3000:]}"
    assert r.returncode == 0, log
    report = json.loads((out / "report.json").read_text())
    assert report["verdict"] == "pass" and report["check_verdict"] == "pass", log
    assert report["tunables"]["split_clients"] is True
    assert report["invariants"]["no-duplicate-assignment"]["violations"] == 0
    # the base fleet, the late one, and one fleet per side, every one bound
    assert len(report["fleets"]) == 4 and all(f.get("clients_bound", 0) > 0 for f in report["fleets"])
    met = {e["name"] for e in report["expectations"] if e["ok"]}
    for side in ("primary", "secondary"):
        assert f"{side}-only clients bound during the partition" in met, log
        assert f"{side}-only clients kept their leases" in met, log


def test_set_values_take_the_type_of_the_default() -> None:
    from failover6.scenario import parse_tunable
    assert parse_tunable("12", 4) == 12 and isinstance(parse_tunable("12", 4), int)
    assert parse_tunable("0.5", 1.0) == 0.5
    assert parse_tunable("off", True) is False and parse_tunable("yes", False) is True
    assert parse_tunable("reset", "blackhole") == "reset"
    for text, default in (("x", 1), ("1.5", 1), ("maybe", True), ("nan", 1.0)):
        with pytest.raises(ValueError):
            parse_tunable(text, default)


def test_hot_standby_over_tls_passes_and_says_what_it_could_not_see(tmp_path: Path) -> None:
    """--tls: the bundled partners talk over STARTTLS and TLS 1.3. The client invariants hold;
    mclt-bound has nothing visible to judge (the partner's acks are inside TLS) and says so
    instead of passing or failing (about 12 s)."""
    out = tmp_path / "tls"
    r = run_scenario("hot-standby", out, "--quick", "--tls", timeout=QUICK_TIMEOUT_S)
    log = f"stdout:\n{r.stdout[-6000:]}\nstderr:\n{r.stderr[-3000:]}"
    assert r.returncode == 0, log
    report = json.loads((out / "report.json").read_text())
    assert report["tls"] is True and report["verdict"] == "pass", log
    assert report["stats"]["tls_streams"] >= 2, report["stats"]
    mclt = report["invariants"]["mclt-bound"]
    assert not mclt["applicable"] and "TLS" in mclt["note"], mclt
    assert report["invariants"]["no-duplicate-assignment"]["checked"] > 0
    r = run_scenario("hot-standby", tmp_path / "kea", "--target", "kea", "--tls", timeout=30)
    assert r.returncode == 2 and "--tls applies to the bundled target" in r.stderr, r.stderr


def test_bad_command_lines_exit_2_before_any_lab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from failover6.scenario import main

    def never(sc: object) -> None:
        raise AssertionError("the scenario must not run")

    defaults = {"clients": 10, "relays": 4, "outage": 1.0}
    out = ["--out", str(tmp_path)]
    assert main(never, defaults, "doc", argv=[*out, "--set", "outage"], name="t") == 2
    assert main(never, defaults, "doc", argv=[*out, "--set", "outage=soon"], name="t") == 2
    assert main(never, defaults, "doc", argv=[*out, "--clients", "0"], name="t") == 2
    assert main(never, defaults, "doc", argv=[*out, "--bogus"], name="t") == 2
    err = capsys.readouterr().err
    assert "is not KEY=VALUE" in err and "--set outage" in err and "clients must be" in err
    assert not (tmp_path / "report.json").exists()


def test_reports_of_groups_merge_into_one_verdict() -> None:
    from failover6.scenario import merge_reports

    def part(violations: int, first: str, last: str) -> dict:
        return {"exit_code": int(violations > 0), "files": [f"{first}.pcap"],
                "invariants": {"no-duplicate-assignment": {"checked": 10, "violations": violations,
                                                           "applicable": True}},
                "violations": [{"invariant": "no-duplicate-assignment", "time_unix": 2.0,
                                "detail": "x"}] * violations,
                "violations_total": violations, "stats": {"frames": 5},
                "servers": [{"name": "server A", "states": []}],
                "capture": {"first": first, "last": last}}

    m = merge_reports([("rel-1", part(0, "2026-01-01T00:00:01.000000Z", "2026-01-01T00:00:05.000000Z")),
                       ("rel-2", part(2, "2026-01-01T00:00:02.000000Z", "2026-01-01T00:00:09.000000Z"))])
    assert m["verdict"] == "fail" and m["exit_code"] == 1 and m["violations_total"] == 2
    assert m["invariants"]["no-duplicate-assignment"] == {"checked": 20, "violations": 2,
                                                          "applicable": True}
    assert m["stats"]["frames"] == 10 and len(m["files"]) == 2
    assert [s["name"] for s in m["servers"]] == ["rel-1: server A", "rel-2: server A"]
    assert m["violations"][0]["detail"] == "[rel-2] x"
    assert m["capture"]["seconds"] == 8.0
    assert [g["verdict"] for g in m["check_groups"]] == ["pass", "fail"]


def test_a_plugin_target_runs_a_scenario(tmp_path: Path) -> None:
    """--plugin FILE registers a vendor target that --target then names (run forwards both)."""
    out = tmp_path / "alias"
    r = run_scenario("hot-standby", out, "--quick", "--plugin", str(PLUGINS / "alias_vendor.py"),
                     "--target", "alias", timeout=QUICK_TIMEOUT_S)
    log = f"stdout:\n{r.stdout[-6000:]}\nstderr:\n{r.stderr[-3000:]}"
    assert r.returncode == 0, log
    report = json.loads((out / "report.json").read_text())
    assert report["target"] == "alias" and report["verdict"] == "pass", log
    assert {"pair", "kill"} <= {e["what"] for e in report["events"]}
    assert any(e["what"] == "pair" and e.get("target") == "alias" for e in report["events"])
    # Not the bundled target: the failover states are observed, not judged.
    assert any(e["ok"] is None and "PARTNER-DOWN" in e["name"] for e in report["expectations"])


def test_broken_plugins_exit_2_naming_the_plugin_and_the_cause(tmp_path: Path) -> None:
    broken = PLUGINS / "broken_vendor.py"
    r = run_scenario("hot-standby", tmp_path / "b", "--quick", "--plugin", str(broken),
                     "--target", "alias", timeout=30)
    assert r.returncode == 2, r.stderr
    assert f"plugin {broken} failed to load: RuntimeError: the broken vendor's licence" in r.stderr
    assert "broken_vendor.py:3" in r.stderr
    env = dict(os.environ, FAILOVER6_SCENARIOS=str(SCENARIOS),
               FAILOVER6_PLUGINS="no_such_vendor_module_xyz")
    r = subprocess.run([str(CLI), "run", "hot-standby", "--out", str(tmp_path / "m")], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r.stderr
    assert ("plugin no_such_vendor_module_xyz failed to load: ModuleNotFoundError: "
            "No module named 'no_such_vendor_module_xyz'") in r.stderr
    r = run_scenario("hot-standby", tmp_path / "f", "--plugin", str(tmp_path / "missing.py"),
                     timeout=30)
    assert r.returncode == 2 and f"plugin {tmp_path / 'missing.py'}: no such file" in r.stderr
    assert not any(tmp_path.rglob("report.json"))


def test_plugins_from_the_environment_and_unknown_targets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from failover6.scenario import main, plugin_specs

    def never(sc: object) -> None:
        raise AssertionError("the scenario must not run")

    assert plugin_specs(["b", "a"], {"FAILOVER6_PLUGINS": "a::c"}) == ["a", "c", "b"]
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.setenv("FAILOVER6_PLUGINS", "alias_vendor")  # a dotted module on sys.path
    defaults = {"clients": 10, "relays": 4}
    assert main(never, defaults, "doc", argv=["--out", str(tmp_path), "--target", "nope"],
                name="t") == 2
    err = capsys.readouterr().err
    assert "unknown target 'nope' (known: alias, bundled, kea;" in err, err
    monkeypatch.delenv("FAILOVER6_PLUGINS")
    from failover6.scenario import target_topology
    from failover6.lab import BundledPair
    import alias_vendor  # type: ignore[import-not-found]
    assert target_topology("alias", alias_vendor.AliasPair) == "loopback"
    assert target_topology("kea", object()) == "netns"
    assert target_topology("bundled", BundledPair) == "loopback"


def test_a_scenario_that_raises_still_writes_an_error_report(tmp_path: Path) -> None:
    """The lab is torn down, report.json/html and junit.xml are written with verdict "error",
    and the exit code is 2."""
    from failover6.scenario import Scenario, main

    seen: dict[str, object] = {}

    def boom(sc: Scenario) -> None:
        pair = sc.pair(subnets=1)
        seen["servers"] = list(pair.servers)
        raise RuntimeError("boom in the middle of the story")

    out = tmp_path / "out"
    assert main(boom, {"clients": 1, "relays": 1}, "A scenario that raises.",
                argv=["--out", str(out)], name="boom") == 2
    report = json.loads((out / "report.json").read_text())
    assert report["verdict"] == "error" and report["scenario"] == "boom"
    assert report["error"] == "RuntimeError: boom in the middle of the story"
    assert "in boom" in report["traceback"]
    assert any(e["what"] == "pair" for e in report["events"])
    assert not any(getattr(s, "alive", False) for s in seen["servers"])  # type: ignore[attr-defined]
    assert "ERROR" in (out / "report.html").read_text()
    suite = ET.parse(out / "junit.xml").getroot()
    assert suite.get("errors") == "1"


def kea_skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    try:
        from failover6.kea import kea_missing
    except ImportError as e:
        return f"failover6.kea not available: {e}"
    missing = kea_missing()
    return f"Kea HA needs {', '.join(missing)} (ci/deps --interop)" if missing else None


@pytest.mark.parametrize("name", ["hot-standby", "partition"])
def test_scenario_runs_against_kea(name: str, tmp_path: Path) -> None:
    reason = kea_skip_reason()
    if reason:
        pytest.skip(reason)
    out = tmp_path / name
    r = run_scenario(name, out, "--target", "kea", "--quick", timeout=KEA_TIMEOUT_S)
    log = f"stdout:\n{r.stdout[-6000:]}\nstderr:\n{r.stderr[-3000:]}"
    assert r.returncode in (0, 1), log  # a verdict either way; 2 would be a failed run
    report = json.loads((out / "report.json").read_text())
    assert report["target"] == "kea"
    assert report["verdict"] in ("pass", "fail"), log
    assert report["invariants"], log
    assert (out / "report.html").is_file() and (out / "junit.xml").is_file()
    if name == "partition":
        # split clients (one fleet per side; about 18 s more): only that a verdict is reached
        split = tmp_path / "partition-split"
        r = run_scenario(name, split, "--target", "kea", "--quick", "--set", "split_clients=true",
                         timeout=KEA_TIMEOUT_S)
        log = f"stdout:\n{r.stdout[-6000:]}\nstderr:\n{r.stderr[-3000:]}"
        assert r.returncode in (0, 1), log
        assert json.loads((split / "report.json").read_text())["verdict"] in ("pass", "fail"), log
