"""Test signals: synthetic speech with 1 kHz marker bursts at known places.

Speech comes from espeak-ng (Harvard sentences, public domain text), so the
benchmark needs no recorded speech in the repository. Every file starts with
silence, and ends with a long silent tail: baresip's aufile source hangs up
the call when its file ends, so the file must outlast the call.
"""

import math
import subprocess
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

MARKER_MS = 10
MARKER_HZ = 1000
MARKER_AMP = 0.7  # of full scale
SPEECH_RMS = 0.05  # about -26 dBFS, the level PESQ expects

# Harvard sentences (IEEE 1969), three per segment, a different voice per segment.
PASSAGES = [
    ("en-us", "The birch canoe slid on the smooth planks. Glue the sheet to the dark "
              "blue background. It is easy to tell the depth of a well."),
    ("en-us+f3", "These days a chicken leg is a rare dish. Rice is often served in "
                 "round bowls. The juice of lemons makes fine punch."),
    ("en-gb", "The box was thrown beside the parked truck. The hogs were fed chopped "
              "corn and garbage. Four hours of steady work faced us."),
]


@dataclass
class Signal:
    rate: int
    samples: np.ndarray  # int16
    markers: list  # sample index of each marker's onset
    segments: list = field(default_factory=list)  # (start, end) of speech, samples

    def write(self, path):
        write_wav(path, self.samples, self.rate)


def write_wav(path, samples, rate):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype="<i2").tobytes())


def read_wav(path):
    """(float mono samples in -1..1, rate, byte offset of the data chunk)."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a WAV file")
    pos = 12
    fmt = None
    while pos + 8 <= len(data):
        cid = data[pos:pos + 4]
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        body = pos + 8
        if cid == b"fmt ":
            tag, ch, rate = (int.from_bytes(data[body:body + 2], "little"),
                             int.from_bytes(data[body + 2:body + 4], "little"),
                             int.from_bytes(data[body + 4:body + 8], "little"))
            bits = int.from_bytes(data[body + 14:body + 16], "little")
            fmt = (tag, ch, rate, bits)
        elif cid == b"data":
            if fmt is None:
                raise ValueError(f"{path}: data before fmt")
            tag, ch, rate, bits = fmt
            # a writer killed before finalising leaves size 0 or 0xFFFFFFFF
            end = len(data) if size in (0, 0xFFFFFFFF) or body + size > len(data) \
                else body + size
            raw = data[body:end]
            if bits == 16:
                x = np.frombuffer(raw[:len(raw) // 2 * 2], dtype="<i2").astype(np.float64) / 32768
            elif bits == 32 and tag == 3:
                x = np.frombuffer(raw[:len(raw) // 4 * 4], dtype="<f4").astype(np.float64)
            else:
                raise ValueError(f"{path}: unsupported WAV format {fmt}")
            if ch > 1:
                x = x[:len(x) // ch * ch].reshape(-1, ch).mean(axis=1)
            return x, rate, body
        pos = body + size + (size & 1)
    raise ValueError(f"{path}: no data chunk")


def resample(x, src, dst):
    if src == dst:
        return np.asarray(x, dtype=np.float64)
    g = math.gcd(src, dst)
    return resample_poly(x, dst // g, src // g)


def _speech(voice, text, tmp):
    path = Path(tmp) / f"{abs(hash((voice, text)))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    x, rate, _ = read_wav(path)
    return x, rate


def _marker(rate):
    n = int(rate * MARKER_MS / 1000)
    t = np.arange(n) / rate
    return MARKER_AMP * np.sin(2 * np.pi * MARKER_HZ * t)


def _trim(x, level=0.01):
    loud = np.nonzero(np.abs(x) > level)[0]
    return x[loud[0]:loud[-1] + 1] if len(loud) else x


def speech_signal(rate, segments=3, total_s=60.0, lead_s=1.0):
    """Per segment: a marker, 0.3 s of silence, ~7 s of speech, 0.7 s of silence."""
    out = [np.zeros(int(lead_s * rate))]
    pos = len(out[0])
    markers, spans = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(segments):
            voice, text = PASSAGES[k % len(PASSAGES)]
            sp, sr = _speech(voice, text, tmp)
            sp = _trim(resample(sp, sr, rate))
            sp = sp * (SPEECH_RMS / np.sqrt(np.mean(sp[np.abs(sp) > 0.005] ** 2)))
            sp = np.clip(sp, -0.99, 0.99)
            mk = _marker(rate)
            gap1 = np.zeros(int(0.3 * rate))
            gap2 = np.zeros(int(0.7 * rate))
            markers.append(pos)
            start = pos + len(mk) + len(gap1)
            spans.append((start, start + len(sp)))
            for part in (mk, gap1, sp, gap2):
                out.append(part)
                pos += len(part)
    x = np.concatenate(out)
    x = np.concatenate([x, np.zeros(max(0, int(total_s * rate) - len(x)))])
    return Signal(rate, (x * 32767).astype(np.int16), markers, spans)


def marker_signal(rate, count=20, every_s=0.5, total_s=60.0, lead_s=1.0):
    """Markers only, every `every_s` seconds: the latency test signal."""
    x = np.zeros(int(total_s * rate))
    mk = _marker(rate)
    markers = []
    for k in range(count):
        p = int((lead_s + k * every_s) * rate)
        x[p:p + len(mk)] = mk
        markers.append(p)
    return Signal(rate, (x * 32767).astype(np.int16), markers)


def speech_duration(sig):
    """Seconds until the end of the last speech segment plus its trailing gap."""
    end = sig.segments[-1][1] if sig.segments else sig.markers[-1]
    return end / sig.rate + 0.7
