"""The loopback lab of failover6.lab (issue 7, part L1): a bundled pair made from a few
parameters, a Fleet of generated clients through it, the faults of issue 7 applied through the
lab's API, the trace checker over the lab's captures, and a teardown that leaves nothing behind.

Unprivileged, on ::1 only. MCLT 30 s (the configuration's minimum) and keepalive 2 s keep the
recovery waits short; every wait polls a condition with a deadline (failover6.lab.poll and the
waits built on it). Needs failover6d, failover6 and the failover6.fault module.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from failover6._paths import build_dir, daemon_path

fault = pytest.importorskip("failover6.fault", reason="failover6.fault (part F) is not built")

from failover6.fleet import Fleet, FleetError  # noqa: E402
from failover6.lab import (  # noqa: E402
    BundledPair,
    BundledServer,
    Cluster,
    Lab,
    LabError,
    LabTimeout,
    Pair,
    free_port,
    pid_alive,
    poll,
)
from failover6.pytest_plugin import bundled_pair, lab  # noqa: E402,F401  (fixtures)

pytestmark = pytest.mark.skipif(
    not (build_dir() / "bin" / "failover6d").exists(), reason="failover6d not built")

#: Link up or down (keepalive 2 s: a dead link is noticed within a few keepalives).
LINK_S = 20.0
#: A restarted or wiped server back to NORMAL: RECOVER-WAIT lasts up to the MCLT (30 s).
RECOVER_S = 60.0


def states(pair: Pair) -> str:
    return ", ".join(f"{s.name}: {s.state()}" for s in pair.servers)


def test_pair_and_m_to_1_under_faults_then_check_and_teardown(tmp_path: Path) -> None:
    """One lab with a bundled pair and an m-to-1 cluster side by side (subnets unique in the
    lab); their slow recoveries (MCLT-bound waits) overlap to keep the test short."""
    events: list[str] = []
    lab = Lab(tmp_path / "lab", log=events.append)
    pids: list[int] = []
    try:
        pair = lab.pair("bundled", subnets=4, client_proxy=True)
        cluster = lab.m_to_1(primaries=2, subnets=2, pd=False)
        assert isinstance(pair, BundledPair) and isinstance(cluster, Cluster)
        pair.wait_normal(timeout=LINK_S)
        p, s = pair.primary, pair.secondary
        assert (p.role, s.role) == ("primary", "secondary")
        assert p.status()["relationships"][0]["mclt"] == 30 == pair.mclt
        assert [x.id for x in p.subnets] == [1, 2, 3, 4]
        assert pair.failover_ports == (s.failover_port,)

        # m-to-1: one secondary NORMAL in both relationships, each primary its own subnets.
        cluster.wait_normal(timeout=LINK_S)
        assert cluster.relationship_names == ["rel-1", "rel-2"]
        sec = cluster.secondary
        assert sec.state("rel-1") == sec.state("rel-2") == "NORMAL"
        a, b = cluster.primaries
        assert [x.id for x in a.subnets] == [5, 6] and [x.id for x in b.subnets] == [7, 8]
        m_fleet = lab.fleet([b, sec], clients=20).start()

        # 200 clients behind 4 relays (one per subnet) bind through the pair.
        fleet = lab.fleet(pair, clients=200)
        assert isinstance(fleet, Fleet)
        fleet.start()
        fleet.wait_bound(200, timeout=30)
        snap = fleet.snapshot()
        assert snap["running"] and snap["clients_bound"] >= 200 and snap["exchanges"] >= 400
        poll("leases replicated to the secondary", lambda: len(s.leases()) >= 200, LINK_S)
        m_fleet.wait_bound(20, timeout=LINK_S)
        m_fleet.stop()
        assert a.leases() == [] and len(b.leases()) >= 20  # the clients of b's subnets

        # Partition: a blackholed partner link is noticed on both sides; heal -> NORMAL.
        pair.partition("blackhole")
        p.wait_state("COMMUNICATIONS-INTERRUPTED", LINK_S)
        s.wait_state("COMMUNICATIONS-INTERRUPTED", LINK_S)
        pair.heal()
        pair.wait_normal(timeout=LINK_S)

        # Client traffic toward the secondary lost (RFC 7031 §4.7) while the primary serves
        # (a secondary in NORMAL answers no SOLICIT, so the primary is the one that must).
        s.block_clients()
        assert s.client_proxy is not None
        dropped0 = s.client_proxy.stats()["dropped"]
        late = lab.fleet(pair, clients=20, duration=20).start()
        late.wait_bound(20, timeout=LINK_S)
        assert s.client_proxy.stats()["dropped"] > dropped0
        assert s.state() == "NORMAL"  # the partner link stayed up
        s.unblock_clients()

        # A cluster primary that lost its storage comes back and relearns its leases (its
        # RECOVER-WAIT lasts the MCLT: it runs while the pair below recovers).
        n_events = len(lab.events)
        b.restart(wipe=True)
        mine = [e["what"] for e in lab.events[n_events:] if e.get("server") == b.name]
        assert mine[:3] == ["kill", "wipe-storage", "start"], mine
        assert b.state("rel-2") in ("RECOVER", "RECOVER-WAIT")  # not in service at once

        # kill -9 the primary: COMMUNICATIONS-INTERRUPTED, then the operator's PARTNER-DOWN.
        last_op = max(int(t["time"]) for t in p.status()["relationships"][0]["transitions"])
        p.kill()
        assert not p.alive
        s.wait_state("COMMUNICATIONS-INTERRUPTED", LINK_S)
        # §8.3.2: partner-down must come in a later second than the primary's last operation.
        poll("the clock past the primary's last operation",
             lambda: time.time() >= last_op + 2, 5)
        s.partner_down()
        s.wait_state("PARTNER-DOWN", 5)
        p.restart()

        cluster.wait_normal(timeout=RECOVER_S)
        poll("the wiped primary relearned its leases", lambda: len(b.leases()) >= 20, LINK_S)
        pair.wait_normal(timeout=RECOVER_S)

        late.stop()
        summary = fleet.stop()
        assert summary is not None and summary["clients_bound"] >= 190, summary
        assert summary["leases_changed"] == 0, summary

        # The trace checker over the fleets' and the partner links' captures.
        names = {c.name for c in lab.pcaps()}
        assert {"fleet-1.pcap", "fleet-2.pcap", "fleet-3.pcap", "partner-lab-pair-lab-pair.pcap",
                "partner-m-to-1-rel-1.pcap", "partner-m-to-1-rel-2.pcap"} <= names, names
        result = lab.check()
        assert result.ok, result.summary()
        assert result.invariants["mclt-bound"]["checked"] > 0, result.summary()

        whats = [e["what"] for e in lab.events]
        for w in ("partition", "heal", "block-clients", "wipe-storage", "kill",
                  "partner-down", "restart", "check"):
            assert w in whats, whats
        assert all(x["time"] <= y["time"] for x, y in zip(lab.events, lab.events[1:]))
        assert len(events) == len(lab.events)  # every event went to the log too
        pids = lab.processes()
        assert len(pids) == 5
    finally:
        lab.close()
    # Teardown: no server process left, the lab closed.
    for pid in pids:
        assert not pid_alive(pid), f"process {pid} survived lab.close()"
    assert lab.closed and lab.processes() == []
    with pytest.raises(LabError):
        lab.pair("bundled")


def test_bundled_pair_fixture_and_bad_parameters(bundled_pair: Pair, lab: Lab) -> None:
    assert bundled_pair.primary.state() == "NORMAL"
    assert bundled_pair in lab.pairs
    with pytest.raises(LabError, match="mclt"):
        lab.pair("bundled", mclt=10)
    with pytest.raises(LabError, match="unknown target"):
        lab.pair("no-such-vendor")
    with pytest.raises(LabError, match="one-way"):
        bundled_pair.partition("one-way", drop="sideways")
    with pytest.raises(LabError, match="client_proxy"):
        bundled_pair.primary.block_clients()
    with pytest.raises(LabTimeout, match="PARTNER-DOWN"):
        bundled_pair.primary.wait_state("PARTNER-DOWN", 0.2)


def test_skewed_secondary_still_pairs_within_tolerance(lab: Lab) -> None:
    """skew= runs the secondary under libfaketime (failover6.fault.skew_env); 2 s is inside
    RFC 8156's tolerance, so the pair still reaches NORMAL."""
    try:
        pair = lab.pair("bundled", subnets=1, skew=2.0)
    except LabError as e:
        if "faketime" in str(e).lower():
            pytest.skip(str(e))
        raise
    pair.wait_normal(timeout=LINK_S)
    sec = pair.secondary
    assert isinstance(sec, BundledServer) and sec.process is not None
    environ = Path(f"/proc/{sec.process.pid}/environ").read_bytes().split(b"\0")
    assert b"FAKETIME=+2s" in environ, environ
    prim = pair.primary
    assert isinstance(prim, BundledServer) and prim.process is not None
    assert not any(e.startswith(b"FAKETIME=")
                   for e in Path(f"/proc/{prim.process.pid}/environ").read_bytes().split(b"\0"))


def test_failed_start_tears_the_pair_down_at_once(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The primary's daemon exits at start (the secondary's runs): Lab.pair raises the
    daemon's exit and has already ended the secondary and closed the partner-link proxy."""
    real = daemon_path()
    fake = tmp_path / "failover6d"
    fake.write_text("#!/bin/sh\ncase \"$2\" in *primary*) echo refusing; exit 3;; esac\n"
                    f"exec {real} \"$@\"\n")
    fake.chmod(0o755)
    monkeypatch.setenv("FAILOVER6_DAEMON", str(fake))
    lab = Lab(tmp_path / "lab", log=None)
    try:
        with pytest.raises(LabError, match="exited with 3") as err:
            lab.pair("bundled", subnets=1, client_proxy=True)
        assert "refusing" in str(err.value)  # the log tail is in the error
        (pair,) = lab.pairs
        assert isinstance(pair, BundledPair)
        sec = pair.secondary
        assert sec.process is not None and not pid_alive(sec.process.pid)
        assert lab.processes() == []
        with pytest.raises(OSError):  # the partner-link proxy no longer listens
            socket.create_connection(("::1", pair.proxy().port), timeout=2).close()
        assert [e["what"] for e in lab.events][-1] == "start-failed"
    finally:
        lab.close()


def test_fleet_stop_right_after_start_and_errors_surface(tmp_path: Path) -> None:
    """stop() just after start() ends the run (the generator clears its stop flag when its run
    begins, so an early stop must not be lost), and a run that fails raises FleetError from
    wait(), wait_bound() and stop()."""
    dead = f"[::1]:{free_port(socket.SOCK_DGRAM)}"
    for seed in range(1, 21):
        fleet = Fleet([dead], 2, seed=seed).start()
        began = time.monotonic()
        summary = fleet.stop(timeout=10)
        assert summary is not None and not fleet.running
        assert time.monotonic() - began < 5
    bad = Fleet([dead], 2, pcap=tmp_path / "no-such-dir" / "f.pcap").start()
    with pytest.raises(FleetError, match="no-such-dir"):
        bad.wait_bound(1, timeout=10)
    with pytest.raises(FleetError, match="no-such-dir"):
        bad.wait(10)
    with pytest.raises(FleetError, match="no-such-dir"):
        bad.stop()
    bad.close()  # never raises for a failed run
    assert isinstance(bad.error, Exception)


def test_partner_down_delegates_the_partners_prefixes_after_mclt(lab: Lab) -> None:
    """use-partner-prefixes (docs/failover.md, decision A13) with the real daemons: the
    PARTNER-DOWN secondary delegates its own share of 4 prefixes first, nothing more before
    MCLT has passed since it entered PARTNER-DOWN, then prefixes of the primary's pool."""
    pair = lab.pair("bundled", subnets=1, failover_options={
        "prefix-share-max": 4, "use-partner-prefixes": True})
    pair.wait_normal(timeout=LINK_S)
    p, s = pair.primary, pair.secondary

    def pd_leases(state: str) -> set[str]:
        return {le["ip-address"] for le in s.leases()
                if le["type"] == "IA_PD" and le["state"] == state}

    poll("the secondary's share of prefixes", lambda: len(pd_leases("FREE-BACKUP")) == 4, LINK_S)
    share = pd_leases("FREE-BACKUP")
    last_op = max(int(t["time"]) for t in s.status()["relationships"][0]["transitions"])
    p.kill()
    s.wait_state("COMMUNICATIONS-INTERRUPTED", LINK_S)
    poll("the clock past the last operation", lambda: time.time() >= last_op + 2, 5)
    s.partner_down()
    s.wait_state("PARTNER-DOWN", 5)
    rel = s.status()["relationships"][0]
    opens = rel["partner-prefixes-usable-from"]
    assert opens == rel["partner-down-since"] + 30, rel  # MCLT after entering PARTNER-DOWN

    early = lab.fleet(pair, clients=6, na=False, pd=True).start()
    early.wait_bound(4, timeout=LINK_S)
    poll("the share delegated", lambda: pd_leases("ACTIVE") == share, LINK_S)
    early.stop()
    assert time.time() < opens, "the fleet took too long to show the partner pool still shut"
    assert pd_leases("ACTIVE") == share  # own pool exhausted; the primary's not yet open

    poll("MCLT past PARTNER-DOWN", lambda: time.time() >= opens + 1, opens - time.time() + 5)
    late = lab.fleet(pair, clients=2, na=False, pd=True).start()
    late.wait_bound(2, timeout=LINK_S)
    late.stop()
    taken = pd_leases("ACTIVE") - share
    assert len(taken) == 2, taken  # from the primary's pool
    # The primary returns: the secondary's STATE(PARTNER-DOWN) on the new connection is what
    # lets the checker judge the uncapped lifetimes given while the link was down.
    p.restart()
    poll("the partners in contact again",
         lambda: s.status()["relationships"][0]["communications-ok"], LINK_S)
    result = lab.check()
    assert result.ok, result.summary()
