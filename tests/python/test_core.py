"""failover6._core: the thin extension layer (dicts in the JSON form of impl/wire/json.h,
exceptions, framing, name tables, argument handling)."""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor

import pytest

import failover6
from failover6 import _core

H = bytes.fromhex

SOLICIT = H("01123456 0008 0002 0000 000e 0000")


def test_package_exports() -> None:
    assert failover6.__version__ == _core.__version__
    assert failover6.__version__.count(".") == 2
    for name in failover6.__all__:
        assert hasattr(failover6, name), name
    assert failover6.DecodeError is _core.DecodeError
    assert failover6.EncodeError is _core.EncodeError
    assert failover6.DecodeError.__module__ == "failover6"
    assert issubclass(failover6.DecodeError, ValueError)
    assert issubclass(failover6.EncodeError, ValueError)


def test_decode_message_dict_form() -> None:
    assert _core.decode_message(SOLICIT) == {
        "type": "SOLICIT",
        "msg_type": 1,
        "transaction_id": 0x123456,
        "options": [
            {"code": 8, "option": "ELAPSED_TIME", "value": 0},
            {"code": 14, "option": "RAPID_COMMIT"},
        ],
    }


def test_relay_and_failover_dict_forms() -> None:
    relay = H("0c05") + bytes(15) + b"\x01" + bytes(15) + b"\x02" + struct.pack("!HH", 9, len(SOLICIT)) + SOLICIT
    d = _core.decode_message(relay)
    assert {k: d[k] for k in ("type", "msg_type", "hop_count", "link_address", "peer_address")} == {
        "type": "RELAY-FORW", "msg_type": 12, "hop_count": 5, "link_address": "::1", "peer_address": "::2"}
    assert "transaction_id" not in d
    assert d["options"][0]["message"] == _core.decode_message(SOLICIT)
    f = _core.decode_failover(H("1f 000007 0000007b 007a 0004 00000e10"))
    assert f == {
        "type": "CONNECT", "msg_type": 31, "transaction_id": 7, "sent_time": 123,
        "has_sent_time": True, "options": [{"code": 122, "option": "F_MCLT", "value": 3600}],
    }


def test_encode_accepts_names_and_numbers() -> None:
    by_name = _core.encode_message({"type": "solicit", "transaction_id": 0x123456, "options": [
        {"option": "ELAPSED_TIME", "value": 0}, {"option": "rapid_commit"}]})
    by_number = _core.encode_message({"msg_type": 1, "transaction_id": 0x123456, "options": [
        {"code": 8, "value": 0}, {"code": 14}]})
    assert by_name == by_number == SOLICIT
    assert _core.encode_message(_core.decode_message(SOLICIT)) == SOLICIT


def test_encode_failover_framing() -> None:
    msg = {"type": "CONTACT", "transaction_id": 1, "sent_time": 2}
    body = _core.encode_failover(msg)
    assert body == H("23 000001 00000002")
    assert _core.encode_failover(msg, framed=True) == H("0008") + body
    with pytest.raises(TypeError):
        _core.encode_failover(msg, True)  # type: ignore[misc]  # framed is keyword-only


def test_json_conversion_errors_name_the_place() -> None:
    with pytest.raises(TypeError, match=r"^msg\['options'\]\[0\]\['data'\]: cannot convert bytes to JSON \(octet strings are hex str in the JSON form\)$"):
        _core.encode_message({"type": 1, "options": [{"code": 18, "data": b"x"}]})
    with pytest.raises(TypeError, match=r"^msg\['options'\]: dict key 1 is not a str$"):
        _core.encode_message({"type": 1, "options": {1: 2}})
    with pytest.raises(TypeError, match=r"^msg\['x'\]: cannot convert set to JSON$"):
        _core.encode_message({"type": 1, "x": {1}})
    with pytest.raises(ValueError, match=r"^field 'options': expected an array$"):
        _core.encode_message({"type": 1, "options": {}})
    with pytest.raises(ValueError, match=r"^field 'type': unknown message type 'NOPE'$"):
        _core.encode_message({"type": "NOPE"})
    with pytest.raises(ValueError, match=r"^field 'type': missing$"):
        _core.encode_message({})
    with pytest.raises(ValueError, match=r"^option CLIENTID \(1\): field 'duid': 'xyz' is not hex$"):
        _core.encode_message({"type": 1, "options": [{"code": 1, "duid": "xyz"}]})
    with pytest.raises(ValueError, match=r"^field 'option': unknown option name 'NOPE'$"):
        _core.encode_message({"type": 1, "options": [{"option": "NOPE"}]})
    with pytest.raises(ValueError, match=r"^option CLIENTID \(1\): field 'data': not a field of this option$"):
        _core.encode_message({"type": 1, "options": [{"code": 1, "data": "000300010001"}]})
    with pytest.raises(ValueError, match=r"^field 'has_sent_time': expected true or false$"):
        _core.encode_failover({"type": 35, "has_sent_time": 1})
    with pytest.raises(ValueError, match=r"nested deeper than 512 levels"):
        deep: list[object] = []
        for _ in range(600):
            deep = [deep]
        _core.encode_message({"type": 1, "x": deep})


def test_tuples_floats_and_none_convert() -> None:
    # Tuples are arrays; a float or None where an integer belongs is refused by the codec.
    assert _core.encode_message({"type": 1, "options": ({"code": 14},)}) == H("01000000 000e0000")
    with pytest.raises(ValueError, match=r"field 'value': expected a non-negative integer, got 1\.5"):
        _core.encode_message({"type": 1, "options": [{"code": 8, "value": 1.5}]})
    with pytest.raises(ValueError, match=r"field 'value': expected a non-negative integer, got null"):
        _core.encode_message({"type": 1, "options": [{"code": 8, "value": None}]})


def test_arguments_are_typed() -> None:
    with pytest.raises(TypeError):
        _core.decode_message("01000000")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _core.encode_message([1])  # type: ignore[arg-type]
    assert _core.decode_message(bytearray(SOLICIT)) == _core.decode_message(memoryview(SOLICIT))
    assert _core.decode_message(memoryview(b"xx" + SOLICIT)[2:]) == _core.decode_message(SOLICIT)
    assert "data" in _core.decode_message.__doc__  # argument names are in the signature


def test_split_frames() -> None:
    a = _core.encode_failover({"type": "CONTACT", "transaction_id": 1}, framed=True)
    b = _core.encode_failover({"type": "STATE", "transaction_id": 2}, framed=True)
    stream = a + b + b[:5]
    frames, consumed = _core.split_frames(stream)
    assert frames == [a[2:], b[2:]]
    assert consumed == len(a) + len(b)
    assert stream[consumed:] == b[:5]
    assert _core.split_frames(b"") == ([], 0)
    assert _core.split_frames(H("00")) == ([], 0)
    assert _core.split_frames(H("0000")) == ([b""], 2)


def test_frame_splitter_one_octet_at_a_time() -> None:
    msgs = [failover6.FailoverMessage(failover6.MessageType.BndUpd, i, i * 10, options=[failover6.FMclt(i)])
            for i in range(5)]
    stream = b"".join(m.encode(framed=True) for m in msgs)
    s = failover6.FrameSplitter()
    got = []
    for i in range(len(stream)):
        s.feed(stream[i:i + 1])
        got.extend(failover6.FailoverMessage.decode(f) for f in s)
    assert got == msgs
    assert s.pending == 0
    assert s.next() is None
    s.feed(H("0003 aa"))
    assert s.pending == 3
    assert s.next() is None
    s.feed(bytearray(H("bbcc")))
    assert s.next() == H("aabbcc")


def test_name_tables() -> None:
    assert _core.message_type_name(7) == "REPLY"
    assert _core.message_type_name(200) == "MSG-200"
    assert _core.option_name(3) == "IA_NA"
    assert _core.option_name(9999) == "OPTION-9999"
    assert _core.status_name(2) == "NoAddrsAvail"
    assert _core.binding_status_name(6) == "FREE-BACKUP"
    assert _core.server_state_name(3) == "COMMUNICATIONS-INTERRUPTED"
    assert _core.parse_message_type("bndupd") == 24
    assert _core.parse_message_type("nope") is None
    assert _core.parse_option_code("f_mclt") == 122
    assert _core.parse_option_code("OPTION-64") == 64
    with pytest.raises(ValueError, match=r"^message type 256 is outside 0\.\.255$"):
        _core.message_type_name(256)
    with pytest.raises(ValueError, match=r"^option code -1 is outside 0\.\.65535$"):
        _core.option_name(-1)
    assert _core.describe_duid(H("00010001 18464999 001122334455")).startswith("LLT hw=1 time=407259545")


def test_decode_error_attributes_and_text() -> None:
    with pytest.raises(failover6.DecodeError) as e:
        _core.decode_message(H("01000001 0003 0008") + bytes(8))
    assert e.value.offset == 8
    assert e.value.reason == "IA_NA (3): length 8 is shorter than its 12-octet fixed part"
    assert e.value.args == ("offset 8: IA_NA (3): length 8 is shorter than its 12-octet fixed part",)
    with pytest.raises(failover6.DecodeError) as e:
        _core.decode_failover(b"")
    assert (e.value.offset, e.value.reason) == (0, "empty failover message")


def test_concurrent_decoding_gives_the_same_results() -> None:
    # decode/encode run without the GIL for bytes input; results must not depend on it.
    msg = failover6.Message(failover6.MessageType.Reply, 1, [
        failover6.IaNa(i, 1, 2, [failover6.IaAddress(f"2001:db8::{i:x}", 3, 4)]) for i in range(200)])
    data = msg.encode()
    with ThreadPoolExecutor(max_workers=4) as pool:
        decoded = list(pool.map(lambda _: failover6.Message.decode(data), range(16)))
        encoded = list(pool.map(lambda m: m.encode(), decoded))
    assert all(d == msg for d in decoded)
    assert all(e == data for e in encoded)


# An option's JSON form names the option under "option", so options that have a field called
# "name" (CLIENT_FQDN 39, F_DNS_HOST_NAME 117, F_DNS_ZONE_NAME 118, F_RELATIONSHIP_NAME 130) keep
# both.
def test_option_key_is_the_option_name_for_every_option() -> None:
    d = _core.decode_message(H("01000001 0082 0006") + b"pair-1")
    assert d["options"][0]["option"] == "F_RELATIONSHIP_NAME"
    assert d["options"][0]["name"] == "pair-1"


def test_option_selected_by_name_has_empty_value() -> None:
    data = _core.encode_message({"type": 1, "options": [{"option": "F_RELATIONSHIP_NAME"}]})
    assert data == H("01000000 0082 0000")
