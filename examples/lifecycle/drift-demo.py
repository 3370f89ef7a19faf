#!/usr/bin/env python3
"""Drift demo: sends wine rows through the gateway with their features shifted, then watches the
deployment's drift verdict and the retraining run it starts. Standard library only.

    python3 examples/lifecycle/drift-demo.py --deployment wine --csv wine.csv --shift 2
    python3 examples/lifecycle/drift-demo.py --deployment wine --csv wine.csv --shift 0   # calm traffic

The rows come from --csv (the exported wine data, e.g. `curl -o wine.csv …/v1/datasets/wine/versions/1/artifact`)
or, without it, from scikit-learn's copy when it is installed. The label column `target` is never sent.
"""
import argparse, calendar, csv, json, os, statistics, sys, time, urllib.error, urllib.request


def call(api, key, method, path, body=None):
    req = urllib.request.Request(
        api.rstrip("/") + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def load_rows(path):
    if path:
        with open(path, newline="") as f:
            return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
    from sklearn.datasets import load_wine  # only when no --csv

    frame = load_wine(as_frame=True).frame
    frame.columns = [c.replace("/", "_") for c in frame.columns]
    return frame.to_dict("records")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--api", default=os.environ.get("SLUICE_API_URL", "http://127.0.0.1:8001"))
    p.add_argument("--key", default=os.environ.get("SLUICE_API_KEY"))
    p.add_argument("--deployment", default="wine")
    p.add_argument("--csv", help="rows to send (with a header); scikit-learn's wine data when absent")
    p.add_argument("--shift", type=float, default=2.0, help="shift every feature by this many standard deviations")
    p.add_argument("--rows", type=int, default=400, help="rows to send (the monitor's minimum window is 200)")
    p.add_argument("--batch", type=int, default=10, help="rows per predict request")
    p.add_argument("--watch", type=int, default=180, help="seconds to wait for a verdict and a retrain (0: do not wait)")
    a = p.parse_args()
    if not a.key:
        sys.exit("set SLUICE_API_KEY (or --key): e.g. export SLUICE_API_KEY=$(cat .sluice/admin.key)")

    rows = load_rows(a.csv)
    features = [c for c in rows[0] if c != "target"]
    std = {c: statistics.pstdev(r[c] for r in rows) for c in features}
    _, before = call(a.api, a.key, "GET", f"/v1/deployments/{a.deployment}/drift?limit=1")
    known = {r["runId"] for r in (before or {}).get("retrains", [])} if isinstance(before, dict) else set()

    burst = time.time()
    sent = 0
    while sent < a.rows:
        batch = []
        for i in range(min(a.batch, a.rows - sent)):
            r = rows[(sent + i) % len(rows)]
            batch.append({c: r[c] + a.shift * std[c] for c in features})
        status, body = call(a.api, a.key, "POST", f"/v1/deployments/{a.deployment}/predict", {"rows": batch})
        if status != 200:
            sys.exit(f"predict answered {status}: {json.dumps(body)}")
        sent += len(batch)
    print(f"sent {sent} rows shifted by {a.shift} std in {time.time() - burst:.1f} s")

    deadline = time.time() + a.watch
    verdict = None
    while time.time() < deadline:
        _, view = call(a.api, a.key, "GET", f"/v1/deployments/{a.deployment}/drift?limit=1")
        latest = (view or {}).get("latest")
        if latest and latest["at"] >= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(burst)) and latest != verdict:
            verdict = latest
            drifted = [f["feature"] for f in latest["features"] if f["drifted"]]
            print(
                f"verdict: {'DRIFT' if latest['datasetDrift'] else 'no drift'} "
                f"({len(drifted)}/{len(latest['features'])} features: {', '.join(drifted) or '-'})"
            )
        new = [r for r in (view or {}).get("retrains", []) if r["runId"] not in known]
        if new:
            run_id = new[0]["runId"]
            while time.time() < deadline:
                _, run = call(a.api, a.key, "GET", f"/v1/runs/{run_id}")
                if run and run.get("startedAt"):
                    started = calendar.timegm(time.strptime(run["startedAt"][:19], "%Y-%m-%dT%H:%M:%S"))
                    print(f"retrain {run_id} ({new[0]['pipeline']}, trigger drift) started {started - burst:.1f} s after the burst began")
                    print(f"watch it: npx sluice runs get {run_id}   or the Temporal UI at http://127.0.0.1:8233")
                    return
                time.sleep(1)
        if verdict and not verdict["datasetDrift"] and a.shift == 0:
            return
        time.sleep(2)
    if a.watch:
        print("no retrain within the watch time (no drift, a retrain still running, or the cool-down holds):")
        print(f"  npx sluice drift {a.deployment}")


if __name__ == "__main__":
    main()
