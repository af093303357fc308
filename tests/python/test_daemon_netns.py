"""failover6d serving a directly attached client over real multicast (needs root).

Two network namespaces joined by a veth pair: the server's (interface v0, served through
Dhcp6.interfaces-config) and the client's (v1). The client, a small script run in its
namespace, sends SOLICIT and REQUEST from [fe80::...%v1]:546 to [ff02::1:2]:547, as RFC 8415
§7.1 clients do. A REPLY with an address from the pool shows that the interface socket bound
port 547 on v0, joined ff02::1:2, and recorded the receiving interface and the multicast
destination (the server answers unicast requests from direct clients with UseMulticast, so a
wrong destination would show).

Only addresses in fd00::/8 and link-local ones are used, inside namespaces this test creates
and removes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from test_daemon_standalone import DAEMON, DEADLINE_S, control
from test_daemon_standalone import pytestmark as built

pytestmark = [
    built,
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None,
                       reason="needs root and iproute2 for network namespaces"),
]

CLIENT_SCRIPT = r"""
import json, socket, sys
from failover6 import (ClientId, Duid, ElapsedTime, IaAddress, IaNa, IaPd, IaPrefix, Message,
                       MessageType, ServerId)
idx = socket.if_nametoindex("v1")
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"v1")
s.bind(("::", 546))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
s.settimeout(1.0)
duid = Duid.ll(1, bytes.fromhex("020000000099"))

def exchange(msg, want):
    for _ in range(int(sys.argv[1])):
        s.sendto(msg.encode(), ("ff02::1:2", 547, 0, idx))
        try:
            data, src = s.recvfrom(65536)
        except socket.timeout:
            continue
        m = Message.decode(data)
        if m.type == want and m.transaction_id == msg.transaction_id:
            return m, src
    raise SystemExit("no " + str(want))

adv, _ = exchange(Message(MessageType.Solicit, 0x10,
                          [ClientId(duid), ElapsedTime(0), IaNa(iaid=1), IaPd(iaid=2)]),
                  MessageType.Advertise)
reply, src = exchange(Message(MessageType.Request, 0x11,
                              [ClientId(duid), adv.find(ServerId), ElapsedTime(0),
                               *adv.find_all(IaNa), *adv.find_all(IaPd)]),
                      MessageType.Reply)
na = reply.find(IaNa).find(IaAddress)
pd = reply.find(IaPd).find(IaPrefix)
print(json.dumps({"address": str(na.address) if na else None, "valid": na.valid if na else 0,
                  "prefix": f"{pd.prefix}/{pd.prefix_length}" if pd else None,
                  "server": src[0], "duid": str(duid)}))
"""


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=DEADLINE_S)


def wait_link_local(ns: str, dev: str) -> None:
    """Polls until @p dev in @p ns has a usable (non-tentative) link-local address."""
    deadline = time.monotonic() + DEADLINE_S
    delay = 0.01
    while time.monotonic() < deadline:
        out = subprocess.run(["ip", "-n", ns, "-6", "addr", "show", "dev", dev, "scope", "link"],
                             capture_output=True, text=True, timeout=DEADLINE_S).stdout
        if "inet6" in out and "tentative" not in out:
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    pytest.fail(f"{dev} in {ns} got no link-local address")


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str]]:
    srv, cli = f"f6d{os.getpid()}s", f"f6d{os.getpid()}c"
    ip("netns", "add", srv)
    ip("netns", "add", cli)
    try:
        for ns in (srv, cli):
            for key in ("all", "default"):
                subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                                f"net.ipv6.conf.{key}.accept_dad=0"], check=True, timeout=DEADLINE_S)
        ip("-n", srv, "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", cli)
        ip("-n", srv, "link", "set", "v0", "up")
        ip("-n", cli, "link", "set", "v1", "up")
        wait_link_local(srv, "v0")
        wait_link_local(cli, "v1")
        yield srv, cli
    finally:
        subprocess.run(["ip", "netns", "del", srv], timeout=DEADLINE_S)
        subprocess.run(["ip", "netns", "del", cli], timeout=DEADLINE_S)


def test_direct_client_over_multicast(namespaces: tuple[str, str], tmp_path: Path) -> None:
    srv_ns, cli_ns = namespaces
    sock = Path("/tmp") / f"f6d-{os.getpid()}.sock"
    cfg = {
        "Dhcp6": {
            "renew-timer": 1000, "rebind-timer": 2000,
            "preferred-lifetime": 3000, "valid-lifetime": 4000,
            "interfaces-config": {"interfaces": ["v0"]},
            "data-directory": str(tmp_path / "var"),
            "lease-database": {"type": "memfile", "persist": True,
                               "name": str(tmp_path / "var" / "leases6.journal")},
            "control-socket": {"socket-type": "unix", "socket-name": str(sock)},
            "subnet6": [{
                "id": 1, "subnet": "fd00:6::/64", "interface": "v0",
                "pools": [{"pool": "fd00:6::100 - fd00:6::1ff"}],
                "pd-pools": [{"prefix": "fd00:7::", "prefix-len": 48, "delegated-len": 56}],
            }],
            "loggers": [{"name": "failover6d", "output_options": [{"output": "stdout"}],
                         "severity": "DEBUG"}],
        },
        "Failover6": {"listen": []},
    }
    config = tmp_path / "direct.json"
    config.write_text(json.dumps(cfg))
    log = tmp_path / "failover6d.log"
    with open(log, "wb") as logf:
        proc = subprocess.Popen(["ip", "netns", "exec", srv_ns, str(DAEMON), "--config",
                                 str(config)], stdout=logf, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + DEADLINE_S
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if control(sock, "status")["result"] == 0:
                    break
            except (FileNotFoundError, ConnectionRefusedError):
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)
        assert "F6D_INTERFACE_LISTENING" in log.read_text()

        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        r = subprocess.run(["ip", "netns", "exec", cli_ns, sys.executable, "-c", CLIENT_SCRIPT,
                            str(int(DEADLINE_S))],
                           capture_output=True, text=True, env=env, timeout=DEADLINE_S * 3)
        assert r.returncode == 0, r.stderr + log.read_text()
        got = json.loads(r.stdout)
        assert got["address"] is not None, got
        assert got["address"].startswith("fd00:6::1"), got
        assert got["valid"] == 4000
        assert got["prefix"].startswith("fd00:7:"), got
        assert got["server"].startswith("fe80::"), got  # answered from v0's link-local

        lease = control(sock, "lease-get", {"ip-address": got["address"]})
        assert lease["result"] == 0, lease
        assert lease["arguments"]["duid"] == got["duid"]
        stats = control(sock, "statistics")["arguments"]
        assert stats["received-by-type"]["SOLICIT"] >= 1
        assert control(sock, "shutdown")["result"] == 0
        assert proc.wait(timeout=DEADLINE_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if sock.exists():
            sock.unlink()
