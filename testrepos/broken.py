#!/usr/bin/env python3
"""Build repositories in awkward states from one small source repository:

  OUT/missing       a loose blob (secret only in an older commit) deleted
  OUT/corrupt       a loose blob overwritten with garbage
  OUT/corrupt-pack  fully packed, then one byte of a blob's compressed data flipped
  OUT/partial       blob-less partial clone (--filter=blob:none --no-checkout)
  OUT/shallow       --depth 1 clone
  OUT/bare          bare clone
  OUT/plain         a plain directory, no .git

and OUT/answers.json with one section per directory name.

usage: broken.py OUT_DIR
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixturelib import (  # noqa: E402
    DATABASE_URL, DJANGO_SECRET_KEY, FixtureError, Repo, Secrets, decoy, locate,
    locate_in_dir, planted, run_main, write_answers,
)

SEED = 20210201
# Remote URL written into the clones in place of the (deleted) build-time
# source, so nothing can be fetched from it and the config is deterministic.
DEAD_REMOTE = "file:///nonexistent/blobhound-fixture-source"


def build_source(repo: Repo, s: Secrets) -> dict:
    k_old = s.django_key(insecure=True)
    k_env = s.django_key()
    pw_env = s.db_password()
    pw_compose = s.db_password()
    k_prod = s.django_key()
    pw_redis = s.db_password()

    settings_old = ('"""Django settings for the shop project."""\n'
                    "import os\n"
                    f"SECRET_KEY = '{k_old}'\n"
                    "DEBUG = True\n")
    repo.write("README.md", "# shop\n")
    repo.write("settings.py", settings_old)
    c1 = repo.commit("Initial Django project skeleton", author=0)

    repo.write(".env", f"DJANGO_SECRET_KEY={k_env}\n"
               f"DATABASE_URL=postgres://shop:{pw_env}@db.internal.test:5432/shop\n")
    c2 = repo.commit("Add .env for local development", author=1)

    repo.write("docker-compose.yml", "services:\n"
               "  web:\n"
               "    image: shop/web:latest\n"
               "    environment:\n"
               f"      DATABASE_URL: mysql://shop:{pw_compose}@mysql:3306/shop\n")
    repo.commit("Add docker-compose stack", author=0)

    repo.write("settings.py", settings_old.replace(f"SECRET_KEY = '{k_old}'",
                                                   'SECRET_KEY = os.environ["SECRET_KEY"]'))
    repo.remove(".env")
    repo.commit("Read SECRET_KEY from the environment and drop .env", author=1)

    repo.write("config/prod.json", "{\n"
               f'  "SECRET_KEY": "{k_prod}",\n'
               f'  "CACHE_URL": "redis://:{pw_redis}@redis.internal.test:6379/1"\n'
               "}\n")
    repo.write("docs/settings_example.py", "SECRET_KEY = 'changeme'\n"
               "DATABASE_URL = 'postgres://user:password@localhost/db'\n")
    head = repo.commit("Add production settings and docs", author=0)

    P = planted
    secrets = [
        P(DJANGO_SECRET_KEY, k_old, note="only in the first commit's settings.py", expect_path="settings.py"),
        P(DJANGO_SECRET_KEY, k_env, note=".env, deleted later", expect_path=".env"),
        P(DATABASE_URL, pw_env, {"username": "shop", "host": "db.internal.test", "port": "5432",
                                 "database": "shop"}, ".env, deleted later", ".env"),
        P(DATABASE_URL, pw_compose, {"username": "shop", "host": "mysql", "port": "3306",
                                     "database": "shop"}, expect_path="docker-compose.yml"),
        P(DJANGO_SECRET_KEY, k_prod, expect_path="config/prod.json"),
        P(DATABASE_URL, pw_redis, {"host": "redis.internal.test", "port": "6379", "database": "1"},
          expect_path="config/prod.json"),
    ]
    return {
        "secrets": secrets,
        "head": head,
        # blobs holding secrets only in older commits
        "old_settings_blob": repo.out("rev-parse", f"{c1}:settings.py"),
        "env_blob": repo.out("rev-parse", f"{c2}:.env"),
    }


DECOYS = [
    decoy("changeme", "placeholder", "docs/settings_example.py"),
    decoy("password", "placeholder password in example URL", "docs/settings_example.py"),
]


def section(repo: Repo, name: str, secrets: list[dict], unreadable: tuple[str, ...] = (),
            **extra) -> dict:
    expected, lost = locate(repo, secrets, head_ref="HEAD", unreadable=unreadable)
    sec = {"repo": name}
    sec.update(extra)
    sec["head"] = repo.rev("HEAD")
    sec["expected"] = expected
    sec["decoys"] = DECOYS
    sec["absent_secrets"] = [x["secret"] for x in lost]
    return sec


def readable(repo: Repo, oid: str) -> bool:
    return repo.run("cat-file", "blob", oid, check=False).returncode == 0


def make_missing(src: Path, out: Path, env, blob: str) -> Repo:
    shutil.copytree(src, out, symlinks=True)
    repo = Repo(env, out)
    path = repo.loose_object_path(blob)
    if not path.is_file():
        raise FixtureError(f"{blob} is not loose in the source")
    path.unlink()
    if readable(repo, blob):
        raise FixtureError("deleted blob is still readable")
    return repo


def make_corrupt(src: Path, out: Path, env, blob: str, garbage: bytes) -> Repo:
    shutil.copytree(src, out, symlinks=True)
    repo = Repo(env, out)
    path = repo.loose_object_path(blob)
    if not path.is_file():
        raise FixtureError(f"{blob} is not loose in the source")
    os.chmod(path, 0o644)
    path.write_bytes(garbage)
    os.chmod(path, 0o444)
    if readable(repo, blob):
        raise FixtureError("garbage blob is still readable")
    return repo


def make_corrupt_pack(src: Path, out: Path, env, candidates: list[str]) -> tuple[Repo, str]:
    shutil.copytree(src, out, symlinks=True)
    repo = Repo(env, out)
    repo.run("repack", "-q", "-a", "-d")
    packs = sorted((repo.git_dir() / "objects" / "pack").glob("*.pack"))
    if len(packs) != 1:
        raise FixtureError(f"expected one pack, found {len(packs)}")
    pack = packs[0]
    listing = repo.out("verify-pack", "-v", str(pack.with_suffix(".idx")))
    entries = {}
    bases = set()
    for line in listing.splitlines():
        f = line.split()
        if len(f) >= 5 and re.fullmatch(r"[0-9a-f]{40}", f[0]):
            entries[f[0]] = (f[1], int(f[3]), int(f[4]), len(f) > 5)
            if len(f) > 5:
                bases.add(f[6])
    target = next((o for o in candidates if o in entries and entries[o][0] == "blob"
                   and not entries[o][3] and o not in bases), None)
    if target is None:
        raise FixtureError("no candidate blob is stored whole and unused as a delta base")
    _, size_in_pack, offset, _ = entries[target]
    data = bytearray(pack.read_bytes())
    header = 1
    while data[offset + header - 1] & 0x80:
        header += 1
    compressed = size_in_pack - header
    others = [o for o, e in entries.items() if e[0] == "blob" and o != target]
    os.chmod(pack, 0o644)
    for step in range(compressed // 2):
        pos = offset + header + compressed // 2 + step
        data[pos] ^= 0xFF
        pack.write_bytes(bytes(data))
        if not readable(repo, target):
            break
        data[pos] ^= 0xFF  # undo and try the next byte
    else:
        raise FixtureError("could not corrupt the packed blob")
    os.chmod(pack, 0o444)
    for o in others:
        if not readable(repo, o):
            raise FixtureError(f"pack corruption also broke {o}")
    return repo, target


def build(out: Path, env) -> None:
    s = Secrets(SEED)
    src_path = Path(env.home) / "source"
    src = Repo.init(env, src_path)
    info = build_source(src, s)
    secrets = info["secrets"]
    old_blob, env_blob = info["old_settings_blob"], info["env_blob"]
    answers = {}

    # missing: the first settings.py blob (its key is in no other blob).
    repo = make_missing(src_path, out / "missing", env, old_blob)
    answers["missing"] = section(repo, "missing", secrets, (old_blob,), kind="worktree",
                                 missing=[old_blob])

    # corrupt: the .env blob overwritten with garbage.
    repo = make_corrupt(src_path, out / "corrupt", env, env_blob, s.garbage(64))
    answers["corrupt"] = section(repo, "corrupt", secrets, (env_blob,), kind="worktree",
                                 corrupt=[env_blob])

    # corrupt-pack: everything packed, then one blob's compressed bytes damaged.
    repo, target = make_corrupt_pack(src_path, out / "corrupt-pack", env, [env_blob, old_blob])
    answers["corrupt-pack"] = section(repo, "corrupt-pack", secrets, (target,), kind="worktree",
                                      corrupt_pack=[target])

    # bare clone (a local clone, so objects stay loose as in the source).
    env.git("clone", "-q", "--bare", "--no-hardlinks", str(src_path), str(out / "bare"))
    repo = Repo(env, out / "bare")
    repo.run("remote", "set-url", "origin", DEAD_REMOTE)
    answers["bare"] = section(repo, "bare", secrets, kind="bare", bare=True)

    # partial clone without blobs.
    src.run("config", "uploadpack.allowFilter", "true")
    env.git("clone", "-q", "--no-local", "--filter=blob:none", "--no-checkout",
            f"file://{src_path}", str(out / "partial"))
    repo = Repo(env, out / "partial")
    repo.run("remote", "set-url", "origin", DEAD_REMOTE)
    absent = sorted(line[1:] for line in
                    repo.out("rev-list", "--objects", "--all", "--missing=print").splitlines()
                    if line.startswith("?"))
    if not absent or any(readable(repo, o) for o in (old_blob, env_blob)):
        raise FixtureError("partial clone has its blobs")
    answers["partial"] = section(
        repo, "partial", secrets, kind="worktree", partial=True, no_fetch=True, absent_blobs=absent,
        note="blob-less partial clone: every blob is missing and promised by the remote; "
             "scanners must not fetch (run with GIT_NO_LAZY_FETCH=1; the remote URL is dead) "
             "and should report the scan incomplete")
    if answers["partial"]["expected"]:
        raise FixtureError("partial clone should yield no findings")

    # shallow clone of the tip only.
    env.git("clone", "-q", "--depth", "1", f"file://{src_path}", str(out / "shallow"))
    repo = Repo(env, out / "shallow")
    repo.run("remote", "set-url", "origin", DEAD_REMOTE)
    answers["shallow"] = section(
        repo, "shallow", secrets, kind="worktree", shallow=True,
        note="depth 1: the only commit is the source's HEAD, so everything is attributed to it")

    # plain directory.
    plain = out / "plain"
    k_plain = s.django_key()
    pw_plain = s.db_password()
    (plain / "app").mkdir(parents=True)
    (plain / "app" / "settings.py").write_text(
        "import os\n\n"
        f"SECRET_KEY = '{k_plain}'\n"
        'DEBUG = os.environ.get("DEBUG") == "1"\n')
    (plain / ".env").write_text(f"DATABASE_URL=postgres://web:{pw_plain}@pg.internal.test:5432/web\n")
    (plain / "docs").mkdir()
    (plain / "docs" / "settings_example.py").write_text(
        "SECRET_KEY = 'changeme'\nDATABASE_URL = 'postgres://user:password@localhost/db'\n")
    plain_secrets = [
        planted(DJANGO_SECRET_KEY, k_plain, expect_path="app/settings.py"),
        planted(DATABASE_URL, pw_plain, {"username": "web", "host": "pg.internal.test", "port": "5432",
                                         "database": "web"}, expect_path=".env"),
    ]
    expected, lost = locate_in_dir(plain, plain_secrets, env)
    if lost:
        raise FixtureError("plain-directory secrets not found")
    answers["plain"] = {"repo": "plain", "kind": "plain", "plain": True, "head": None,
                        "expected": expected, "decoys": DECOYS, "absent_secrets": []}

    # Self-checks.
    full = {x["secret"] for x in secrets}
    for name in ("missing", "corrupt", "corrupt-pack"):
        sec = answers[name]
        if not sec["absent_secrets"] or len(sec["expected"]) + len(sec["absent_secrets"]) != len(full):
            raise FixtureError(f"{name}: unexpected answer key")
    if {e["secret"] for e in answers["bare"]["expected"]} != full:
        raise FixtureError("bare clone lost secrets")
    for e in answers["shallow"]["expected"]:
        if e["commit"] != info["head"] or not e["in_head"]:
            raise FixtureError("shallow clone: finding outside HEAD")

    write_answers(out, answers)


if __name__ == "__main__":
    run_main(build)
