#!/usr/bin/env python3
"""Server-wide audit benchmark: a generated git server of many small repositories.

testrepos/server.py builds the server (200 repositories of 12 commits by default). Then, in
alternation over --runs rounds, so that a drift of the machine's speed touches every figure
alike:

- the sum of one `blobhound scan` per repository (the shell loop an audit replaces);
- a first `blobhound audit --state` (a new state file each time);
- a re-run with nothing changed;
- a re-run after one repository gained a commit with a new `.env` (the state copied from the
  first audit's each time, so every round re-runs the same change).

Prints the median wall time of each, the re-runs as a share of the first audit, and what the
changed re-run read (blobs scanned, commits traced) from its JSON report.

    python3 benches/audit.py [--repos N] [--runs N] [--blobhound PATH]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git(*args, cwd=None):
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null",
               GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.test",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.test")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def timed(command: list) -> float:
    start = time.monotonic()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.monotonic() - start
    # 1: the server holds secrets, as it should.
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(map(str, command))} exited {done.returncode}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--blobhound", type=Path, default=ROOT / "target/release/blobhound")
    args = parser.parse_args()
    blobhound = args.blobhound.resolve()
    if not blobhound.exists():
        sys.exit(f"{blobhound} is missing: run `cargo build --release` first")

    with tempfile.TemporaryDirectory(prefix="blobhound-audit-bench-") as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, str(ROOT / "testrepos/server.py"), str(work / "built"),
                        "--repos", str(args.repos)], check=True, capture_output=True)
        server = work / "built" / "server"
        repos = sorted(str(p) for p in server.rglob("*.git") if (p / "HEAD").exists())
        audit = [str(blobhound), "audit", str(server), "--format", "json", "--no-progress"]

        def first() -> float:
            state = work / "first.db"
            for leftover in work.glob("first.db*"):
                leftover.unlink()
            return timed(audit + ["--state", str(state), "-o", os.devnull])

        def singles() -> float:
            start = time.monotonic()
            for repo in repos:
                subprocess.run([str(blobhound), "scan", repo, "--format", "json", "-o", os.devnull,
                                "--no-progress"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            return time.monotonic() - start

        # The state of a first audit, then one repository's push.
        base = work / "base.db"
        subprocess.run(audit + ["--state", str(base), "-o", os.devnull], capture_output=True)
        unchanged_state = work / "unchanged.db"
        shutil.copy(base, unchanged_state)
        clone = work / "clone"
        git("clone", "-q", repos[0], str(clone))
        (clone / ".env").write_text("DATABASE_URL=postgres://shop:Vq8xLp2Rt6Wz9Kd3@db/shop\n")
        git("add", ".env", cwd=clone)
        git("commit", "-qm", "Env", cwd=clone)
        git("push", "-q", "origin", "HEAD:main", cwd=clone)
        changed_state = work / "changed.db"

        def unchanged() -> float:
            return timed(audit + ["--state", str(unchanged_state), "-o", os.devnull])

        def changed() -> float:
            shutil.copy(base, changed_state)
            return timed(audit + ["--state", str(changed_state), "-o", os.devnull])

        # The unchanged state must hold the pushed repository as it is now.
        unchanged()
        figures = {"singles": [], "first": [], "unchanged": [], "changed": []}
        for _ in range(args.runs):
            figures["singles"].append(singles())
            figures["first"].append(first())
            figures["unchanged"].append(unchanged())
            figures["changed"].append(changed())
        shutil.copy(base, changed_state)
        report = json.loads(subprocess.run(
            audit + ["--state", str(changed_state)], capture_output=True).stdout)

    median = {name: statistics.median(values) for name, values in figures.items()}
    print(f"server: {len(repos)} repositories, {args.runs} rounds, median wall seconds")
    print(f"  sum of single scans   {median['singles']:.3f}")
    print(f"  first audit (state)   {median['first']:.3f}   "
          f"{median['first'] / median['singles']:.2f}x the single scans")
    print(f"  unchanged re-run      {median['unchanged']:.3f}   "
          f"{100 * median['unchanged'] / median['first']:.1f}% of the first audit")
    print(f"  one repository pushed {median['changed']:.3f}   "
          f"{100 * median['changed'] / median['first']:.1f}% of the first audit; read "
          f"{report['stats']['blobs_scanned']} blob(s), traced "
          f"{report['stats']['commits_traced']} commit(s)")


if __name__ == "__main__":
    main()
