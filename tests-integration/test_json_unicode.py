"""Job input text: the API accepts exactly what a strict JSON parser accepts, and stores it as sent.

The reference is Python's json made strict: the body must decode as UTF-8 (Python's codec
refuses overlong forms, encoded surrogates, code points above U+10FFFF and cut-off sequences),
NaN/Infinity are refused, and so is any string or member name holding a lone surrogate (which
json.loads would accept from a \\uD800 escape). Bodies are POSTed to /runsync of `orchestrator
dev` whose handler answers with the input exactly as the worker received it, so "stored as
sent" is checked through the API, byte for byte.
"""
import json
import os
import re
import sys

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Role, wait_for

RAW_ECHO = f"{sys.executable} -u {os.path.join(os.path.dirname(os.path.abspath(__file__)), 'raw_echo_handler.py')}"


class Refused(ValueError):
    pass


def _check_text(text):
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise Refused("lone surrogate")


def _walk(value):
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, list):
        for item in value:
            _walk(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(item)


def _pairs(items):
    for key, _ in items:
        _check_text(key)
    return dict(items)


def _constant(name):
    raise Refused(name)


def strict_loads(body):
    """json.loads made strict (see the module's docstring); raises ValueError when it refuses."""
    value = json.loads(body.decode("utf-8"), object_pairs_hook=_pairs, parse_constant=_constant)
    _walk(value)
    return value


def api_accepts(value):
    """What /run needs on top of JSON: an object with an object 'input' (nothing else generated)."""
    return isinstance(value, dict) and isinstance(value.get("input"), dict)


@pytest.fixture(scope="module")
def dev():
    role = Role(["dev", "--port", "0", "--runtime", "persistent", "--concurrency", "2", "--handler", RAW_ECHO])
    base = wait_for(lambda: re.search(r"API: (http://[0-9.]+:\d+)", role.output()), timeout=30, what="API address").group(1)
    yield base
    role.stop()


def submit(base, body):
    return requests.post(f"{base}/v2/default/runsync?wait=30000", data=body,
                         headers={"Content-Type": "application/json"}, timeout=60)


def check(base, input_bytes):
    """POSTs {"input": <input_bytes>} and compares with the strict parser."""
    body = b'{"input": ' + input_bytes + b"}"
    try:
        expected = strict_loads(body)
        accepted = api_accepts(expected)
    except (ValueError, RecursionError):
        expected, accepted = None, False
    if accepted and set(expected) - {"input"}:
        return  # a generated 'webhook' or 'policy' member would be judged by other rules
    response = submit(base, body)
    if not accepted:
        assert response.status_code == 400, (body, response.status_code, response.text)
        assert "error" in response.json(), response.text
        return
    assert response.status_code == 200, (body, response.text)
    answer = response.json()
    assert answer["status"] == "COMPLETED", answer
    stored = answer["output"]["raw"].encode("utf-8")
    assert strict_loads(stored) == expected["input"]
    assert stored in body
    try:
        alone = strict_loads(input_bytes)
    except ValueError:
        alone = None
    if alone is not None:
        # The whole of input_bytes was the input: it must come back unchanged.
        assert stored == input_bytes.strip(b" \t\r\n"), (input_bytes, stored)


CORPUS = [
    # accepted
    '{"text": "plain"}'.encode(), '{"é": "Zoë 😀 €"}'.encode(), rb'{"e": "\u00e9 \ud83d\ude00 \uD83D\uDE00"}',
    b'{"max": "\xf4\x8f\xbf\xbf", "bmp": "\xef\xbf\xbf", "below": "\xed\x9f\xbf", "above": "\xee\x80\x80"}',
    b'{"n": [1.50, -0, 1e400, 123456789012345678901234567890], "deep": [[[{"a": null}]]], "a": 1, "a": 2}',
    # refused
    b'{"a": "\x80"}', b'{"a": "\xc0\x80"}', b'{"a": "\xc1\xbf"}', b'{"a": "\xe0\x80\x80"}', b'{"a": "\xe0\x9f\xbf"}',
    b'{"a": "\xf0\x8f\xbf\xbf"}', b'{"a": "\xed\xa0\x80"}', b'{"a": "\xed\xbf\xbf"}', b'{"a": "\xed\xa0\xbd\xed\xb8\x80"}',
    b'{"a": "\xf4\x90\x80\x80"}', b'{"a": "\xf5\x80\x80\x80"}', b'{"a": "\xff"}', b'{"a": "\xc3"}', b'{"a": "\xe2\x82"}',
    b'{"a": "\xf0\x9f\x98"}', b'{"a": "\xc3\x41"}', b'{"\xc3\x28": 1}', b'{"a": 1}\xc3', b'\xef\xbb\xbf{"a": 1}',
    rb'{"a": "\ud800"}', rb'{"a": "\udc00"}', rb'{"a": "\ud800\u0041"}', rb'{"a": "\udc00\ud800"}', rb'{"\ud800": 1}',
    b'{"a": NaN}', b'{"a": Infinity}', b'{"a": "tab\there"}',
]


@pytest.mark.parametrize("input_bytes", CORPUS, ids=lambda b: repr(b)[:60])
def test_corpus(dev, input_bytes):
    check(dev, input_bytes)


def test_corpus_covers_both_answers():
    outcomes = set()
    for item in CORPUS:
        try:
            outcomes.add(api_accepts(strict_loads(b'{"input": ' + item + b"}")))
        except ValueError:
            outcomes.add(False)
    assert outcomes == {True, False}


# Pieces worth putting inside strings: every kind of malformed UTF-8, well-formed multi-byte
# characters, escapes (surrogate pairs, lone surrogates, ordinary ones) and control bytes.
TRICKY = [
    b"\x80", b"\xbf", b"\xc0\x80", b"\xc1\xbf", b"\xc2", b"\xc2\x80", b"\xdf\xbf", b"\xe0\x80\x80", b"\xe0\xa0\x80",
    b"\xed\x9f\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xef\xbf\xbf", b"\xf0\x80\x80\x80", b"\xf0\x90\x80\x80",
    b"\xf4\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xf8\x88\x80\x80\x80", b"\xfe", b"\xff",
    "é".encode(), "😀".encode(), rb"\ud83d\ude00", rb"\ud800", rb"\udbff", rb"\udc00", rb"\udfff", rb"\u0041",
    rb"\ud800\u0041", rb"\ud83d", rb"\n", rb"\"", rb"\\", b"\\", b"\x00", b"\x1f", b"\x7f", b'"',
]

piece = st.one_of(st.sampled_from(TRICKY), st.binary(max_size=4), st.text(max_size=3).map(lambda t: t.encode()))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


@st.composite
def inputs(draw):
    """A JSON object with byte pieces spliced into one of its strings, or at a random place."""
    value = draw(st.dictionaries(st.text(max_size=5), json_values, min_size=1, max_size=4))
    text = json.dumps(value, ensure_ascii=draw(st.booleans())).encode("utf-8")
    spliced = b"".join(draw(st.lists(piece, min_size=1, max_size=3)))
    quotes = [i for i, byte in enumerate(text) if byte == 0x22]
    if quotes and draw(st.integers(0, 4)) > 0:
        # Just after an opening or closing quote: inside a string or right after it.
        at = draw(st.sampled_from(quotes)) + 1
    else:
        at = draw(st.integers(0, len(text)))
    return text[:at] + spliced + text[at:]


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(input_bytes=inputs())
def test_generated_documents_match_a_strict_parser(dev, input_bytes):
    check(dev, input_bytes)


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=st.dictionaries(st.text(), json_values, max_size=4), ascii_only=st.booleans())
def test_valid_documents_are_stored_byte_for_byte(dev, value, ascii_only):
    check(dev, json.dumps(value, ensure_ascii=ascii_only).encode("utf-8"))
