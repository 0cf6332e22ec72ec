#!/usr/bin/env python3
"""Run a helper server for the tests and make sure it dies with the test process.

Usage:
    supervise.py --port-file FILE [--log FILE] [--port N] [--pid-file FILE] -- COMMAND ARG... ({PORT} in any ARG is replaced)

Picks a free 127.0.0.1 port (or uses --port, to restart a helper where its clients expect it), substitutes it for ``{PORT}`` in the command, writes it to
``--port-file`` and runs the command in its own process group. The command is killed when
this process gets SIGTERM/SIGINT or when its parent (the test runner) goes away, even if that
parent crashed and never cleaned up.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log")
    parser.add_argument("--port", type=int)
    parser.add_argument("--pid-file", help="write the command's process id here (to pause it in tests)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    # Threads of the test runner block signals and spawned processes inherit that mask: unblock
    # them here (the command inherits ours), or SIGTERM would never arrive.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    port = args.port or free_port()
    command = [part.replace("{PORT}", str(port)) for part in command]
    parent = os.getppid()
    log = open(args.log, "ab") if args.log else subprocess.DEVNULL
    child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(*_):
        try:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        except ProcessLookupError:
            pass
        sys.exit(0)

    if args.pid_file:
        with open(args.pid_file + ".tmp", "w") as handle:
            handle.write(str(child.pid))
        os.replace(args.pid_file + ".tmp", args.pid_file)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as handle:
        handle.write(str(port))
    os.replace(tmp, args.port_file)
    while True:
        if child.poll() is not None:
            sys.exit(child.returncode)
        if os.getppid() != parent:
            stop()
        time.sleep(0.2)


if __name__ == "__main__":
    main()
