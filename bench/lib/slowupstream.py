#!/usr/bin/env python3
"""A Gunicorn-like upstream for the strategy benchmark.

  slowupstream.py PORT NAME DELAY_MS WORKERS

Serves HTTP/1.1 with keep-alive on 127.0.0.1:PORT. Every request is held DELAY_MS before it
is answered with "ok NAME". At most WORKERS requests are held at once (0: no limit); the rest
wait their turn in arrival order, as requests wait in a sync Gunicorn's backlog for one of its
workers. So an instance serves at most WORKERS / DELAY requests per second, and beyond that its
latency grows with its queue, which is what a balancer has to notice.

Two paths are answered at once, outside the worker limit, and are not counted:
  /__count   the number of requests served so far (the benchmark reads it before and after a
             run to compute each upstream's share)
  /__health  "ok", for the peers' active health checks

Only bodiless requests (GET, HEAD) are expected; a request with a body gets 400 and a close.
The time one asyncio timer takes is rounded up to the next millisecond by epoll, so a 1 ms
delay is 1 to 2 ms in practice; every upstream shares that rounding.
"""
import asyncio
import signal
import sys


class Upstream:
    def __init__(self, name, delay_s, workers):
        self.name = name
        self.delay_s = delay_s
        self.workers = asyncio.Semaphore(workers) if workers > 0 else None
        self.count = 0

    async def serve(self, reader, writer):
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                if len(parts) != 3:
                    await self.answer(writer, 400, "bad request line\n", close=True)
                    return
                method, path, version = parts
                fields = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        fields[name.strip().lower()] = value.strip().lower()
                if fields.get("content-length", "0") != "0" or "transfer-encoding" in fields:
                    await self.answer(writer, 400, "no bodies here\n", close=True)
                    return
                connection = fields.get("connection", "")
                close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
                if path == "/__count":
                    body = f"{self.count}\n"
                elif path == "/__health":
                    body = "ok\n"
                else:
                    self.count += 1
                    if self.workers is None:
                        await asyncio.sleep(self.delay_s)
                    else:
                        async with self.workers:
                            await asyncio.sleep(self.delay_s)
                    body = f"ok {self.name}\n"
                await self.answer(writer, 200, body, close, head_only=method == "HEAD")
                if close:
                    return
        except ConnectionError:
            return
        finally:
            writer.close()

    @staticmethod
    async def answer(writer, status, body, close, head_only=False):
        data = body.encode()
        reason = "OK" if status == 200 else "Bad Request"
        head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(data)}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n")
        writer.write(head.encode() + (b"" if head_only else data))
        await writer.drain()


async def main(port, name, delay_ms, workers):
    upstream = Upstream(name, delay_ms / 1000.0, workers)
    server = await asyncio.start_server(upstream.serve, "127.0.0.1", port, backlog=1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: slowupstream.py PORT NAME DELAY_MS WORKERS")
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))
