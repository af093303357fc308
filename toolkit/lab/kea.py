"""ISC Kea 2.2 as the lab's foreign DHCPv6 pair: an HA hot-standby pair in network namespaces
(root; Debian 12's kea-dhcp6-server and kea-common).

:class:`KeaHaPair` builds a :class:`failover6.netns.Topology` (a namespace per server, the
shared client link, the separate HA link ``ha0``), writes both kea-dhcp6 configurations from
its parameters (the same subnets, selected by the generator's relay link-addresses, as the
bundled netns pair), checks them with ``kea-dhcp6 -t`` inside the namespaces (Kea insists that
the configured interface holds the address) and runs them. The HA traffic goes over Kea's
HA+MT dedicated HTTP listener (``http://[P:99::N]:8001/``, no kea-ctrl-agent); libdhcp_ha.so
and libdhcp_lease_cmds.so are loaded. PID and lock files go to the pair's workdir
(``KEA_PIDFILE_DIR``/``KEA_LOCKFILE_DIR``: /run/kea does not exist without systemd).

Kea's HA is not RFC 8156: a partner sends each lease to the other over HTTP and waits for the
ack before answering the client; there is no MCLT (``mclt == 0``) and no failover port
(``failover_ports == ()``). :meth:`KeaServer.state` returns Kea's own state names
("hot-standby", "partner-down", "waiting", "syncing", "ready", "terminated",
"in-maintenance", "partner-in-maintenance", ...) from the ``ha-heartbeat`` command over the
unix control socket, and "(down)" when the server does not answer.

Usage::

    from failover6.lab import Lab
    with Lab(topology="netns") as lab:   # root, Debian's kea-dhcp6-server
        pair = lab.pair("kea")           # or lab.pair(KeaHaPair(lab, start=False))
        pair.wait_normal(60)             # primary and standby both "hot-standby"
        fleet = lab.fleet(pair, 150, rate=10, duration=40).start()
        fleet.wait_bound(20, timeout=30)
        pair.primary.kill()              # the standby counts unanswered clients ...
        pair.secondary.wait_state("partner-down", 60)   # ... and takes over
        fleet.stop()
        print(lab.check().summary())     # mclt 0, no failover port: DHCP invariants only

Facts this follows (/work/shared/kea/NOTES.md): DAD off; distinct server DUIDs; pid file name
``<config-basename>.kea-dhcp6.pid`` (so distinct config names); the unicast socket
``eth0/<address>`` for relays; an nft drop on the HA link makes each HA request wait for
Kea's 10 s HTTP client timeout, while a killed partner refuses at once.
"""

from __future__ import annotations

import glob
import json
import tempfile
from pathlib import Path
from typing import Any, Optional

from .lab import DaemonServer, LabError, control, poll
from .netns import NetnsPairBase, NetnsServerMixin, netns_subnets, run, subnet_layout

__all__ = ["KeaHaPair", "KeaServer", "kea_missing", "HA_PORT"]

#: Port of the HA+MT dedicated HTTP listeners on the HA link.
HA_PORT = 8001

#: Kea's HA states in which a server answers clients of a hot-standby pair.
SERVING_STATES = ("hot-standby", "partner-down", "partner-in-maintenance")


def _hook(name: str) -> Optional[str]:
    for pattern in (f"/usr/lib/*/kea/hooks/{name}", f"/usr/lib/kea/hooks/{name}",
                    f"/usr/lib64/kea/hooks/{name}"):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


def kea_missing() -> list[str]:
    """What a Kea HA pair lacks here (empty when it can run): root, ip, nft, dumpcap,
    kea-dhcp6 and the two hook libraries."""
    from .netns import missing_tools
    out = missing_tools("kea-dhcp6")
    out += [h for h in ("libdhcp_ha.so", "libdhcp_lease_cmds.so") if _hook(h) is None]
    return out


class KeaServer(NetnsServerMixin):
    """One kea-dhcp6 of the pair, in its namespace: client interface eth0 (the pair's
    client link), HA listener on ha0. Process handling as failover6.lab.DaemonServer."""

    def __init__(self, pair: "KeaHaPair", index: int, name: str, role: str) -> None:
        self.workdir = pair.workdir / name
        self.workdir.mkdir(parents=True, exist_ok=True)
        DaemonServer.__init__(self, name, role, f"[{pair.topology.server_address(index)}]:547",
                              self.workdir / "kea-dhcp6.log",
                              netns_subnets(pair.topology, pair.subnets))
        self._init_netns(pair, index)
        # Distinct basenames: Kea names its pid file after the config file.
        self.config_path = self.workdir / f"kea-{name}.json"
        self.socket = pair.sockdir / f"{name}.sock"
        self.lease_file = self.workdir / "leases6.csv"
        self.run_dir = pair.workdir / "run"

    def _prepare(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        cfg = self.pair._config(self)  # type: ignore[attr-defined]
        self.config_path.write_text(json.dumps(cfg, indent=2))

    def _env(self) -> dict[str, str]:
        return {"KEA_PIDFILE_DIR": str(self.run_dir), "KEA_LOCKFILE_DIR": str(self.run_dir)}

    def _argv(self) -> list[str]:
        return ["kea-dhcp6", "-c", str(self.config_path)]

    def config_test(self) -> None:
        """``kea-dhcp6 -t`` in the namespace (it checks that eth0 holds the address).
        @throws RuntimeError with Kea's words when the configuration is refused."""
        self._prepare()
        run(["kea-dhcp6", "-t", str(self.config_path)], ns=self.ns, env=self._env())

    def command(self, command: str, arguments: Optional[dict[str, Any]] = None,
                timeout: float = 5.0) -> dict[str, Any]:
        """One command over Kea's unix control socket: the whole answer
        (``result``, ``text``, ``arguments``)."""
        return control(self.socket, command, arguments, timeout=timeout)

    def _ready(self) -> bool:
        return bool(self.command("status-get", timeout=2)["result"] == 0)

    def status(self) -> dict[str, Any]:
        """Kea's ``status-get`` arguments (pid, uptime, "high-availability": [...])."""
        return dict(self.command("status-get").get("arguments", {}))

    def state(self, relationship: Optional[str] = None) -> str:
        """Kea's HA state of this server ("hot-standby", "partner-down", "waiting", ...), from
        ``ha-heartbeat``; "(down)" when it does not run or answer. @p relationship unused
        (one HA relationship per Kea 2.2 server)."""
        del relationship
        if not self.alive:
            return "(down)"
        try:
            a = self.command("ha-heartbeat", timeout=2)
        except (OSError, ValueError):
            return "(down)"
        return str(a.get("arguments", {}).get("state", "(unknown)"))

    def partner_state(self) -> str:
        """The partner's state as this server last saw it (``status-get``'s remote entry)."""
        try:
            ha = self.status()["high-availability"][0]["ha-servers"]["remote"]
        except (OSError, ValueError, KeyError, IndexError):
            return "(unknown)"
        return str(ha.get("last-state") or ha.get("state") or "(unknown)")

    def partner_down(self, relationship: Optional[str] = None) -> None:
        """Kea 2.2 has no "partner-down" command. ``ha-maintenance-start`` sent to this server
        asks the partner to go "in-maintenance"; when the partner does not answer (it is down
        or the HA link is cut) Kea puts THIS server in "partner-down" at once, which is the
        operator's partner-down. When the partner answers, this server goes to
        "partner-in-maintenance" (serving every client) instead. Raises RuntimeError when Kea
        refuses the command."""
        del relationship
        a = self.command("ha-maintenance-start", timeout=15)
        if a.get("result") != 0:
            raise LabError(f"{self.name}: ha-maintenance-start refused: {a.get('text')}")
        self.mark("partner-down")

    def leases(self) -> list[dict[str, Any]]:
        """Kea's leases (``lease6-get-all`` of libdhcp_lease_cmds), as Kea spells them."""
        a = self.command("lease6-get-all", timeout=30)
        if a.get("result") == 3:  # "0 IPv6 lease(s) found."
            return []
        if a.get("result") != 0:
            raise LabError(f"{self.name}: lease6-get-all: {a.get('text')}")
        return list(a.get("arguments", {}).get("leases", []))

    def wipe_storage(self) -> None:
        """Deletes the memfile lease files (leases6.csv and its LFC siblings)."""
        if self.alive:
            raise LabError(f"{self.name} runs: kill it before wiping its storage")
        for p in self.workdir.glob("leases6.csv*"):
            p.unlink()
        self.mark("wipe-storage")


class KeaHaPair(NetnsPairBase):
    """A Kea 2.2 hot-standby pair in network namespaces (see the module text).

    Parameters: subnets (one per relay of the generator), valid, preferred, t1, t2, pd, and
    Kea's HA timings: heartbeat_delay, max_response_delay, max_ack_delay (ms) and
    max_unacked_clients (the standby declares partner-down after more than that many
    distinct clients retransmitting longer than max_ack_delay, once the primary stopped
    answering for max_response_delay). Parameters meant for the bundled pair (mclt, tls,
    skew, partner_link, client_proxy...) are accepted and ignored, so a scenario can pass the
    same ones to either target.
    """

    partner_port = HA_PORT
    primary: KeaServer
    secondary: KeaServer

    def __init__(self, lab: Any = None, *, workdir: Optional[Path] = None, name: str = "kea",
                 subnets: int = 4, valid: int = 90, preferred: int = 60, t1: int = 30,
                 t2: int = 45, pd: bool = True, heartbeat_delay: int = 1000,
                 max_response_delay: int = 5000, max_ack_delay: int = 2000,
                 max_unacked_clients: int = 3, start: bool = True, **ignored: Any) -> None:
        missing = kea_missing()
        if missing:
            raise LabError("a Kea HA pair needs " + ", ".join(missing)
                               + " (run as root after `ci/deps --interop`)")
        del ignored
        wd = Path(workdir or (lab.workdir if lab is not None else tempfile.mkdtemp()))
        self.name = name
        self.subnets, self.pd = subnets, pd
        self.timers = {"valid-lifetime": valid, "preferred-lifetime": preferred,
                       "renew-timer": t1, "rebind-timer": t2}
        self.ha = {"heartbeat-delay": heartbeat_delay, "max-response-delay": max_response_delay,
                   "max-ack-delay": max_ack_delay, "max-unacked-clients": max_unacked_clients}
        self.mclt = 0
        self.failover_ports: tuple[int, ...] = ()
        try:
            self._init_base(lab, name, "kea", wd / name)
            self.primary = KeaServer(self, 0, "kea1", "primary")
            self.secondary = KeaServer(self, 1, "kea2", "standby")
            self._kea = [self.primary, self.secondary]
            self.servers = list(self._kea)
            for s in self._kea:
                s.config_test()
            if start:
                self.start()
        except BaseException:
            self.close()
            raise

    def _url(self, i: int) -> str:
        return f"http://[{self.topology.partner_address(i)}]:{HA_PORT}/"

    def _config(self, server: KeaServer) -> dict[str, Any]:
        log_pattern = "%D{%Y-%m-%d %H:%M:%S.%q} %-5p [%c/%i] %m\n"

        def logger(name: str, severity: str) -> dict[str, Any]:
            return {"name": name, "severity": severity,
                    "output_options": [{"output": "stdout", "pattern": log_pattern}]}

        ha = {
            "this-server-name": server.name, "mode": "hot-standby", **self.ha,
            "sync-timeout": 60000, "sync-page-limit": 10000,
            "multi-threading": {"enable-multi-threading": True, "http-dedicated-listener": True,
                                "http-listener-threads": 2, "http-client-threads": 2},
            "peers": [{"name": s.name, "url": self._url(s.index), "role": s.role,
                       "auto-failover": True} for s in self._kea],
        }
        return {"Dhcp6": {
            "interfaces-config": {"interfaces": [f"eth0/{server.address}"],
                                  "service-sockets-max-retries": 10,
                                  "service-sockets-retry-wait-time": 1000},
            # Distinct DUIDs, as Kea's default: "kea1"/"kea2" as EN identifiers.
            "server-id": {"type": "EN", "enterprise-id": 2495,
                          "identifier": server.name.encode().hex(), "persist": False},
            "data-directory": str(server.workdir),
            "control-socket": {"socket-type": "unix", "socket-name": str(server.socket)},
            "lease-database": {"type": "memfile", "persist": True,
                               "name": str(server.lease_file), "lfc-interval": 3600},
            "multi-threading": {"enable-multi-threading": True, "thread-pool-size": 2,
                                "packet-queue-size": 64},
            **self.timers,
            "hooks-libraries": [
                {"library": _hook("libdhcp_lease_cmds.so"), "parameters": {}},
                {"library": _hook("libdhcp_ha.so"),
                 "parameters": {"high-availability": [ha]}},
            ],
            "subnet6": subnet_layout(self.topology, self.subnets, pd=self.pd),
            "loggers": [logger("kea-dhcp6", "INFO"), logger("kea-dhcp6.leases", "WARN"),
                        logger("kea-dhcp6.commands", "WARN"),
                        logger("kea-dhcp6.ha-hooks", "INFO")],
        }}

    def wait_normal(self, timeout: float = 30) -> None:
        """Both servers in Kea's "hot-standby" state (the pair's normal service)."""
        poll("both Kea servers in hot-standby",
             lambda: all(s.state() == "hot-standby" for s in self._kea), timeout,
             self._normal_report)

