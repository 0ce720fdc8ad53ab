#!/usr/bin/env python3
"""Build OUT/repo, a repository whose history holds secrets in many shapes and
places (deleted files, a branch, a tag-only commit, a merge resolution, a
rename, a dangling commit, packed and loose objects, CRLF, minified JS, a
binary file, decoys), and OUT/answers.json, its answer key.

usage: history.py OUT_DIR
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixturelib import (  # noqa: E402
    AWS_ACCESS_KEY, DATABASE_URL, DJANGO_DATABASE_PASSWORD, DJANGO_SECRET_KEY,
    GENERIC_SECRET, FixtureError, Repo, Secrets, decoy, locate, minified_js, planted, png_with_text,
    run_main, write_answers,
)

SEED = 20210104
AWS_DOC_KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # AWS documentation example, public
AWS_DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS documentation example, public
PLACEHOLDER_INSECURE = "django-insecure-" + "x" * 50


def build(out: Path, env) -> None:
    s = Secrets(SEED)
    filler_rng = random.Random(SEED + 1)

    # All secrets, generated in a fixed order.
    k_settings = s.django_key(insecure=True)      # 1
    k_dotenv = s.django_key()                     # 2
    pw_dotenv = s.db_password()                   # 2
    k_json = s.django_key()                       # 3, 18
    k_compose_list = s.django_key()               # 4
    k_compose_map = s.django_key()                # 4
    pw_compose = s.db_password()                  # 4
    k_base = s.django_key()                       # 5
    k_dev = s.django_key(insecure=True)           # 5
    pw_django_db = s.db_password()                # 6
    pw_psycopg = s.db_password(dash_underscore=True)  # 7
    pw_maria = s.db_password()                    # 7
    pw_srv = s.db_password()                      # 7
    pw_rediss = s.db_password()                   # 7
    pw_amqps = s.db_password()                    # 7
    aws_branch_id = s.aws_key_id("AKIA")          # 8
    aws_branch_secret = s.aws_secret_key()        # 8
    pw_tag_redis = s.db_password()                # 9
    pw_merge_mongo = s.db_password()              # 10
    k_renamed = s.django_key()                    # 11
    pw_dangling = s.db_password()                 # 12
    k_crlf = s.django_key()                       # 14
    pw_crlf = s.db_password()                     # 14
    aws_js_id = s.aws_key_id("AKIA")              # 15
    aws_js_secret = s.aws_secret_key()            # 15
    aws_boto_id = s.aws_key_id("ASIA")            # 16
    aws_boto_secret = s.aws_secret_key()          # 16
    aws_boto_token = s.aws_session_token()        # 16
    aws_sh_id = s.aws_key_id("AKIA")              # 17
    aws_sh_secret = s.aws_secret_key()            # 17
    k_png = s.django_key()                        # 19 (decoy)

    repo = Repo.init(env, out / "repo")
    dates = {}

    # 1. settings.py with an insecure key (later replaced).
    settings_v1 = (
        '"""Django settings for the shop project."""\n'
        "import os\n"
        f"SECRET_KEY = '{k_settings}'\n"
        "DEBUG = True\n"
        "ALLOWED_HOSTS = []\n"
    )
    repo.write("README.md", "# shop\n\nA small Django shop.\n")
    repo.write("manage.py", "#!/usr/bin/env python\nimport os\nimport sys\n\n"
               "if __name__ == '__main__':\n"
               "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')\n"
               "    from django.core.management import execute_from_command_line\n"
               "    execute_from_command_line(sys.argv)\n")
    repo.write("settings.py", settings_v1)
    repo.write("requirements.txt", "Django==3.1.4\npsycopg2-binary==2.8.6\nboto3==1.16.47\n")
    repo.commit("Initial Django project skeleton", author=0)

    # 2. .env (deleted later).
    repo.write(".env", f"DJANGO_SECRET_KEY={k_dotenv}\n"
               f"DATABASE_URL=postgres://app:{pw_dotenv}@db.internal.test:5432/shop\n"
               "DEBUG=1\n")
    repo.commit("Add .env for local development", author=1)

    # 1b. settings.py edited, keeping the key (a second blob with the secret).
    repo.write("settings.py", settings_v1 + (
        "INSTALLED_APPS = [\n"
        "    'django.contrib.admin',\n"
        "    'django.contrib.auth',\n"
        "    'django.contrib.contenttypes',\n"
        "    'shop',\n"
        "]\n"))
    repo.commit("Register installed apps", author=0)

    # 3. JSON settings.
    repo.write("config/settings.json", "{\n"
               '  "DEBUG": false,\n'
               f'  "SECRET_KEY": "{k_json}",\n'
               '  "ALLOWED_HOSTS": ["shop.internal.test"]\n'
               "}\n")
    repo.commit("Add JSON settings file", author=1)

    # 4. docker-compose, list and map forms.
    repo.write("docker-compose.yml", "version: '3.8'\n"
               "services:\n"
               "  web:\n"
               "    image: shop/web:latest\n"
               "    environment:\n"
               f"      - DJANGO_SECRET_KEY={k_compose_list}\n"
               "      - DEBUG=0\n"
               "  worker:\n"
               "    image: shop/worker:latest\n"
               "    environment:\n"
               f'      SECRET_KEY: "{k_compose_map}"\n'
               f"      DATABASE_URL: mysql://shop:{pw_compose}@mysql:3306/shop\n"
               "  mysql:\n"
               "    image: mysql:8.0\n")
    repo.commit("Add docker-compose stack", author=0)

    # 5. settings package with env defaults.
    repo.write("shop/__init__.py", "")
    repo.write("shop/settings/__init__.py", "")
    repo.write("shop/settings/base.py", "import os\n\n"
               f'SECRET_KEY = os.environ.get("SECRET_KEY", "{k_base}")\n'
               "TIME_ZONE = 'UTC'\n")
    repo.write("shop/settings/dev.py", "import environ\n\n"
               "from .base import *  # noqa\n\n"
               "env = environ.Env()\n"
               f'SECRET_KEY = env("DJANGO_SECRET_KEY", default="{k_dev}")\n')
    repo.commit("Split settings into a package with env defaults", author=1)

    # 6. Django DATABASES.
    repo.write("shop/settings/database.py", "DATABASES = {\n"
               "    'default': {\n"
               "        'ENGINE': 'django.db.backends.postgresql',\n"
               "        'NAME': 'shop',\n"
               "        'USER': 'shop',\n"
               f"        'PASSWORD': '{pw_django_db}',\n"
               "        'HOST': 'pg.internal.test',\n"
               "        'PORT': '5432',\n"
               "    }\n"
               "}\n")
    repo.commit("Configure PostgreSQL database", author=0)

    # 7. Other connection URLs.
    repo.write("deploy/services.yaml", "services:\n"
               "  orders:\n"
               f"    database: postgresql+psycopg2://orders:{pw_psycopg}@orders-db.internal.test:5433/orders\n"
               "  legacy:\n"
               f"    database: mariadb://legacy:{pw_maria}@maria.internal.test/legacy\n"
               "  catalog:\n"
               f"    mongo: mongodb+srv://user:{pw_srv}@cluster0.abcd.mongodb.test/app\n"
               "  sessions:\n"
               f"    redis: rediss://:{pw_rediss}@cache.internal.test:6380/0\n"
               "  worker:\n"
               f"    broker: amqps://worker:{pw_amqps}@mq.internal.test/vhost\n")
    repo.commit("Add service connection settings", author=1)

    # 8. Branch-only AWS credentials file.
    repo.run("checkout", "-q", "-b", "feature/aws")
    repo.write("deploy/aws_credentials", "[default]\n"
               f"aws_access_key_id = {aws_branch_id}\n"
               f"aws_secret_access_key = {aws_branch_secret}\n"
               "region = eu-west-1\n")
    repo.commit("Add AWS credentials for deploy", author=0)
    repo.run("checkout", "-q", "main")

    # 9. Tag-only commit: annotated tag on a branch that is then deleted.
    repo.run("checkout", "-q", "-b", "release/0.9")
    repo.write("scripts/cache.py", "import redis\n\n"
               f'REDIS_URL = "redis://:{pw_tag_redis}@redis.internal.test:6379/0"\n'
               "client = redis.Redis.from_url(REDIS_URL)\n")
    tag_commit = repo.commit("Add Redis cache helper", author=1)
    repo.tag("v0.9-rc", tag_commit, "Release candidate 0.9")
    repo.run("checkout", "-q", "main")
    repo.run("branch", "-q", "-D", "release/0.9")

    # 10. Conflicting merge whose resolution adds a new line.
    repo.write("app/__init__.py", "")
    repo.write("app/config.py", '"""Application runtime configuration."""\n\n'
               "REQUEST_TIMEOUT = 30\nRETRIES = 3\n")
    repo.commit("Add application config module", author=0)
    repo.run("branch", "left")
    repo.run("branch", "right")
    repo.run("checkout", "-q", "left")
    repo.write("app/config.py", '"""Application runtime configuration."""\n\n'
               "REQUEST_TIMEOUT = 60\nRETRIES = 3\n")
    repo.commit("Raise request timeout", author=0)
    repo.run("checkout", "-q", "right")
    repo.write("app/config.py", '"""Application runtime configuration."""\n\n'
               "REQUEST_TIMEOUT = 10\nRETRIES = 3\n")
    repo.commit("Lower request timeout", author=1)
    repo.run("checkout", "-q", "main")
    repo.run("merge", "-q", "--ff-only", "left")
    merge = repo.run("merge", "-q", "--no-edit", "right", check=False)
    if merge.returncode == 0:
        raise FixtureError("merge of right into main was expected to conflict")
    repo.write("app/config.py", '"""Application runtime configuration."""\n\n'
               "REQUEST_TIMEOUT = 45\nRETRIES = 3\n"
               f'MONGO_URL = "mongodb://svc:{pw_merge_mongo}@mongo1.internal.test:27017,'
               'mongo2.internal.test:27017/app"\n')
    merge_commit = repo.commit("Merge branch 'right'", author=0)

    # 11a. Local settings (renamed later).
    repo.write("config/local_settings.py", f'SECRET_KEY = "{k_renamed}"\nDEBUG = True\n')
    repo.commit("Add local settings override", author=1)

    # 13. Pack everything so far; what follows stays loose. The prune drops
    # the unreachable trees and conflict-marker blob the conflicted merge
    # left in the object store, so the only unreachable objects are item 12's.
    repo.run("prune", "--expire=now")
    repo.run("repack", "-q", "-a", "-d")

    # 11b. Rename.
    repo.move("config/local_settings.py", "config/dev_settings.py")
    repo.commit("Rename local settings to dev settings", author=0)

    # 1c. Key replaced by an environment lookup.
    repo.write("settings.py", settings_v1.replace(f"SECRET_KEY = '{k_settings}'",
                                                  'SECRET_KEY = os.environ["SECRET_KEY"]') + (
        "INSTALLED_APPS = [\n"
        "    'django.contrib.admin',\n"
        "    'django.contrib.auth',\n"
        "    'django.contrib.contenttypes',\n"
        "    'shop',\n"
        "]\n"))
    repo.commit("Read SECRET_KEY from the environment", author=1)

    # 2b. .env removed.
    repo.remove(".env")
    repo.commit("Remove .env from the repository", author=0)

    # 14. CRLF file.
    repo.write(".env.production", (
        "# production settings\r\n"
        f'SECRET_KEY="{k_crlf}"\r\n'
        f"DATABASE_URL=postgresql://prod:{pw_crlf}@prod-db.internal.test/prod\r\n"
        "DEBUG=0\r\n").encode())
    repo.commit("Add production environment file", author=1)

    # 15. Minified JS with an AWS pair in the middle.
    js = minified_js(filler_rng, 300_000,
                     f'{{accessKeyId:"{aws_js_id}",secretAccessKey:"{aws_js_secret}",region:"eu-west-1"}}')
    repo.write("static/app.min.js", js)
    repo.commit("Add minified frontend bundle", author=0)

    # 16. boto3 client with a session token.
    repo.write("tools/upload.py", "import boto3\n\n"
               "s3 = boto3.client(\n"
               '    "s3",\n'
               f'    aws_access_key_id="{aws_boto_id}",\n'
               f'    aws_secret_access_key="{aws_boto_secret}",\n'
               f'    aws_session_token="{aws_boto_token}",\n'
               ")\n\n\n"
               "def upload(path, bucket):\n"
               "    s3.upload_file(path, bucket, path)\n")
    repo.commit("Add S3 upload tool", author=1)

    # 17. Shell exports.
    repo.write("scripts/env.sh", "#!/bin/sh\n"
               f"export AWS_ACCESS_KEY_ID={aws_sh_id}\n"
               f"export AWS_SECRET_ACCESS_KEY={aws_sh_secret}\n"
               "export AWS_DEFAULT_REGION=eu-west-1\n")
    repo.commit("Add shell environment script", author=0)

    # 18. The JSON key again, in a second file.
    repo.write("config/settings.prod.json", "{\n"
               '  "DEBUG": false,\n'
               f'  "SECRET_KEY": "{k_json}",\n'
               '  "ALLOWED_HOSTS": ["shop.prod.internal.test"]\n'
               "}\n")
    repo.commit("Add production JSON settings", author=1)

    # 19. Binary file with an embedded key (must be skipped).
    repo.write("assets/logo.png", png_with_text(filler_rng, f"SECRET_KEY = '{k_png}'"))
    repo.commit("Add logo", author=0)

    # 20. Decoys.
    repo.write("docs/settings_example.py", (
        "import os\n\n"
        "# Never commit a real key: read it from the environment.\n"
        'SECRET_KEY = os.environ["SECRET_KEY"]\n\n'
        "# Placeholders that people leave in documentation:\n"
        "SECRET_KEY = 'changeme'\n"
        'SECRET_KEY = "your-secret-key-here"\n'
        f"SECRET_KEY = '{PLACEHOLDER_INSECURE}'\n\n"
        "DATABASES = {\n"
        "    'default': {\n"
        "        'ENGINE': 'django.db.backends.postgresql',\n"
        "        'NAME': 'app',\n"
        "        'USER': 'app',\n"
        "        'PASSWORD': os.environ['DB_PASSWORD'],\n"
        "        'HOST': 'localhost',\n"
        "    },\n"
        "    'replica': {\n"
        "        'ENGINE': 'django.db.backends.postgresql',\n"
        "        'NAME': 'app',\n"
        "        'USER': 'app',\n"
        "        'PASSWORD': '',\n"
        "        'HOST': 'localhost',\n"
        "    },\n"
        "}\n\n"
        "# Credentials from the AWS documentation\n"
        f'AWS_ACCESS_KEY_ID = "{AWS_DOC_KEY_ID}"\n'
        f'AWS_SECRET_ACCESS_KEY = "{AWS_DOC_SECRET}"\n'))
    repo.write(".env.example", (
        "DATABASE_URL=postgres://user:password@localhost/db\n"
        "TEST_DATABASE_URL=postgres://user:pass@localhost:5432/db\n"
        "COMPOSE_DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@db:5432/app\n"
        "LOCAL_DATABASE_URL=postgres://localhost/db\n"))
    repo.write("deploy/templates/app.env.j2",
               "DATABASE_URL=mysql://{{ db_user }}:{{ db_password }}@db/app\n")
    repo.write("tests/test_settings.py", (
        "from django.core.management.utils import get_random_secret_key\n\n"
        "SECRET_KEY = get_random_secret_key()\n\n\n"
        "def test_short_key_rejected(settings):\n"
        '    SECRET_KEY = "psst"\n'
        "    assert len(SECRET_KEY) < 50\n"))
    head = repo.commit("Add settings examples and tests", author=1)

    # 12. Dangling commit: plumbing only, no ref, no reflog.
    dangling = repo.dangling_commit(
        head, {"leaked/.env": f"AMQP_URL=amqp://guest2:{pw_dangling}@rabbit.internal.test:5672/\n"},
        "Add leaked environment file")

    # ---------------------------------------------------------------- answers
    P = planted
    secrets = [
        P(DJANGO_SECRET_KEY, k_settings, note="deleted later (line replaced by an env lookup)",
          expect_path="settings.py"),
        P(DJANGO_SECRET_KEY, k_dotenv, note="unquoted in .env; file deleted later", expect_path=".env"),
        P(DATABASE_URL, pw_dotenv, {"username": "app", "host": "db.internal.test", "port": "5432",
                                    "database": "shop"}, ".env file deleted later", ".env"),
        P(DJANGO_SECRET_KEY, k_json, note="JSON; same key later in config/settings.prod.json",
          expect_path="config/settings.json"),
        P(DJANGO_SECRET_KEY, k_compose_list, note="docker-compose environment list form",
          expect_path="docker-compose.yml"),
        P(DJANGO_SECRET_KEY, k_compose_map, note="docker-compose environment map form",
          expect_path="docker-compose.yml"),
        P(DATABASE_URL, pw_compose, {"username": "shop", "host": "mysql", "port": "3306",
                                     "database": "shop"}, "mysql URL in docker-compose", "docker-compose.yml"),
        P(DJANGO_SECRET_KEY, k_base, note="default of os.environ.get", expect_path="shop/settings/base.py"),
        P(DJANGO_SECRET_KEY, k_dev, note="default of django-environ env()", expect_path="shop/settings/dev.py"),
        P(DJANGO_DATABASE_PASSWORD, pw_django_db, {"username": "shop", "host": "pg.internal.test",
                                                   "port": "5432", "database": "shop"},
          "multi-line DATABASES dict", "shop/settings/database.py"),
        P(DATABASE_URL, pw_psycopg, {"username": "orders", "host": "orders-db.internal.test",
                                     "port": "5433", "database": "orders"},
          "postgresql+psycopg2 scheme; password contains - and _", "deploy/services.yaml"),
        P(DATABASE_URL, pw_maria, {"username": "legacy", "host": "maria.internal.test",
                                   "database": "legacy"}, "mariadb, no port", "deploy/services.yaml"),
        P(DATABASE_URL, pw_srv, {"username": "user", "host": "cluster0.abcd.mongodb.test",
                                 "database": "app"}, "mongodb+srv", "deploy/services.yaml"),
        P(DATABASE_URL, pw_rediss, {"host": "cache.internal.test", "port": "6380", "database": "0"},
          "rediss with empty username", "deploy/services.yaml"),
        P(DATABASE_URL, pw_amqps, {"username": "worker", "host": "mq.internal.test", "database": "vhost"},
          "amqps with vhost", "deploy/services.yaml"),
        P(AWS_ACCESS_KEY, aws_branch_secret, {"access_key_id": aws_branch_id},
          "only on branch feature/aws (never merged); credentials-file form", "deploy/aws_credentials"),
        P(DATABASE_URL, pw_tag_redis, {"host": "redis.internal.test", "port": "6379", "database": "0"},
          "only reachable from annotated tag v0.9-rc (its branch was deleted)", "scripts/cache.py"),
        P(DATABASE_URL, pw_merge_mongo, {"username": "svc", "database": "app"},
          "introduced by the conflict resolution of a merge commit (in neither parent); "
          "multi-host URL, host/port left unspecified", "app/config.py"),
        P(DJANGO_SECRET_KEY, k_renamed, note="renamed later to config/dev_settings.py (same blob)",
          expect_path="config/local_settings.py"),
        P(DATABASE_URL, pw_dangling, {"username": "guest2", "host": "rabbit.internal.test", "port": "5672"},
          f"only in dangling commit {dangling} (no ref, no reflog)", "leaked/.env"),
        P(DJANGO_SECRET_KEY, k_crlf, note="CRLF line endings", expect_path=".env.production"),
        P(DATABASE_URL, pw_crlf, {"username": "prod", "host": "prod-db.internal.test", "database": "prod"},
          "CRLF line endings, no port", ".env.production"),
        P(AWS_ACCESS_KEY, aws_js_secret, {"access_key_id": aws_js_id},
          "inside a ~300 kB single-line minified JS file", "static/app.min.js"),
        P(AWS_ACCESS_KEY, aws_boto_secret, {"access_key_id": aws_boto_id, "session_token": "present"},
          "boto3.client keyword arguments on separate lines, with a session token", "tools/upload.py"),
        # The session token is a credential of its own (with its temporary key id it signs
        # requests until it expires); the AWS finding notes it, generic-secret reports its value.
        P(GENERIC_SECRET, aws_boto_token, {}, "aws_session_token keyword argument",
          "tools/upload.py"),
        P(AWS_ACCESS_KEY, aws_sh_secret, {"access_key_id": aws_sh_id}, "shell export lines",
          "scripts/env.sh"),
    ]
    expected, lost = locate(repo, secrets, dangling=(dangling,))
    if lost:
        raise FixtureError(f"planted secrets not found: {[x['secret'] for x in lost]}")

    decoys = [
        decoy('os.environ["SECRET_KEY"]', "environment lookup", "docs/settings_example.py"),
        decoy("get_random_secret_key()", "generated at runtime", "tests/test_settings.py"),
        decoy("changeme", "placeholder", "docs/settings_example.py"),
        decoy("your-secret-key-here", "placeholder", "docs/settings_example.py"),
        decoy(PLACEHOLDER_INSECURE, "placeholder (all x)", "docs/settings_example.py"),
        decoy("psst", "too short / low entropy", "tests/test_settings.py"),
        decoy(AWS_DOC_KEY_ID, "AWS documentation example key id", "docs/settings_example.py"),
        decoy(AWS_DOC_SECRET, "AWS documentation example secret key", "docs/settings_example.py"),
        decoy("password", "placeholder password in example URL", ".env.example"),
        decoy("pass", "placeholder password in example URL", ".env.example"),
        decoy("${DB_PASSWORD}", "shell/compose variable reference", ".env.example"),
        decoy("{{ db_password }}", "template variable reference", "deploy/templates/app.env.j2"),
        decoy("os.environ['DB_PASSWORD']", "environment lookup", "docs/settings_example.py"),
        decoy("", "empty PASSWORD", "docs/settings_example.py"),
        decoy("postgres://localhost/db", "URL without credentials", ".env.example"),
        decoy(k_png, "only inside a binary blob (PNG, NUL in first 8 KiB); binary blobs are skipped",
              "assets/logo.png"),
    ]

    # Self-checks of the fixture.
    by_secret = {e["secret"]: e for e in expected}
    if by_secret[pw_merge_mongo]["commit"] != merge_commit:
        raise FixtureError("merge-resolution secret is not attributed to the merge commit")
    if by_secret[pw_tag_redis]["commit"] != tag_commit:
        raise FixtureError("tag-only secret is not attributed to the tagged commit")
    if by_secret[pw_dangling]["commit"] is not None:
        raise FixtureError("dangling secret is reachable")
    if {e["storage"] for e in expected} != {"packed", "loose"}:
        raise FixtureError(f"storage kinds: {sorted({e['storage'] for e in expected})}")
    if {e["in_head"] for e in expected} != {True, False}:
        raise FixtureError("need secrets both in and out of HEAD")
    if len(by_secret[k_json].get("also", [])) != 1:
        raise FixtureError("the repeated JSON key should have exactly one other location")
    if dangling in repo.out("rev-list", "--all").split():
        raise FixtureError("dangling commit is reachable")
    if (repo.git_dir() / "logs").exists():
        raise FixtureError("reflogs were written")
    if repo.out("status", "--porcelain"):
        raise FixtureError("working tree is not clean")

    write_answers(out, {
        "repo": "repo",
        "head": head,
        "refs": {
            "refs/heads/main": head,
            "refs/heads/feature/aws": repo.rev("feature/aws"),
            "refs/heads/left": repo.rev("left"),
            "refs/heads/right": repo.rev("right"),
            "refs/tags/v0.9-rc": repo.rev("v0.9-rc"),
        },
        "dangling_commits": [dangling],
        "expected": expected,
        "decoys": decoys,
    })


if __name__ == "__main__":
    run_main(build)
