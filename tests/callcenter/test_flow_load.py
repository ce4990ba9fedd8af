"""Loading and checking IVR flow files: every kind of bad file is refused naming file, node, line."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

import pycti
from pycti.callcenter.flow import ConditionNode, FlowError, HoursTest, MenuNode, check_flow, load_flow
from pycti.callcenter.flow_runner import FlowRunner
from pycti.demo.prompts import synthetic_prompt
from pycti.dsp.audiofile import write_wav
from pycti.local.config import SwitchConfig

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
HELLO = {"hello": synthetic_prompt(syllables=2)}


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _only_error(path: Path, **kw: object) -> str:
    with pytest.raises(FlowError) as info:
        load_flow(path, **kw)  # type: ignore[arg-type]
    assert len(info.value.issues) == 1, info.value.issues
    return str(info.value.issues[0])


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(FlowError) as info:
        load_flow(DATA / "bad_syntax.toml")
    issue = info.value.issues[0]
    assert issue.line == 6 and "TOML syntax error" in issue.message
    assert str(issue).startswith(f"{DATA / 'bad_syntax.toml'}:6:")


def test_unknown_target_names_node_and_the_option_line() -> None:
    path = DATA / "bad_target.toml"
    msg = _only_error(path, prompts=HELLO)
    assert msg == f"{path}:{_line_of(path, 'nowhere')}: [nodes.menu] option '2' goes to unknown node 'nowhere'"


def test_missing_prompt_file_names_node_and_key_line() -> None:
    path = DATA / "missing_prompt.toml"
    msg = _only_error(path)
    assert f"{path}:{_line_of(path, 'no-such-file')}: [nodes.welcome]" in msg and "not found" in msg


def test_unknown_node_kind() -> None:
    path = DATA / "bad_kind.toml"
    msg = _only_error(path, prompts=HELLO)
    assert f":{_line_of(path, 'speech_recognition')}: [nodes.ask] unknown node kind 'speech_recognition'" in msg


def test_named_prompt_not_supplied(tmp_path: Path) -> None:
    flow = tmp_path / "f.toml"
    flow.write_text('[flow]\nstart = "hi"\n[nodes.hi]\nkind = "play"\nprompt = "@hi"\nnext = "bye"\n'
                    '[nodes.bye]\nkind = "hangup"\n')
    assert _only_error(flow) == f"{flow}:5: [nodes.hi] prompt: no prompt named 'hi' was supplied (supplied: none)"


def _wav(path: Path, samples: np.ndarray, rate_hz: int, channels: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes(samples.astype("<i2").tobytes())


@pytest.mark.parametrize(("rate_hz", "stereo", "expect"), [(16000, False, "sample rate 16000 Hz"),
                                                          (8000, True, "2 channels")])
def test_bad_prompt_wav_refused_at_load_with_node_and_line(tmp_path: Path, rate_hz: int, stereo: bool,
                                                           expect: str) -> None:
    audio = synthetic_prompt(syllables=2)
    _wav(tmp_path / "bad.wav", np.stack([audio, audio], axis=1) if stereo else audio, rate_hz, 2 if stereo else 1)
    flow = tmp_path / "f.toml"
    flow.write_text('[flow]\nstart = "hi"\n\n[nodes.hi]\nkind = "play"\nnext = "bye"\nprompt = "bad.wav"\n\n'
                    '[nodes.bye]\nkind = "hangup"\n')
    msg = _only_error(flow)
    assert msg.startswith(f"{flow}:7: [nodes.hi] prompt:") and expect in msg


def test_empty_and_truncated_wav_refused(tmp_path: Path) -> None:
    write_wav(tmp_path / "empty.wav", np.zeros(0, np.int16))
    (tmp_path / "cut.wav").write_bytes(b"RIFF\x10\x00")
    flow = tmp_path / "f.toml"
    flow.write_text('[flow]\nstart = "a"\n[nodes.a]\nkind = "play"\nprompt = "empty.wav"\nnext = "b"\n'
                    '[nodes.b]\nkind = "hangup"\nprompt = ["cut.wav"]\n')
    with pytest.raises(FlowError) as info:
        load_flow(flow)
    text = str(info.value)
    assert "[nodes.a] prompt: prompt 'empty.wav' holds no audio" in text
    assert "[nodes.b] prompt: prompt 'cut.wav' is not valid" in text and "truncated RIFF header" in text


def test_typos_and_bad_values_are_each_reported(tmp_path: Path) -> None:
    flow = tmp_path / "f.toml"
    flow.write_text("""[flow]
start = "m"
timezone = "Mars/Olympus"

[nodes.m]
kind = "menu"
prompt = "@hello"
options = { "1" = "c", "x" = "c" }
timout_s = 3
tries = 0

[nodes.c]
kind = "collect"
store = "caller"
next = "m"
pattern = "[0-9"
terminator = "##"

[nodes.h]
kind = "condition"
default = "m"
[[nodes.h.when]]
hours = "18:00-08:00"
goto = "m"
""")
    issues = check_flow(flow, prompts=HELLO)
    text = "\n".join(map(str, issues))
    for expected in (":3: timezone 'Mars/Olympus'", ":8: [nodes.m] options: 'x' is not one DTMF key",
                     ":9: [nodes.m] timout_s: unknown key", ":10: [nodes.m] tries: must be a whole number",
                     ":14: [nodes.c] store: 'caller' is a built-in variable",
                     ":16: [nodes.c] pattern: '[0-9' is not a regular expression",
                     ":17: [nodes.c] terminator", ":23: [nodes.h] when #1 hours: '18:00-08:00'",
                     ":19: [nodes.h] warning: unreachable"):
        assert expected in text, (expected, text)


def test_unreachable_node_is_a_warning_not_an_error() -> None:
    flow = load_flow(DATA / "unreachable.toml")
    assert [(w.node, w.severity) for w in flow.warnings] == [("orphan", "warning")]


def test_condition_days_and_hours_parse(tmp_path: Path) -> None:
    flow = tmp_path / "f.toml"
    flow.write_text('[flow]\nstart = "h"\n[nodes.h]\nkind = "condition"\ndefault = "x"\n'
                    '[[nodes.h.when]]\nhours = ["08:00-12:00", "13:30-18:00"]\ndays = ["fri-mon"]\n'
                    'goto = "x"\n[[nodes.h.when]]\nvar = "caller"\nprefix = "33"\ngoto = "x"\n'
                    '[nodes.x]\nkind = "hangup"\n')
    node = load_flow(flow).nodes["h"]
    assert isinstance(node, ConditionNode)
    hours = node.branches[0].tests[0]
    assert isinstance(hours, HoursTest)
    assert hours.ranges_min == ((480, 720), (810, 1080)) and hours.days == {4, 5, 6, 0}
    assert node.edges()[1] == ("caller prefix 33", "x") and node.edges()[2] == ("else", "x")


async def test_unregistered_hook_is_a_clear_error_when_the_runner_starts() -> None:
    path = DATA / "needs_hook.toml"
    flow = load_flow(path)
    async with pycti.open(SwitchConfig(trunks=1, stations=0, routes=("IVR",), queues=("QA",))) as p:
        runner = FlowRunner(p, {"IVR": flow})
        with pytest.raises(FlowError) as info:
            await runner.run()
        assert str(info.value) == (f"{path}:{_line_of(path, '[nodes.lookup]')}: [nodes.lookup] hook 'crm_lookup' "
                                   "is not registered with the runner (registered: none)")

        async def crm(request: object) -> dict[str, str]:
            return {}

        runner.register_hook("crm_lookup", crm)
        runner.check_hooks()  # no error now


def test_demo_and_example_flows_load() -> None:
    demo = load_flow(ROOT / "pycti" / "demo" / "flow.toml", prompts={"menu": synthetic_prompt()})
    menu = demo.nodes["menu"]
    assert isinstance(menu, MenuNode) and dict(menu.options) == {"1": "sales", "2": "support"}
    for path in sorted((ROOT / "examples" / "flows").glob("*.toml")):
        assert [str(i) for i in check_flow(path) if i.severity == "error"] == []
