#!/usr/bin/env python3
"""A tiny SIP-aware UDP impairment relay for the benchmark.

It sits between two SIP endpoints on loopback:

* SIP: it listens on its own UDP port and acts as a stateless proxy. Requests
  addressed to the relay itself (the caller dials ``sip:user@127.0.0.1:<relay>``)
  go to the configured ``--target``; it adds its own ``Via`` and a
  ``Record-Route`` so in-dialog requests (ACK, BYE, re-INVITE) come back through
  it; responses are returned along the ``Via`` path.
* SDP: every ``application/sdp`` body, in both directions, gets ``c=`` and the
  ``m=audio`` port (and ``a=rtcp:``) rewritten to relay sockets, so media flows
  through the relay. ICE candidates are removed so nothing bypasses it.
* RTP: each direction gets seeded Bernoulli loss (``--loss``) and a random extra
  delay per packet (``--jitter-ms``: exponential, that mean, so the standard
  deviation is the same). Order is kept as on a single network path: a packet
  never leaves before the one ahead of it in the same direction. RTCP is
  forwarded at once, without loss.

Every RTP packet is logged (direction, sequence, timestamp, payload type, time
in, time out or dropped, and for G.711 the peak level and the index of the
first loud sample) so the benchmark can find its markers on the wire and
subtract exactly the delay the relay added. Times are ``time.monotonic()``,
the same clock the benchmark uses.

Run: ``relay.py --target 127.0.0.1:5080 --ready-file r.json --log rtp.jsonl``.
It writes ``{"sip_port": N}`` to the ready file, runs until SIGTERM/SIGINT,
then writes the packet log.
"""

import argparse
import asyncio
import hashlib
import json
import math
import os
import random
import re
import signal
import socket
import sys
import time

HOST = "127.0.0.1"
MARKER_LEVEL = 8000  # a sample this loud (of 32767) counts as a marker


# --- G.711 decoding, for the packet log only --------------------------------

def _ulaw(b):
    b = ~b & 0xFF
    t = ((b & 0x0F) << 3) + 0x84
    t <<= (b & 0x70) >> 4
    return (0x84 - t) if (b & 0x80) else (t - 0x84)


def _alaw(b):
    b ^= 0x55
    t = (b & 0x0F) << 4
    seg = (b & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t += 0x108
        t <<= seg - 1
    return t if (b & 0x80) else -t


ULAW = [_ulaw(i) for i in range(256)]
ALAW = [_alaw(i) for i in range(256)]


def g711_level(pt, payload):
    """(peak, index of the first sample over MARKER_LEVEL or -1) for PCMU/PCMA."""
    table = ULAW if pt == 0 else ALAW
    peak, first = 0, -1
    for i, b in enumerate(payload):
        v = abs(table[b])
        if v > peak:
            peak = v
        if first < 0 and v >= MARKER_LEVEL:
            first = i
    return peak, first


# --- SIP text handling --------------------------------------------------------

COMPACT = {"v": "via", "l": "content-length", "c": "content-type", "m": "contact",
           "i": "call-id", "f": "from", "t": "to", "k": "supported"}


class SipMessage:
    def __init__(self, data):
        text = data.decode("utf-8", "replace")
        head, sep, body = text.partition("\r\n\r\n")
        if not sep:
            head, sep, body = text.partition("\n\n")
        lines = head.replace("\r\n", "\n").split("\n")
        self.start = lines[0]
        self.headers = []  # [name, value] keeping order; folded lines joined
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:
                self.headers[-1][1] += " " + line.strip()
            elif ":" in line:
                n, v = line.split(":", 1)
                self.headers.append([n.strip(), v.strip()])
        self.body = body
        self.is_request = not self.start.startswith("SIP/2.0")
        if self.is_request:
            parts = self.start.split(" ")
            self.method, self.uri = parts[0], parts[1]
        else:
            self.status = int(self.start.split(" ")[1])

    @staticmethod
    def norm(name):
        n = name.lower()
        return COMPACT.get(n, n)

    def get_all(self, name):
        name = name.lower()
        out = []
        for n, v in self.headers:
            if self.norm(n) == name:
                # Via, Route and Record-Route may carry several values per line
                if name in ("via", "route", "record-route"):
                    out.extend(split_commas(v))
                else:
                    out.append(v)
        return out

    def get(self, name):
        vals = self.get_all(name)
        return vals[0] if vals else None

    def set_all(self, name, values, at_top=False):
        """Replace every header called `name` by `values` (one line each)."""
        lname = name.lower()
        idx = None
        kept = []
        for i, (n, v) in enumerate(self.headers):
            if self.norm(n) == lname:
                if idx is None:
                    idx = len(kept)
                continue
            kept.append([n, v])
        if idx is None:
            idx = 0 if at_top else len(kept)
        self.headers = kept[:idx] + [[name, v] for v in values] + kept[idx:]

    def cseq_method(self):
        v = self.get("cseq") or ""
        return v.split()[-1].upper() if v.split() else ""

    def to_bytes(self):
        body = self.body.encode("utf-8")
        self.set_all("Content-Length", [str(len(body))])
        head = "\r\n".join([self.start] + [f"{n}: {v}" for n, v in self.headers])
        return head.encode("utf-8") + b"\r\n\r\n" + body


def split_commas(v):
    """Split a header value on commas outside <> and quotes."""
    out, cur, depth, quoted = [], "", 0, False
    for ch in v:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


URI_HOSTPORT = re.compile(r"sips?:(?:[^@;>]*@)?(\[[^\]]+\]|[^:;>?]+)(?::(\d+))?", re.I)


def uri_hostport(uri, default_port=5060):
    m = URI_HOSTPORT.search(uri)
    if not m:
        return None
    return m.group(1).strip("[]"), int(m.group(2) or default_port)


def via_params(via):
    parts = via.split(";")
    sent = parts[0].split()[-1]
    params = {}
    for p in parts[1:]:
        k, _, val = p.strip().partition("=")
        params[k.lower()] = val
    host, _, port = sent.partition(":")
    return host, int(port or 5060), params


# --- media sessions -----------------------------------------------------------

class Leg:
    """The relay's face of one side: the other side sends here to reach it."""

    def __init__(self, relay, call, side):
        self.relay, self.call, self.side = relay, call, side
        self.real_rtp = None   # where this side really receives RTP
        self.real_rtcp = None
        self.rtp_sock = None
        self.rtcp_sock = None

    async def open(self):
        loop = asyncio.get_running_loop()
        # an even RTP port with the next one free for RTCP
        for _ in range(200):
            s1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s1.bind((HOST, 0))
            port = s1.getsockname()[1]
            if port % 2 or port >= 65535:
                s1.close()
                continue
            s2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s2.bind((HOST, port + 1))
            except OSError:
                s1.close()
                s2.close()
                continue
            break
        else:
            raise RuntimeError("no free RTP port pair")
        for s in (s1, s2):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.rtp_tr, self.rtp_proto = await loop.create_datagram_endpoint(
            lambda: MediaProtocol(self, rtcp=False), sock=s1)
        self.rtcp_tr, self.rtcp_proto = await loop.create_datagram_endpoint(
            lambda: MediaProtocol(self, rtcp=True), sock=s2)
        self.port = port

    def close(self):
        for tr in (getattr(self, "rtp_tr", None), getattr(self, "rtcp_tr", None)):
            if tr:
                tr.close()


class Direction:
    """Impairment state for packets travelling towards one side."""

    def __init__(self, name, seed, loss, jitter_ms):
        self.name = name
        self.rng = random.Random(f"{seed}:{name}")
        self.loss = loss
        self.jitter = jitter_ms / 1000.0
        self.last_out = 0.0


class MediaProtocol(asyncio.DatagramProtocol):
    def __init__(self, leg, rtcp):
        self.leg, self.rtcp = leg, rtcp

    def datagram_received(self, data, addr):
        self.leg.relay.media_in(self.leg, self.rtcp, data, addr)


class Call:
    def __init__(self, relay, call_id):
        self.relay, self.call_id = relay, call_id
        self.legs = {}

    async def leg(self, side):
        if side not in self.legs:
            leg = Leg(self.relay, self, side)
            await leg.open()
            self.legs[side] = leg
        return self.legs[side]


# --- the relay ----------------------------------------------------------------

class Relay:
    def __init__(self, args):
        self.args = args
        th, tp = args.target.rsplit(":", 1)
        self.target = (th, int(tp))
        self.calls = {}
        self.log = []
        self.dirs = {}
        self.sip_tr = None
        self.sent_by = None

    # SIP
    async def start(self):
        loop = asyncio.get_running_loop()
        self.sip_tr, _ = await loop.create_datagram_endpoint(
            lambda: SipProtocol(self), local_addr=(HOST, self.args.sip_port))
        self.port = self.sip_tr.get_extra_info("sockname")[1]
        self.sent_by = f"{HOST}:{self.port}"

    def is_me(self, host, port):
        return host in (HOST, "localhost") and port == self.port

    def side_of(self, addr):
        return "b" if tuple(addr) == self.target else "a"

    def sip_in(self, data, addr):
        if not data.strip():
            return  # keep-alive
        try:
            msg = SipMessage(data)
        except Exception as e:  # noqa: BLE001 - a relay must not die on junk
            print(f"relay: unparsable SIP from {addr}: {e}", file=sys.stderr)
            return
        asyncio.get_running_loop().create_task(self.handle_sip(msg, addr))

    async def handle_sip(self, msg, addr):
        try:
            if msg.is_request:
                await self.forward_request(msg, addr)
            else:
                await self.forward_response(msg, addr)
        except Exception as e:  # noqa: BLE001
            print(f"relay: error handling {msg.start!r}: {e!r}", file=sys.stderr)

    async def forward_request(self, msg, addr):
        vias = msg.get_all("via")
        if not vias:
            return
        # mark where the request really came from (RFC 3261 18.2.1, RFC 3581)
        host, port, params = via_params(vias[0])
        top = vias[0]
        if "rport" in params and not params["rport"]:
            top = re.sub(r";rport(?=;|$)", f";rport={addr[1]}", top)
        if host != addr[0] and "received" not in params:
            top += f";received={addr[0]}"
        vias[0] = top
        branch = params.get("branch", "") + (msg.get("call-id") or "")
        mine = "z9hG4bK" + hashlib.md5(branch.encode()).hexdigest()[:16]
        msg.set_all("Via", [f"SIP/2.0/UDP {self.sent_by};branch={mine};rport"] + vias,
                    at_top=True)
        mf = msg.get("max-forwards")
        if mf and mf.isdigit():
            msg.set_all("Max-Forwards", [str(max(0, int(mf) - 1))])
        # loose routing: drop our own Route, then follow the next one or the R-URI
        routes = msg.get_all("route")
        if routes and self.route_is_me(routes[0]):
            routes = routes[1:]
            msg.set_all("Route", routes)
            if not routes:
                msg.set_all("Route", [])
        if routes:
            dest = uri_hostport(routes[0])
        else:
            dest = uri_hostport(msg.uri)
            if dest is None or self.is_me(*dest):
                dest = self.target
                msg.uri = re.sub(r"@[^;>?]+", f"@{self.target[0]}:{self.target[1]}", msg.uri) \
                    if "@" in msg.uri else f"sip:{self.target[0]}:{self.target[1]}"
                msg.start = f"{msg.method} {msg.uri} SIP/2.0"
        if msg.method == "INVITE" and ";tag=" not in (msg.get("to") or ""):
            rr = msg.get_all("record-route")
            msg.set_all("Record-Route", [f"<sip:{self.sent_by};lr>"] + rr, at_top=True)
        await self.rewrite_sdp(msg, self.side_of(addr))
        self.sip_tr.sendto(msg.to_bytes(), dest)

    def route_is_me(self, route):
        hp = uri_hostport(route)
        return hp is not None and self.is_me(*hp)

    async def forward_response(self, msg, addr):
        vias = msg.get_all("via")
        if not vias:
            return
        host, port, _ = via_params(vias[0])
        if not self.is_me(host, port):
            return  # not ours: drop, as a stateless proxy must
        vias = vias[1:]
        if not vias:
            return
        msg.set_all("Via", vias)
        host, port, params = via_params(vias[0])
        dest = (params.get("received") or host,
                int(params["rport"]) if params.get("rport") else port)
        await self.rewrite_sdp(msg, self.side_of(addr))
        self.sip_tr.sendto(msg.to_bytes(), dest)

    async def rewrite_sdp(self, msg, side):
        ctype = (msg.get("content-type") or "").lower()
        if "application/sdp" not in ctype or not msg.body.strip():
            return
        call_id = msg.get("call-id") or ""
        call = self.calls.get(call_id)
        if call is None:
            call = self.calls[call_id] = Call(self, call_id)
        leg = await call.leg(side)
        lines = msg.body.replace("\r\n", "\n").split("\n")
        session_c = None
        media_c = None
        audio_port = None
        rtcp_port = None
        in_audio = False
        for line in lines:
            if line.startswith("m="):
                in_audio = line.startswith("m=audio")
                if in_audio:
                    audio_port = int(line.split()[1])
            elif line.startswith("c=") and not in_audio and audio_port is None:
                session_c = line.split()[-1]
            elif line.startswith("c=") and in_audio:
                media_c = line.split()[-1]
            elif line.startswith("a=rtcp:") and in_audio:
                rtcp_port = int(line[7:].split()[0])
        ip = media_c or session_c or HOST
        if audio_port is not None and audio_port != 0:
            leg.real_rtp = (ip, audio_port)
            leg.real_rtcp = (ip, rtcp_port or audio_port + 1)
        out = []
        in_audio = False
        for line in lines:
            if line.startswith("m="):
                in_audio = line.startswith("m=audio")
                if in_audio and audio_port:
                    f = line.split(" ")
                    f[1] = str(leg.port)
                    line = " ".join(f)
            elif line.startswith("c=IN IP4 ") or line.startswith("c=IN IP6 "):
                line = f"c=IN IP4 {HOST}"
            elif line.startswith("a=rtcp:") and in_audio:
                line = f"a=rtcp:{leg.port + 1}"
            elif line.startswith("a=candidate") or line.startswith("a=remote-candidates") \
                    or line.startswith("a=ice-"):
                continue
            out.append(line)
        msg.body = "\r\n".join(out).rstrip("\r\n") + "\r\n"

    # media
    def media_in(self, leg, rtcp, data, addr):
        """A packet arrived at `leg`: it comes from the other side, for leg.side."""
        now = time.monotonic()
        call = leg.call
        other = call.legs.get("b" if leg.side == "a" else "a")
        dest = leg.real_rtcp if rtcp else leg.real_rtp
        if other is None or dest is None:
            return
        out_tr = other.rtcp_tr if rtcp else other.rtp_tr
        is_rtcp = rtcp or (len(data) > 1 and 72 <= (data[1] & 0x7F) <= 76)
        if is_rtcp or len(data) < 12:
            out_tr.sendto(data, dest)
            return
        name = "a2b" if leg.side == "b" else "b2a"
        d = self.dirs.get(name)
        if d is None:
            d = self.dirs[name] = Direction(name, self.args.seed, self.args.loss,
                                            self.args.jitter_ms)
        pt = data[1] & 0x7F
        seq = int.from_bytes(data[2:4], "big")
        ts = int.from_bytes(data[4:8], "big")
        cc = data[0] & 0x0F
        hdr = 12 + 4 * cc
        if data[0] & 0x10 and len(data) >= hdr + 4:  # header extension
            hdr += 4 + 4 * int.from_bytes(data[hdr + 2:hdr + 4], "big")
        payload = data[hdr:]
        if data[0] & 0x20 and payload:  # padding
            payload = payload[:len(payload) - payload[-1]]
        entry = {"dir": name, "seq": seq, "ts": ts, "pt": pt, "len": len(payload),
                 "t_in": now, "t_out": None}
        if pt in (0, 8):
            entry["peak"], entry["onset"] = g711_level(pt, payload)
        self.log.append(entry)
        # draw both numbers every time so the loss pattern does not depend on jitter
        lost = d.rng.random() < d.loss
        u = d.rng.random()
        if lost:
            return
        extra = -d.jitter * math.log(1.0 - u) if d.jitter > 0 else 0.0
        due = max(now + extra, d.last_out)
        d.last_out = due
        loop = asyncio.get_running_loop()
        if due <= now:
            out_tr.sendto(data, dest)
            entry["t_out"] = time.monotonic()
        else:
            loop.call_at(due, self._send_later, out_tr, data, dest, entry)

    @staticmethod
    def _send_later(tr, data, dest, entry):
        tr.sendto(data, dest)
        entry["t_out"] = time.monotonic()

    def write_log(self):
        if not self.args.log:
            return
        tmp = self.args.log + ".tmp"
        with open(tmp, "w") as f:
            for e in self.log:
                f.write(json.dumps(e) + "\n")
        os.replace(tmp, self.args.log)


class SipProtocol(asyncio.DatagramProtocol):
    def __init__(self, relay):
        self.relay = relay

    def datagram_received(self, data, addr):
        self.relay.sip_in(data, addr)


async def main_async(args):
    relay = Relay(args)
    await relay.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    info = {"sip_port": relay.port, "pid": os.getpid()}
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(info, f)
        os.replace(tmp, args.ready_file)
    print(json.dumps(info), flush=True)
    await stop.wait()
    relay.write_log()
    for call in relay.calls.values():
        for leg in call.legs.values():
            leg.close()
    relay.sip_tr.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", required=True, help="host:port of the called endpoint")
    p.add_argument("--sip-port", type=int, default=0, help="SIP port (0: a free one)")
    p.add_argument("--loss", type=float, default=0.0, help="RTP loss probability, 0..1")
    p.add_argument("--jitter-ms", type=float, default=0.0,
                   help="mean extra delay per RTP packet (exponential), ms")
    p.add_argument("--seed", default="1", help="random seed")
    p.add_argument("--ready-file", help="write {sip_port, pid} here when listening")
    p.add_argument("--log", help="write the RTP packet log (JSON lines) here at exit")
    args = p.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
