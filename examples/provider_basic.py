"""The Provider API example from README.md: station 8001 calls 8002, which answers, then the call is cleared."""

import asyncio

import pycti
from pycti.switch import events


async def main() -> None:
    config = pycti.SwitchConfig(trunks=0, stations=2, routes=())
    async with pycti.open(config) as provider:
        async with provider.monitor("8002") as stream:
            await provider.make_call("8001", "8002")      # 8002 rings
            async for event in stream:
                print(type(event).__name__, event.cause.value)
                if isinstance(event, events.Delivered):
                    await provider.answer_call(event.connection)
                elif isinstance(event, events.Established):
                    await provider.clear_call(event.established_connection.call_id)
                elif isinstance(event, events.CallCleared):
                    break


asyncio.run(main())
