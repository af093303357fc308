"""failover6d killed with SIGKILL under load loses no lease a client was told about (issue 3,
item 5; DESIGN.md "Stable storage").

A burst of relayed REQUESTs from many clients is sent at once; after a tenth of the REPLYs
have arrived the server is killed with SIGKILL. Every REPLY that reached the relay socket
(including those still queued when the process died, which are drained without waiting) must
be found in the restarted server's store: same client, ACTIVE, with at least the lifetime the
REPLY gave.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from failover6 import Duid, IaAddress, IaNa, IaPd, IaPrefix, Message, MessageType, RelayMessage

from test_daemon_standalone import (  # noqa: F401  (lab and start are fixtures)
    DEADLINE_S,
    RELAY,
    Lab,
    control,
    lab,
    pytestmark,
    request_for,
    solicit,
    start,
)

CLIENTS = 1500


def wrap(msg: Message) -> bytes:
    return RelayMessage.wrap(msg, link_address=RELAY, peer_address="fe80::1").encode()


def client_duid(i: int) -> Duid:
    return Duid.ll(1, (0x020000000000 + i).to_bytes(6, "big"))


def test_sigkill_under_load_loses_no_promised_lease(lab: Lab, start: Any) -> None:
    srv = start()
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("::1", 0))
    try:
        # SOLICIT every client (retransmitting to the ones not answered) to get ADVERTISEs.
        adverts: dict[int, Message] = {}
        deadline = time.monotonic() + DEADLINE_S
        while len(adverts) < CLIENTS:
            assert time.monotonic() < deadline, f"{len(adverts)} ADVERTISEs of {CLIENTS}"
            for i in range(CLIENTS):
                if i not in adverts:
                    sock.sendto(wrap(solicit(i, client_duid(i))), ("::1", lab.port))
            sock.settimeout(1.0)
            try:
                while len(adverts) < CLIENTS:
                    outer = Message.decode(sock.recvfrom(65536)[0])
                    assert isinstance(outer, RelayMessage)
                    adv = outer.innermost
                    assert isinstance(adv, Message) and adv.type == MessageType.Advertise
                    adverts[adv.transaction_id] = adv
            except socket.timeout:
                pass

        # The REQUEST burst; kill -9 once a tenth of the REPLYs are in.
        # (Encoded beforehand, so the burst outpaces the server.)
        requests = [wrap(request_for(adverts[i], 0x100000 + i, client_duid(i)))
                    for i in range(CLIENTS)]
        t_request = int(time.time())
        for r in requests:
            sock.sendto(r, ("::1", lab.port))
        replies: list[Message] = []
        sock.settimeout(DEADLINE_S)
        while len(replies) < CLIENTS // 10:
            outer = Message.decode(sock.recvfrom(65536)[0])
            assert isinstance(outer, RelayMessage)
            replies.append(outer.innermost)  # type: ignore[arg-type]
        srv.proc.kill()
        srv.proc.wait(timeout=DEADLINE_S)
        # Everything the dead server sent is already queued here: drain it without waiting.
        sock.setblocking(False)
        while True:
            try:
                outer = Message.decode(sock.recvfrom(65536)[0])
            except BlockingIOError:
                break
            replies.append(outer.innermost)  # type: ignore[arg-type]
    finally:
        sock.close()

    start()
    checked = 0
    for reply in replies:
        assert reply.type == MessageType.Reply
        i = reply.transaction_id - 0x100000
        leases: list[IaAddress | IaPrefix] = []
        for na in reply.find_all(IaNa):
            leases += na.find_all(IaAddress)
        for pd in reply.find_all(IaPd):
            leases += pd.find_all(IaPrefix)
        for lease in leases:
            if lease.valid == 0:
                continue
            if isinstance(lease, IaAddress):
                args = {"ip-address": str(lease.address)}
            else:
                args = {"prefix": f"{lease.prefix}/{lease.prefix_length}"}
            got = control(lab.socket, "lease-get", args)
            assert got["result"] == 0, (args, got)
            stored = got["arguments"]
            assert stored["duid"] == str(client_duid(i))
            assert stored["state"] == "ACTIVE"
            assert stored["valid-lft"] >= lease.valid
            assert stored["expire"] >= t_request + lease.valid
            checked += 1
    assert checked >= 2 * (CLIENTS // 10)
    print(f'{len(replies)} REPLYs of {CLIENTS} before SIGKILL, {checked} leases checked')
