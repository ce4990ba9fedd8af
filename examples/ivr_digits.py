"""An IVR on the simulated board: a caller rings in with FSK caller ID, the application answers,
plays a prompt, and prints the digits the caller keys (DTMF detected from the line's audio).

Run: python examples/ivr_digits.py
"""

import asyncio

import pycti
from pycti.demo.prompts import synthetic_prompt
from pycti.drivers.sim_ops import CidMode, Hangup, Ring, Speech, WaitPrompt, dtmf_ops
from pycti.dsp.callerid import CallerId, encode_mdmf
from pycti.dsp.callerid_fsk import fsk_callerid_signal
from pycti.switch import events


async def main() -> None:
    config = pycti.SwitchConfig(trunks=1, stations=0, routes=("IVR",))
    async with pycti.open(config) as provider:
        # The simulated caller: rings (China cadence, caller ID after the first ring), waits for
        # the prompt to end, keys 2 0 2 6 #, then hangs up (the exchange sends busy tone).
        cid = fsk_callerid_signal(encode_mdmf(CallerId(number="13800138000", name="ZHANG")))
        provider.driver.board.script(0, [
            Ring(on_ms=1000, off_ms=4000, cid_samples=cid, cid_mode=CidMode.AFTER_FIRST_RING),
            WaitPrompt(quiet_ms=500),
            *dtmf_ops("2026#"),
            Speech(ms=1000),
            Hangup(busy_tone=True, loop_drop=False),
        ])
        digits = ""
        async with provider.monitor("IVR") as stream:
            async for event in stream:
                if isinstance(event, events.Delivered):
                    print(f"{provider.now():6.2f} s  call from {event.calling_device}")
                    await provider.answer_call(event.connection)
                    await provider.play(event.connection, synthetic_prompt(syllables=6), wait=False)
                elif isinstance(event, events.DigitsDetected):
                    digits += event.digits
                    print(f"{provider.now():6.2f} s  digit {event.digits}")
                elif isinstance(event, events.CallCleared):
                    print(f"{provider.now():6.2f} s  caller hung up; keyed {digits!r}")
                    break


asyncio.run(main())
