#!/usr/bin/env python3
"""Deterministic access-log generator for custos's log audit (docs/logs.md).

Writes AI-platform access logs (an API gateway in front of models and datasets) with planted
anomalies and clean periods, as JSONL or nginx combined lines, from a seed: the same arguments
always give the same bytes. Used for the rule fixtures (fixtures/rules/LOG*), the golden
aggregate fixtures (fixtures/logs/) and the throughput benchmark (scripts/bench-logs.sh).

    scripts/gen-logs.py --scenario spike --out DIR [--seed 7] [--format jsonl|nginx]
    scripts/gen-logs.py --scenario bench --bytes 1000000000 --out DIR --format nginx

Scenarios (each is the clean traffic plus what it plants; the plants are printed as JSON):
  clean        office-hours users, a nightly service-account job, low error rates
  spike        one user reads ~8x its usual volume in one 2 h window (LOG004)
  near-spike   one user reads ~2x its usual volume (must stay quiet)
  offhours     a daytime user reads in bulk at 03:00 (LOG005)
  newres       the nightly service account reads a dataset it never read before (LOG006)
  human-newres a human reads new datasets (must stay quiet: LOG006 is for service accounts)
  outlier      one API key costs ~40x per request what the others do (LOG007)
  tokenlimit   one API key ends every request at max_tokens, around the clock (LOG008)
  some-limit   a few requests end at max_tokens (must stay quiet)
  burst        one client gets a burst of 429s on one endpoint (LOG009)
  gaps         schema faults: some records lack request_id (LOG001)
  prompts      raw prompt text in some records (LOG002 where the source is redacted)
  hashed       prompts present but hashed (must stay quiet)
  failures     only failed requests are logged (LOG003)
  all          every plant above at once, in separate principals
  bench        many principals, clean traffic, up to --bytes
"""

import argparse
import json
import os
import random
import sys

DAY = 86400
START = 1795305600  # 2026-11-22T00:00:00Z

USERS = ["alice", "bob", "carol", "dave"]
KEYS = ["key-app-1", "key-app-2", "key-app-3", "key-app-4", "key-app-5", "key-app-6"]
DATASETS = ["claims", "customers", "policies", "quotes"]
ENDPOINTS = ["/v1/chat/completions", "/v1/embeddings"]
MODELS = ["gpt-4o-2024-08-06", "text-embedding-3-small-2024-01-25"]


def iso(t):
    import time

    ms = int(round((t - int(t)) * 1000))
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t)))
    return f"{base}.{ms:03d}Z" if ms else base + "Z"


def clf(t):
    import time

    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(int(t)))


class Gen:
    def __init__(self, seed, days, light=False):
        self.light = light
        self.r = random.Random(seed)
        self.days = days
        self.records = []
        self.planted = []
        self.n = 0

    def rid(self):
        self.n += 1
        return f"req-{self.n:08d}"

    def rec(self, t, who, action, resource, status=200, **extra):
        r = {
            "timestamp": iso(t),
            "request_id": self.rid(),
            "principal": who,
            "action": action,
            "resource": resource,
            "status": status,
            "bytes": self.r.randint(800, 4000),
        }
        r.update(extra)
        self.records.append((t, r))

    def inference(self, t, key, status=200, completion=None, max_tokens=1024, cost_scale=1.0, prompt=None):
        model = MODELS[0]
        prompt_tokens = self.r.randint(200, 600)
        if completion is None:
            completion = self.r.randint(50, 400)
        finish = "length" if completion >= max_tokens else "stop"
        r = {
            "timestamp": iso(t),
            "request_id": self.rid(),
            "principal": key,
            "action": "POST",
            "resource": ENDPOINTS[0],
            "model": model,
            "status": status,
            "max_tokens": max_tokens,
            "finish_reason": finish if status == 200 else None,
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion if status == 200 else 0},
            "cost_usd": round((prompt_tokens * 2.5e-6 + completion * 1e-5) * cost_scale, 6) if status == 200 else 0,
            "bytes": self.r.randint(500, 3000),
        }
        if status != 200:
            del r["finish_reason"]
        if prompt is not None:
            r["prompt"] = prompt
        self.records.append((t, r))

    # Clean traffic ---------------------------------------------------------------------------

    def office_user(self, who, per_hour, datasets, days=None):
        for d in range(days or self.days):
            for h in range(9, 18):
                for _ in range(self.r.randint(per_hour - 1, per_hour + 1)):
                    t = START + d * DAY + h * 3600 + self.r.random() * 3600
                    status = 200 if self.r.random() > 0.02 else 500
                    self.rec(t, who, "GET", self.r.choice(datasets), status)

    def nightly_job(self, who, datasets, per_night=40):
        for d in range(self.days):
            for i in range(per_night):
                t = START + d * DAY + 1 * 3600 + i * 90 + self.r.random() * 30
                self.rec(t, who, "GET", datasets[i % len(datasets)])

    def api_client(self, key, per_hour, cost_scale=1.0):
        for d in range(self.days):
            for h in range(8, 20):
                for _ in range(self.r.randint(per_hour - 1, per_hour + 1)):
                    t = START + d * DAY + h * 3600 + self.r.random() * 3600
                    status = 200 if self.r.random() > 0.01 else 503
                    self.inference(t, key, status, cost_scale=cost_scale)

    def clean(self):
        for who in USERS:
            self.office_user(who, 2 if self.light else 4, DATASETS[:3])
        self.nightly_job("svc-etl", DATASETS[:2], 20 if self.light else 40)
        for k in KEYS:
            self.api_client(k, 1 if self.light else 2)

    # Plants ----------------------------------------------------------------------------------

    def spike(self, extra=48):
        who, day = "erin", self.days - 1
        self.office_user(who, 3, DATASETS[:3])
        # 2 h window 12:00-14:00 of the last day: `extra` reads on top of the usual ~6.
        for _ in range(extra):
            t = START + day * DAY + 12 * 3600 + self.r.random() * 7200
            self.rec(t, who, "GET", "customers")
        if extra >= 24:
            self.planted.append({"rule": "LOG004", "principal": who, "window": iso(START + day * DAY + 12 * 3600)})

    def offhours(self):
        who, day = "frank", self.days - 1
        self.office_user(who, 3, DATASETS[:3])
        for _ in range(260):
            t = START + day * DAY + 3 * 3600 + self.r.random() * 3600
            self.rec(t, who, "GET", "customers")
        self.planted.append({"rule": "LOG005", "principal": who, "window": iso(START + day * DAY + 3 * 3600)})

    def newres(self, who="svc-etl"):
        day = self.days - 1
        for i in range(5):
            t = START + day * DAY + 2 * 3600 + i * 60
            self.rec(t, who, "GET", "payroll")
        self.planted.append({"rule": "LOG006", "principal": who, "resource": "payroll"})

    def human_newres(self):
        day = self.days - 1
        for i in range(5):
            self.rec(START + day * DAY + 11 * 3600 + i * 60, "alice", "GET", "payroll")

    def outlier(self):
        self.api_client("key-scraper-9", 2, cost_scale=40.0)
        self.planted.append({"rule": "LOG007", "principal": "key-scraper-9"})

    def tokenlimit(self):
        key = "key-harvest-7"
        for d in range(self.days):
            for h in range(24):
                for _ in range(3):
                    t = START + d * DAY + h * 3600 + self.r.random() * 3600
                    self.inference(t, key, completion=1024, max_tokens=1024)
        self.planted.append({"rule": "LOG008", "principal": key})

    def some_limit(self):
        for d in range(self.days):
            t = START + d * DAY + 10 * 3600 + self.r.random() * 3600
            self.inference(t, KEYS[0], completion=1024, max_tokens=1024)

    def burst(self):
        key, day = "key-app-3", self.days - 1
        for _ in range(40):
            t = START + day * DAY + 15 * 3600 + self.r.random() * 3600
            self.inference(t, key, status=429)
        self.planted.append({"rule": "LOG009", "principal": key, "window": iso(START + day * DAY + 15 * 3600)})

    def gaps(self):
        # Every 40th record of one user loses its request id (a code path that logs less).
        n = 0
        for t, r in self.records:
            if r.get("principal") == "bob":
                n += 1
                if n % 10 == 0:
                    del r["request_id"]
        self.planted.append({"rule": "LOG001", "field": "request_id"})

    def prompts(self, hashed=False):
        import hashlib

        for i, (t, r) in enumerate(self.records):
            if r.get("resource") == ENDPOINTS[0] and i % 7 == 0:
                text = "please summarise the attached claim notes"
                r["prompt"] = "sha256:" + hashlib.sha256(text.encode()).hexdigest() if hashed else text
        if not hashed:
            self.planted.append({"rule": "LOG002"})

    def failures(self):
        self.records = [(t, r) for t, r in self.records if r.get("status", 200) >= 400]
        # A failures-only source: make sure there are enough.
        for i in range(80):
            self.rec(START + 10 * 3600 + i * 300, USERS[i % 4], "GET", "claims", 403)
        self.planted.append({"rule": "LOG003"})

    # Output ----------------------------------------------------------------------------------

    def lines(self, fmt):
        self.records.sort(key=lambda x: (x[0], x[1].get("request_id", "")))
        for t, r in self.records:
            if fmt == "jsonl":
                yield json.dumps(r, separators=(",", ":"))
            else:
                yield nginx_line(t, r)


def nginx_line(t, r):
    who = r.get("principal", "-")
    user = who if not who.startswith("key-") else "-"
    addr = "10.0.%d.%d" % (sum(map(ord, who)) % 250, len(who))
    ua = "sdk/1.4 (%s)" % who if who.startswith("key-") else "analytics-ui/2.0"
    method = r.get("action", "GET")
    path = r.get("resource", "/")
    if not path.startswith("/"):
        path = "/v1/datasets/" + path
    return '%s - %s [%s] "%s %s?limit=100 HTTP/1.1" %d %d "-" "%s" rt=%.3f rid=%s' % (
        addr, user, clf(t), method, path, r.get("status", 200), r.get("bytes", 0), ua,
        0.05 + (len(path) % 7) / 100, r.get("request_id", "-"),
    )


def bench(out, fmt, size, seed, hours=0.0, pii=False):
    """Clean traffic for ~2,040 principals, streamed to `size` bytes.

    With `hours`, the records are spread evenly over that many hours whatever the size (a
    bigger file is a busier log of the same period: the same principals and windows, more
    records); without, records are ~10 ms apart (a bigger file covers a longer period). With
    `pii`, every record also carries an email address and a client IP (the detectors' worst
    case: a finding on every line)."""
    r = random.Random(seed)
    principals = ["user-%04d" % i for i in range(2000)] + ["svc-job-%02d" % i for i in range(40)]
    written, n = 0, 0
    t = float(START)
    step = None  # seconds between records; fixed once the record size is known

    def record(t, n):
        who = principals[r.randrange(len(principals))]
        rec = {
            "timestamp": iso(round(t, 3)),
            "request_id": "req-%010d" % n,
            "principal": who,
            "action": "GET" if r.random() < 0.8 else "POST",
            "resource": DATASETS[r.randrange(4)] if r.random() < 0.7 else ENDPOINTS[r.randrange(2)],
            "status": 200 if r.random() > 0.02 else 503,
            "bytes": r.randint(200, 9000),
            "model": MODELS[0],
            "usage": {"prompt_tokens": r.randint(10, 900), "completion_tokens": r.randint(10, 900)},
            "cost_usd": round(r.random() * 0.01, 6),
        }
        if pii:
            rec["client_ip"] = "203.0.%d.%d" % (r.randrange(256), r.randrange(1, 255))
            rec["contact"] = "%s.%s@acme-corp.io" % (who, "xyz"[r.randrange(3)])
        return json.dumps(rec, separators=(",", ":")) if fmt == "jsonl" else nginx_line(t, rec)

    with open(out, "w") as f:
        while written < size:
            if step is None and hours and n == 1000:
                # Spread the rest evenly over the period, from the mean size of the first lines.
                step = hours * 3600 / max(1.0, size / (written / n) - n)
            t += step if step is not None else r.random() * 0.02
            n += 1
            line = record(t, n)
            f.write(line + "\n")
            written += len(line) + 1
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="clean")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--name", default=None, help="file name (default: <scenario>.<ext>)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--format", choices=["jsonl", "nginx"], default="jsonl")
    ap.add_argument("--bytes", type=int, default=0, help="bench: size to write")
    ap.add_argument("--light", action="store_true", help="about half the clean traffic (small fixtures)")
    ap.add_argument("--split", type=int, default=1, help="split the output into N files")
    ap.add_argument("--hours", type=float, default=0.0, help="bench: spread the records over this many hours")
    ap.add_argument("--pii", action="store_true", help="bench: an email and a client IP in every record")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    ext = "jsonl" if a.format == "jsonl" else "log"
    name = a.name or f"{a.scenario}.{ext}"
    if a.scenario == "bench":
        n = bench(os.path.join(a.out, name), a.format, a.bytes or 10_000_000, a.seed, a.hours, a.pii)
        print(json.dumps({"records": n}))
        return
    g = Gen(a.seed, a.days, a.light)
    g.clean()
    plants = {
        "clean": [],
        "spike": [g.spike],
        "near-spike": [lambda: g.spike(extra=6)],
        "offhours": [g.offhours],
        "newres": [g.newres],
        "human-newres": [g.human_newres],
        "outlier": [g.outlier],
        "tokenlimit": [g.tokenlimit],
        "some-limit": [g.some_limit],
        "burst": [g.burst],
        "gaps": [g.gaps],
        "prompts": [g.prompts],
        "hashed": [lambda: g.prompts(hashed=True)],
        "failures": [g.failures],
        "all": [g.spike, g.offhours, g.newres, g.outlier, g.tokenlimit, g.burst, g.gaps],
    }
    if a.scenario not in plants:
        sys.exit(f"unknown scenario {a.scenario}")
    for p in plants[a.scenario]:
        p()
    lines = list(g.lines(a.format))
    parts = max(1, a.split)
    per = (len(lines) + parts - 1) // parts
    for i in range(parts):
        chunk = lines[i * per:(i + 1) * per]
        fname = name if parts == 1 else name.replace(f".{ext}", f"-{i + 1}.{ext}")
        with open(os.path.join(a.out, fname), "w") as f:
            f.write("".join(l + "\n" for l in chunk))
    print(json.dumps({"scenario": a.scenario, "seed": a.seed, "planted": g.planted}, sort_keys=True))


if __name__ == "__main__":
    main()
