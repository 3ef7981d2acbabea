"""Processes the benchmark starts, their CPU and memory, and free ports.

Every process is started in its own session and remembered; `stop_all` (also
run at exit and on SIGTERM/SIGINT) ends each one by its own PID, so a failed
run leaves nothing behind and never touches processes it did not start.
"""

import atexit
import os
import signal
import socket
import subprocess
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
_started = []
_lock = threading.Lock()


def free_port(kind=socket.SOCK_DGRAM):
    """A port free for UDP and TCP on 127.0.0.1 right now (bind to port 0)."""
    for _ in range(100):
        s = socket.socket(socket.AF_INET, kind)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        other = socket.SOCK_STREAM if kind == socket.SOCK_DGRAM else socket.SOCK_DGRAM
        t = socket.socket(socket.AF_INET, other)
        try:
            t.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            t.close()
        return port
    raise RuntimeError("no free port")


def free_port_pair():
    """Two consecutive free ports P, P+1 (UDP and TCP), e.g. for baresip's SIP + TLS."""
    for _ in range(200):
        p = free_port()
        ok = True
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind(("127.0.0.1", p + 1))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok and p + 1 < 65536:
            return p
    raise RuntimeError("no free port pair")


def free_udp_range(count, lo=20000, hi=32000):
    """A range of `count` ports (even start) of which none is bound right now."""
    rng = __import__("random").Random()
    for _ in range(200):
        start = rng.randrange(lo, hi - count) & ~1
        socks = []
        try:
            for p in range(start, start + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return start, start + count - 1
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no free range of {count} UDP ports")


def spawn(argv, **kw):
    kw.setdefault("start_new_session", True)
    p = subprocess.Popen(argv, **kw)
    with _lock:
        _started.append(p)
    return p


def stop(p, grace=5.0):
    """SIGTERM, wait up to `grace` s, then SIGKILL. Only this PID."""
    if p is None or p.poll() is not None:
        return p.returncode if p is not None else None
    try:
        p.send_signal(signal.SIGTERM)
        return p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait(timeout=5)
    except ProcessLookupError:
        return p.poll()


def stop_all():
    with _lock:
        procs = list(_started)
    for p in procs:
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


def _on_signal(sig, _frame):
    stop_all()
    raise SystemExit(128 + sig)


def install_cleanup():
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


class Usage:
    """CPU seconds (user+sys, all threads) and memory of one process."""

    def __init__(self, pid, t, cpu, rss_kb, hwm_kb):
        self.pid, self.t, self.cpu, self.rss_kb, self.hwm_kb = pid, t, cpu, rss_kb, hwm_kb


def usage(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        fields = stat[stat.rindex(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
        rss = hwm = 0
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
        return Usage(pid, time.monotonic(), cpu, rss, hwm)
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None


def cpu_share(a, b):
    """Share of one core used between two `usage` samples (0.01 = 1 %)."""
    if a is None or b is None or b.t <= a.t:
        return None
    return (b.cpu - a.cpu) / (b.t - a.t)


class LineReader:
    """Reads a child's text stream in a thread; keeps (monotonic time, line)."""

    def __init__(self, stream, echo_to=None):
        self.lines = []
        self.cond = threading.Condition()
        self.echo_to = echo_to
        self.thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self.thread.start()

    def _run(self, stream):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cond:
                self.lines.append((time.monotonic(), line))
                self.cond.notify_all()
            if self.echo_to:
                self.echo_to.write(line + "\n")
                self.echo_to.flush()

    def wait_for(self, pred, timeout, start=0):
        """First (t, line) with pred(line) true, looking from index `start`."""
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.lines):
                    if pred(self.lines[i][1]):
                        return self.lines[i]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or not self.thread.is_alive() and i >= len(self.lines):
                    return None
                self.cond.wait(min(left, 0.2))

    def text(self):
        with self.cond:
            return "\n".join(l for _, l in self.lines)
