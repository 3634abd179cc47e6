"""A `lautex` on PATH for shell scripts in tests, without a new interpreter per command.

The README's examples run about a hundred `lautex` commands in one bash. Started as
`python -m lautex_registry`, each pays Python's start-up and the import of typer, rich
and the package (about half a second of CPU each, most of the test's time). Here one
server process imports them once and forks a child per command; the child takes the
client's own stdin, stdout and stderr (passed over a Unix socket), its arguments,
environment, working directory and umask, and runs `lautex`'s real `main()`, which
registers the command it needs as a fresh process does. Its exit code (or the signal
that ended it) becomes the client's, so bash sees what it would see of a real `lautex`.

A real start-up of `lautex` is tested where the test is about the process (start-up,
files, permissions, signals: tests/test_environment.py, tests/test_errors.py and others).

Run as `python -m tests.lautex_server NAME`; it prints `ready` when it accepts commands.
NAME is a socket in Linux's abstract namespace: no file, so no limit from a deep TMPDIR.
"""

import atexit
import io
import json
import os
import pkgutil
import signal
import socket
import sys
import threading
from importlib import import_module
from pathlib import Path

# Run by `python -I -S`: the standard library only, and nothing from the environment.
CLIENT = """\
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect("\\0" + sys.argv[1])
mask = os.umask(0)
os.umask(mask)
body = json.dumps({"argv": sys.argv[2:], "env": dict(os.environ), "cwd": os.getcwd(),
                   "umask": mask}).encode()
socket.send_fds(s, [len(body).to_bytes(8, "big")], [0, 1, 2])
s.sendall(body)
answer = b""
while len(answer) < 4:
    chunk = s.recv(4 - len(answer))
    if not chunk:
        sys.exit("lautex (test server): the command ended without an exit code")
    answer += chunk
code = int.from_bytes(answer, "big", signed=True)
if code < 0:
    signal = __import__("signal")
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
"""


# What a command still imported in its child (typer's parameter handling, pydantic's
# plugins, the e-mail address checks) once the package was: 0.12 s of CPU a command.
WARM = ("typer._adapters", "typer._click.decorators", "pydantic.plugin._loader", "email.utils",
        "importlib.metadata", "zipfile")  # fmt: skip


def client_script(server_socket: str) -> str:
    """The text of a `lautex` (a sh script) that runs its command in the server."""
    return f'#!/bin/sh\nexec "{sys.executable}" -I -S -c \'{CLIENT}\' "{server_socket}" "$@"\n'


def _streams() -> None:
    """New sys.stdin/stdout/stderr over fds 0-2, as a starting interpreter makes them."""
    old = sys.stdin, sys.stdout, sys.stderr
    made = []
    for fd, stream in enumerate(old):
        raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
        tty = raw.isatty()
        buffered = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        made.append(
            io.TextIOWrapper(
                buffered,
                encoding=stream.encoding,
                errors=stream.errors,
                line_buffering=fd == 2 or (fd == 1 and tty),
            )
        )
    sys.stdin, sys.stdout, sys.stderr = made
    for name, stream in zip(("__stdin__", "__stdout__", "__stderr__"), made, strict=True):
        setattr(sys, name, stream)  # the interpreter's originals, which rich falls back on


def _exit_code(exit: SystemExit) -> int:
    """What the interpreter makes of `sys.exit(x)`."""
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code & 0xFF
    print(exit.code, file=sys.stderr)
    return 1


def _run(request: dict, fds: list[int]) -> int:  # type: ignore[type-arg]
    """In the forked child: become the client's `lautex` and run it."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["env"])
    import time

    time.tzset()
    _streams()
    sys.argv = [str(Path(__file__).parent.parent / "lautex_registry" / "__main__.py")]
    sys.argv += request["argv"]
    from lautex_registry.cli.app import main

    code = 0
    try:
        main()
    except SystemExit as exit:
        code = _exit_code(exit)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    threading._shutdown()  # type: ignore[attr-defined]  # as the interpreter does at exit
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except OSError:
        code = 120  # what Python exits with when it cannot flush stdout
    sys.stderr.flush()
    return code


def _serve(conn: socket.socket) -> None:
    """In a child per command: run the command in a grandchild, report how it ended."""
    header, fds, _, _ = socket.recv_fds(conn, 8, 3)
    size = int.from_bytes(header, "big")
    body = b""
    while len(body) < size:
        body += conn.recv(size - len(body))
    request = json.loads(body)
    pid = os.fork()
    if pid == 0:
        conn.close()
        os._exit(_run(request, fds))
    for fd in fds:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    conn.sendall(os.waitstatus_to_exitcode(status).to_bytes(4, "big", signed=True))


def serve(path: str) -> None:
    # What the commands import, imported once: the package's modules (only imported:
    # each child registers its own command in main()) and what typer loads on a call.
    import lautex_registry

    for module in pkgutil.walk_packages(lautex_registry.__path__, "lautex_registry."):
        if not module.name.endswith("__main__"):
            import_module(module.name)
    for name in WARM:
        import_module(name)
    server = socket.socket(socket.AF_UNIX)
    server.bind("\0" + path)
    server.listen(16)
    signal.signal(signal.SIGTERM, _stop)
    print("ready", flush=True)
    try:
        while True:
            conn, _ = server.accept()
            # Commands in one pipeline run at once, so each is served in its own child.
            if os.fork() == 0:
                server.close()
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                try:
                    _serve(conn)
                finally:
                    os._exit(0)
            conn.close()
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
    except SystemExit:
        # Every child is waited for: their CPU time is counted in the test run's.
        while True:
            try:
                os.wait()
            except ChildProcessError:
                break


def _stop(signum: int, frame: object) -> None:
    sys.exit(0)


if __name__ == "__main__":
    serve(sys.argv[1])
