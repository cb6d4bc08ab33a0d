#!/usr/bin/env python3
"""A TCP proxy that adds network latency: each direction is delayed by RTT/2, bytes and their
order preserved (there is no `tc netem` on these kernels). It also counts round trips as the
proxy sees them: a turn is data towards the server followed by data back.

Usage: delay_proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT RTT_MS
Control (plain HTTP on the same port is not possible, so a second port, LISTEN_PORT+1):
  GET /turns   the turns counted since the last /reset, as JSON {"turns": N}
  GET /reset
"""
import asyncio
import json
import sys
import time

LISTEN, HOST, PORT, RTT_MS = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
DELAY = RTT_MS / 2000.0
STATE = {"turns": 0, "last": None}


def saw(direction):
    # A turn: the server answers after the client spoke.
    if direction == "s2c" and STATE["last"] == "c2s":
        STATE["turns"] += 1
    STATE["last"] = direction


async def pump(reader, writer, direction):
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                try:
                    writer.write_eof()
                except OSError:
                    pass
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(65536)
            saw(direction) if data else None
            await queue.put((time.monotonic() + DELAY, data or None))
            if not data:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()
    finally:
        writer.close()


async def client(reader, writer):
    try:
        up_reader, up_writer = await asyncio.open_connection(HOST, PORT)
    except OSError:
        writer.close()
        return
    await asyncio.gather(pump(reader, up_writer, "c2s"), pump(up_reader, writer, "s2c"), return_exceptions=True)


async def control(reader, writer):
    request = (await reader.readline()).decode()
    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
        pass
    if "/reset" in request:
        STATE.update(turns=0, last=None)
    body = json.dumps({"turns": STATE["turns"]}).encode()
    writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()
    writer.close()


async def main():
    proxy = await asyncio.start_server(client, "127.0.0.1", LISTEN)
    ctl = await asyncio.start_server(control, "127.0.0.1", LISTEN + 1)
    print("ready", flush=True)
    async with proxy, ctl:
        await asyncio.gather(proxy.serve_forever(), ctl.serve_forever())


asyncio.run(main())
