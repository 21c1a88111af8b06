#!/usr/bin/env python3
"""delay-proxy.py - a TCP proxy on loopback that delays every chunk by a
fixed time in each direction: a domain controller "in another site" for
bench/run.sh (this kernel has no netem).

    delay-proxy.py [--delay-ms=10] [--port-file=FILE] LISTEN_HOST:PORT TARGET_HOST:PORT
    delay-proxy.py --self-test [--delay-ms=10]

Every chunk read from one side is written to the other side DELAY after it
was read, in order.  The delays are not serialised: a chunk read 1 ms after
another is also written 1 ms after it, so pipelined requests see DELAY of
latency each, not DELAY per message (what a long, fat link does; bandwidth
is not limited).  A round trip through the proxy therefore costs 2 * DELAY
plus the server's time.

PORT 0 picks a free port; it is written to --port-file (written last, so a
reader that sees the file can connect).  Runs until killed (SIGTERM).
--self-test measures the proxy itself against an echo server: one
ping-pong must take about 2 * DELAY, and 50 pipelined messages must also
take about 2 * DELAY in all (not 50 times that); it prints the figures and
exits 1 when they are off.
"""
import asyncio
import os
import socket
import statistics
import sys
import time

DELAY = 0.010
CHUNK = 65536


def _nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


async def _pump(reader, writer, delay):
    """Read chunks as they come; a second task writes each one at its own
    deadline (read time + delay), so reading never waits for writing."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:            # EOF from the other side
                try:
                    if writer.can_write_eof():
                        writer.write_eof()
                except OSError:
                    pass
                return
            writer.write(data)
            await writer.drain()

    task = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(CHUNK)
            queue.put_nowait((loop.time() + delay, data if data else None))
            if not data:
                break
        await task
    except (ConnectionError, OSError):
        task.cancel()
    finally:
        if not task.done():
            await asyncio.gather(task, return_exceptions=True)


async def _serve_one(creader, cwriter, target, delay):
    _nodelay(cwriter)
    try:
        sreader, swriter = await asyncio.open_connection(*target)
    except OSError as e:
        print("delay-proxy: cannot connect to %s:%d: %s" % (target + (e,)),
              file=sys.stderr)
        cwriter.close()
        return
    _nodelay(swriter)
    await asyncio.gather(_pump(creader, swriter, delay),
                         _pump(sreader, cwriter, delay),
                         return_exceptions=True)
    for w in (cwriter, swriter):
        try:
            w.close()
        except OSError:
            pass


def _hostport(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        sys.exit("delay-proxy: want HOST:PORT, got %r" % text)
    return host, int(port)


async def _run(listen, target, delay, port_file):
    server = await asyncio.start_server(
        lambda r, w: _serve_one(r, w, target, delay), listen[0], listen[1])
    port = server.sockets[0].getsockname()[1]
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, port_file)
    async with server:
        await server.serve_forever()


async def _self_test(delay):
    async def echo(r, w):
        _nodelay(w)
        while True:
            d = await r.read(CHUNK)
            if not d:
                break
            w.write(d)
            await w.drain()
        w.close()

    es = await asyncio.start_server(echo, "127.0.0.1", 0)
    eport = es.sockets[0].getsockname()[1]
    ps = await asyncio.start_server(
        lambda r, w: _serve_one(r, w, ("127.0.0.1", eport), delay), "127.0.0.1", 0)
    pport = ps.sockets[0].getsockname()[1]
    r, w = await asyncio.open_connection("127.0.0.1", pport)
    _nodelay(w)
    pings = []
    for _ in range(20):
        t = time.monotonic()
        w.write(b"x" * 100)
        await w.drain()
        await r.readexactly(100)
        pings.append(time.monotonic() - t)
    # 50 messages of 200 bytes sent 1 ms apart, answers collected as they come.
    t = time.monotonic()
    for _ in range(50):
        w.write(b"y" * 200)
        await w.drain()
        await asyncio.sleep(0.001)
    sent = time.monotonic() - t
    await r.readexactly(50 * 200)
    burst = time.monotonic() - t - sent
    w.write_eof()
    await r.read()                      # the proxy passes the EOF both ways
    w.close()
    es.close()
    ps.close()
    await asyncio.sleep(0.01)
    rtt = statistics.median(pings)
    print("delay-proxy self-test: delay %.1f ms each way; ping-pong median %.1f ms"
          " (min %.1f, max %.1f) over 20; 50 messages sent over %.0f ms:"
          " the last answer %.1f ms after the last message" % (
              delay * 1000, rtt * 1000, min(pings) * 1000, max(pings) * 1000,
              sent * 1000, burst * 1000))
    # Serialised delays would make the last answer come ~50 * 2 * delay late.
    good = 2 * delay <= rtt < 2 * delay + 0.008 and burst < 2 * delay + 0.010
    return 0 if good else 1


def main(argv):
    delay = DELAY
    port_file = None
    args = []
    self_test = False
    for a in argv:
        if a.startswith("--delay-ms="):
            delay = float(a.split("=", 1)[1]) / 1000.0
        elif a.startswith("--port-file="):
            port_file = a.split("=", 1)[1]
        elif a == "--self-test":
            self_test = True
        else:
            args.append(a)
    if self_test:
        return asyncio.run(_self_test(delay))
    if len(args) != 2:
        sys.exit(__doc__)
    try:
        asyncio.run(_run(_hostport(args[0]), _hostport(args[1]), delay, port_file))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main(sys.argv[1:]))
