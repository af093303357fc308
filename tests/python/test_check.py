"""End-to-end tests of `failover6 check` (toolkit/cli/check_command.cc) and of
failover6.check.check() over the reference traces of captures/.

Each capture's provenance JSON (written by tests/unit/check/make_captures.cc with the capture)
names its files, extra arguments and expected verdict: the exit status and the set of
invariants violated. The tests assert exactly that, the JSON report's schema (DESIGN.md
"Contracts"), the JUnit and HTML reports, and exit status 2 for unusable input.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from failover6.check import INVARIANTS, TraceError, check

_CHECKOUT = Path(__file__).resolve().parents[2]
CAPTURES = _CHECKOUT / "captures"
NAMES = {"no-duplicate-assignment", "lease-stability", "mclt-bound", "service-continuity",
         "failover-wire", "state-legality"}


def cli() -> Path:
    """build/bin/failover6 of $FAILOVER6_BUILD_DIR (as ctest sets it) or of this checkout."""
    path = Path(os.environ.get("FAILOVER6_BUILD_DIR", _CHECKOUT / "build")) / "bin" / "failover6"
    if not path.is_file():
        pytest.skip(f"{path} not built")
    return path


def provenances() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(CAPTURES.glob("*.json"))]


def run(*args: str | Path, cwd: Path = CAPTURES) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(cli()), "check", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def assert_schema(report: dict[str, Any]) -> None:
    assert set(report["invariants"]) == NAMES
    for res in report["invariants"].values():
        assert isinstance(res["checked"], int) and res["checked"] >= 0
        assert isinstance(res["violations"], int) and res["violations"] >= 0
        assert isinstance(res["applicable"], bool)
    assert report["violations_total"] == sum(r["violations"] for r in report["invariants"].values())
    for v in report["violations"]:
        assert v["invariant"] in NAMES
        assert isinstance(v["time"], str) and v["time"].endswith("Z")
        assert isinstance(v["detail"], str) and v["detail"]
        for k in ("clients", "leases", "servers", "frames"):
            assert isinstance(v[k], list)
        assert v["frames"] and all(":" in f for f in v["frames"])
    assert report["verdict"] in ("pass", "fail")


def test_every_capture_has_a_provenance_and_its_files() -> None:
    provs = provenances()
    assert len(provs) >= 8
    kinds = {n for p in provs for n in p["expected"]["violated"]}
    # Clean runs and each of the bad runs are present.
    assert {"no-duplicate-assignment", "lease-stability", "mclt-bound", "failover-wire"} <= kinds
    assert any(p["expected"]["exit"] == 0 for p in provs)
    for p in provs:
        assert p["description"] and "make_captures" in p["provenance"]
        for f in p["files"]:
            assert (CAPTURES / f).is_file(), f


@pytest.mark.parametrize("prov", provenances(), ids=lambda p: p["name"])
def test_cli_verdict_matches_the_provenance(prov: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    r = run(*prov["files"], *prov["args"], "--json", out, "--junit", tmp_path / "r.xml",
            "--html", tmp_path / "r.html")
    assert r.returncode == prov["expected"]["exit"], r.stdout + r.stderr
    report = json.loads(out.read_text())
    assert_schema(report)
    violated = {n for n, res in report["invariants"].items() if res["violations"]}
    assert violated == set(prov["expected"]["violated"])
    assert ("PASS" if r.returncode == 0 else "FAIL") in r.stdout.splitlines()[0]
    for name in violated:  # the summary names the broken invariant with its evidence
        assert f"[{name}]" in r.stdout
    junit = (tmp_path / "r.xml").read_text()
    assert junit.count("<testcase ") == 6
    assert junit.count("<failure ") == len(violated)
    html = (tmp_path / "r.html").read_text()
    assert "<svg" in html and "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html


@pytest.mark.parametrize("prov", provenances(), ids=lambda p: p["name"])
def test_python_check_matches_the_provenance(prov: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {}
    if "--mclt" in prov["args"]:
        kwargs["mclt"] = int(prov["args"][prov["args"].index("--mclt") + 1])
    res = check(*(CAPTURES / f for f in prov["files"]), **kwargs)
    assert res.exit_code == prov["expected"]["exit"]
    assert res.violated == set(prov["expected"]["violated"])
    assert_schema(res.report)
    assert len(res.violations) == res.report["violations_total"]
    assert set(INVARIANTS) == NAMES


def test_violation_names_clients_leases_servers_and_frames() -> None:
    res = check(CAPTURES / "duplicate-assignment.pcap")
    (v,) = res.violations
    assert v.invariant == "no-duplicate-assignment"
    assert v.leases == ["2001:db8:1::101"]
    assert len(v.clients) == 2 and v.clients[0] != v.clients[1]
    assert len(v.servers) == 2
    assert [f.split(":")[-1] for f in v.frames] == ["24", "13"]  # the two REPLYs


def test_timeline_lists_grants_renewals_and_releases() -> None:
    res = check(CAPTURES / "clean-pair.pcap", timeline=True)
    events = [e["event"] for e in res.timeline]
    assert events.count("granted") == 8
    assert events.count("extended") == 8
    assert events.count("released") == 1
    first = res.timeline[0]
    assert first["ia"] == "IA_NA" and first["valid"] == 3600 and first["lease"] == "2001:db8:1::101"


def test_two_capture_points_are_merged_without_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    r = run("two-points-relay.pcap", "two-points-servers.pcap", "--json", out)
    assert r.returncode == 0, r.stdout
    stats = json.loads(out.read_text())["stats"]
    assert stats["duplicates_removed"] == stats["dhcp6"] > 0


def test_timeline_file(tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    assert run("clean-pair.pcap", "--timeline", out, "--quiet").returncode == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 17 and lines[0]["frame"] > 0


@pytest.mark.parametrize("content", [b"", b"garbage, not a capture\n" * 10, b"\xd4\xc3\xb2\xa1\x02"],
                         ids=["empty", "garbage", "header-cut"])
def test_unusable_input_exits_2(content: bytes, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(content)
    r = run(bad)
    assert r.returncode == 2
    assert "bad.pcap" in r.stderr or "nothing to check" in r.stderr
    with pytest.raises((TraceError, ValueError)):
        res = check(bad)
        # An empty capture that libpcap accepts has no packets: nothing to judge.
        assert res.report["stats"]["frames"] > 0


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run().returncode == 2
    assert run(tmp_path / "missing.pcap").returncode == 2
    assert run("clean-pair.pcap", "--no-such-option").returncode == 2
    assert run("clean-pair.pcap", "--json", tmp_path / "no" / "dir" / "r.json").returncode == 2


def test_capture_cut_inside_a_record_is_checked_up_to_the_cut(tmp_path: Path) -> None:
    cut = tmp_path / "cut.pcap"
    data = (CAPTURES / "mclt-overrun.pcap").read_bytes()
    cut.write_bytes(data[: len(data) - 7])  # the last record loses its end
    out = tmp_path / "r.json"
    r = run(cut, "--json", out)
    assert r.returncode == 1, r.stdout + r.stderr  # the overrun (frame 21 of 34) is before the cut
    assert json.loads(out.read_text())["stats"]["truncated_files"] == 1


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_frame_numbers_match_tshark() -> None:
    """The frames named as evidence are the REPLYs tshark sees at those numbers."""
    res = check(CAPTURES / "lease-changed.pcap")
    (v,) = res.violations
    frame = v.frames[0].split(":")[-1]
    out = subprocess.run(["tshark", "-r", str(CAPTURES / "lease-changed.pcap"), "-Y",
                          f"frame.number == {frame}", "-T", "fields", "-e", "dhcpv6.msgtype"],
                         capture_output=True, text=True, timeout=60).stdout
    assert "7" in out.split()[0].split(",")  # REPLY inside the RELAY-REPL
