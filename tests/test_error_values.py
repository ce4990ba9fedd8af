"""pycti.errors.ErrorValue is exactly ECMA-285's error vocabulary, and no error value is written
as a string literal anywhere in pycti."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from pycti.errors import CstaError, ErrorCategory, ErrorValue

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_error_values", ROOT / "tools" / "gen_error_values.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_enum_matches_the_asn1_module():
    gen = _generator()
    parsed = gen.parse(gen.ASN1.read_text(encoding="utf-8", errors="replace"))
    assert len(parsed) == len(ErrorValue) == 264
    assert [m.value for m in ErrorValue] == [(c, n, k) for c, n, k in parsed]


def test_members_spell_the_asn1_names():
    assert ErrorValue.INVALID_DEVICE_ID.asn1_name == "invalidDeviceID"
    assert ErrorValue.INVALID_DEVICE_ID.code == 12
    assert ErrorValue.INVALID_CONNECTION_STATE.category is ErrorCategory.STATE_INCOMPATIBILITY
    assert ErrorValue.NETWORK_BUSY.category is ErrorCategory.SYSTEM_RESOURCE_AVAILABILITY
    assert ErrorValue.STATE_GENERIC.asn1_name == "generic"
    assert ErrorValue.from_asn1("operation", "invalidCallID") is ErrorValue.INVALID_CALL_ID
    with pytest.raises(ValueError, match="invalidCallID"):
        ErrorValue.from_asn1("security", "invalidCallID")


def test_csta_error_takes_only_error_values():
    e = CstaError(ErrorValue.NO_CALL_TO_ANSWER, "nothing rings at 8001")
    assert e.category is ErrorCategory.STATE_INCOMPATIBILITY
    assert str(e) == "noCallToAnswer: nothing rings at 8001"
    with pytest.raises(TypeError):
        CstaError("noCallToAnswer")  # type: ignore[arg-type]


def test_no_error_value_as_a_string_literal():
    names = {m.asn1_name for m in ErrorValue} - {"generic"}
    exempt = {
        ROOT / "pycti" / "errors.py",  # the enum itself, generated from the ASN.1
        ROOT / "pycti" / "switch" / "events.py",  # EventCause shares a few spellings
    }
    found = []
    for path in (ROOT / "pycti").rglob("*.py"):
        if path in exempt:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert not found, found
