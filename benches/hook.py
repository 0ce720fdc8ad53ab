#!/usr/bin/env python3
"""Pre-receive hook benchmark: a one-commit push of ten files into a large and a small repository.

For each repository: a bare copy becomes the server, with the blobhound hook installed behind a
wrapper that records the hook's wall time (process start to exit); a shallow clone pushes N
one-commit branches of ten new source files each. Prints the median hook time per repository, so
that the cost of the hook can be compared across repository sizes in one run.

    python3 benches/hook.py [REPO ...] [--runs N] [--blobhound PATH]
    python3 benches/hook.py --many-commits 20000 [--runs N]

Default repositories: target/bench-repos/synthetic/repo (built by benches/history.py) and a
300-commit synthetic repository built here.

With --many-commits N, one push of N commits that each add one file to the same directory (the
case whose cost grows fastest, since every commit rewrites a tree that keeps growing): the hook,
run as git runs it without a quarantine, against git's own `rev-list NEW --not --all | diff-tree
--stdin -r` on the same repository, in alternation, with the median of each and of their ratio.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git(*args, cwd=None, env=None):
    full_env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null")
    if env:
        full_env.update(env)
    return subprocess.run(["git", *args], cwd=cwd, env=full_env, check=True,
                          capture_output=True, text=True).stdout.strip()


def source_file(rng: random.Random, n: int) -> str:
    words = ["order", "invoice", "customer", "queryset", "request", "context", "product", "basket"]
    lines = [f"# module {n}", "from django.db import models", ""]
    for i in range(60):
        a, b = rng.choice(words), rng.choice(words)
        lines.append(f"def get_{a}_{i}(self, {b}):\n    return self.{a}_set.filter({b}={b}).first()\n")
    return "\n".join(lines) + "\n"


def bench(repo: Path, runs: int, blobhound: Path, workdir: Path) -> dict:
    server = workdir / "server.git"
    git("clone", "-q", "--bare", str(repo), str(server))
    git("config", "receive.advertisePushOptions", "true", cwd=server)
    subprocess.run([str(blobhound), "hook", "install", "--pre-receive", str(server)], check=True,
                   capture_output=True)
    real = server / "hooks" / "pre-receive.blobhound"
    (server / "hooks" / "pre-receive").rename(real)
    times = workdir / "hook-ns"
    wrapper = server / "hooks" / "pre-receive"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"start=$(date +%s%N)\n\"{real}\"\nrc=$?\nend=$(date +%s%N)\n"
        f"echo $((end - start)) >> \"{times}\"\nexit $rc\n")
    wrapper.chmod(0o755)
    work = workdir / "work"
    git("clone", "-q", "--depth", "1", f"file://{server}", str(work))
    git("config", "user.name", "Bench", cwd=work)
    git("config", "user.email", "bench@example.test", cwd=work)
    commits = int(git("rev-list", "--all", "--count", cwd=server))
    rng = random.Random(7)
    push_ms = []
    base = git("rev-parse", "HEAD", cwd=work)
    for run in range(runs):
        git("checkout", "-q", "-B", f"bench-{run}", base, cwd=work)
        for n in range(10):
            path = work / "bench" / f"run{run}" / f"module_{n}.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source_file(rng, n))
        git("add", "bench", cwd=work)
        git("commit", "-q", "-m", f"Add ten modules ({run})", cwd=work)
        start = time.perf_counter()
        git("push", "-q", "origin", f"HEAD:refs/heads/bench-{run}", cwd=work)
        push_ms.append((time.perf_counter() - start) * 1000)
    hook_ms = [int(line) / 1e6 for line in times.read_text().split()]
    return {"repo": str(repo), "commits": commits, "hook_ms": hook_ms, "push_ms": push_ms}


def many_commits_repo(path: Path, n: int) -> tuple[str, str]:
    """A bare repository whose main has one commit and whose N further commits (each adding
    data/file_K.txt) no ref names; returns (main, newest commit)."""
    git("init", "-q", "--bare", str(path))
    lines = []
    when = 1700000000
    def commit(ref: str, mark: int, parent, message: str, path_: str, body: str):
        data = body.encode()
        lines.append(f"blob\nmark :{mark * 2}\ndata {len(data)}\n{body}\n")
        msg = message.encode()
        head = f"commit {ref}\nmark :{mark * 2 + 1}\ncommitter Bench <bench@example.test> {when + mark} +0000\n"
        head += f"data {len(msg)}\n{message}\n"
        if parent is not None:
            head += f"from :{parent * 2 + 1}\n"
        head += f"M 100644 :{mark * 2} {path_}\n\n"
        lines.append(head)
    commit("refs/heads/main", 1, None, "Base", "README", "base\n")
    for k in range(n):
        commit("refs/heads/incoming", k + 2, k + 1 if k else 1, f"Add file {k}",
               f"data/file_{k}.txt", f"row {k}: value {k * 7919 % 10007}\n")
    stream = "".join(lines).encode()
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=stream, check=True)
    main = git("rev-parse", "refs/heads/main", cwd=path)
    tip = git("rev-parse", "refs/heads/incoming", cwd=path)
    git("update-ref", "-d", "refs/heads/incoming", cwd=path)
    return main, tip


def bench_many_commits(n: int, runs: int, blobhound: Path, workdir: Path) -> int:
    server = workdir / "many.git"
    main, tip = many_commits_repo(server, n)
    env = dict(os.environ, GIT_DIR=str(server), GIT_CONFIG_NOSYSTEM="1",
               GIT_CONFIG_GLOBAL="/dev/null")
    env.pop("GIT_QUARANTINE_PATH", None)
    update = f"{main} {tip} refs/heads/main\n"
    def hook() -> float:
        start = time.perf_counter()
        done = subprocess.run([str(blobhound), "hook", "pre-receive", "--timeout", "3600"],
                              input=update.encode(), env=env, capture_output=True)
        elapsed = time.perf_counter() - start
        if b"nothing to block" not in done.stderr:
            raise SystemExit(f"hook did not accept the push: {done.stderr.decode()}")
        return elapsed
    def floor() -> float:
        start = time.perf_counter()
        subprocess.run(f"git rev-list {tip} --not --all | git diff-tree --stdin -r > /dev/null",
                       shell=True, env=env, check=True)
        return time.perf_counter() - start
    hook_s, floor_s = [], []
    hook(); floor()  # warm the page cache
    for _ in range(runs):
        hook_s.append(hook())
        floor_s.append(floor())
    # The same commits through a real `git push`, where the hook reads git's quarantine; the
    # hook's own figure is taken from its message (it counts from process start).
    pushed = []
    for run in range(runs):
        dest = workdir / f"dest-{run}.git"
        git("init", "-q", "--bare", str(dest))
        git("push", "-q", str(dest), "main", cwd=server)
        subprocess.run([str(blobhound), "hook", "install", "--pre-receive", str(dest), "--",
                        "--timeout", "3600"], check=True, capture_output=True)
        git("update-ref", "refs/heads/incoming", tip, cwd=server)
        done = subprocess.run(["git", "push", str(dest), "incoming:main"], cwd=server,
                              capture_output=True, text=True, env=dict(os.environ, GIT_DIR=str(server)))
        git("update-ref", "-d", "refs/heads/incoming", cwd=server)
        found = [l for l in done.stderr.splitlines() if "nothing to block" in l]
        if done.returncode != 0 or not found:
            raise SystemExit(f"the push was not accepted: {done.stderr}")
        pushed.append(int(found[0].rsplit("blobs, ", 1)[1].split(" ms")[0]) / 1000)
    ratios = [h / f for h, f in zip(hook_s, floor_s)]
    print("| commits in the push | hook median s | git rev-list + diff-tree median s | ratio median (min–max) |")
    print("| ---: | ---: | ---: | ---: |")
    print(f"| {n:,} | {statistics.median(hook_s):.2f} | {statistics.median(floor_s):.2f} | "
          f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) |")
    print(f"\nThrough a real git push (quarantine): hook median {statistics.median(pushed):.2f} s "
          f"({', '.join(f'{p:.2f}' for p in pushed)}), against the floor's median above.")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--blobhound", type=Path, default=ROOT / "target" / "release" / "blobhound")
    parser.add_argument("--many-commits", type=int, metavar="N",
                        help="time one push of N one-file commits against git's own diff-tree")
    args = parser.parse_args()
    if not args.blobhound.exists():
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    if args.many_commits:
        with tempfile.TemporaryDirectory() as scratch:
            return bench_many_commits(args.many_commits, args.runs, args.blobhound, Path(scratch))
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        repos = list(args.repos)
        if not repos:
            large = ROOT / "target" / "bench-repos" / "synthetic" / "repo"
            if not large.exists():
                print("build the large repository first: python3 benches/history.py", file=sys.stderr)
                return 2
            small = scratch / "small"
            subprocess.run([sys.executable, str(ROOT / "testrepos" / "synthetic.py"), str(small),
                            "--commits", "300"], check=True)
            repos = [large, small / "repo"]
        results = []
        for i, repo in enumerate(repos):
            workdir = scratch / f"bench-{i}"
            workdir.mkdir()
            results.append(bench(repo.resolve(), args.runs, args.blobhound, workdir))
    print("| repo | commits | hook median ms | hook min–max ms | push median ms (whole git push) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['repo']} | {r['commits']:,} | {statistics.median(r['hook_ms']):.1f} | "
              f"{min(r['hook_ms']):.1f}–{max(r['hook_ms']):.1f} | {statistics.median(r['push_ms']):.0f} |")
    print(f"\n{args.runs} one-commit pushes of ten new files per repository; hook time is the "
          "pre-receive hook's wall time (process start to exit) measured by a wrapper script.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
