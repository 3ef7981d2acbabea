#!/usr/bin/env python3
"""Handset vs baresip on loopback: latency, PESQ under loss and jitter, CPU,
memory and concurrent calls, in one run and one table.

Run by hand through tests/bench/run.sh (never in CI). See docs/benchmarks.md.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import analysis  # noqa: E402
import procs  # noqa: E402
import signals  # noqa: E402
from clients import BaresipClient, HandsetClient  # noqa: E402
import concurrency  # noqa: E402

REPO = HERE.parent.parent
LOSSES = [0.0, 0.03, 0.10]
JITTER_MS = 30.0
CODECS = {"pcmu": ("G.711 PCMU", "nb", 8000), "opus": ("Opus", "wb", 48000)}


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class RelayProc:
    def __init__(self, run_dir, target, loss, jitter_ms, seed):
        self.ready = Path(run_dir) / "relay.json"
        self.log_path = Path(run_dir) / "rtp.jsonl"
        self.errf = open(Path(run_dir) / "relay.stderr", "wb")
        self.proc = procs.spawn(
            [sys.executable, str(HERE / "relay.py"), "--target", f"{target[0]}:{target[1]}",
             "--loss", str(loss), "--jitter-ms", str(jitter_ms), "--seed", str(seed),
             "--ready-file", str(self.ready), "--log", str(self.log_path)],
            stdout=subprocess.DEVNULL, stderr=self.errf)
        deadline = time.monotonic() + 10
        while not self.ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("relay did not start")
            time.sleep(0.02)
        self.port = json.loads(self.ready.read_text())["sip_port"]

    def stop(self):
        procs.stop(self.proc)
        self.errf.close()
        return analysis.load_relay_log(self.log_path) if self.log_path.exists() else []


def one_call(client, run_dir, codec, source, duration, loss, jitter_ms, seed, watch=False):
    """One call caller -> relay -> answerer, both playing `source` and recording."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    res = {"ok": False, "dir": str(run_dir)}
    callee = relay = caller = None
    watchers = {}
    try:
        callee = client.answerer(run_dir, codec, source)
        relay = RelayProc(run_dir, callee.sip_addr, loss, jitter_ms, seed)
        if watch:
            watchers["a2b"] = analysis.GrowthWatcher(callee.recording_pattern)
        uri = f"sip:b@127.0.0.1:{relay.port}"
        caller = client.caller(run_dir, codec, source, uri, duration)
        if watch:
            watchers["b2a"] = analysis.GrowthWatcher(caller.recording_pattern)
        t_conn = caller.wait_connected(20)
        if t_conn is None or callee.wait_connected(5) is None:
            log("caller log:\n" + caller.log_tail())
            raise RuntimeError("call not established")
        # CPU and memory over the steady part of the call
        time.sleep(max(0, t_conn + 1.0 - time.monotonic()))
        u0 = {"caller": procs.usage(caller.pid), "callee": procs.usage(callee.pid)}
        time.sleep(max(0, t_conn + duration - 0.5 - time.monotonic()))
        u1 = {"caller": procs.usage(caller.pid), "callee": procs.usage(callee.pid)}
        res["cpu"] = {k: procs.cpu_share(u0[k], u1[k]) for k in u0}
        res["rss_mb"] = {k: (u1[k].rss_kb / 1024 if u1[k] else None) for k in u1}
        caller.finish(timeout=duration + 20)
        time.sleep(0.3)
        res["stats"] = {"caller": getattr(caller, "stats_lines", lambda: [])(),
                        "callee": getattr(callee, "stats_lines", lambda: [])()}
        res["ok"] = True
    except Exception as e:  # noqa: BLE001 - one failed call must not end the run
        res["error"] = f"{type(e).__name__}: {e}"
        log(f"{client.name} {codec} call failed: {res['error']}")
    finally:
        for w in watchers.values():
            w.stop()
        for p in (caller, callee):
            if p is not None:
                try:
                    p.stop()
                except Exception:  # noqa: BLE001
                    pass
        res["log"] = relay.stop() if relay else []
    res["rec"] = {"a2b": _first(callee.recording_pattern) if callee else None,
                  "b2a": _first(caller.recording_pattern) if caller else None}
    res["watch"] = {k: (w.events, w.path) for k, w in watchers.items()}
    return res


def _first(pattern):
    if not pattern:
        return None
    hits = sorted(Path("/").glob(pattern.lstrip("/"))) if "*" in pattern else \
        ([Path(pattern)] if Path(pattern).exists() else [])
    return str(hits[0]) if hits else None


# --- the measurements ------------------------------------------------------------

def measure_latency(client, wd, sig_path, sig):
    duration = sig.markers[-1] / sig.rate + 1.0
    res = one_call(client, Path(wd) / f"{client.name}-latency", "pcmu", sig_path, duration,
                   0.0, 0.0, 1, watch=True)
    out = {"values": [], "relay_ms": None, "error": res.get("error")}
    if not res["ok"]:
        return out
    vals = []
    for d in ("a2b", "b2a"):
        rec = res["rec"][d]
        events, _ = res["watch"].get(d, ([], None))
        if rec and events:
            v = analysis.latency(res["log"], d, rec, events)
            vals += v
            log(f"{client.name} latency {d}: {len(v)} markers, "
                f"median {1000 * statistics.median(v):.1f} ms" if v else
                f"{client.name} latency {d}: no markers matched")
    out["values"] = vals
    out["relay"] = analysis.relay_delay_stats(res["log"], "a2b")
    out["cpu"], out["rss_mb"] = res.get("cpu"), res.get("rss_mb")
    if not vals:
        out["error"] = "no marker found in both the relay log and the recording"
    return out


def measure_quality(client, wd, codec, loss, sig_path, sig, seed):
    name, mode, _ = CODECS[codec]
    duration = signals.speech_duration(sig) + 1.0
    tag = f"{client.name}-{codec}-loss{int(loss * 100)}"
    res = one_call(client, Path(wd) / tag, codec, sig_path, duration, loss, JITTER_MS, seed)
    out = {"scores": [], "error": res.get("error"), "cpu": res.get("cpu"),
           "rss_mb": res.get("rss_mb"), "stats": res.get("stats"),
           "relay": {d: analysis.relay_delay_stats(res["log"], d) for d in ("a2b", "b2a")}}
    if not res["ok"]:
        return out
    notes = []
    for d in ("a2b", "b2a"):
        rec = res["rec"][d]
        if not rec:
            notes.append(f"{d}: no recording")
            continue
        for score, note in analysis.pesq_segments(sig.samples, sig.rate, sig.segments, rec,
                                                  mode):
            if score is None:
                notes.append(f"{d}: {note}")
            else:
                out["scores"].append(score)
    out["notes"] = notes
    log(f"{tag}: PESQ {[round(s, 2) for s in out['scores']]} {notes or ''}")
    return out


# --- table -------------------------------------------------------------------------

def fmt(v, spec, unit=""):
    return "n/a" if v is None else f"{v:{spec}}{unit}"


def mean(xs):
    xs = [x for x in xs if x is not None]
    return statistics.fmean(xs) if xs else None


def build_rows(R, clients):
    """[(metric, {client: text}, goal text, verdict)]"""
    H, B = "handset", "baresip"
    rows = []

    def val(c, path):
        cur = R.get(c, {})
        for p in path:
            cur = cur.get(p) if isinstance(cur, dict) else None
        return cur

    def reason(c, path):
        r = R.get(c, {})
        if not r.get("available"):
            return r.get("why_not") or "not run"
        cur = r
        for p in path:
            cur = cur.get(p) if isinstance(cur, dict) else None
        if isinstance(cur, dict) and cur.get("error"):
            return cur["error"]
        return r.get("error") or "not measured"

    # 1. latency
    lat = {}
    cells = {}
    for c in clients:
        v = val(c, ["latency", "values"])
        if v:
            lat[c] = 1000 * statistics.median(v)
            s = sorted(v)
            p95 = 1000 * s[min(len(s) - 1, int(0.95 * len(s)))]
            cells[c] = f"{lat[c]:.1f} ms (p95 {p95:.1f}, n={len(v)})"
        else:
            cells[c] = f"n/a ({reason(c, ['latency'])})"
    verdict = "n/a"
    if H in lat:
        ok = lat[H] <= 40 and (B not in lat or lat[H] <= lat[B])
        verdict = ("PASS" if ok else "FAIL") + ("" if B in lat else " (no baresip value)")
    rows.append(("Added mouth-to-ear latency, G.711, loopback (median)", cells,
                 "<= 40 ms and <= baresip", verdict))

    # 2. PESQ
    for codec in ("pcmu", "opus"):
        name, mode, _ = CODECS[codec]
        for loss in LOSSES:
            key = f"{codec}-{int(loss * 100)}"
            cells, m = {}, {}
            for c in clients:
                q = val(c, ["quality", key]) or {}
                if q.get("scores"):
                    m[c] = statistics.fmean(q["scores"])
                    cells[c] = f"{m[c]:.2f} (min {min(q['scores']):.2f}, n={len(q['scores'])})"
                else:
                    cells[c] = f"n/a ({q.get('error') or reason(c, ['quality', key])})"
            verdict = "n/a"
            if H in m and B in m:
                verdict = "PASS" if m[H] >= m[B] - 1e-9 else "FAIL"
            rows.append((f"PESQ MOS-LQO {mode.upper()}, {name}, {int(loss * 100)} % loss, "
                         f"{JITTER_MS:.0f} ms jitter", cells, ">= baresip", verdict))

    # 3. CPU and memory, from the 0 % loss calls (one call per process)
    for codec in ("pcmu", "opus"):
        cells, cpu = {}, {}
        for c in clients:
            q = val(c, ["quality", f"{codec}-0"]) or {}
            cpu_d = q.get("cpu") or {}
            v = mean([cpu_d.get("caller"), cpu_d.get("callee")])
            if v is not None:
                cpu[c] = v
                cells[c] = f"{100 * v:.2f} % of a core"
            else:
                cells[c] = f"n/a ({q.get('error') or reason(c, ['quality', codec + '-0'])})"
        verdict = "n/a"
        if H in cpu and B in cpu:
            verdict = "PASS" if cpu[H] <= 0.7 * cpu[B] else "FAIL"
        rows.append((f"CPU per active call, {CODECS[codec][0]} (user+sys / call second)",
                     cells, "<= 0.7 x baresip", verdict))
    cells = {}
    for c in clients:
        q = val(c, ["quality", "pcmu-0"]) or {}
        r = mean(list((q.get("rss_mb") or {}).values()))
        cells[c] = f"{r:.1f} MB" if r is not None else "n/a"
    rows.append(("RSS of a process in one G.711 call", cells, "(no goal)", "-"))

    # 4. concurrency
    cells, n = {}, {}
    for c in clients:
        cc = val(c, ["concurrency"]) or {}
        if cc.get("max_ok") is not None:
            n[c] = cc["max_ok"]
            cells[c] = f"{cc['max_ok']}" + (f" ({cc['limit']})" if cc.get("limit") else "")
        else:
            cells[c] = f"n/a ({cc.get('error') or reason(c, ['concurrency'])})"
    verdict = "n/a"
    if H in n:
        verdict = "PASS" if n[H] >= 500 else "FAIL"
    rows.append(("Concurrent G.711 calls, one process -> one answerer, no underrun", cells,
                 ">= 500", verdict))
    return rows


def render_table(rows, clients):
    head = ["Metric"] + clients + ["Goal", "handset"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for metric, cells, goal, verdict in rows:
        lines.append("| " + " | ".join([metric] + [cells.get(c, "n/a") for c in clients]
                                       + [goal, verdict]) + " |")
    return "\n".join(lines)


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    osname = platform.platform()
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                osname = line.split("=", 1)[1].strip().strip('"') + f", Linux {platform.release()}"
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {osname}"


def write_doc(path, table, R, clients, started, elapsed, args, load):
    rel_cmd = "tests/bench/run.sh"
    details = []
    for c in clients:
        r = R.get(c, {})
        details.append(f"- **{c}**: {r.get('version', '')}. {r.get('settings', '')}.")
        lat = r.get("latency") or {}
        if lat.get("relay"):
            rl = lat["relay"]
            details.append(f"  - latency run: relay added {rl.get('mean_ms', 0):.2f} ms mean "
                           f"(max {rl.get('max_ms', 0):.2f} ms), subtracted per packet.")
        for key, q in sorted((r.get("quality") or {}).items()):
            rl = (q.get("relay") or {}).get("a2b") or {}
            if rl.get("packets"):
                details.append(
                    f"  - {key}: relay a->b {rl['packets']} RTP packets, {rl['lost']} dropped "
                    f"({100 * rl['lost'] / rl['packets']:.1f} %), added delay mean "
                    f"{rl.get('mean_ms', 0):.1f} ms, sd {rl.get('std_ms', 0):.1f} ms, max "
                    f"{rl.get('max_ms', 0):.0f} ms"
                    + (f"; notes: {'; '.join(q['notes'])}" if q.get("notes") else ""))
        cc = r.get("concurrency") or {}
        for step in cc.get("steps", []):
            details.append(f"  - {step}")
    text = f"""# Benchmarks: handset-cli vs baresip

Measured side by side in one run on loopback by `tests/bench/` (run by hand,
never in CI). Numbers below are from the last run; rerun to refresh them.

- Date: {started:%Y-%m-%d %H:%M %Z}
- Machine: {machine()}
- Load average before / after the run: {load[0]} / {load[1]} (the machine is shared,
  so CPU and concurrency numbers carry that noise)
- Run took {elapsed / 60:.1f} minutes{' (quick mode)' if args.quick else ''}

{table}

The last column says whether handset meets its goal on that row. PESQ scores are
the mean over every scored speech segment in both call directions ("min" is the
worst segment, "n" the number of segments); latency is the median over every
marker in both directions.

## Rerun

```sh
{rel_cmd}                  # full run, about {max(1, round(elapsed / 60))} minutes here
{rel_cmd} --quick          # one speech segment per condition, fewer concurrency steps
{rel_cmd} --clients baresip --no-doc   # one client only, table on stdout only
```

`run.sh` creates a venv in `$HOME/.cache/handset-bench-venv`, installs
`tests/bench/requirements.txt` (numpy, scipy, pesq, psutil; pesq builds from
source in about a minute the first time), builds `handset-cli` in release mode
(`cargo build --release -p handset-cli` with `CARGO_TARGET_DIR`, default
`$HOME/.cache/handset-target-bench`) unless `--no-build`, then runs
`tests/bench/bench.py`. It needs `baresip` 1.0 (Debian `baresip-core`) and
`espeak-ng` on the PATH. Every process it starts is stopped at the end, also on
failure or Ctrl-C; all ports are picked free at run time. Work files (recordings,
relay packet logs, client logs) stay in the directory printed at the end
(`--keep`) or are deleted.

## Method

**Signals.** Speech is synthesised with espeak-ng (Harvard sentences, three
per segment, a different voice per segment, about -26 dBFS), so nothing
recorded is stored in the repository. Before every speech segment sits a
marker: a {signals.MARKER_MS} ms {signals.MARKER_HZ} Hz burst at 0.7 of full scale. The latency
signal is markers only, one every 0.5 s. G.711 runs use 8 kHz files, Opus runs
48 kHz files (baresip's aufile needs the file at exactly its source rate, and its
Opus needs 48 kHz). Each file outlasts its call.

**Impairment relay** (`tests/bench/relay.py`, Python asyncio). The caller dials
`sip:b@127.0.0.1:<relay>`; the relay is a small stateless SIP proxy: it
forwards the INVITE to the answerer, adds its Via and a Record-Route so every
in-dialog request passes it too, and rewrites `c=`, the `m=audio` port and
`a=rtcp:` of every SDP body in both directions to its own RTP/RTCP sockets
(dropping ICE candidates). RTP is then relayed with seeded random loss
(Bernoulli, the same seed for both clients, a separate stream per direction)
and jitter: each packet gets an extra delay drawn from an exponential
distribution with mean {JITTER_MS:.0f} ms (so standard deviation {JITTER_MS:.0f} ms), and a packet never
leaves before the one ahead of it (FIFO, as on one network path; bursts of
delay therefore queue the packets behind them, so the effective delay's mean
and spread are somewhat larger, see the per-run figures below). RTCP passes
unimpaired. The relay logs every RTP packet with its arrival and departure time.

**Latency** (no loss, no jitter, G.711). For every marker: *mouth* is the time
the sender's RTP packet carrying the marker's onset reached the relay, minus
one packet duration (the audio in it was complete when it was sent), plus the
onset's offset inside the packet; *ear* is the time the receiver played that
sample: both clients write their recording as they play (handset through its
real-time paced file "speaker", baresip through its sndfile filter at decode
time), and the bench polls the file's size every 0.5 ms, so the time a frame
reached the file is the time it started to play. The relay's own delay for
that packet (logged, about 0.1 ms) is subtracted; loopback adds nothing else.
The result is what both clients add: packetization, jitter buffer, decoding
and playout. With file sources no capture-device buffer exists on either side.
For baresip the sndfile recorder sits before its audio player's buffer (no
player module runs headless here), so baresip's number leaves out that buffer,
in baresip's favour.

**PESQ** (ITU-T P.862 via the `pesq` package): NB at 8 kHz for G.711 and WB at
16 kHz for Opus, recordings resampled with scipy's polyphase filter. Both ends
play the signal and record, so each call scores both directions. Every speech
segment is located in the recording by cross-correlation (energy envelopes,
then samples) and scored on its own, so start-up offsets and jitter-buffer
adaptations between segments do not count against a client; what PESQ then
sees is loss concealment, time-stretching and codec distortion.

**CPU and memory.** user+sys time from `/proc/<pid>/stat` (all threads) of
each client process over the steady part of the 0 % loss call (from 1 s after
it was established to 0.5 s before its end), divided by that wall time; each
process has exactly one call. The value is the mean of the caller and the
answerer. RSS is `VmRSS` near the end of that call.

**Concurrent calls.** {concurrency.METHOD}

## This run in detail

{chr(10).join(details)}
"""
    Path(path).write_text(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", default="handset,baresip")
    ap.add_argument("--quick", action="store_true", help="fewer segments and steps")
    ap.add_argument("--only", default="latency,quality,concurrency",
                    help="comma list of: latency, quality, concurrency")
    ap.add_argument("--max-calls", type=int, default=1000,
                    help="upper bound of the concurrency search")
    ap.add_argument("--handset-cli", help="path of the handset-cli binary")
    ap.add_argument("--doc", default=str(REPO / "docs" / "benchmarks.md"))
    ap.add_argument("--no-doc", action="store_true", help="print only, do not write the doc")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--json", help="also write all raw results here")
    args = ap.parse_args()

    procs.install_cleanup()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass
    for tool in ("espeak-ng",):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (apt-get install {tool})")

    started = datetime.datetime.now().astimezone()
    t_start = time.monotonic()
    load0 = " ".join(f"{x:.2f}" for x in os.getloadavg())
    names = [c.strip() for c in args.clients.split(",") if c.strip()]
    only = set(args.only.split(","))
    wd = Path(tempfile.mkdtemp(prefix="handset-bench-"))
    log(f"work directory {wd}")

    segs = 1 if args.quick else 3
    sigs = {}
    for codec, (_, _, rate) in CODECS.items():
        s = signals.speech_signal(rate, segments=segs, total_s=60 if not args.quick else 30)
        s.write(wd / f"speech-{codec}.wav")
        sigs[codec] = s
    lat_sig = signals.marker_signal(8000, count=20, total_s=40)
    lat_sig.write(wd / "markers-8k.wav")

    clients = {}
    for n in names:
        clients[n] = HandsetClient(args.handset_cli) if n == "handset" else BaresipClient()
    R = {}
    for n, c in clients.items():
        R[n] = {"available": c.available, "why_not": c.why_not}
        if not c.available:
            log(f"{n}: not measured: {c.why_not}")
            continue
        R[n]["version"] = c.version()
        R[n]["settings"] = c.settings()
        try:
            if "latency" in only:
                log(f"{n}: latency")
                R[n]["latency"] = measure_latency(c, wd, wd / "markers-8k.wav", lat_sig)
            if "quality" in only:
                R[n]["quality"] = {}
                for codec in CODECS:
                    for i, loss in enumerate(LOSSES):
                        log(f"{n}: {codec} at {int(loss * 100)} % loss")
                        R[n]["quality"][f"{codec}-{int(loss * 100)}"] = measure_quality(
                            c, wd, codec, loss, wd / f"speech-{codec}.wav", sigs[codec],
                            seed=100 + i)
            if "concurrency" in only:
                log(f"{n}: concurrency")
                R[n]["concurrency"] = concurrency.measure(c, wd, args.max_calls, args.quick,
                                                          log)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            R[n]["error"] = str(e)
        finally:
            procs.stop_all()

    rows = build_rows(R, names)
    table = render_table(rows, names)
    elapsed = time.monotonic() - t_start
    load1 = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(table)
    print(f"\n(run took {elapsed / 60:.1f} min; load average {load0} -> {load1})")
    if args.json:
        Path(args.json).write_text(json.dumps(R, indent=1, default=str))
    if not args.no_doc:
        write_doc(args.doc, table, R, names, started, elapsed, args, (load0, load1))
        log(f"wrote {args.doc}")
    if args.keep:
        log(f"kept {wd}")
    else:
        shutil.rmtree(wd, ignore_errors=True)


if __name__ == "__main__":
    main()
