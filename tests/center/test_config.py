"""Center files: the shipped example loads; every kind of mistake is named with its key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycti.callcenter.strategies import Strategy
from pycti.center.config import CenterConfigError, IvrFlow, IvrMenu, load_center
from pycti.center.run import switch_config
from pycti.center.tomlpos import KeyLines

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "center" / "center.toml"


def test_the_example_center_loads() -> None:
    c = load_center(EXAMPLE)
    assert [q.name for q in c.queues] == ["SALES", "SUPPORT"]
    assert c.queues[1].strategy is Strategy.MOST_SKILLED and c.queues[0].overflow_to == "SUPPORT"
    assert c.agents[0].skills == {"SALES": 7, "SUPPORT": 3} and c.agents[2].auto_answer
    assert c.agent_stations == {"1001": "8001", "1002": "8002", "1003": "8003"}
    assert c.agent_rules.default_wrap_up_ms == 5000 and c.agent_rules.max_ring_outs == 2
    flow, menu = c.ivr
    assert isinstance(flow, IvrFlow) and flow.name == "main" and isinstance(menu, IvrMenu)
    assert menu.options == {"1": "queue:SALES", "2": "queue:SUPPORT"} and c.dnis["4999"] == "quick"
    assert c.cdr_path == EXAMPLE.parent / "center.db"
    switch = switch_config(c, realtime=False)
    assert switch.routes == ("main", "quick", "VOICEMAIL") and switch.queues == ("SALES", "SUPPORT")
    assert switch.trunks == 4 and c.voicemail is not None and c.voicemail.folder == EXAMPLE.parent / "voicemail"
    assert c.queues[1].overflow_to == "VOICEMAIL"
    assert c.sim.callers_per_min == 3.0  # simulated callers: the example does something when served


#: the example without its simulated callers (the tests script the board's callers themselves)
GOOD = EXAMPLE.read_text(encoding="utf-8").replace("callers_per_min = 3", "callers_per_min = 0")


def _write(tmp_path: Path, text: str) -> Path:
    for folder, name in (("prompts", "main.wav"), ("flows", "main.toml")):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_bytes((EXAMPLE.parent / folder / name).read_bytes())
    path = tmp_path / "center.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "key", "needle"),
    [
        ("max_wait_s = 300", "max_wiat_s = 300", "queues[0].max_wiat_s", "max_wiat_s"),
        ("max_wait_s = 300", 'max_wait_s = "ten"', "queues[0].max_wait_s", "max_wait_s"),
        ('strategy = "mostSkilled"', 'strategy = "fastest"', "queues[1].strategy", "fastest"),
        ('overflow_to = "SUPPORT"', 'overflow_to = "BILLING"', "queues[0].overflow_to", "BILLING"),
        ("skills = { SALES = 4 }", "skills = { SALES = 11 }", "agents[1].skills.SALES", "SALES = 11"),
        ("skills = { SUPPORT = 9 }", "skills = { RETURNS = 9 }", "agents[2].skills.RETURNS", "RETURNS"),
        ('station = "8003"', 'station = "8009"', "agents[2].station", "8009"),
        ('"2" = "queue:SUPPORT" }', '"2" = "queue:NOPE" }', "ivr.quick.options.2", "NOPE"),
        ('prompt = "prompts/main.wav"', 'prompt = "prompts/missing.wav"', "ivr.quick.prompt", "missing.wav"),
        ("trunks = 4", "trunks = -1", "sim.trunks", "trunks = -1"),
        ('country = "CN"', 'country = "China"', "center.country", "China"),
    ],
)
def test_a_wrong_value_names_its_key_and_line(tmp_path: Path, old: str, new: str, key: str, needle: str) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    with pytest.raises(CenterConfigError) as err:
        load_center(_write(tmp_path, text))
    message = str(err.value)
    assert f"center.toml:{_line_of(text, needle)}:" in message and key in message, message


def test_syntax_errors_carry_toml_line(tmp_path: Path) -> None:
    with pytest.raises(CenterConfigError, match=r"not valid TOML.*line 3"):
        load_center(_write(tmp_path, '[center]\nname = "x"\nbroken = \n'))


def test_a_bad_prompt_file_is_found_at_load_not_at_call_time(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    (tmp_path / "prompts" / "main.wav").write_bytes(b"RIFF0000WAVEnot really")
    with pytest.raises(CenterConfigError, match=r"ivr\.(main\.flow|quick\.prompt)"):
        load_center(path)


def test_a_broken_flow_file_is_named_with_its_own_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    flow = tmp_path / "flows" / "main.toml"
    flow.write_text(flow.read_text().replace('queue = "SALES"', 'queue = "SALES"\nfoo = 1'))
    with pytest.raises(CenterConfigError) as err:
        load_center(path)
    assert "ivr.main.flow" in str(err.value) and "main.toml:" in str(err.value) and "foo" in str(err.value)


def test_trunk_needs_registration_or_ip_auth(tmp_path: Path) -> None:
    text = GOOD + '\n[[trunks]]\nname = "carrier"\nhost = "127.0.0.1"\n'
    with pytest.raises(CenterConfigError, match=r"trunks\[0\]: a trunk needs register"):
        load_center(_write(tmp_path, text))


def test_sip_sections_build_the_sip_driver(tmp_path: Path) -> None:
    from pycti.center.run import drivers
    from pycti.drivers.sip import SipDriver

    text = (GOOD + '\n[sip]\nlisten = "127.0.0.1:5080"\ntransports = ["udp"]\n\n'
            '[[trunks]]\nname = "carrier"\nhost = "127.0.0.1"\nip_auth = ["127.0.0.1"]\n\n'
            '[[phones]]\nextension = "6001"\npassword = "6001pw"\n')
    center = load_center(_write(tmp_path, text))
    assert center.sip is not None and center.sip.listen_port == 5080
    built = drivers(center)
    assert len(built) == 2 and isinstance(built[1], SipDriver)  # the sim board and SIP in one center
    with pytest.raises(CenterConfigError, match=r"sip\.listen: must be HOST:PORT"):
        load_center(_write(tmp_path, GOOD + '\n[sip]\nlisten = "nowhere"\n'))
    with pytest.raises(CenterConfigError, match=r"need a \[sip\] section"):
        switch_config(load_center(_write(tmp_path, GOOD + '\n[[phones]]\nextension = "6001"\npassword = "x"\n')))


def test_key_lines_follow_tables_arrays_and_inline_tables() -> None:
    text = '[a]\nx = 1\n[[q]]\nname = "one"\n[[q]]\nname = "two"\nskills = { S = 1, T = 2 }\n[a.b]\n"k.k" = 3\n'
    lines = KeyLines(text)
    assert lines.line(("a", "x")) == 2
    assert lines.line(("q", 1, "name")) == 6
    assert lines.line(("q", 1, "skills", "T")) == 7
    assert lines.line(("a", "b", "k.k")) == 9
    assert lines.line(("q", 1, "missing")) == 5  # the nearest ancestor: the table's header
