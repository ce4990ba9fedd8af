"""The spandsp binding's build: cache location, rebuild on change, constants, missing library."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.peers import _spandsp_build as build
from tests.peers.spandsp import SpandspUnavailable, load

REPO = Path(__file__).resolve().parents[2]


def test_the_extension_is_cached_outside_the_git_tree() -> None:
    load()
    path = build._built_path(build._cache_dir(), build._module_name())
    assert path is not None and path.is_file()
    assert REPO not in path.resolve().parents
    assert path.parent.name == "pycti-peers"


def test_the_cache_follows_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert build._cache_dir() == tmp_path / "pycti-peers"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert build._cache_dir() == Path.home() / ".cache" / "pycti-peers"


def test_changing_the_declarations_changes_the_module_name(monkeypatch: pytest.MonkeyPatch) -> None:
    before = build._module_name()
    monkeypatch.setattr(build, "_CDEF", build._CDEF + "int fax_free(fax_state_t *s);\n")
    assert build._module_name() != before
    monkeypatch.setattr(build, "_C_SOURCE", build._C_SOURCE + "/* changed */\n")
    assert build._module_name() != before


def test_completion_and_status_constants_come_from_the_headers() -> None:
    ffi, lib = load()
    # the T30_ERR_* enumeration counts up from T30_ERR_OK = 0 in header order
    codes = range(len(build.T30_ERR_NAMES))
    assert [getattr(lib, name) for name in build.T30_ERR_NAMES] == list(codes)
    texts = [ffi.string(lib.t30_completion_code_to_str(code)).decode() for code in codes]
    assert texts[0] == "OK" and "???" not in texts and len(set(texts)) == len(texts)
    assert lib.SIG_STATUS_CARRIER_DOWN == -1 and lib.SIG_STATUS_END_OF_DATA == -7
    assert (lib.T30_SUPPORT_V27TER, lib.T30_SUPPORT_V29, lib.T30_SUPPORT_V17) == (1, 2, 4)
    assert ffi.string(lib.t30_frametype(0x80)).decode() == "DIS"  # spandsp codes FCFs bit-reversed


def test_a_missing_library_names_the_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(SpandspUnavailable, match="apt-get install libspandsp-dev"):
        build._compile(tmp_path, "_pycti_spandsp_missing", libraries=["pycti_no_such_library"])
