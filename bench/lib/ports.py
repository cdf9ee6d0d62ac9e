#!/usr/bin/env python3
"""Print N distinct free TCP ports on 127.0.0.1, one per line.

All N sockets are held open until every port is chosen, so the kernel cannot hand the
same ephemeral port out twice. There is an unavoidable window between closing them and the
servers binding; run.sh checks every listener comes up, so a lost race fails loudly.
"""
import socket
import sys


def free_ports(count):
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: ports.py COUNT")
    for port in free_ports(int(sys.argv[1])):
        print(port)
