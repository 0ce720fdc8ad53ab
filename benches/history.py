#!/usr/bin/env python3
"""History benchmark: blobhound against the git floor, as a ratio in one run.

usage: benches/history.py [REPO ...] [--runs N] [--blobhound PATH]
                          [--build-synthetic DIR] [--synthetic-commits N] [--json FILE]
       benches/history.py --startup [--runs N] [--blobhound PATH]

For each repository (default: the synthetic one from testrepos/synthetic.py,
built into target/bench-repos/synthetic on first use and reused afterwards):

1. warm the page cache: one unmeasured run of the floor,
2. one unmeasured `blobhound scan REPO --format json` to stdout, for the
   report's stats (bytes scanned, findings),
3. N times (default 3), alternating, the floor
       git -C REPO cat-file --batch-all-objects --batch --unordered > /dev/null
   and
       blobhound scan REPO --format json --output /dev/null --no-progress
   (exit status 0, 1 or 3 is fine, anything else is an error), measuring wall
   time and each child's own peak RSS (os.wait4 on its pid).

It prints one markdown table per repository (medians of wall time; the
highest peak RSS of the runs) and the exact commands; `--json FILE` also
writes every number. `--startup` instead times `blobhound scan` on a
10-commit repository built in a temporary directory, 20 runs by default, and
prints the median wall time in milliseconds.

Python 3.11, standard library only. Nothing here writes to a scanned repository.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BLOBHOUND = ROOT / "target" / "release" / "blobhound"
DEFAULT_SYNTHETIC = ROOT / "target" / "bench-repos" / "synthetic"
SYNTHETIC_PY = ROOT / "testrepos" / "synthetic.py"
BLOBHOUND_OK = (0, 1, 3)


class BenchError(Exception):
    pass


def child_env() -> dict:
    env = dict(os.environ)
    env["GIT_NO_LAZY_FETCH"] = "1"   # never fetch a partial clone's missing objects
    env.setdefault("LC_ALL", "C")
    return env


PRIVATE_PEAKS: list[float] = []


def sample_private(pid: int, stop: threading.Event, peak: list[float]) -> None:
    """Poll /proc/PID/status for RssAnon (private, anonymous memory: what the process
    allocated, unlike RSS, which also counts the pack files' pages it maps) every 10 ms."""
    path = f"/proc/{pid}/status"
    while not stop.is_set():
        try:
            with open(path) as status:
                for line in status:
                    if line.startswith("RssAnon:"):
                        peak[0] = max(peak[0], int(line.split()[1]) / 1024.0)
                        break
        except OSError:
            return
        stop.wait(0.01)


def run_measured(cmd: list[str], stdout_path: str = os.devnull) -> tuple[float, float, int, bytes]:
    """Run cmd with stdout to `stdout_path`; return (wall s, peak RSS MiB of
    this child alone, exit status, stderr). The child's peak private memory
    (sampled) is appended to PRIVATE_PEAKS."""
    with open(stdout_path, "wb") as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env=child_env())
        stop, peak = threading.Event(), [0.0]
        sampler = threading.Thread(target=sample_private, args=(proc.pid, stop, peak))
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        stop.set()
        sampler.join()
        PRIVATE_PEAKS.append(peak[0])
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code  # reaped by wait4; keep Popen from waiting again
        err.seek(0)
        return wall, usage.ru_maxrss / 1024.0, code, err.read()


def floor_cmd(repo: str) -> list[str]:
    return ["git", "-C", repo, "cat-file", "--batch-all-objects", "--batch", "--unordered"]


def blobhound_cmd(blobhound: str, repo: str) -> list[str]:
    return [blobhound, "scan", repo, "--format", "json", "--output", os.devnull, "--no-progress"]


def shell_quote(cmd: list[str]) -> str:
    return " ".join(shlex.quote(c) for c in cmd)


def git_out(*args: str) -> str:
    proc = subprocess.run(["git", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=child_env())
    if proc.returncode != 0:
        raise BenchError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode()


def count_objects(repo: str) -> int:
    info = {}
    for line in git_out("-C", repo, "count-objects", "-v").splitlines():
        k, _, v = line.partition(": ")
        info[k] = v
    return int(info.get("in-pack", "0")) + int(info.get("count", "0"))


def check_blobhound(code: int, err: bytes, repo: str) -> None:
    if code not in BLOBHOUND_OK:
        raise BenchError(f"blobhound scan {repo} exited with {code}: "
                         f"{err.decode(errors='replace').strip()[-2000:]}")


def answer_key_summary(repo: str, report: dict) -> str | None:
    """If REPO/../answers.json is the answer key of this repository (a
    testrepos build), say whether the planted secrets were all found."""
    path = Path(repo).resolve()
    key = path.parent / "answers.json"
    if not key.is_file():
        return None
    try:
        answers = json.loads(key.read_text())
    except (OSError, ValueError):
        return None
    if answers.get("repo") != path.name or "expected" not in answers:
        return None
    found = {f.get("secret") for f in report.get("findings", [])}
    expected = [e["secret"] for e in answers["expected"]]
    missing = sum(1 for s in expected if s not in found)
    extra = len(found - set(expected))
    return (f"answer key: {len(expected)} planted, {len(expected) - missing} found, "
            f"{missing} missed, {extra} other findings")


def bench_repo(repo: str, blobhound: str, runs: int) -> dict:
    if git_out("-C", repo, "rev-parse", "--is-bare-repository").strip() not in ("true", "false"):
        raise BenchError(f"{repo}: not a git repository")
    objects = count_objects(repo)
    fcmd, bcmd = floor_cmd(repo), blobhound_cmd(blobhound, repo)

    # Warm the page cache with the floor (unmeasured).
    _, _, code, err = run_measured(fcmd)
    if code != 0:
        raise BenchError(f"floor failed on {repo} ({code}): {err.decode(errors='replace').strip()}")
    # One blobhound run with the report on stdout, for its stats.
    with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
        stats_cmd = [blobhound, "scan", repo, "--format", "json", "--no-progress"]
        _, _, code, err = run_measured(stats_cmd, tmp.name)
        check_blobhound(code, err, repo)
        try:
            report = json.loads(Path(tmp.name).read_bytes())
        except ValueError as exc:
            raise BenchError(f"blobhound's JSON report for {repo} does not parse: {exc}")
    stats = report.get("stats", {})

    floor, hound, private = [], [], []
    for _ in range(runs):
        wall, rss, code, err = run_measured(fcmd)
        if code != 0:
            raise BenchError(f"floor failed on {repo} ({code}): {err.decode(errors='replace').strip()}")
        floor.append((wall, rss))
        wall, rss, code, err = run_measured(bcmd)
        check_blobhound(code, err, repo)
        hound.append((wall, rss, code))
        private.append(PRIVATE_PEAKS[-1])

    f_med = statistics.median(w for w, _ in floor)
    b_med = statistics.median(w for w, _, _ in hound)
    return {
        "repo": repo,
        "objects": objects,
        "blob_bytes": stats.get("bytes_scanned"),
        "blobs_scanned": stats.get("blobs_scanned"),
        "blobs_skipped": stats.get("blobs_skipped"),
        "commits": stats.get("commits"),
        "findings": len(report.get("findings", [])),
        "complete": report.get("complete"),
        "answer_key": answer_key_summary(repo, report),
        "report_stats": stats,
        "runs": runs,
        "floor_s": [round(w, 4) for w, _ in floor],
        "blobhound_s": [round(w, 4) for w, _, _ in hound],
        "blobhound_exit": [c for _, _, c in hound],
        "floor_median_s": f_med,
        "blobhound_median_s": b_med,
        "ratio": b_med / f_med if f_med > 0 else None,
        "floor_peak_rss_mib": max(r for _, r in floor),
        "blobhound_peak_rss_mib": max(r for _, r, _ in hound),
        "blobhound_peak_private_mib": max(private),
        "floor_cmd": shell_quote(fcmd) + " > /dev/null",
        "blobhound_cmd": shell_quote(bcmd),
    }


def print_table(r: dict) -> None:
    mib = r["blob_bytes"] / 2**20 if isinstance(r["blob_bytes"], int) else None
    blob = f"{r['blob_bytes']:,} ({mib:.1f} MiB)" if mib is not None else "?"
    ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "?"
    print(f"### {r['repo']}\n")
    print("| repo | objects | blob bytes | floor median s | blobhound median s | ratio (blobhound/floor) "
          "| floor peak RSS MiB | blobhound peak RSS MiB | blobhound peak private MiB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {r['repo']} | {r['objects']:,} | {blob} | {r['floor_median_s']:.3f} "
          f"| {r['blobhound_median_s']:.3f} | {ratio} | {r['floor_peak_rss_mib']:.1f} "
          f"| {r['blobhound_peak_rss_mib']:.1f} | {r['blobhound_peak_private_mib']:.1f} |")
    print()
    print(f"- runs ({r['runs']}, alternating): floor {', '.join(f'{x:.3f}' for x in r['floor_s'])} s; "
          f"blobhound {', '.join(f'{x:.3f}' for x in r['blobhound_s'])} s "
          f"(exit {', '.join(map(str, r['blobhound_exit']))})")
    extra = f"; {r['answer_key']}" if r["answer_key"] else ""
    phases = [f"{k[:-3]} {v} ms" for k, v in r["report_stats"].items()
              if k.endswith("_ms") and k != "duration_ms" and isinstance(v, int)]
    if phases:
        extra += f"; phases of that run: {', '.join(phases)} (of {r['report_stats'].get('duration_ms')} ms)"
    print(f"- blobhound report: {r['blobs_scanned']} blobs scanned, {r['blobs_skipped']} skipped, "
          f"{r['commits']} commits, {r['findings']} findings, complete={r['complete']}{extra}")
    print(f"- floor: `{r['floor_cmd']}`")
    print(f"- blobhound: `{r['blobhound_cmd']}`")
    print()


# --------------------------------------------------------------------------
# synthetic repository
# --------------------------------------------------------------------------


def ensure_synthetic(directory: Path, commits: int | None) -> str:
    """DIR/repo, built by testrepos/synthetic.py unless DIR already holds a
    finished build. The build goes to a sibling temporary directory that is
    renamed into place only when it succeeded."""
    repo = directory / "repo"
    if (directory / "answers.json").is_file() and repo.is_dir():
        return str(repo)
    if directory.exists() and any(directory.iterdir()):
        raise BenchError(f"{directory} exists but holds no finished synthetic build; remove it")
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=directory.name + ".building-", dir=directory.parent))
    cmd = [sys.executable, str(SYNTHETIC_PY), str(tmp)]
    if commits is not None:
        cmd += ["--commits", str(commits)]
    print(f"building the synthetic repository: {shell_quote(cmd)}", file=sys.stderr)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BenchError("testrepos/synthetic.py failed")
    if directory.exists():
        directory.rmdir()
    tmp.rename(directory)
    print(f"built {directory} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return str(repo)


def ensure_blobhound(path: str | None) -> str:
    if path is not None:
        p = Path(path)
        if not (p.is_file() and os.access(p, os.X_OK)):
            raise BenchError(f"{path}: not an executable file")
        return str(p.resolve())
    if not DEFAULT_BLOBHOUND.is_file():
        print("target/release/blobhound is missing: running `cargo build --release`", file=sys.stderr)
        if subprocess.run(["cargo", "build", "--release"], cwd=ROOT).returncode != 0:
            raise BenchError("cargo build --release failed")
    return str(DEFAULT_BLOBHOUND)


# --------------------------------------------------------------------------
# startup
# --------------------------------------------------------------------------


def small_repo(path: Path) -> None:
    env = dict(child_env())
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "HOME": str(path),
                "GIT_AUTHOR_NAME": "Dev One", "GIT_AUTHOR_EMAIL": "dev1@example.test",
                "GIT_COMMITTER_NAME": "Dev One", "GIT_COMMITTER_EMAIL": "dev1@example.test"})
    repo = path / "repo"

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                       cwd=repo if repo.exists() else path, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    git("init", "-q", str(repo))
    for i in range(10):
        (repo / f"module_{i % 4}.py").write_text(
            "".join(f"def handler_{i}_{j}(request):\n    return {i * j}\n\n" for j in range(20 + i)))
        (repo / "README.md").write_text(f"# demo\n\nrevision {i}\n")
        git("add", "-A")
        date = f"2021-01-04T{10 + i:02d}:00:00+00:00"
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        git("commit", "-q", "-m", f"commit {i}")


def startup(blobhound: str, runs: int, as_json: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="blobhound-startup-") as tmp:
        small_repo(Path(tmp))
        repo = str(Path(tmp) / "repo")
        cmd = blobhound_cmd(blobhound, repo)
        _, _, code, err = run_measured(cmd)   # warm-up
        check_blobhound(code, err, repo)
        walls, rss = [], []
        for _ in range(runs):
            wall, peak, code, err = run_measured(cmd)
            check_blobhound(code, err, repo)
            walls.append(wall * 1000)
            rss.append(peak)
    med = statistics.median(walls)
    print(f"blobhound startup (10-commit repository, {runs} runs): median {med:.1f} ms "
          f"(min {min(walls):.1f}, max {max(walls):.1f}), peak RSS {max(rss):.1f} MiB")
    print(f"- command: `{shell_quote(cmd)}` (REPO in a temporary directory)")
    if as_json:
        Path(as_json).write_text(json.dumps({"startup": {
            "runs": runs, "wall_ms": [round(w, 3) for w in walls], "median_ms": med,
            "peak_rss_mib": max(rss), "command": shell_quote(cmd)}}, indent=2) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repos", nargs="*", metavar="REPO", help="repositories (worktree or bare)")
    ap.add_argument("--runs", type=int, help="measured runs of each (default 3; 20 with --startup)")
    ap.add_argument("--blobhound", metavar="PATH",
                    help="blobhound binary (default target/release/blobhound, built if missing)")
    ap.add_argument("--build-synthetic", metavar="DIR",
                    help="also benchmark the synthetic repository in DIR (built there if needed); "
                         f"without REPO arguments this defaults to {DEFAULT_SYNTHETIC.relative_to(ROOT)}")
    ap.add_argument("--synthetic-commits", type=int, metavar="N",
                    help="--commits for testrepos/synthetic.py when it builds (default: its own, 40000)")
    ap.add_argument("--json", metavar="FILE", help="also write the numbers to FILE")
    ap.add_argument("--startup", action="store_true",
                    help="time blobhound on a 10-commit repository instead")
    args = ap.parse_args()
    try:
        blobhound = ensure_blobhound(args.blobhound)
        if args.startup:
            startup(blobhound, args.runs or 20, args.json)
            return
        runs = args.runs or 3
        if runs < 1:
            raise BenchError("--runs must be at least 1")
        repos = list(args.repos)
        if args.build_synthetic or not repos:
            directory = Path(args.build_synthetic) if args.build_synthetic else DEFAULT_SYNTHETIC
            if not args.build_synthetic and args.synthetic_commits:
                directory = directory.with_name(f"synthetic-{args.synthetic_commits}")
            repos.append(ensure_synthetic(directory.resolve(), args.synthetic_commits))
        version = subprocess.run([blobhound, "--version"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL).stdout.decode().strip()
        print(f"# history benchmark\n\n{version or blobhound}, {git_out('--version').strip()}, "
              f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
              f"{runs} alternating runs after one warm-up of the floor\n")
        results = []
        for repo in repos:
            r = bench_repo(repo, blobhound, runs)
            print_table(r)
            sys.stdout.flush()
            results.append(r)
        if args.json:
            Path(args.json).write_text(json.dumps({
                "blobhound": blobhound, "blobhound_version": version, "cpus": os.cpu_count(),
                "git": git_out("--version").strip(), "results": results}, indent=2) + "\n")
    except BenchError as exc:
        print(f"history.py: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
