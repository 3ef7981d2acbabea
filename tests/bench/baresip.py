"""baresip 1.0.0 as a benchmark peer, driven over its ctrl_tcp socket.

Config recipe and traps (met on baresip 1.0.0, Debian package baresip-core):
- No audio player module: on the null device it busy-loops at 90 % of a core.
  What arrives is recorded by `sndfile` (`dump-…-dec.wav`, decoded audio).
- `aufile` is a source only; its WAV must be S16LE at exactly `ausrc_srate`,
  and the call hangs up when the file ends: the benchmark's files outlast calls.
- `audio_codecs=opus` silently falls back to PCMU: write `opus/48000/2` and use
  48000 Hz for source and player.
- `net_interface 127.0.0.1`, else the SDP carries the eth0 address.
- `sip_listen` port P also binds TLS on P+1: both must be free.
- SIGTERM takes about 2 s to exit: wait for the PID before reusing ports.
- ctrl_tcp speaks netstring-framed JSON and serves one client at a time.
"""

import json
import socket
import threading
import time
from pathlib import Path

import procs

MODULES = "/usr/lib/baresip/modules"


def codec_setup(codec):
    """(audio_codecs value, sample rate) for a benchmark codec name."""
    if codec == "pcmu":
        return "PCMU", 8000
    if codec == "opus":
        return "opus/48000/2", 48000
    raise ValueError(codec)


class Ctrl:
    """A ctrl_tcp connection: commands out, events in (with arrival times)."""

    def __init__(self, port, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(None)
        self.events = []  # (t, dict)
        self.responses = {}
        self.cond = threading.Condition()
        self.n = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self.cond:
                    self.cond.notify_all()
                return
            buf += data
            while True:
                colon = buf.find(b":")
                if colon < 0:
                    break
                n = int(buf[:colon])
                if len(buf) < colon + 1 + n + 1:
                    break
                msg = json.loads(buf[colon + 1:colon + 1 + n].decode("utf-8", "replace"))
                buf = buf[colon + 1 + n + 1:]
                now = time.monotonic()
                with self.cond:
                    if msg.get("event"):
                        self.events.append((now, msg))
                    elif "token" in msg:
                        self.responses[msg["token"]] = msg
                    self.cond.notify_all()

    def command(self, cmd, params="", wait=5.0):
        self.n += 1
        token = f"t{self.n}"
        body = json.dumps({"command": cmd, "params": params, "token": token}).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body + b",")
        if not wait:
            return None
        deadline = time.monotonic() + wait
        with self.cond:
            while token not in self.responses and time.monotonic() < deadline:
                self.cond.wait(0.1)
            return self.responses.pop(token, None)

    def count(self, etype):
        with self.cond:
            return sum(1 for _, e in self.events if e.get("type") == etype)

    def wait_event(self, etype, timeout, n=1):
        """Time of the n-th event of `etype`, or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = [t for t, e in self.events if e.get("type") == etype]
                if len(hits) >= n:
                    return hits[n - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.2))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Baresip:
    """One baresip process with one account, auto-answering, recording with sndfile."""

    name = "baresip"

    def __init__(self, workdir, user, codec, source_wav, record=True, max_calls=4,
                 rtp_ports=None, jitter_buffer="5-10", plc=True, log=None):
        self.dir = Path(workdir) / f"baresip-{user}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rec_dir = self.dir / "rec"
        self.rec_dir.mkdir(exist_ok=True)
        self.user = user
        self.codec = codec
        self.codec_value, self.rate = codec_setup(codec)
        self.sip_port = procs.free_port_pair()
        self.ctrl_port = procs.free_port(socket.SOCK_STREAM)
        lo, hi = rtp_ports or procs.free_udp_range(40)
        modules = ["g711.so", "opus.so", "aufile.so"]
        if record:
            modules.append("sndfile.so")
        if plc and codec == "pcmu":
            modules.append("plc.so")
        cfg = [
            ("poll_method", "epoll"),
            ("net_interface", "127.0.0.1"),
            ("sip_listen", f"127.0.0.1:{self.sip_port}"),
            ("call_local_timeout", "120"),
            ("call_max_calls", str(max_calls)),
            ("audio_source", f"aufile,{source_wav}"),
            ("ausrc_srate", str(self.rate)),
            ("auplay_srate", str(self.rate)),
            ("ausrc_channels", "1"),
            ("auplay_channels", "1"),
            ("audio_level", "no"),
            ("rtp_ports", f"{lo}-{hi}"),
            ("rtcp_mux", "no"),
            ("jitter_buffer_delay", jitter_buffer),
            ("rtp_stats", "yes"),
            ("module_path", MODULES),
        ] + [("module", m) for m in modules] + [
            ("module_app", "account.so"),
            ("module_app", "menu.so"),
            ("module_app", "ctrl_tcp.so"),
            ("ctrl_tcp_listen", f"127.0.0.1:{self.ctrl_port}"),
            ("snd_path", str(self.rec_dir)),
            ("opus_bitrate", "32000"),
            # the menu's once-a-tick status line costs CPU and fills the log
            ("statmode_default", "off"),
        ]
        (self.dir / "config").write_text("".join(f"{k}\t\t{v}\n" for k, v in cfg))
        (self.dir / "accounts").write_text(
            f"<sip:{user}@127.0.0.1>;regint=0;answermode=auto;"
            f"audio_codecs={self.codec_value}\n")
        (self.dir / "contacts").write_text("")
        self.log_path = log or (self.dir / "baresip.log")
        self.proc = None
        self.ctrl = None

    @property
    def sip_addr(self):
        return ("127.0.0.1", self.sip_port)

    def start(self, timeout=10):
        self.logf = open(self.log_path, "wb")
        self.proc = procs.spawn(["baresip", "-f", str(self.dir)], stdin=subprocess_devnull(),
                                stdout=self.logf, stderr=self.logf)
        self.ctrl = Ctrl(self.ctrl_port, timeout=timeout)
        # ready when the control socket answers
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"baresip exited at start: {self.log_tail()}")
            if self.ctrl.command("reginfo", wait=2):
                return self
        raise RuntimeError(f"baresip not ready: {self.log_tail()}")

    def dial(self, uri, wait=True):
        return self.ctrl.command("dial", uri, wait=5.0 if wait else 0)

    def recordings(self, kind="dec"):
        return sorted(self.rec_dir.glob(f"dump-*-{kind}.wav"))

    def stop(self):
        if self.ctrl:
            self.ctrl.close()
        rc = procs.stop(self.proc, grace=15)
        if getattr(self, "logf", None):
            self.logf.close()
        return rc

    def log_tail(self, n=30):
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    @property
    def pid(self):
        return self.proc.pid if self.proc else None


def subprocess_devnull():
    import subprocess
    return subprocess.DEVNULL


def version():
    import subprocess
    try:
        out = subprocess.run(["baresip", "-h"], capture_output=True, text=True, timeout=5)
        for line in (out.stdout + out.stderr).splitlines():
            if "baresip" in line.lower() and any(c.isdigit() for c in line):
                return line.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "baresip (version unknown)"
