"""How many concurrent G.711 calls one process can place into one answering
process on this machine before packets run late.

A neutral observer, the same for both clients, watches the RTP on the
loopback interface with a packet socket (root needed): a kernel BPF filter
keeps a sample of the streams (destination port divisible by 2^k, so at most
a few hundred streams), the kernel stamps each packet's arrival time, and
only streams whose destination port belongs to one of the two client
processes count. For every sampled packet, lateness = its arrival minus the
arrival its RTP timestamp promised, taking the stream's earliest packet
(relative to its timestamp) as on time. A packet more than LATE_MS late would
have found a jitter buffer of that depth empty: an underrun. A sequence gap
is a lost packet. Drops in receive socket buffers (which the observer cannot
see) are read from the kernel's UDP RcvbufErrors counter. When the client
reports its own jitter-buffer underruns or late packets, they count too.
"""

import ctypes
import os
import socket
import statistics
import struct
import threading
import time
from pathlib import Path

import procs
import signals

LATE_MS = 60.0
HOLD_S = 10.0          # observation window once every call is up
MAX_BAD_SHARE = 0.001  # late + lost + socket drops, of the packets expected
SETUP_RATE = 40        # calls per second placed

METHOD = (
    "One caller process places N G.711 calls (about "
    f"{SETUP_RATE} new calls a second) straight into one answering process on loopback "
    "(no relay); both sides send audio. Once all N are established the bench watches "
    f"{HOLD_S:.0f} s of RTP with a kernel packet socket on `lo` (a BPF filter samples "
    "streams by destination port; kernel arrival timestamps), keeping only streams to "
    "ports the two client processes own. A packet arriving more than "
    f"{LATE_MS:.0f} ms after the time its RTP timestamp promised (relative to the "
    "stream's earliest packet) counts as an underrun, as would a sequence gap, a "
    "receive-buffer drop (kernel UdpRcvbufErrors, machine-wide) or an underrun the "
    "client itself reports. N passes when all N calls are established on both sides "
    f"and those together stay under {100 * MAX_BAD_SHARE:.1f} % of the packets. N "
    "grows (10, 50, 100, 200, 300, 400, 500, 700, 1000) until a step fails; the row "
    "shows the largest N that passed. baresip has no echo mode: its answerer plays "
    "the same file back."
)

STEPS = [10, 50, 100, 200, 300, 400, 500, 700, 1000]
QUICK_STEPS = [10, 100, 500]

# --- observer --------------------------------------------------------------------

SO_ATTACH_FILTER = 26
SO_TIMESTAMPNS = 35
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def _bpf(mask):
    """IPv4/UDP, dst port & mask == 0, RTP version 2 (first payload byte 0b10xxxxxx)."""
    def ins(code, jt, jf, k):
        return struct.pack("HBBI", code, jt, jf, k)
    prog = [
        ins(0x28, 0, 0, 12),         # ldh [12]  ethertype
        ins(0x15, 0, 8, 0x0800),     # jeq IPv4 else drop
        ins(0x30, 0, 0, 23),         # ldb [23]  protocol
        ins(0x15, 0, 6, 17),         # jeq UDP else drop
        ins(0x28, 0, 0, 36),         # ldh [36]  UDP dst port (IHL 5 on loopback)
        ins(0x54, 0, 0, mask),       # and #mask
        ins(0x15, 0, 3, 0),          # jeq 0 else drop
        ins(0x30, 0, 0, 42),         # ldb [42]  first RTP byte
        ins(0x54, 0, 0, 0xC0),       # and #0xc0
        ins(0x15, 0, 1, 0x80),       # jeq version 2 else drop
        ins(0x06, 0, 0, 64),         # ret 64 bytes
        ins(0x06, 0, 0, 0),          # drop
    ]
    return prog


class Observer:
    def __init__(self, mask):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        prog = _bpf(mask)
        buf = ctypes.create_string_buffer(b"".join(prog))
        fprog = struct.pack("HL", len(prog), ctypes.addressof(buf))
        self._buf = buf
        self.sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.2)
        self.packets = []  # (t, src port, dst port, seq, ts)
        self.recording = False
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                data, anc, _, addr = self.sock.recvmsg(128, 64)
            except socket.timeout:
                continue
            except OSError:
                return
            if not self.recording or addr[2] == PACKET_OUTGOING or len(data) < 54:
                continue
            t = None
            for level, typ, val in anc:
                if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", val[:16])
                    t = sec + nsec / 1e9
            if t is None:
                t = time.time()
            sport, dport = struct.unpack("!HH", data[34:38])
            seq, ts = struct.unpack("!HI", data[44:50])
            self.packets.append((t, sport, dport, seq, ts))

    def stop(self):
        self._stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


def udp_ports(pid):
    """Local UDP ports of sockets the process holds."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except OSError:
        return set()
    ports = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[9] in inodes:
                        ports.add(int(parts[1].split(":")[1], 16))
        except OSError:
            pass
    return ports


def rcvbuf_errors():
    with open("/proc/net/snmp") as f:
        lines = [l.split() for l in f if l.startswith("Udp:")]
    head, vals = lines[0], lines[1]
    return int(vals[head.index("RcvbufErrors")])


def analyse(packets, ports, clock_rate=8000):
    streams = {}
    for t, sp, dp, seq, ts in packets:
        if dp in ports:
            streams.setdefault((sp, dp), []).append((t, seq, ts))
    late = lost = total = 0
    worst = []
    for pk in streams.values():
        pk.sort()
        if len(pk) < 10:
            continue
        t0, _, ts0 = pk[0]
        rel = [t - ((ts - ts0) & 0xFFFFFFFF) / clock_rate for t, _, ts in pk]
        base = min(rel)
        d = [1000 * (r - base) for r in rel]
        late += sum(1 for x in d if x > LATE_MS)
        worst.append(max(d))
        seqs = sorted({(s - pk[0][1]) & 0xFFFF for _, s, _ in pk})
        lost += (seqs[-1] - seqs[0] + 1) - len(seqs)
        total += len(pk)
    return {"streams": len(streams), "packets": total, "late": late, "lost": lost,
            "worst_ms": max(worst) if worst else None,
            "median_worst_ms": statistics.median(worst) if worst else None}


# --- one step --------------------------------------------------------------------

def run_step(client, wd, n, source, log):
    run_dir = Path(wd) / f"{client.name}-conc-{n}"
    run_dir.mkdir(parents=True, exist_ok=True)
    res = {"n": n, "ok": False}
    mask = 1
    while 2 * n / mask > 300:
        mask *= 2
    mask = mask * 2 - 1  # even RTP ports: port & (2^k-1) == 0 keeps 1 in 2^(k-1)
    obs = None
    pair = None
    try:
        obs = Observer(mask)
        pair = client.concurrent(run_dir, n, source)
        deadline = time.monotonic() + n / SETUP_RATE + 30
        while time.monotonic() < deadline:
            a, b = pair.established()
            if a >= n and b >= n:
                break
            if not pair.alive():
                break
            time.sleep(0.2)
        a, b = pair.established()
        res["established"] = min(a, b)
        if min(a, b) < n:
            res["why"] = f"only {min(a, b)} of {n} calls established"
            return res
        time.sleep(1.0)  # let the last calls' media start
        ports = udp_ports(pair.caller_pid) | udp_ports(pair.answerer_pid)
        u0 = [procs.usage(pair.caller_pid), procs.usage(pair.answerer_pid)]
        rb0 = rcvbuf_errors()
        obs.recording = True
        time.sleep(HOLD_S)
        obs.recording = False
        rb1 = rcvbuf_errors()
        u1 = [procs.usage(pair.caller_pid), procs.usage(pair.answerer_pid)]
        a2, b2 = pair.established_now()
        res["cpu"] = [procs.cpu_share(x, y) for x, y in zip(u0, u1)]
        res["rss_mb"] = [y.rss_kb / 1024 if y else None for y in u1]
        st = analyse(obs.packets, ports)
        res.update(st)
        res["rcvbuf_drops"] = rb1 - rb0
        own = pair.own_underruns()
        res["client_underruns"] = own
        expected = 2 * n * HOLD_S / 0.02
        sample_share = st["packets"] / expected if expected else 0
        bad_share = ((st["late"] + st["lost"]) / st["packets"] if st["packets"] else 1.0) \
            + (rb1 - rb0) / expected
        if own is not None:
            bad_share += own / expected
        res["bad_share"] = bad_share
        res["sampled_share"] = sample_share
        if st["packets"] == 0:
            res["why"] = "observer saw no RTP"
        elif a2 < n or b2 < n:
            res["why"] = f"calls dropped during the window ({min(a2, b2)} of {n} left)"
        elif bad_share > MAX_BAD_SHARE:
            res["why"] = (f"{st['late']} late (>{LATE_MS:.0f} ms) and {st['lost']} lost of "
                          f"{st['packets']} sampled packets, {rb1 - rb0} socket-buffer drops"
                          + (f", {own} client-reported underruns" if own else ""))
        else:
            res["ok"] = True
        return res
    except Exception as e:  # noqa: BLE001
        res["why"] = f"{type(e).__name__}: {e}"
        return res
    finally:
        if obs:
            obs.stop()
        if pair:
            pair.stop()
        log(f"{client.name} {n} calls: " + step_text(res))


def step_text(r):
    s = f"N={r['n']}: {'ok' if r.get('ok') else 'FAIL'}"
    if r.get("packets"):
        s += (f", {r['streams']} streams / {r['packets']} packets sampled, {r['late']} late, "
              f"{r['lost']} lost, worst lateness {r['worst_ms']:.0f} ms, "
              f"{r['rcvbuf_drops']} socket-buffer drops")
    if r.get("cpu"):
        s += ", CPU caller/answerer " + "/".join(
            f"{100 * c:.0f} %" if c is not None else "n/a" for c in r["cpu"])
    if r.get("why"):
        s += f" ({r['why']})"
    return s


def measure(client, wd, max_calls, quick, log):
    if not hasattr(client, "concurrent"):
        return {"error": "no way to place several calls from one process"}
    why = getattr(client, "concurrency_unsupported", lambda: None)()
    if why:
        return {"error": why}
    try:
        Observer(1).stop()
    except PermissionError:
        return {"error": "the packet observer needs root (CAP_NET_RAW)"}
    source = Path(wd) / "conc-8k.wav"
    if not source.exists():
        s = signals.speech_signal(8000, segments=1, total_s=180)
        s.write(source)
    steps = [s for s in (QUICK_STEPS if quick else STEPS) if s <= max_calls]
    out = {"steps": [], "max_ok": 0}
    for n in steps:
        r = run_step(client, wd, n, source, log)
        out["steps"].append(step_text(r))
        if r.get("ok"):
            out["max_ok"] = n
        else:
            out["limit"] = f"{n} failed: {r.get('why')}"
            break
    return out
