#!/usr/bin/env python3
"""Holds many Server-Sent-Events streams open against one scriptgen server (asyncio, raw sockets).

  sse_hold.py --port P --token T --jobs FILE --streams 10000 [--connect-concurrency 256] [--timeout 300]

FILE lists job ids, one per line; the streams are spread over them round-robin. Each stream sends
`GET /v1/jobs/{id}/events`, checks for `200` and `text/event-stream`, then reads events until a
`state` event with a terminal state (succeeded, dead, cancelled) or the end of the stream.
Prints JSON lines on stdout for the driver (bench/load/run):
  {"phase": "progress", "open": n, "connected": n, "failed": n, "t": s}
      every second while streams connect, so the driver can sample server memory at the peak;
  {"phase": "connected", "open": n, "failed": n, "connect_s": s, "errors": {...}}
      once every stream is connected or failed;
  {"phase": "done", "terminal": n, "eof_early": n, "open_at_timeout": n, "events": n, "s": s}
      when every stream has ended (or --timeout passed).
Loopback only; every wait is bounded.
"""
import argparse
import asyncio
import json
import resource
import sys
import time

TERMINAL = (b'"state":"succeeded"', b'"state":"dead"', b'"state":"cancelled"')


class Stats:
    def __init__(self):
        self.connected = self.failed = self.terminal = self.eof_early = self.events = 0
        self.open = 0
        self.errors = {}

    def error(self, what):
        self.errors[what] = self.errors.get(what, 0) + 1
        self.failed += 1


async def stream(port, token, job_id, stats, sem, connected_evt, total):
    reader = writer = None
    async with sem:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
            writer.write((f"GET /v1/jobs/{job_id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n").encode())
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
            stats.error(type(e).__name__)
            if writer:
                writer.close()
            _maybe_all_connected(stats, connected_evt, total)
            return
    status_ok = head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head.lower()
    if not status_ok:
        stats.error("status " + head.split(b"\r\n", 1)[0].decode(errors="replace")[9:12])
        writer.close()
        _maybe_all_connected(stats, connected_evt, total)
        return
    stats.connected += 1
    stats.open += 1
    _maybe_all_connected(stats, connected_evt, total)
    try:
        event = None
        while True:
            line = await reader.readline()
            if not line:
                stats.eof_early += 1
                break
            if line.startswith(b"event:"):
                event = line[6:].strip()
            elif line.startswith(b"data:"):
                stats.events += 1
                if event == b"state" and any(t in line for t in TERMINAL):
                    stats.terminal += 1
                    break
    except (OSError, asyncio.IncompleteReadError):
        stats.eof_early += 1
    finally:
        stats.open -= 1
        writer.close()


def _maybe_all_connected(stats, evt, total):
    if stats.connected + stats.failed >= total:
        evt.set()


async def main_async(a):
    job_ids = [line.strip() for line in open(a.jobs) if line.strip()]
    stats = Stats()
    sem = asyncio.Semaphore(a.connect_concurrency)
    connected = asyncio.Event()
    t0 = time.time()
    tasks = [asyncio.create_task(stream(a.port, a.token, job_ids[i % len(job_ids)], stats, sem,
                                        connected, a.streams)) for i in range(a.streams)]
    while not connected.is_set() and time.time() - t0 < a.timeout:
        try:
            await asyncio.wait_for(connected.wait(), 1.0)
        except asyncio.TimeoutError:
            print(json.dumps({"phase": "progress", "open": stats.open, "connected": stats.connected,
                              "failed": stats.failed, "t": round(time.time() - t0, 1)}), flush=True)
    print(json.dumps({"phase": "connected", "open": stats.open, "connected": stats.connected,
                      "failed": stats.failed, "connect_s": round(time.time() - t0, 2),
                      "errors": stats.errors}), flush=True)
    done, pending = await asyncio.wait(tasks, timeout=max(1, a.timeout - (time.time() - t0)))
    open_at_timeout = len(pending)
    for t in pending:
        t.cancel()
    print(json.dumps({"phase": "done", "terminal": stats.terminal, "eof_early": stats.eof_early,
                      "open_at_timeout": open_at_timeout, "events": stats.events,
                      "s": round(time.time() - t0, 2)}), flush=True)


def main():
    ap = argparse.ArgumentParser(description="hold many SSE streams open")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--jobs", required=True)
    ap.add_argument("--streams", type=int, default=10000)
    ap.add_argument("--connect-concurrency", type=int, default=256)
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if a.streams + 64 > hard:
        print(json.dumps({"phase": "error", "message": f"open-file limit {hard} < {a.streams} streams"}))
        return 1
    asyncio.run(main_async(a))
    return 0


if __name__ == "__main__":
    sys.exit(main())
