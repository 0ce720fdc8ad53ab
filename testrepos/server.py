#!/usr/bin/env python3
"""Build OUT/server, a git server's storage of many small bare repositories, and
OUT/answers.json, which secret each repository holds.

usage: server.py OUT [--repos N] [--commits C] [--seed S]

Three in five repositories sit in a plain tree (`team<k>/svc<i>.git`, as Gitea, Forgejo and
gitolite keep them), the rest in GitLab's hashed storage (`@hashed/ab/cd/<sha256>.git`, with
`gitlab.fullpath` in their config). Each has C commits of generated Django-project text on
`main`, streamed into `git fast-import`. Planted, from a seeded RNG: one AWS key pair shared by
five repositories (a key copied between services), and a Django SECRET_KEY of its own in every
tenth repository. Defaults: 200 repositories of 12 commits.

Deterministic: the same arguments give the same commit ids.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixturelib import GitEnv, Secrets, FixtureError, prepare_out  # noqa: E402

WORDS = ("order", "invoice", "customer", "basket", "product", "shipment", "review", "profile",
         "payment", "session", "password", "token", "cache", "queryset", "template")


def source(rng: random.Random, lines: int) -> str:
    out = []
    for _ in range(lines):
        a, b = rng.choice(WORDS), rng.choice(WORDS)
        out.append(rng.choice((
            f"def get_{a}(self, {b}):\n    return self.{a}_set.filter({b}={b}).first()\n",
            f"class {a.title()}View(LoginRequiredMixin, DetailView):\n    model = {a.title()}\n",
            f"    {a} = models.ForeignKey({b.title()}, on_delete=models.CASCADE)\n",
            f"# Validate the {a} before saving; see the {b} module.\n",
        )))
    return "".join(out)


def stream(rng: random.Random, commits: int, planted: dict[str, str], env: GitEnv) -> bytes:
    """A fast-import stream: `commits` commits on main, the planted files in the third."""
    out = []
    files = [f"app/{w}.py" for w in rng.sample(WORDS, 5)]
    for n in range(commits):
        date = env.next_date()
        stamp = int(datetime.datetime.fromisoformat(date).timestamp())
        out.append("commit refs/heads/main\n")
        out.append(f"committer Dev One <dev1@example.test> {stamp} +0000\n")
        message = f"Change {n}\n"
        out.append(f"data {len(message)}\n{message}")
        changed = {rng.choice(files): source(rng, rng.randint(5, 30)) for _ in range(2)}
        if n == 2:
            changed.update(planted)
        for path, text in sorted(changed.items()):
            data = text.encode()
            out.append(f"M 100644 inline {path}\ndata {len(data)}\n")
            out.append(data.decode())
            out.append("\n")
    return "".join(out).encode()


def build(out: Path, env: GitEnv, repos: int, commits: int, seed: int) -> None:
    rng = random.Random(seed)
    secrets = Secrets(seed)
    aws_id, aws_secret = secrets.aws_key_id(), secrets.aws_secret_key()
    shared = set(rng.sample(range(repos), min(5, repos)))
    answers = {"aws": {"key_id": aws_id, "secret": aws_secret, "repositories": []},
               "django": []}
    for i in range(repos):
        name = f"team{i % 10}/svc{i}"
        if i % 5 < 3:
            relative = f"{name}.git"
        else:
            digest = hashlib.sha256(str(i).encode()).hexdigest()
            relative = f"@hashed/{digest[:2]}/{digest[2:4]}/{digest}.git"
        path = out / "server" / relative
        path.mkdir(parents=True)
        env.git("init", "-q", "--bare", "--initial-branch=main", ".", cwd=path)
        if relative.startswith("@hashed/"):
            env.git("config", "gitlab.fullpath", name, cwd=path)
        planted = {}
        if i in shared:
            planted["deploy/.env"] = f"AWS_ACCESS_KEY_ID={aws_id}\nAWS_SECRET_ACCESS_KEY={aws_secret}\n"
            answers["aws"]["repositories"].append(name)
        if i % 10 == 0:
            key = secrets.django_key()
            planted["app/settings.py"] = f"SECRET_KEY = '{key}'\n"
            answers["django"].append({"repository": name, "secret": key})
        env.git("fast-import", "--quiet", cwd=path, input=stream(rng, commits, planted, env))
    answers["aws"]["repositories"].sort()
    (out / "answers.json").write_text(json.dumps(answers, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--commits", type=int, default=12)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    try:
        out = prepare_out(args.out)
        with GitEnv() as env:
            build(out, env, args.repos, args.commits, args.seed)
    except (FixtureError, OSError) as exc:
        print(f"server.py: error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
