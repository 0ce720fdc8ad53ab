#!/usr/bin/env python3
"""Builds repositories whose secrets are encoded or packed, the way Django deployments leak
them, and the answer key saying where each one must be reported.

OUT/repo   one commit per form: a Kubernetes Secret manifest and Helm values (base64 data
           values), a whole .env base64-encoded into a CI variable, a base64'd gzip'd release,
           JSON-escaped URLs, a Jupyter notebook (source and output cells), a percent-encoded
           URL inside a URL, zip / whl / jar / tar / tar.gz / tgz / gz / bz2 / xz archives and a
           zip inside a tarball, a committed db.sqlite3 (allauth, constance, DRF tokens, Django
           users), a gzip'd SQL dump, a dumpdata fixture, a UTF-16 settings file; and decoys:
           base64 of ordinary text, an encoded placeholder, a notebook's PNG output, an archive
           of documentation.
OUT/bombs  what must stay within bounds: a 4 GiB zip of zeros (4 MiB committed), a zip of zips
           of zeros, a gzip bomb, a .env nested in twelve gzip layers, a zip with many
           members, a truncated zip, a damaged database.

Standard library only (zipfile, tarfile, gzip, bz2, lzma, sqlite3). Every secret comes from a
seeded generator. answers.json: {"repo": {"expected": [...], "decoys": [...]},
"bombs": {"skipped": [...]}}; an expected entry names the detector, the secret, the path, and
the member, decodings and database cell of its location.
"""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import json
import lzma
import sqlite3
import struct
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import Path

from fixturelib import (ALNUM, AWS_ACCESS_KEY, DATABASE_URL, DJANGO_SECRET_KEY, GENERIC_SECRET,
                        Repo, Secrets, run_main, write_answers)

PASSWORD_ASSIGNMENT = "password-assignment"
GOOGLE_OAUTH = "google-oauth-client-secret"
PASSWORD_HASH = "django-password-hash"
SOCIAL_APP = "allauth-social-app-secret"
DRF_TOKEN = "drf-auth-token"
AWS_SECRET = "aws-secret-access-key"

FIXED_TIME = (2021, 1, 4, 10, 0, 0)
HEX = "0123456789abcdef"


def expect(form: str, detector: str, secret: str, path: str, member: str | None = None,
           decoded: list[str] | None = None, cell: tuple[str, str] | None = None) -> dict:
    return {"form": form, "detector": detector, "secret": secret, "path": path,
            "member": member, "decoded": decoded or [],
            "cell": {"table": cell[0], "column": cell[1]} if cell else None}


def b64(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return base64.b64encode(data).decode()


def zip_bytes(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, content)
    return buf.getvalue()


def tar_bytes(files: dict[str, str | bytes], compression: str = "") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:" + compression, format=tarfile.USTAR_FORMAT) as t:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1609754400
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    data = buf.getvalue()
    if compression == "gz":
        # tarfile writes the time into the gzip header: rewrite it for a fixed blob.
        data = gzip.compress(gzip.decompress(data), mtime=0)
    return data


def sqlite_bytes(statements: list[tuple[str, tuple]]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db.sqlite3"
        db = sqlite3.connect(path)
        for sql, args in statements:
            db.execute(sql, args)
        db.commit()
        db.close()
        return path.read_bytes()


def zip64_of_zeros(name: str, size: int) -> bytes:
    """A valid zip64 archive of one deflated member of `size` zero bytes, built from one
    compressed chunk repeated (a full flush makes each chunk's bytes independent), so that
    four gibibytes cost seconds to build."""
    chunk = bytes(1 << 22)
    if size % len(chunk):
        raise ValueError("size must be a multiple of 4 MiB")
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    count = size // len(chunk)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    compressed = len(block) * count + len(tail)
    raw_name = name.encode()
    extra = struct.pack("<HHQQ", 1, 16, size, compressed)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0x5221, crc,
                        0xFFFFFFFF, 0xFFFFFFFF, len(raw_name), len(extra)) + raw_name + extra
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0x5221, crc,
                          0xFFFFFFFF, 0xFFFFFFFF, len(raw_name), len(extra), 0, 0, 0, 0,
                          0) + raw_name + extra
    cd_offset = len(local) + compressed
    zip64_end = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1, 1, len(central),
                            cd_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, cd_offset + len(central), 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), cd_offset, 0)
    return local + block * count + tail + central + zip64_end + locator + end


def gzip_of_zeros(size: int) -> bytes:
    """A valid gzip stream of `size` zero bytes (a multiple of 4 MiB), built like
    `zip64_of_zeros`."""
    chunk = bytes(1 << 22)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(size // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + block * (size // len(chunk)) + tail + struct.pack("<II", crc, size & 0xFFFFFFFF)


def build_repo(out: Path, env) -> dict:
    s = Secrets(1515)
    repo = Repo.init(env, out / "repo")
    expected: list[dict] = []
    decoys: list[dict] = []

    def key_hex() -> str:
        return s._make(HEX, 40)

    def gocspx() -> str:
        return s._make(ALNUM + "_-", 28, "GOCSPX-", ok=lambda b: any(c.isdigit() for c in b))

    def pg_url(password: str, user: str = "shop", host: str = "db.internal") -> str:
        return f"postgres://{user}:{password}@{host}:5432/shop"

    repo.write("README.md", "# shop\n\nA Django shop.\n")
    repo.commit("initial commit")

    # 1. A Kubernetes Secret: short base64 data values, with their keys.
    k8s_password = s.db_password()
    k8s_url_password = s.db_password()
    repo.write("deploy/k8s/secret.yaml",
               "apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-env\ntype: Opaque\ndata:\n"
               f"  DB_USER: {b64('shop')}\n"
               f"  DB_PASSWORD: {b64(k8s_password)}\n"
               f"  DATABASE_URL: {b64(pg_url(k8s_url_password))}\n"
               f"  DEBUG_PASSWORD: {b64('changeme')}\n")
    expected.append(expect("kubernetes-secret", PASSWORD_ASSIGNMENT, k8s_password,
                           "deploy/k8s/secret.yaml", decoded=["base64"]))
    expected.append(expect("kubernetes-secret", DATABASE_URL, k8s_url_password,
                           "deploy/k8s/secret.yaml", decoded=["base64"]))
    decoys.append({"secret": "changeme", "why": "an encoded placeholder"})
    repo.commit("deploy: kubernetes secret")

    # 2. Helm values with a base64 Django key.
    helm_key = s.django_key()
    repo.write("deploy/helm/values.yaml",
               "replicaCount: 2\nsecrets:\n"
               f"  DJANGO_SECRET_KEY: \"{b64(helm_key)}\"\n")
    expected.append(expect("helm-values", DJANGO_SECRET_KEY, helm_key, "deploy/helm/values.yaml",
                           decoded=["base64"]))
    repo.commit("deploy: helm values")

    # 3. A whole .env base64-encoded into a CI variable (wrapped at 76 columns, as base64 does).
    ci_id, ci_secret = s.aws_key_id(), s.aws_secret_key()
    ci_env = (f"AWS_ACCESS_KEY_ID={ci_id}\nAWS_SECRET_ACCESS_KEY={ci_secret}\n"
              "DJANGO_SETTINGS_MODULE=shop.settings.production\n")
    wrapped = base64.encodebytes(ci_env.encode()).decode().strip().replace("\n", "\n    ")
    repo.write(".gitlab-ci.yml",
               "variables:\n  DEPLOY_ENV_B64: |\n    " + wrapped + "\n"
               "deploy:\n  script:\n    - echo \"$DEPLOY_ENV_B64\" | base64 -d > .env\n")
    expected.append(expect("ci-variable", AWS_ACCESS_KEY, ci_secret, ".gitlab-ci.yml",
                           decoded=["base64"]))
    repo.commit("ci: deploy variables")

    # 4. A gzip'd, base64'd release (how Helm stores releases), in a manifest.
    release_password = s.db_password()
    release = json.dumps({"name": "shop", "config": {
        "env": {"DATABASE_URL": pg_url(release_password, host="pg.prod")}}})
    repo.write("deploy/helm/release.yaml",
               "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sh.helm.release.v1.shop.v1\n"
               f"data:\n  release: {b64(gzip.compress(release.encode(), mtime=0))}\n")
    expected.append(expect("base64-gzip", DATABASE_URL, release_password,
                           "deploy/helm/release.yaml", decoded=["base64", "gzip"]))
    repo.commit("deploy: helm release record")

    # 5. JSON-escaped URLs (as PHP and some JSON writers escape '/').
    escaped_password = s.db_password()
    url = pg_url(escaped_password).replace("/", "\\/")
    repo.write("config/settings.json",
               "{\n  \"DATABASE_URL\": \"" + url + "\",\n  \"DEBUG\": false\n}\n")
    expected.append(expect("json-escape", DATABASE_URL, escaped_password, "config/settings.json",
                           decoded=["json-escape"]))
    repo.commit("config: settings.json")

    # 6. A notebook: a key in a source cell (escaped quotes), a URL in an output cell, and a
    # PNG output that must not be reported.
    nb_key = s.django_key()
    nb_password = s.db_password()
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + s.garbage(300)).decode()
    notebook = {
        "cells": [
            {"cell_type": "code", "execution_count": 1, "metadata": {},
             "source": ["import os\n", f"os.environ[\"SECRET_KEY\"] = \"{nb_key}\"\n",
                        "print(os.environ[\"DATABASE_URL\"])"],
             "outputs": [{"name": "stdout", "output_type": "stream",
                          "text": [f"\"{pg_url(nb_password, host='analytics-db')}\"\n"]},
                         {"output_type": "display_data", "metadata": {},
                          "data": {"image/png": png, "text/plain": ["<Figure>"]}}]},
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    repo.write("notebooks/analysis.ipynb", json.dumps(notebook, indent=1) + "\n")
    expected.append(expect("notebook-source", DJANGO_SECRET_KEY, nb_key,
                           "notebooks/analysis.ipynb", decoded=["json-escape"]))
    expected.append(expect("notebook-output", DATABASE_URL, nb_password,
                           "notebooks/analysis.ipynb"))
    repo.commit("notebooks: analysis")

    # 7. A percent-encoded URL inside a URL.
    pct_password = s.db_password()
    encoded_url = "".join(c if c.isalnum() else f"%{ord(c):02X}" for c in pg_url(pct_password))
    repo.write("shop/integrations.env",
               f"Login link: https://sso.shop.test/start?next={encoded_url}&x=1\n")
    expected.append(expect("percent", DATABASE_URL, pct_password, "shop/integrations.env",
                           decoded=["percent"]))
    repo.commit("docs: sso link")

    # 8. Archives: zip, whl, jar, tar, tar.gz, tgz, gz, bz2, xz, and a zip inside a tarball.
    zip_key = s.django_key()
    zip_password = s.db_password()
    repo.write("backups/shop.zip", zip_bytes({
        "shop/README.txt": "Backup of the shop configuration.\n",
        "shop/.env": f"SECRET_KEY={zip_key}\nDATABASE_URL={pg_url(zip_password)}\n",
    }))
    expected.append(expect("zip", DJANGO_SECRET_KEY, zip_key, "backups/shop.zip",
                           member="shop/.env", decoded=["zip"]))
    expected.append(expect("zip", DATABASE_URL, zip_password, "backups/shop.zip",
                           member="shop/.env", decoded=["zip"]))
    whl_key = s.django_key()
    repo.write("dist/shopcore-1.0-py3-none-any.whl", zip_bytes({
        "shopcore/__init__.py": "",
        "shopcore/settings.py": f"DEBUG = False\nSECRET_KEY = '{whl_key}'\n",
        "shopcore-1.0.dist-info/METADATA": "Name: shopcore\nVersion: 1.0\n",
    }))
    expected.append(expect("whl", DJANGO_SECRET_KEY, whl_key, "dist/shopcore-1.0-py3-none-any.whl",
                           member="shopcore/settings.py", decoded=["zip"]))
    jar_password = s.db_password()
    repo.write("tools/report.jar", zip_bytes({
        "META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n",
        "application.properties": f"spring.datasource.url={pg_url(jar_password).replace('postgres', 'jdbc:postgresql', 1)}\n",
    }))
    expected.append(expect("jar", DATABASE_URL, jar_password, "tools/report.jar",
                           member="application.properties", decoded=["zip"]))
    tar_key = s.django_key()
    repo.write("backups/site.tar", tar_bytes({"site/settings.py": f"SECRET_KEY = \"{tar_key}\"\n"}))
    expected.append(expect("tar", DJANGO_SECRET_KEY, tar_key, "backups/site.tar",
                           member="site/settings.py", decoded=["tar"]))
    tgz_id, tgz_secret = s.aws_key_id(), s.aws_secret_key()
    repo.write("backups/conf.tar.gz", tar_bytes(
        {"conf/.env": f"AWS_ACCESS_KEY_ID={tgz_id}\nAWS_SECRET_ACCESS_KEY={tgz_secret}\n"}, "gz"))
    expected.append(expect("tar.gz", AWS_ACCESS_KEY, tgz_secret, "backups/conf.tar.gz",
                           member="conf/.env", decoded=["gzip", "tar"]))
    tgz2_password = s.db_password()
    repo.write("backups/old.tgz", tar_bytes(
        {"old/local.env": f"DATABASE_URL={pg_url(tgz2_password, host='old-db')}\n"}, "gz"))
    expected.append(expect("tgz", DATABASE_URL, tgz2_password, "backups/old.tgz",
                           member="old/local.env", decoded=["gzip", "tar"]))
    nested_id, nested_secret = s.aws_key_id(), s.aws_secret_key()
    inner = zip_bytes({"aws/credentials": "[default]\n"
                       f"aws_access_key_id = {nested_id}\naws_secret_access_key = {nested_secret}\n"})
    repo.write("backups/nested.tar.gz", tar_bytes({"bundle/keys.zip": inner}, "gz"))
    expected.append(expect("zip-in-tarball", AWS_ACCESS_KEY, nested_secret, "backups/nested.tar.gz",
                           member="bundle/keys.zip!aws/credentials",
                           decoded=["gzip", "tar", "zip"]))
    repo.commit("backups: archives")

    # 9. A committed db.sqlite3: allauth social apps, constance settings, DRF tokens, users.
    google_secret = gocspx()
    github_secret = key_hex()
    constance_id, constance_secret = s.aws_key_id(), s.aws_secret_key()
    drf_token = key_hex()
    user_hash = ("pbkdf2_sha256$600000$" + s._make(ALNUM, 22) + "$"
                 + base64.b64encode(s.garbage(32)).decode())
    repo.write("db.sqlite3", sqlite_bytes([
        ("CREATE TABLE socialaccount_socialapp (id integer PRIMARY KEY, provider varchar(30), "
         "name varchar(40), client_id varchar(191), secret varchar(191), key varchar(191))", ()),
        ("INSERT INTO socialaccount_socialapp VALUES (1, 'google', 'Google', ?, ?, '')",
         ("1234567890-abc.apps.googleusercontent.com", google_secret)),
        ("INSERT INTO socialaccount_socialapp VALUES (2, 'github', 'GitHub', ?, ?, '')",
         ("Iv1." + s._make(HEX, 16), github_secret)),
        ("CREATE TABLE constance_config (id integer PRIMARY KEY, key varchar(255), value text)", ()),
        ("INSERT INTO constance_config VALUES (1, 'AWS_ACCESS_KEY_ID', ?)", (constance_id,)),
        ("INSERT INTO constance_config VALUES (2, 'AWS_SECRET_ACCESS_KEY', ?)", (constance_secret,)),
        ("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created datetime, user_id integer)", ()),
        ("INSERT INTO authtoken_token VALUES (?, '2021-01-04 10:00:00', 1)", (drf_token,)),
        ("CREATE TABLE auth_user (id integer PRIMARY KEY, password varchar(128), username varchar(150))", ()),
        ("INSERT INTO auth_user VALUES (1, ?, 'admin')", (user_hash,)),
    ]))
    expected.append(expect("sqlite", GOOGLE_OAUTH, google_secret, "db.sqlite3",
                           decoded=["sqlite"], cell=("socialaccount_socialapp", "secret")))
    expected.append(expect("sqlite", SOCIAL_APP, github_secret, "db.sqlite3",
                           decoded=["sqlite"], cell=("socialaccount_socialapp", "secret")))
    expected.append(expect("sqlite", AWS_ACCESS_KEY, constance_secret, "db.sqlite3",
                           decoded=["sqlite"], cell=("constance_config", "value")))
    expected.append(expect("sqlite", DRF_TOKEN, drf_token, "db.sqlite3",
                           decoded=["sqlite"], cell=("authtoken_token", "key")))
    expected.append(expect("sqlite", PASSWORD_HASH, user_hash, "db.sqlite3",
                           decoded=["sqlite"], cell=("auth_user", "password")))
    repo.commit("add the development database")

    # 10. A gzip'd SQL dump, a dumpdata fixture, and bzip2 / xz copies of a dump.
    dump_hash = ("argon2$argon2id$v=19$m=102400,t=2,p=8$" + s._make(ALNUM, 22) + "$"
                 + s._make(ALNUM + "+/", 43))
    dump_password = s.db_password()
    dump = ("-- PostgreSQL database dump\n"
            "COPY public.auth_user (id, password, username) FROM stdin;\n"
            f"1\t{dump_hash}\tadmin\n\\.\n"
            "INSERT INTO public.integrations (name, url) VALUES "
            f"('warehouse', '{pg_url(dump_password, host='warehouse-db')}');\n")
    repo.write("backups/shop.sql.gz", gzip.compress(dump.encode(), mtime=0))
    expected.append(expect("sql.gz", PASSWORD_HASH, dump_hash, "backups/shop.sql.gz",
                           decoded=["gzip"]))
    expected.append(expect("sql.gz", DATABASE_URL, dump_password, "backups/shop.sql.gz",
                           decoded=["gzip"]))
    bz_password = s.db_password()
    repo.write("backups/reports.sql.bz2", bz2.compress(
        f"INSERT INTO settings VALUES ('db', '{pg_url(bz_password, host='reports')}');\n".encode()))
    expected.append(expect("sql.bz2", DATABASE_URL, bz_password, "backups/reports.sql.bz2",
                           decoded=["bzip2"]))
    xz_password = s.db_password()
    repo.write("backups/audit.sql.xz", lzma.compress(
        f"INSERT INTO settings VALUES ('db', '{pg_url(xz_password, host='audit')}');\n".encode()))
    expected.append(expect("sql.xz", DATABASE_URL, xz_password, "backups/audit.sql.xz",
                           decoded=["xz"]))
    fixture_secret = key_hex()
    fixture_hash = "bcrypt_sha256$$2b$12$" + s._make(ALNUM + "./", 53)
    repo.write("shop/fixtures/initial.json", json.dumps([
        {"model": "socialaccount.socialapp", "pk": 1, "fields": {
            "provider": "github", "name": "GitHub", "client_id": "Iv1." + s._make(HEX, 16),
            "secret": fixture_secret, "key": "", "sites": [1]}},
        {"model": "auth.user", "pk": 1, "fields": {
            "password": fixture_hash, "username": "admin", "is_superuser": True}},
    ], indent=2) + "\n")
    expected.append(expect("dumpdata", SOCIAL_APP, fixture_secret, "shop/fixtures/initial.json"))
    expected.append(expect("dumpdata", PASSWORD_HASH, fixture_hash, "shop/fixtures/initial.json"))
    repo.commit("backups: dumps and fixtures")

    # 11. UTF-16 settings, as Windows editors write them.
    utf16_password = s.db_password()
    repo.write("deploy/windows/local.env",
               ("\ufeffDATABASE_URL=" + pg_url(utf16_password, host="win-db") + "\r\n").encode("utf-16-le"))
    expected.append(expect("utf-16", DATABASE_URL, utf16_password, "deploy/windows/local.env",
                           decoded=["utf-16"]))
    repo.commit("deploy: windows settings")

    # Decoys.
    repo.write("docs/encoding.md",
               "The greeting is stored encoded: "
               f"{b64('Hello, this is only a friendly greeting for the docs')}\n")
    repo.write("docs/manual.zip", zip_bytes({"manual/index.txt": "How to run the shop.\n"}))
    repo.commit("docs: decoys")

    return {"repo": "repo", "head": repo.rev("HEAD"), "expected": expected, "decoys": decoys}


def build_bombs(out: Path, env) -> dict:
    repo = Repo.init(env, out / "bombs")
    skipped = []
    repo.write("zeros.zip", zip64_of_zeros("zeros.bin", 4 << 30))
    skipped.append({"path": "zeros.zip", "member": "zeros.bin", "reason": "archive-limit"})
    inner = zip64_of_zeros("chunk.bin", 200 << 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for i in range(8):
            z.writestr(zipfile.ZipInfo(f"layer{i}.zip", date_time=FIXED_TIME), inner)
    repo.write("zip-of-zips.zip", buf.getvalue())
    skipped.append({"path": "zip-of-zips.zip", "member": None, "reason": "archive-limit"})
    repo.write("zeros.gz", gzip_of_zeros(1 << 30))
    skipped.append({"path": "zeros.gz", "member": None, "reason": "archive-limit"})
    deep = b"DATABASE_URL=postgres://deep:" + Secrets(99).db_password().encode() + b"@db/deep\n"
    for _ in range(12):
        deep = gzip.compress(deep, mtime=0)
    repo.write("deep.env.gz", deep)
    skipped.append({"path": "deep.env.gz", "member": None, "reason": "decode-limit"})
    repo.write("many.zip", zip_bytes({f"f{i:03}.txt": f"file {i}\n" for i in range(40)}))
    truncated = zip_bytes({"a.txt": "x" * 5000, "b.txt": "y" * 5000})
    repo.write("truncated.zip", truncated[: len(truncated) // 2])
    skipped.append({"path": "truncated.zip", "member": None, "reason": "corrupt"})
    db = sqlite_bytes([("CREATE TABLE t (v text)", ()), ("INSERT INTO t VALUES ('x')", ())])
    repo.write("damaged.sqlite3", db[:100] + bytes(len(db) - 100))
    skipped.append({"path": "damaged.sqlite3", "member": None, "reason": "corrupt"})
    repo.commit("bombs")
    return {"repo": "bombs", "head": repo.rev("HEAD"), "skipped": skipped,
            "many_members": {"path": "many.zip", "members": 40}}


def build(out: Path, env) -> None:
    write_answers(out, {"repo": build_repo(out, env), "bombs": build_bombs(out, env)})


if __name__ == "__main__":
    run_main(build)
