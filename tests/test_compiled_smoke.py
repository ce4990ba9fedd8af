"""Every compiled extension in the pycti package imports, so a broken build fails loudly."""

from __future__ import annotations

import importlib
import importlib.machinery
import pathlib

import pycti

PACKAGE_DIR = pathlib.Path(pycti.__file__).parent


def compiled_module_names() -> list[str]:
    """Dotted names of the extension modules found under the pycti package."""
    names = set()
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for path in PACKAGE_DIR.rglob(f"*{suffix}"):
            rel = path.relative_to(PACKAGE_DIR.parent)
            module = rel.name.split(".", 1)[0]  # _x.cpython-311-....so, _x.abi3.so, _x.so
            names.add(".".join((*rel.parent.parts, module)))
    return sorted(names)


def test_the_simulated_board_is_built() -> None:
    assert "pycti.drivers._simboard" in compiled_module_names()


def test_every_compiled_module_imports() -> None:
    for name in compiled_module_names():
        module = importlib.import_module(name)
        # cffi API-mode modules expose ffi and lib; anything else must at least have a name
        assert module.__name__ == name


def test_simboard_module_exposes_its_c_api() -> None:
    from pycti.drivers._simboard import ffi, lib

    for fn in ("sim_board_new", "sim_board_free", "sim_board_exchange", "sim_board_poll",
               "sim_port_script", "sim_port_hook", "sim_station_ring", "sim_port_nudge",
               "sim_port_set_failed", "sim_port_report_loop_drop", "sim_port_state"):
        assert callable(getattr(lib, fn))
    assert ffi.sizeof("sim_event") >= 20
    board = lib.sim_board_new(1, 1, 0)
    assert board != ffi.NULL
    assert lib.sim_board_port_count(board) == 2
    lib.sim_board_free(board)
