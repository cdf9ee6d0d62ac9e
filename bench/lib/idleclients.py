#!/usr/bin/env python3
"""Many client connections that stay open, for bench/idle.sh.

  idleclients.py PORT COUNT PATH MODE

Opens COUNT connections to 127.0.0.1:PORT, at most 256 connecting at once (so no listen
backlog overflows), and on each sends one "GET PATH HTTP/1.1" with keep-alive.
  MODE idle  each connection reads its whole response (Content-Length framed) and then stays
             open and silent: an idle keep-alive client, what a browser leaves behind.
  MODE hold  each connection sends its request and waits; the answer is not expected while
             the benchmark measures (the upstream holds it): a request in flight per client.
Prints "ready OPEN FAILED" on one line once every connection is open (idle: answered) or has
failed, then holds them all until its standard input is closed, then closes them and exits.
A connection that fails or times out (30 s) counts as failed and is not retried.
"""
import asyncio
import resource
import sys

CONNECT_PARALLEL = 256
STEP_TIMEOUT = 30.0


async def open_one(port, path, mode, gate, held):
    async with gate:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), STEP_TIMEOUT)
    held.append(writer)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: idleclients\r\n\r\n".encode())
    await writer.drain()
    if mode == "idle":
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STEP_TIMEOUT)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.split(b"\r\n")[0].decode(errors="replace"))
        await asyncio.wait_for(reader.readexactly(length), STEP_TIMEOUT)


async def main(port, count, path, mode):
    gate = asyncio.Semaphore(CONNECT_PARALLEL)
    held = []
    results = await asyncio.gather(*(open_one(port, path, mode, gate, held) for _ in range(count)),
                                   return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    print(f"ready {count - len(failed)} {len(failed)}", flush=True)
    if failed:
        print(f"idleclients: first failure: {failed[0]!r}", file=sys.stderr)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # held until the benchmark closes our stdin
    for w in held:
        w.close()


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[4] not in ("idle", "hold"):
        sys.exit("usage: idleclients.py PORT COUNT PATH idle|hold")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]))
