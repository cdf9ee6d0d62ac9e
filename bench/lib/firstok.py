#!/usr/bin/env python3
"""Launch a proxy and print the milliseconds from its launch to its first 200 from URL.

  firstok.py URL TIMEOUT_SECONDS PIDFILE LOGFILE CMD...

Starts CMD (its output to LOGFILE), writes its PID to PIDFILE, and polls URL every 5 ms with a
fresh connection each time. The clock starts right before the launch, inside this already
running interpreter, so no interpreter start-up is counted. Leaves CMD running: the caller
stops it by PID. Exits 1 if no 200 came within the timeout or CMD exited first.
"""
import http.client
import subprocess
import sys
import time
import urllib.parse


def main():
    url, timeout, pidfile, logfile, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
    u = urllib.parse.urlsplit(url)
    with open(logfile, "ab") as log:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    with open(pidfile, "w") as f:
        f.write(str(proc.pid))
    while time.monotonic() - start < timeout and proc.poll() is None:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=1)
        try:
            c.request("GET", u.path or "/")
            if c.getresponse().status == 200:
                print(f"{(time.monotonic() - start) * 1000:.0f}")
                return
        except OSError:
            pass
        finally:
            c.close()
        time.sleep(0.005)
    sys.exit(f"no 200 from {url} within {timeout} s" if proc.poll() is None else f"{cmd[0]} exited with {proc.returncode}")


if __name__ == "__main__":
    main()
