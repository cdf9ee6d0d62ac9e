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
import collections
import signal
import sys


class Upstream:
    """The state one instance shares across its connections: the workers and the counter."""

    def __init__(self, loop, name, delay_s, workers):
        self.loop = loop
        self.name = name
        self.delay_s = delay_s
        self.workers = workers
        self.busy = 0
        self.backlog = collections.deque()  # callbacks waiting for a worker, in arrival order
        self.count = 0

    def run(self, done):
        """Hold one request for the delay on a free worker, then call done()."""
        if self.workers and self.busy >= self.workers:
            self.backlog.append(done)
            return
        self.busy += 1
        self.loop.call_later(self.delay_s, self._finish, done)

    def _finish(self, done):
        self.busy -= 1
        done()
        if self.backlog and (not self.workers or self.busy < self.workers):
            self.run(self.backlog.popleft())


class Connection(asyncio.Protocol):
    """One client connection: requests are answered one at a time, in order (no pipelining
    overlap), as a sync worker would."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.transport = None
        self.buffer = b""
        self.waiting = False  # a request is being held; later bytes wait in the buffer

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        self.next_request()

    def next_request(self):
        if self.waiting or self.transport.is_closing():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > 65536:
                self.answer(400, "head too large\n", close=True)
            return
        head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4:]
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            self.answer(400, "bad request line\n", close=True)
            return
        method, path, version = parts
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip().lower()
        if fields.get("content-length", "0") != "0" or "transfer-encoding" in fields:
            self.answer(400, "no bodies here\n", close=True)
            return
        connection = fields.get("connection", "")
        close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
        head_only = method == "HEAD"
        if path == "/__count":
            self.answer(200, f"{self.upstream.count}\n", close, head_only)
        elif path == "/__health":
            self.answer(200, "ok\n", close, head_only)
        else:
            self.upstream.count += 1
            self.waiting = True
            self.upstream.run(lambda: self.held(close, head_only))

    def held(self, close, head_only):
        self.waiting = False
        if not self.transport.is_closing():
            self.answer(200, f"ok {self.upstream.name}\n", close, head_only)

    def answer(self, status, body, close, head_only=False):
        data = body.encode()
        reason = "OK" if status == 200 else "Bad Request"
        head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(data)}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n")
        self.transport.write(head.encode() + (b"" if head_only else data))
        if close:
            self.transport.close()
        else:
            self.next_request()


async def main(port, name, delay_ms, workers):
    loop = asyncio.get_running_loop()
    upstream = Upstream(loop, name, delay_ms / 1000.0, workers)
    server = await loop.create_server(lambda: Connection(upstream), "127.0.0.1", port, backlog=1024)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: slowupstream.py PORT NAME DELAY_MS WORKERS")
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))
