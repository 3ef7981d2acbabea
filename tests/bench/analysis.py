"""Measurement helpers: when a recording's samples were played, marker onsets,
added latency, and PESQ on aligned speech segments."""

import glob
import json
import os
import threading
import time

import numpy as np

from signals import MARKER_AMP, read_wav, resample

ONSET_LEVEL = 8000 / 32768  # the relay's marker level, so both ends agree
FRAME_S = 0.020


class GrowthWatcher:
    """Polls a file's size every ~0.5 ms and keeps (monotonic time, size) at each change.

    Clients write their recording as they play it (handset: a real-time paced
    speaker device; baresip: its sndfile filter at decode time), so the time a
    sample reached the file is the time it was played. `pattern` may be a glob:
    the first file matching it is watched (baresip names its dump files itself).
    """

    def __init__(self, pattern):
        self.pattern = str(pattern)
        self.events = []
        self.path = None
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        last = -1
        while not self._stop.is_set():
            if self.path is None:
                hits = sorted(glob.glob(self.pattern))
                if hits:
                    self.path = hits[0]
            if self.path is not None:
                try:
                    size = os.stat(self.path).st_size
                except FileNotFoundError:
                    size = -1
                if size != last:
                    self.events.append((time.monotonic(), size))
                    last = size
            time.sleep(0.0005)

    def stop(self):
        self._stop.set()
        self.thread.join(timeout=2)


def play_time(events, data_offset, channels, rate, index):
    """Monotonic time at which sample `index` (per channel) was played.

    Both clients hand the file one 20 ms frame at the moment that frame starts
    to play (handset may buffer several frames before they reach the disk, but
    it writes them at real-time pace, so the frame containing the last sample
    on disk started when the write happened). A sample at offset i inside that
    frame plays i/rate later.
    """
    frame = int(rate * FRAME_S)
    for t, size in events:
        n = (size - data_offset) // (2 * channels)
        if n > index:
            last_frame_start = ((n - 1) // frame) * frame
            return t - (last_frame_start - index) / rate
    return None


def onsets(x, rate, level=ONSET_LEVEL, refractory_s=0.2):
    """Sample indices where |x| first exceeds `level` after a quiet stretch."""
    loud = np.nonzero(np.abs(x) >= level)[0]
    out = []
    last = -10 ** 12
    for i in loud:
        if i - last > refractory_s * rate:
            out.append(int(i))
        last = i
    return out


def load_relay_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def wire_markers(log, direction, refractory_s=0.2):
    """G.711 packets in `direction` whose payload starts a marker."""
    out = []
    last_t = -1e9
    for e in sorted((e for e in log if e["dir"] == direction), key=lambda e: e["t_in"]):
        if e.get("onset", -1) >= 0 and e["t_in"] - last_t > refractory_s:
            out.append(e)
        if e.get("onset", -1) >= 0:
            last_t = e["t_in"]
    return out


def latency(log, direction, rec_path, events, every_s=0.5):
    """Client-added mouth-to-ear latency for each marker, in seconds.

    mouth: the sender's packet carrying the marker onset left it at t_in (as
    the relay saw it); that frame's audio was complete then, so the onset was
    "spoken" one frame earlier plus its offset inside the frame. ear: the time
    the receiver played the onset (`play_time`). The relay's own added delay
    for that packet (t_out - t_in) is subtracted, so only the two clients'
    time remains: packetization, jitter buffer, decoding and playout.
    """
    x, rate, off = read_wav(rec_path)
    ch = _channels(rec_path)
    rec_on = onsets(x, rate)
    wires = wire_markers(log, direction)
    if not rec_on or not wires:
        return []
    # pair the k-th marker on the wire with the k-th in the recording by their
    # distance from the first one (markers are `every_s` apart)
    w0 = wires[0]["ts"] + wires[0]["onset"]
    wk = {round(((w["ts"] + w["onset"] - w0) & 0xFFFFFFFF) / 8000 / every_s): w for w in wires}
    r0 = rec_on[0]
    out = []
    for r in rec_on:
        k = round((r - r0) / rate / every_s)
        w = wk.get(k)
        if w is None or w["t_out"] is None:
            continue
        frame_s = w["len"] / 8000
        mouth = w["t_in"] - frame_s + w["onset"] / 8000
        ear = play_time(events, off, ch, rate, r)
        if ear is None:
            continue
        out.append(ear - mouth - (w["t_out"] - w["t_in"]))
    return out


def _channels(path):
    with open(path, "rb") as f:
        head = f.read(4096)
    i = head.find(b"fmt ")
    return int.from_bytes(head[i + 10:i + 12], "little") if i >= 0 else 1


def relay_delay_stats(log, direction):
    d = [e["t_out"] - e["t_in"] for e in log if e["dir"] == direction and e["t_out"]]
    n = sum(1 for e in log if e["dir"] == direction)
    lost = sum(1 for e in log if e["dir"] == direction and e["t_out"] is None)
    if not d:
        return {"packets": n, "lost": lost}
    return {"packets": n, "lost": lost, "mean_ms": 1000 * float(np.mean(d)),
            "std_ms": 1000 * float(np.std(d)), "max_ms": 1000 * float(np.max(d))}


# --- PESQ ---------------------------------------------------------------------

def _xcorr_lag(ref, deg):
    """Lag L maximising correlation of deg[L:L+len(ref)] with ref (0 <= L <= len(deg)-len(ref))."""
    n = len(deg) + len(ref)
    nfft = 1 << (n - 1).bit_length()
    c = np.fft.irfft(np.fft.rfft(deg, nfft) * np.conj(np.fft.rfft(ref, nfft)), nfft)
    valid = c[:len(deg) - len(ref) + 1]
    return int(np.argmax(valid)) if len(valid) else 0


def _envelope(x, rate, hop_s=0.005):
    hop = max(1, int(rate * hop_s))
    n = len(x) // hop
    e = np.sqrt(np.mean(x[:n * hop].reshape(n, hop) ** 2, axis=1))
    return e - e.mean()


def pesq_segments(src, src_rate, segments, rec_path, mode):
    """PESQ of each speech segment of the source against the recording.

    Each segment is found in the recording by cross-correlation (first
    coarsely on 5 ms energy envelopes over the whole recording, then on the
    samples within +-60 ms), so the clients' different start-up delays, jitter
    buffer changes and lost frames do not shift the comparison; PESQ then does
    its own fine alignment. Returns a list of (score or None, note).
    """
    from pesq import pesq as pesq_fn
    fs = 8000 if mode == "nb" else 16000
    ref_all = resample(np.asarray(src, dtype=np.float64) / 32768.0, src_rate, fs)
    try:
        x, rate, _ = read_wav(rec_path)
    except (OSError, ValueError) as e:
        return [(None, f"no recording: {e}")] * len(segments)
    deg_all = resample(x, rate, fs)
    env_deg = _envelope(deg_all, fs)
    hop = int(fs * 0.005)
    pad = int(0.2 * fs)
    out = []
    for s, e in segments:
        s = int(s * fs / src_rate)
        e = int(e * fs / src_rate)
        ref = ref_all[max(0, s - pad):e + pad]
        env_ref = _envelope(ref, fs)
        if len(env_deg) < len(env_ref):
            out.append((None, "recording too short"))
            continue
        coarse = _xcorr_lag(env_ref, env_deg) * hop
        lo = max(0, coarse - int(0.06 * fs))
        hi = min(len(deg_all), coarse + len(ref) + int(0.06 * fs))
        fine = lo + _xcorr_lag(ref, deg_all[lo:hi])
        deg = deg_all[fine:fine + len(ref)]
        if len(deg) < len(ref):
            deg = np.concatenate([deg, np.zeros(len(ref) - len(deg))])
        try:
            out.append((float(pesq_fn(fs, ref.astype(np.float32), deg.astype(np.float32), mode)),
                        ""))
        except Exception as ex:  # noqa: BLE001 - pesq raises its own types
            out.append((None, f"pesq: {type(ex).__name__}"))
    return out


def marker_level_ok(x):
    return np.max(np.abs(x)) >= MARKER_AMP * 0.5 if len(x) else False
