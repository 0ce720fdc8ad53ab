"""Shared helpers for the blobhound fixture-repository builders.

Standard library only. Everything here is deterministic: fixed identities, a
fixed clock, seeded secrets and an isolated git environment, so two runs of a
builder produce byte-identical answer keys (commit ids included).
"""

from __future__ import annotations

import datetime
import json
import os
import random
import re
import shutil
import string
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

# Detector ids the answer keys refer to (see DESIGN.md, detectors/<id>.toml).
DJANGO_SECRET_KEY = "django-secret-key"
DATABASE_URL = "database-url"
DJANGO_DATABASE_PASSWORD = "django-database-password"
AWS_ACCESS_KEY = "aws-access-key"
GENERIC_SECRET = "generic-secret"

AUTHORS = (
    ("Dev One", "dev1@example.test"),
    ("Dev Two", "dev2@example.test"),
)
START_DATE = datetime.datetime(2021, 1, 4, 10, 0, 0, tzinfo=datetime.timezone.utc)

GIT_CONFIG = (
    "init.defaultBranch=main",
    "commit.gpgsign=false",
    "tag.gpgsign=false",
    "core.autocrlf=false",
    "core.safecrlf=false",
    "gc.auto=0",
    "maintenance.auto=false",
    # No reflogs: a ref that is deleted (or never made) leaves nothing behind
    # that could still reach its commits.
    "core.logAllRefUpdates=false",
    "pack.threads=1",
    "advice.detachedHead=false",
    "merge.conflictStyle=merge",
    "core.fsmonitor=false",
)

BINARY_SNIFF = 8000  # git's own "is it binary" window (NUL in the first 8000 bytes)


class FixtureError(Exception):
    pass


def run_main(build) -> None:
    """Entry point wrapper: `build(out_dir)`; errors go to stderr, exit 1."""
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} OUT_DIR", file=sys.stderr)
        sys.exit(2)
    try:
        out = prepare_out(sys.argv[1])
        with GitEnv() as env:
            build(out, env)
    except (FixtureError, subprocess.SubprocessError, OSError) as exc:
        print(f"{Path(sys.argv[0]).name}: error: {exc}", file=sys.stderr)
        sys.exit(1)


def prepare_out(path: str) -> Path:
    out = Path(path).resolve()
    if out.exists():
        if not out.is_dir():
            raise FixtureError(f"{out} exists and is not a directory")
        if any(out.iterdir()):
            raise FixtureError(f"{out} is not empty")
    else:
        out.mkdir(parents=True)
    return out


# --------------------------------------------------------------------------
# git environment and runner
# --------------------------------------------------------------------------


class GitEnv:
    """An isolated environment for running git: temp HOME, no system/global
    config, fixed identities, C locale, UTC, no lazy fetching, and a clock
    that advances one hour per commit or tag."""

    def __init__(self) -> None:
        self.home = tempfile.mkdtemp(prefix="blobhound-fixture-home-")
        self.tick = 0
        self.base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "LC_ALL": "C",
            "LANG": "C",
            "TZ": "UTC",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_NO_LAZY_FETCH": "1",
            "GIT_ADVICE": "0",
        }
        self.author = 0

    def __enter__(self) -> "GitEnv":
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.home, ignore_errors=True)

    def next_date(self) -> str:
        date = START_DATE + datetime.timedelta(hours=self.tick)
        self.tick += 1
        return date.isoformat()

    def identity_env(self, author: int | None = None, date: str | None = None) -> dict:
        name, email = AUTHORS[self.author if author is None else author]
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }
        if date is not None:
            env["GIT_AUTHOR_DATE"] = date
            env["GIT_COMMITTER_DATE"] = date
        return env

    def git(self, *args: str, cwd: Path | str | None = None, input: bytes | None = None,
            check: bool = True, extra_env: dict | None = None) -> subprocess.CompletedProcess:
        cmd = ["git"]
        for item in GIT_CONFIG:
            cmd += ["-c", item]
        cmd += list(args)
        env = dict(self.base)
        env.update(self.identity_env())
        if extra_env:
            env.update(extra_env)
        proc = subprocess.run(cmd, cwd=cwd, input=input, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and proc.returncode != 0:
            raise FixtureError(
                f"git {' '.join(args)} (in {cwd}) failed with {proc.returncode}: "
                f"{proc.stderr.decode(errors='replace').strip()}")
        return proc


class Repo:
    """A repository being built or inspected."""

    def __init__(self, env: GitEnv, path: Path) -> None:
        self.env = env
        self.path = Path(path)

    @classmethod
    def init(cls, env: GitEnv, path: Path) -> "Repo":
        env.git("init", "-q", str(path))
        return cls(env, path)

    # -- running git ------------------------------------------------------
    def run(self, *args: str, input: bytes | None = None, check: bool = True,
            extra_env: dict | None = None) -> subprocess.CompletedProcess:
        return self.env.git(*args, cwd=self.path, input=input, check=check, extra_env=extra_env)

    def out(self, *args: str, input: bytes | None = None, extra_env: dict | None = None) -> str:
        return self.run(*args, input=input, extra_env=extra_env).stdout.decode().strip()

    def rev(self, rev: str) -> str:
        return self.out("rev-parse", "--verify", "--end-of-options", rev + "^{commit}")

    def git_dir(self) -> Path:
        return Path(self.out("rev-parse", "--absolute-git-dir"))

    # -- working tree -----------------------------------------------------
    def write(self, rel: str, content: str | bytes) -> None:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        p.write_bytes(content)

    def remove(self, rel: str) -> None:
        self.run("rm", "-q", "--", rel)

    def move(self, src: str, dst: str) -> None:
        (self.path / dst).parent.mkdir(parents=True, exist_ok=True)
        self.run("mv", "--", src, dst)

    # -- history ------------------------------------------------------------
    def commit(self, message: str, author: int = 0) -> str:
        """Stage everything and commit with the next clock tick; returns the id."""
        self.run("add", "-A")
        self.run("commit", "-q", "--no-verify", "-m", message,
                 extra_env=self.env.identity_env(author, self.env.next_date()))
        return self.rev("HEAD")

    def tag(self, name: str, target: str, message: str, author: int = 0) -> None:
        self.run("tag", "-a", "-m", message, name, target,
                 extra_env=self.env.identity_env(author, self.env.next_date()))

    def dangling_commit(self, parent: str, add_files: dict[str, str | bytes], message: str,
                        author: int = 0) -> str:
        """Create a commit with plumbing only (no ref, no reflog): the tree of
        `parent` plus `add_files` (paths one directory deep at most)."""
        top = self._ls_tree_entries(parent)
        subdirs: dict[str, list[str]] = {}
        for rel, content in add_files.items():
            data = content.encode() if isinstance(content, str) else content
            oid = self.out("hash-object", "-w", "--stdin", input=data)
            if "/" in rel:
                d, name = rel.split("/", 1)
                if "/" in name:
                    raise FixtureError("dangling_commit supports one directory level")
                subdirs.setdefault(d, []).append(f"100644 blob {oid}\t{name}")
            else:
                top = [e for e in top if e.split("\t", 1)[1] != rel]
                top.append(f"100644 blob {oid}\t{rel}")
        for d, entries in subdirs.items():
            if any(e.split("\t", 1)[1] == d for e in top):
                raise FixtureError(f"dangling_commit: {d} already exists")
            tree = self.out("mktree", input=("\n".join(entries) + "\n").encode())
            top.append(f"040000 tree {tree}\t{d}")
        tree = self.out("mktree", input=("\n".join(top) + "\n").encode())
        return self.out("commit-tree", tree, "-p", parent, "-m", message,
                        extra_env=self.env.identity_env(author, self.env.next_date()))

    def _ls_tree_entries(self, rev: str) -> list[str]:
        raw = self.run("ls-tree", "-z", rev).stdout.decode()
        return [e for e in raw.split("\0") if e]

    def loose_object_path(self, oid: str) -> Path:
        return self.git_dir() / "objects" / oid[:2] / oid[2:]

    def storage(self, oid: str) -> str:
        """'loose' if a loose object file exists, 'packed' if git can still
        find it otherwise, 'unknown' when it is absent."""
        if self.loose_object_path(oid).is_file():
            return "loose"
        if self.run("cat-file", "-e", oid, check=False).returncode == 0:
            return "packed"
        return "unknown"


# --------------------------------------------------------------------------
# seeded secrets
# --------------------------------------------------------------------------

DJANGO_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)"
ALNUM = string.ascii_letters + string.digits
AWS_ID_ALPHABET = string.ascii_uppercase + "234567"
AWS_SECRET_ALPHABET = ALNUM + "/+"
BASE64_ALPHABET = ALNUM + "+/"
_RUN5 = re.compile(r"(.)\1{4}")


def _has_classes(s: str) -> bool:
    return (any(c.isupper() for c in s) and any(c.islower() for c in s)
            and any(c.isdigit() for c in s))


class Secrets:
    """Seeded secret generator. Every value it returns is unique, has no run
    of five identical characters and does not contain "example"."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.issued: set[str] = set()

    def _make(self, alphabet: str, length: int, prefix: str = "", ok=lambda s: True) -> str:
        for _ in range(10000):
            body = "".join(self.rng.choice(alphabet) for _ in range(length))
            s = prefix + body
            if (_RUN5.search(s) is None and "example" not in s.lower()
                    and s not in self.issued and ok(body)):
                self.issued.add(s)
                return s
        raise FixtureError("could not generate an acceptable secret")

    def django_key(self, insecure: bool = False, avoid: str = "$") -> str:
        """50 characters of Django's get_random_secret_key alphabet. `avoid`
        lists characters to leave out (default `$`, so the value survives
        shell, dotenv and docker-compose interpolation unchanged)."""
        return self._make(DJANGO_ALPHABET, 50, "django-insecure-" if insecure else "",
                          lambda s: not any(c in s for c in avoid) and any(c.isdigit() for c in s))

    def db_password(self, dash_underscore: bool = False) -> str:
        if dash_underscore:
            return self._make(ALNUM + "-_", 20, ok=lambda s: _has_classes(s) and "-" in s
                              and "_" in s and s[0].isalnum() and s[-1].isalnum())
        return self._make(ALNUM, 20, ok=_has_classes)

    def aws_key_id(self, prefix: str = "AKIA") -> str:
        return self._make(AWS_ID_ALPHABET, 16, prefix,
                          lambda s: any(c.isdigit() for c in s) and any(c.isalpha() for c in s))

    def aws_secret_key(self) -> str:
        return self._make(AWS_SECRET_ALPHABET, 40, ok=_has_classes)

    def aws_session_token(self) -> str:
        return self._make(BASE64_ALPHABET, 300, ok=_has_classes)

    def garbage(self, n: int) -> bytes:
        return bytes(self.rng.randrange(256) for _ in range(n))


# --------------------------------------------------------------------------
# generated file contents
# --------------------------------------------------------------------------

_JS_WORDS = (
    "render state props value handler click submit button modal items index length push "
    "map filter reduce assign options module exports create element children style display "
    "block width height event target timeout promise resolve reject then fetch response "
    "status error message cart product price total quantity checkout order user layout "
    "header footer toggle visible label input change focus blur scroll resize offset "
    "parent node attr list count update mount unmount effect ref memo cache load ready"
).split()


def minified_js(rng: random.Random, size: int, middle: str) -> str:
    """One line of minified-looking JavaScript about `size` bytes long with
    `middle` inserted roughly in the middle. Contains nothing secret-like."""

    def ident() -> str:
        r = rng.random()
        if r < 0.5:
            return rng.choice("abcdefghijklmnopqrstuvwxyz") + (
                rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") if rng.random() < 0.4 else "")
        w = rng.choice(_JS_WORDS)
        if r < 0.8:
            return w
        return w + rng.choice(_JS_WORDS).capitalize()

    def num() -> str:
        return str(rng.choice((0, 1, 2, 3, 8, 10, 16, 100, 255, 300, 1000, rng.randrange(9999))))

    def stmt() -> str:
        a, b, c = ident(), ident(), ident()
        k = rng.randrange(12)
        if k == 0:
            return f"function {a}({b},{c}){{return {b}+{c}}}"
        if k == 1:
            return f"var {a}=function({b}){{return {b}&&{b}.__esModule?{b}:{{default:{b}}}}}"
        if k == 2:
            return f'Object.defineProperty({a},"{rng.choice(_JS_WORDS)}",{{enumerable:!0,get:function(){{return {b}}}}})'
        if k == 3:
            return f"for(var {b}=0;{b}<{a}.length;{b}++){c}.push({a}[{b}])"
        if k == 4:
            return f'{a}.prototype.{rng.choice(_JS_WORDS)}=function({b}){{this.{c}={b}||"{rng.choice(_JS_WORDS)}"}}'
        if k == 5:
            return f"{a}=({b},{c})=>{b}*{num()}+{c}"
        if k == 6:
            return f'if({a}==null)throw new TypeError("{rng.choice(_JS_WORDS)} {rng.choice(_JS_WORDS)}")'
        if k == 7:
            return f'{a}.addEventListener("{rng.choice(_JS_WORDS)}",function({b}){{{b}.preventDefault(),{c}({b}.target)}},!1)'
        if k == 8:
            return f"{a}={{{b}:{num()},{c}:[{num()},{num()},{num()}],{ident()}:!{rng.randrange(2)}}}"
        if k == 9:
            return f'return {a}.then(function({b}){{return {b}.json()}}).catch(function({c}){{console.error({c})}})'
        if k == 10:
            return f"{a}.{rng.choice(_JS_WORDS)}=Math.max({b},{num()})|0"
        return f'var {a}="{rng.choice(_JS_WORDS)}-{rng.choice(_JS_WORDS)}",{b}={num()},{c}=void 0'

    half = max(size - len(middle), 0) // 2

    def chunk(limit: int) -> str:
        parts: list[str] = []
        n = 0
        while n < limit:
            s = stmt()
            parts.append(s)
            n += len(s) + 1
        return ";".join(parts)

    head = "!function(e,t){" + chunk(half)
    mod = f";var s3c=new o.S3({middle})"
    tail = ";" + chunk(half) + "}(window,document);"
    js = head + mod + tail
    low = (head + tail).lower()
    for bad in ("akia", "asia", "example", "secret", "password", "token"):
        if bad in low:
            raise FixtureError(f"filler JS contains {bad!r}")
    return js + "\n"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _stored_zlib(data: bytes) -> bytes:
    """A zlib stream of stored (uncompressed) deflate blocks, so the bytes do
    not depend on the zlib version."""
    out = bytearray(b"\x78\x01")
    for i in range(0, max(len(data), 1), 65535):
        block = data[i:i + 65535]
        final = 1 if i + 65535 >= len(data) else 0
        out += bytes([final]) + struct.pack("<HH", len(block), len(block) ^ 0xFFFF) + block
    out += struct.pack(">I", zlib.adler32(data) & 0xFFFFFFFF)
    return bytes(out)


def png_with_text(rng: random.Random, text: str, side: int = 32) -> bytes:
    """A valid small RGB PNG with `text` in a tEXt chunk (NUL bytes appear in
    the first few bytes, so git and scanners treat it as binary)."""
    rows = bytearray()
    for y in range(side):
        rows.append(0)
        for x in range(side):
            rows += bytes(((x * 8) & 255, (y * 8) & 255, rng.randrange(256)))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
           + _png_chunk(b"tEXt", b"Comment\0" + text.encode("latin-1"))
           + _png_chunk(b"IDAT", _stored_zlib(bytes(rows)))
           + _png_chunk(b"IEND", b""))
    if b"\0" not in png[:BINARY_SNIFF]:
        raise FixtureError("png has no NUL in its first 8000 bytes")
    return png


# --------------------------------------------------------------------------
# answer keys
# --------------------------------------------------------------------------


def planted(detector: str, secret: str, fields: dict | None = None, note: str | None = None,
            expect_path: str | None = None) -> dict:
    """A secret the builder planted. `expect_path` is checked against the
    computed earliest path (a self-test of the builder)."""
    return {"detector": detector, "secret": secret, "fields": dict(fields or {}),
            "note": note, "expect_path": expect_path}


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_SNIFF]


def _commit_tree_blobs(repo: Repo, commit: str) -> list[tuple[str, str]]:
    raw = repo.run("ls-tree", "-r", "-z", "--full-tree", commit).stdout.decode()
    entries = []
    for e in raw.split("\0"):
        if not e:
            continue
        meta, path = e.split("\t", 1)
        mode, kind, oid = meta.split()
        if kind == "blob":
            entries.append((oid, path))
    entries.sort(key=lambda t: t[1])
    return entries


def _read_blobs(repo: Repo, oids: list[str]) -> dict[str, bytes]:
    """Contents of the blobs that are present (missing ones are left out)."""
    if not oids:
        return {}
    check = repo.run("cat-file", "--batch-check", input=("\n".join(oids) + "\n").encode())
    present = []
    for line in check.stdout.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "blob":
            present.append(parts[0])
    if not present:
        return {}
    raw = repo.run("cat-file", "--batch", input=("\n".join(present) + "\n").encode()).stdout
    blobs: dict[str, bytes] = {}
    pos = 0
    while pos < len(raw):
        nl = raw.index(b"\n", pos)
        oid, kind, size = raw[pos:nl].decode().split()
        size = int(size)
        blobs[oid] = raw[nl + 1:nl + 1 + size]
        pos = nl + 1 + size + 1
    return blobs


def history_commits(repo: Repo) -> list[tuple[str, int, str]]:
    """Every commit reachable from any ref, oldest first: (id, time, summary)."""
    raw = repo.out("log", "--all", "--format=%H %ct %s")
    commits = []
    for line in raw.splitlines():
        oid, ct, summary = (line.split(" ", 2) + [""])[:3]
        commits.append((oid, int(ct), summary))
    commits.sort(key=lambda c: c[1])
    times = [c[1] for c in commits]
    if len(set(times)) != len(times):
        raise FixtureError("two commits share a committer date; order would be ambiguous")
    return commits


def locate(repo: Repo, secrets: list[dict], head_ref: str = "refs/heads/main",
           dangling: tuple[str, ...] = (), unreadable: tuple[str, ...] = ()) -> tuple[list[dict], list[dict]]:
    """Compute answer-key entries for planted secrets.

    For each secret: the blobs (readable, not binary) whose content contains
    it; the earliest introduction of those (the first commit, oldest first,
    whose tree holds one, and its path there; blobs only in `dangling` commits
    come last with commit null); the 1-based line; whether HEAD holds it; how
    the blob is stored. `unreadable` blobs are treated as absent. Returns
    (found entries, planted secrets found nowhere)."""
    first_of_blob: dict[str, tuple[int, str | None, str]] = {}
    first_of_pair: dict[tuple[str, str], tuple[int, str | None]] = {}
    idx = 0
    commits = [(c, s) for c, _, s in history_commits(repo)] + [(c, None) for c in dangling]
    summaries: dict[str, str] = {}
    for commit, summary in commits:
        reachable = summary is not None
        if reachable:
            summaries[commit] = summary
        for oid, path in _commit_tree_blobs(repo, commit):
            key = (oid, path)
            rec_commit = commit if reachable else None
            if oid not in first_of_blob:
                first_of_blob[oid] = (idx, rec_commit, path)
            if key not in first_of_pair:
                first_of_pair[key] = (idx, rec_commit)
        idx += 1
    unreadable_set = set(unreadable)
    blobs = _read_blobs(repo, sorted(o for o in first_of_blob if o not in unreadable_set))
    text_blobs = {o: d for o, d in blobs.items() if not is_binary(d)}

    head_blobs: set[str] = set()
    if repo.run("rev-parse", "--verify", "-q", head_ref, check=False).returncode == 0:
        head_blobs = {o for o, _ in _commit_tree_blobs(repo, head_ref)}

    found, lost = [], []
    for item in secrets:
        needle = item["secret"].encode()
        holders = sorted((o for o, d in text_blobs.items() if needle in d),
                         key=lambda o: (first_of_blob[o][0], first_of_blob[o][2], o))
        if not holders:
            lost.append(item)
            continue
        blob = holders[0]
        _, commit, path = first_of_blob[blob]
        data = text_blobs[blob]
        line = data[:data.index(needle)].count(b"\n") + 1
        also = []
        for (oid, p), (i, c) in sorted(first_of_pair.items(), key=lambda kv: (kv[1][0], kv[0][1])):
            if oid in holders and not (oid == blob and p == path):
                also.append({"path": p, "commit": c, "blob": oid})
        entry = {
            "detector": item["detector"],
            "secret": item["secret"],
            "path": path,
            "commit": commit,
            "commit_summary": summaries.get(commit) if commit else None,
            "in_head": any(o in head_blobs for o in holders),
            "line": line,
            "fields": item["fields"],
            "storage": repo.storage(blob),
            "blob": blob,
        }
        if item.get("note"):
            entry["note"] = item["note"]
        if also:
            entry["also"] = also
        if item.get("expect_path") and item["expect_path"] != path:
            raise FixtureError(f"{item['detector']} secret expected at {item['expect_path']}, "
                               f"computed {path}")
        found.append(entry)
    return found, lost


def decoy(secret: str, why: str, path: str | None = None) -> dict:
    d = {"secret": secret, "why": why}
    if path:
        d["path"] = path
    return d


def write_answers(out: Path, data: dict) -> None:
    (out / "answers.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def locate_in_dir(root: Path, secrets: list[dict], env: GitEnv) -> tuple[list[dict], list[dict]]:
    """Answer-key entries for a plain directory (no git): the first file, in
    path order, holding each secret. `commit` and `in_head` are null; `blob`
    is the id git would give the file's content."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    found, lost = [], []
    for item in secrets:
        needle = item["secret"].encode()
        for p in files:
            data = p.read_bytes()
            if is_binary(data) or needle not in data:
                continue
            rel = p.relative_to(root).as_posix()
            if item.get("expect_path") and item["expect_path"] != rel:
                raise FixtureError(f"secret expected at {item['expect_path']}, computed {rel}")
            entry = {
                "detector": item["detector"],
                "secret": item["secret"],
                "path": rel,
                "commit": None,
                "commit_summary": None,
                "in_head": None,
                "line": data[:data.index(needle)].count(b"\n") + 1,
                "fields": item["fields"],
                "storage": "unknown",
                "blob": env.git("hash-object", "--stdin", input=data).stdout.decode().strip(),
            }
            if item.get("note"):
                entry["note"] = item["note"]
            found.append(entry)
            break
        else:
            lost.append(item)
    return found, lost
