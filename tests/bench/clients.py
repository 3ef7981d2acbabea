"""The two clients behind one small interface the benchmark drives.

answerer(dir, codec, source): a started process that answers calls on its
own SIP port and records what it receives; caller(dir, codec, source, uri,
duration): a started process that has placed one call to `uri`. Both offer
pid, wait_connected(timeout) -> monotonic time or None, recording_pattern
(a glob of the WAV it records) and stop(); the caller also offers
finish(timeout), which ends the call after its duration.
"""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import procs
from baresip import Baresip, version as baresip_version


# --- baresip ------------------------------------------------------------------

class BaresipAnswerer:
    def __init__(self, run_dir, codec, source, user="b", max_calls=4, record=True,
                 rtp_ports=None):
        self.b = Baresip(run_dir, user, codec, source, record=record, max_calls=max_calls,
                         rtp_ports=rtp_ports).start()
        self.sip_addr = self.b.sip_addr
        self.pid = self.b.pid
        self.recording_pattern = str(self.b.rec_dir / "dump-*-dec.wav")

    def wait_connected(self, timeout, n=1):
        return self.b.ctrl.wait_event("CALL_ESTABLISHED", timeout, n)

    def established(self):
        return self.b.ctrl.count("CALL_ESTABLISHED")

    def closed(self):
        return self.b.ctrl.count("CALL_CLOSED")

    def stop(self):
        return self.b.stop()

    def log_tail(self):
        return self.b.log_tail()


class BaresipCaller(BaresipAnswerer):
    def __init__(self, run_dir, codec, source, uri, duration, user="a", record=True):
        super().__init__(run_dir, codec, source, user=user, record=record)
        self.uri, self.duration = uri, duration
        self.t_dial = time.monotonic()
        resp = self.b.dial(uri)
        if not resp or not resp.get("ok", False):
            raise RuntimeError(f"baresip dial failed: {resp}")

    def finish(self, timeout):
        """Hang up `duration` seconds after the call was established."""
        t = self.wait_connected(0)
        if t is not None:
            left = t + self.duration - time.monotonic()
            if left > 0:
                time.sleep(left)
        self.b.ctrl.command("hangup")
        self.b.ctrl.wait_event("CALL_CLOSED", timeout)


class BaresipPair:
    """One baresip dialling n calls (over ctrl_tcp) into one auto-answering baresip."""

    def __init__(self, run_dir, n, source):
        from concurrency import SETUP_RATE
        ports = 2 * n + 64
        lo_b, hi_b = procs.free_udp_range(ports)
        while True:
            lo_a, hi_a = procs.free_udp_range(ports)
            if hi_a < lo_b or lo_a > hi_b:
                break
        self.ans = Baresip(run_dir, "b", "pcmu", source, record=False, max_calls=n + 10,
                           rtp_ports=(lo_b, hi_b)).start()
        self.call = Baresip(run_dir, "a", "pcmu", source, record=False, max_calls=n + 10,
                            rtp_ports=(lo_a, hi_a)).start()
        self.caller_pid, self.answerer_pid = self.call.pid, self.ans.pid
        uri = f"sip:b@127.0.0.1:{self.ans.sip_port}"
        self._stop = False

        def dial():
            for i in range(n):
                if self._stop:
                    return
                self.call.ctrl.command("dial", uri, wait=0)
                time.sleep(1.0 / SETUP_RATE)
        import threading
        self.dialer = threading.Thread(target=dial, daemon=True)
        self.dialer.start()

    def established(self):
        return (self.call.ctrl.count("CALL_ESTABLISHED"), self.ans.ctrl.count("CALL_ESTABLISHED"))

    def established_now(self):
        return (self.call.ctrl.count("CALL_ESTABLISHED") - self.call.ctrl.count("CALL_CLOSED"),
                self.ans.ctrl.count("CALL_ESTABLISHED") - self.ans.ctrl.count("CALL_CLOSED"))

    def alive(self):
        return self.call.proc.poll() is None and self.ans.proc.poll() is None

    def own_underruns(self):
        return None  # baresip 1.0 exposes no jitter-buffer counters on its control socket

    def stop(self):
        self._stop = True
        self.dialer.join(timeout=5)
        self.call.stop()
        self.ans.stop()


class BaresipClient:
    name = "baresip"

    def __init__(self):
        self.available = shutil.which("baresip") is not None
        self.why_not = "" if self.available else "baresip not installed"

    def version(self):
        return baresip_version()

    def answerer(self, run_dir, codec, source, **kw):
        return BaresipAnswerer(run_dir, codec, source, **kw)

    def caller(self, run_dir, codec, source, uri, duration, **kw):
        return BaresipCaller(run_dir, codec, source, uri, duration, **kw)

    def concurrent(self, run_dir, n, source):
        return BaresipPair(run_dir, n, source)

    def settings(self):
        return ("baresip 1.0.0 as shipped (jitter_buffer_delay 5-10 frames, audio_buffer "
                "20-160 ms) plus its plc module for G.711 concealment; Opus at 32 kbit/s; "
                "plain RTP; no audio player module (none works headless here), so what it "
                "plays is what its sndfile filter records at decode time")


# --- handset-cli ----------------------------------------------------------------

CONNECTED = re.compile(r"\bconnected\b", re.I)
STATS = re.compile(r"\bstats\b", re.I)


class HandsetProc:
    def __init__(self, argv, run_dir, tag, record):
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.argv = argv
        self.errf = open(self.run_dir / f"handset-{tag}.stderr", "wb")
        env = dict(os.environ)
        env.setdefault("HANDSET_LOG", "warn")
        self.proc = procs.spawn(argv, stdout=subprocess.PIPE, stderr=self.errf,
                                stdin=subprocess.DEVNULL, env=env)
        self.out = procs.LineReader(self.proc.stdout)
        self.pid = self.proc.pid
        self.recording_pattern = str(record) if record else None

    def wait_connected(self, timeout, n=1):
        deadline = time.monotonic() + timeout
        start = 0
        for _ in range(n):
            hit = self.out.wait_for(lambda l: CONNECTED.search(l) is not None,
                                    max(0, deadline - time.monotonic()), start)
            if hit is None:
                return None
            start = self.out.lines.index(hit) + 1
        return hit[0]

    def established(self):
        return sum(1 for _, l in self.out.lines if CONNECTED.search(l))

    def stats_lines(self):
        return [l for _, l in self.out.lines if STATS.search(l)]

    def finish(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            procs.stop(self.proc)

    def stop(self):
        rc = procs.stop(self.proc, grace=10)
        self.out.thread.join(timeout=2)
        self.errf.close()
        return rc

    def log_tail(self, n=30):
        err = (self.run_dir / self.errf.name).read_text(errors="replace") \
            if os.path.exists(self.errf.name) else ""
        return "\n".join((self.out.text() + "\n" + err).splitlines()[-n:])


class HandsetClient:
    name = "handset"

    def __init__(self, binary=None):
        self.binary = binary or os.environ.get("HANDSET_CLI") or self._default_binary()
        self.available, self.why_not = self._probe()

    @staticmethod
    def _default_binary():
        target = os.environ.get("CARGO_TARGET_DIR",
                                os.path.expanduser("~/.cache/handset-target-bench"))
        p = Path(target) / "release" / "handset-cli"
        return str(p) if p.exists() else (shutil.which("handset-cli") or str(p))

    def _probe(self):
        if not os.path.exists(self.binary):
            return False, f"handset-cli not built ({self.binary})"
        try:
            out = subprocess.run([self.binary, "call", "--help"], capture_output=True,
                                 text=True, timeout=10)
        except (OSError, subprocess.SubprocessError) as e:
            return False, f"handset-cli does not run: {e}"
        if out.returncode != 0:
            return False, "this handset-cli has no `call` command yet"
        self.call_help = out.stdout
        out = subprocess.run([self.binary, "answer", "--help"], capture_output=True,
                             text=True, timeout=10)
        if out.returncode != 0:
            return False, "this handset-cli has no `answer` command yet"
        self.answer_help = out.stdout
        return True, ""

    def version(self):
        try:
            out = subprocess.run([self.binary, "--version"], capture_output=True, text=True,
                                 timeout=10)
            v = out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            v = "handset-cli"
        commit = subprocess.run(["git", "-C", str(Path(__file__).parent), "rev-parse",
                                 "--short", "HEAD"], capture_output=True, text=True).stdout
        return f"{v} (git {commit.strip()})" if commit.strip() else v

    def _common(self, codec):
        args = ["--no-register", "--codec", codec]
        if "--srtp" in getattr(self, "call_help", ""):
            args += ["--srtp", "off"]
        return args

    def answerer(self, run_dir, codec, source, user="b", count=1, record=True, echo=False,
                 duration=None, extra=()):
        port = procs.free_port()
        rec = Path(run_dir) / f"handset-{user}-rec.wav" if record else None
        argv = [self.binary, "answer", "--user", user, "--bind", f"127.0.0.1:{port}",
                "--count", str(count)] + self._common(codec)
        if source and not echo:
            argv += ["--play", str(source)]
        if echo:
            argv += ["--echo"]
        if rec:
            argv += ["--record", str(rec)]
        if duration:
            argv += ["--duration", str(duration)]
        argv += list(extra)
        p = HandsetProc(argv, run_dir, user, rec)
        p.sip_addr = ("127.0.0.1", port)
        self._wait_listening(p, port)
        return p

    @staticmethod
    def _wait_listening(p, port, timeout=10):
        """Ready when its SIP UDP port is bound (it is free until then)."""
        import socket
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if p.proc.poll() is not None:
                raise RuntimeError(f"handset-cli answer exited: {p.log_tail()}")
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return
            finally:
                s.close()
            time.sleep(0.02)
        raise RuntimeError("handset-cli answer did not bind its port")

    def caller(self, run_dir, codec, source, uri, duration, user="a", record=True, extra=()):
        rec = Path(run_dir) / f"handset-{user}-rec.wav" if record else None
        argv = [self.binary, "call", uri, "--user", user, "--bind", "127.0.0.1:0",
                "--duration", str(duration)] + self._common(codec)
        if source:
            argv += ["--play", str(source)]
        if rec:
            argv += ["--record", str(rec)]
        argv += list(extra)
        return HandsetProc(argv, run_dir, user, rec)

    def settings(self):
        return "handset-cli defaults for its jitter buffer and Opus; plain RTP (--srtp off)"
