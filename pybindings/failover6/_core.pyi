"""Type stubs for the C++ extension failover6._core (pybindings/bind_*.cpp).

Plain values in and out: messages are dicts in the JSON form of impl/wire/json.h, octets are
bytes. JSON strings are str decoded from UTF-8 with errors="surrogateescape" (and encoded back
the same way), so arbitrary octets survive a round trip.
"""

from typing import Any, Iterator, Union

_Buffer = Union[bytes, bytearray, memoryview]

__version__: str

FAILOVER_EPOCH_UNIX: int
MAX_RELAY_DEPTH: int
MAX_NESTING: int

class DecodeError(ValueError):
    """Malformed octets; str() is "offset N: reason"."""

    offset: int
    """Absolute octet offset in the input where decoding failed."""
    reason: str
    """What was wrong there, e.g. "IA_NA (3): length 8 is shorter than its 12-octet fixed part"."""

class EncodeError(ValueError):
    """A value that cannot be put on the wire; the text names the field."""

def decode_message(data: _Buffer) -> dict[str, Any]:
    """Decodes one DHCPv6 message (UDP payload) to its JSON form. Raises DecodeError."""

def encode_message(msg: dict[str, Any]) -> bytes:
    """Encodes a DHCPv6 message from its JSON form. Raises ValueError (naming the field) or
    EncodeError."""

def decode_failover(data: _Buffer) -> dict[str, Any]:
    """Decodes one RFC 8156 message (without length prefix). Raises DecodeError."""

def encode_failover(msg: dict[str, Any], *, framed: bool = False) -> bytes:
    """Encodes an RFC 8156 message; framed=True adds the 2-octet length prefix."""

def split_frames(data: _Buffer) -> tuple[list[bytes], int]:
    """Splits length-prefixed frames: (complete frame bodies, octets consumed)."""

class FrameSplitter:
    """Sans-IO splitter of the failover TCP stream into message bodies."""

    def __init__(self) -> None: ...
    def feed(self, data: _Buffer) -> None: ...
    def next(self) -> bytes | None: ...
    @property
    def pending(self) -> int: ...
    def __iter__(self) -> Iterator[bytes]: ...
    def __next__(self) -> bytes: ...

def describe_message(msg: dict[str, Any]) -> str:
    """One line describing a DHCPv6 message (type, xid, client, IAs, status, relay hops)."""

def describe_failover(msg: dict[str, Any]) -> str:
    """One line describing a failover message (type, xid, sent-time, key options)."""

def message_type_name(value: int) -> str: ...
def parse_message_type(name: str) -> int | None: ...
def option_name(code: int) -> str: ...
def parse_option_code(name: str) -> int | None: ...
def status_name(code: int) -> str: ...
def binding_status_name(value: int) -> str: ...
def server_state_name(value: int) -> str: ...
def describe_duid(raw: _Buffer) -> str: ...

class Generator:
    """Emulated DHCPv6 clients behind relays, run against servers over UDP (toolkit/gen)."""

    def __init__(
        self,
        servers: list[str],
        *,
        clients: int,
        relays: int = 1,
        rate: float = 1000.0,
        duration: float = 10.0,
        na: bool = True,
        pd: bool = False,
        time_scale: float = 1.0,
        pcap: str = "",
        seed: int = 1,
        rapid_commit: bool = False,
        relay_depth: int = 1,
        remote_id: bool = False,
        release: bool = False,
        until_bound: bool = False,
        info_only: float = 0.0,
        decline: float = 0.0,
        link_address: str = "2001:db8:1::1",
        renew_unicast: bool = True,
        start_delay: bool = True,
        progress: bool = False,
    ) -> None: ...
    def run(self) -> dict[str, Any]:
        """Runs to the end with the GIL released; returns the summary dict."""
    def stop(self) -> None:
        """Ends a run() in progress in another thread early."""
    def snapshot(self) -> dict[str, Any]:
        """The live progress of a run() in another thread (clients_bound, exchanges, ...)."""

class TraceError(ValueError):
    """A capture file is missing, is not a pcap/pcapng file, or cannot be read."""

def check(
    files: list[str],
    *,
    mclt: int = 0,
    max_outage: float = 0.0,
    skew: float = 5.0,
    dedup_window: float = 0.5,
    udp_ports: list[int] = ...,
    failover_ports: list[int] = ...,
    timeline: bool = False,
) -> dict[str, Any]:
    """Runs every invariant over the captures; the `failover6 check --json` report + exit_code."""

def invariant_names() -> list[str]: ...

# ---- toolkit/fault (bind_fault.cpp); the typed API is failover6.fault ----

class PartnerProxy:
    """TCP proxy of the partner link with switchable faults (own io thread)."""

    def __init__(self, target: str, listen: str = "[::1]:0", pcap: str = "",
                 name: str = "partner-link") -> None: ...
    @property
    def port(self) -> int: ...
    @property
    def listen_address(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def mode(self) -> str: ...
    def pass_through(self) -> None: ...
    def blackhole(self) -> None: ...
    def reset(self) -> int: ...
    def refuse(self) -> None: ...
    def delay(self, seconds: float) -> None: ...
    def one_way(self, drop: str) -> None: ...
    def stats(self) -> dict[str, Any]: ...
    def events(self) -> list[tuple[float, str]]: ...
    def close(self) -> None: ...

class UdpProxy:
    """UDP forwarder in front of one server; blackhole() drops client->server."""

    MAX_SOURCES: int
    def __init__(self, target: str, listen: str = "[::1]:0", name: str = "client-proxy",
                 idle_timeout: float = 120.0) -> None: ...
    @property
    def port(self) -> int: ...
    @property
    def listen_address(self) -> str: ...
    @property
    def mode(self) -> str: ...
    def pass_through(self) -> None: ...
    def blackhole(self) -> None: ...
    def stats(self) -> dict[str, Any]: ...
    def events(self) -> list[tuple[float, str]]: ...
    def close(self) -> None: ...

class Process:
    """A child started with posix_spawn in its own process group."""

    def __init__(self, argv: list[str], env: dict[str, str] = ..., log: str = "",
                 netns: str = "", cwd: str = "") -> None: ...
    @property
    def pid(self) -> int: ...
    @property
    def alive(self) -> bool: ...
    @property
    def returncode(self) -> int | None: ...
    def kill(self) -> None: ...
    def terminate(self, timeout: float = 10.0) -> int: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def signal(self, sig: int) -> bool: ...
    def wait(self, timeout: float) -> int | None: ...

def skew_env(seconds: float) -> dict[str, str]: ...
def faketime_library_paths() -> list[str]: ...
def run_command(argv: list[str], input: str = "", timeout: float = 30.0) -> tuple[int, str]: ...
def nft_apply_script(table: str, peer: str, direction: str = "both", proto: str = "tcp",
                     port: int | None = None, action: str = "drop") -> str: ...
def nft_remove_script(table: str) -> str: ...

class NftPartition:
    """nftables drop (or reject) rules toward one peer in a netns."""

    def __init__(self, netns: str, peer: str, direction: str = "both", proto: str = "tcp",
                 port: int | None = None, action: str = "drop") -> None: ...
    @property
    def action(self) -> str: ...
    @property
    def table(self) -> str: ...
    @property
    def applied(self) -> bool: ...
    def apply(self) -> None: ...
    def heal(self) -> None: ...
    def close(self) -> None: ...
