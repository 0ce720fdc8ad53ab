#!/usr/bin/env python3
"""Build OUT/repo, a large synthetic Django-project history for benchmarks,
and OUT/answers.json, its answer key (the same schema as history.py's).

usage: synthetic.py OUT [--commits N] [--files F] [--seed S] [--verbose]

OUT/repo is a bare repository. Its history is streamed into `git fast-import`
(nothing is held in memory but the current tree of each live branch), then
repacked with `git repack -a -d -f` so the one pack has delta chains like a
real repository's. Defaults: 40,000 commits, about 3,000 files at HEAD and
roughly 450 MiB of distinct blob content. Every commit edits a few lines of
1-5 files; some add, delete or rename a file; feature branches come and go
and are merged back into `main`; `experiment/async` is never merged. The text
is generated from a seeded RNG (Python, HTML, JavaScript, RST, CSS and
migration-looking lines) and uses ordinary words such as "password",
"SECRET_KEY", "token" and "PostgreSQL" so keyword prefilters do real work,
but the only secrets are the planted ones listed in answers.json.

Deterministic: the same arguments give the same commit ids.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixturelib import (  # noqa: E402
    AUTHORS, AWS_ACCESS_KEY, DATABASE_URL, DJANGO_DATABASE_PASSWORD, DJANGO_SECRET_KEY,
    GIT_CONFIG, START_DATE, FixtureError, GitEnv, Repo, Secrets, decoy, minified_js, planted,
    prepare_out, write_answers,
)

DEFAULT_SEED = 20210104
DEFAULT_COMMITS = 40_000
DEFAULT_FILES = 3_000

# Identities: fixturelib's two, then more of the same shape.
IDENTITIES = tuple(AUTHORS) + tuple((f"Dev {w}", f"dev{i}@example.test") for i, w in
                                    ((3, "Three"), (4, "Four"), (5, "Five"), (6, "Six")))
EPOCH0 = int(START_DATE.timestamp())

# --------------------------------------------------------------------------
# vocabulary
# --------------------------------------------------------------------------

NOUNS = (
    "order customer product invoice payment cart item category review address shipment "
    "account profile report ticket message notification subscription coupon discount "
    "warehouse supplier vendor refund tag comment article page event booking schedule team "
    "member project task document upload image preference audit entry price stock region "
    "currency channel feed widget survey answer question lesson course student teacher room "
    "reservation store branch employee contract policy claim quote lead contact campaign "
    "newsletter delivery route driver vehicle asset license plan quota invite group role "
    "permission badge score rating label status note attachment folder report_line batch"
).split()
VERBS = (
    "get create update delete list fetch render validate process send build load save sync "
    "export compute check parse format handle refresh reset confirm approve cancel archive "
    "publish notify assign import_data merge split resolve apply clean prepare collect"
).split()
ADJS = (
    "active pending recent default primary public private internal archived featured total "
    "max min last first new old draft visible hidden current previous next local remote"
).split()
PROSE = (
    "the the the a a an of of to to in in for with on by from this that is is are be was it "
    "as at or and and not we should must can will may when if then else only also all any "
    "each every new old user users request response view model form field value data list "
    "query cache page template url path default config option error message status result "
    "object instance method function class module test case check update create delete save "
    "load return handle support allow deny using used uses because before after while until "
    "into over under between without within across per via so but more less most least "
    "first last next previous current same different other another both either neither "
    "simple complex fast slow large small empty valid invalid missing extra optional "
    "required public private internal external local remote database migration index "
    "server client browser session cookie header body line file directory admin staff "
    "customer order product price stock payment invoice report email address account "
    "profile permission group role timezone locale language translation cached queued "
    "background worker task retry timeout limit offset page size count total filter "
    "search sort order by ascending descending date time created updated deleted"
).split()
# Words people really write in Django code and docs; they exercise keyword
# prefilters (PASSWORD, SECRET_KEY, postgres, redis, mysql, ...) without
# being secrets.
SENSITIVE = (
    "secret token token tokens key key key keys settings settings settings settings "
    "credentials api api hash signing salt"
).split()
# Prose words that are detector keywords (case-insensitively).
KEYWORD_WORDS = "password password passwords PostgreSQL PostgreSQL PostgreSQL Postgres MySQL MySQL".split()
# Templates that carry a detector keyword are kept with these probabilities
# (otherwise a plain line is generated), so keyword density per MiB is about
# twice djangoproject.com's: "password" ~150/MiB, "postgres" ~50, "secret_key"
# ~10, "redis" ~10, "mysql" ~10.
# Keywords cluster as in real projects: 70% of files get none (Text.kw = 0),
# the others KW_HOT times the average.
KEEP = {"password": 0.07, "secret_key": 0.06, "redis": 0.04, "postgres": 0.2}
KW_HOT = 3.0
STYLES = "primary secondary success danger warning info light dark link".split()
CSS_CLASSES = (
    "card card-body card-header card-footer row col col-md-6 col-lg-4 container "
    "container-fluid btn btn-sm nav nav-item nav-link navbar list-group list-group-item "
    "table table-striped form-group form-control form-label alert badge modal modal-dialog "
    "modal-content text-muted text-end mb-3 mt-2 ms-auto d-flex align-items-center "
    "justify-content-between shadow-sm rounded p-3 px-2 py-1 small lead"
).split()
FIELD_TYPES = (
    ("CharField", "max_length={n}"), ("TextField", "blank=True"),
    ("IntegerField", "default=0"), ("PositiveIntegerField", "default={n}"),
    ("BooleanField", "default=False"), ("DateTimeField", "auto_now_add=True"),
    ("DateTimeField", "auto_now=True"), ("DecimalField", "max_digits=10, decimal_places=2"),
    ("SlugField", "unique=True"), ("EmailField", "blank=True"),
    ("URLField", "blank=True"), ("JSONField", "default=dict, blank=True"),
    ("UUIDField", "default=uuid.uuid4, editable=False"),
)
JS_EVENTS = "click submit change input keyup focus blur scroll resize load".split()
LOG_LEVELS = "debug debug info info warning error exception".split()

# Paths the random editor never touches: planted-secret files.
PROTECTED = (
    "project/settings.py", ".env", "deploy/aws/credentials", "project/settings_production.py",
    "docker/.env", "scripts/backup.sh", "project/local_settings.py", "docker-compose.yml",
)


PY_KW = {23: "password", 25: "secret_key", 28: "password", 29: "secret_key", 30: "redis",
         31: "password"}


class Text:
    """Seeded generators of source-looking text. ASCII only."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng
        self.kw = 1.0   # keyword factor of the file being written

    # -- words and identifiers ------------------------------------------------
    def noun(self) -> str:
        return self.r.choice(NOUNS)

    def snake(self) -> str:
        k = self.r.random()
        if k < 0.35:
            return self.noun()
        if k < 0.6:
            return f"{self.noun()}_{self.noun()}"
        if k < 0.85:
            return f"{self.r.choice(VERBS)}_{self.noun()}"
        return f"{self.r.choice(ADJS)}_{self.noun()}"

    def camel(self) -> str:
        parts = self.noun().split("_")
        if self.r.random() < 0.4:
            parts = self.noun().split("_") + parts
        return "".join(p.capitalize() for p in parts)

    def upper(self) -> str:
        return self.snake().upper()

    def num(self) -> int:
        return self.r.choice((0, 1, 2, 3, 5, 10, 12, 20, 25, 30, 50, 60, 100, 128, 200, 255,
                              300, 500, 1000, 3600, self.r.randrange(10000)))

    def words(self, n: int) -> str:
        r = self.r
        out = []
        for _ in range(n):
            x = r.random()
            if x < 0.004:
                out.append(r.choice(SENSITIVE))
            elif x < 0.004 + 0.0008 * self.kw:
                out.append(r.choice(KEYWORD_WORDS))
            elif x < 0.12:
                out.append(self.snake())
            else:
                out.append(r.choice(PROSE))
        return " ".join(out)

    def sentence(self, lo: int = 4, hi: int = 14) -> str:
        s = self.words(self.r.randint(lo, hi))
        return s[:1].upper() + s[1:]

    def prose(self, lo: int = 1, hi: int = 4) -> str:
        return " ".join(self.sentence() + "." for _ in range(self.r.randint(lo, hi)))

    # -- Python ---------------------------------------------------------------
    def py_expr(self) -> str:
        r, t = self.r, self
        k = r.randrange(14)
        if k == 0:
            return f"{t.camel()}.objects.filter({t.snake()}={t.snake()}).order_by(\"-{t.snake()}\")"
        if k == 1:
            return f"self.{t.snake()}"
        if k == 2:
            return f"get_object_or_404({t.camel()}, pk={t.snake()}_id)"
        if k == 3:
            return f"{t.snake()}.get(\"{t.snake()}\", {t.num()})"
        if k == 4:
            return f"[{t.snake()}.pk for {t.snake()} in {t.snake()}s]"
        if k == 5:
            return f"timezone.now() - timedelta(days={t.num()})"
        if k == 6:
            return f"getattr(settings, \"{t.upper()}\", {t.num()})"
        if k == 7:
            return f"request.{r.choice(('GET', 'POST'))}.get(\"{t.snake()}\")"
        if k == 8:
            return f"{t.snake()}({t.snake()}, {t.snake()}={t.snake()})"
        if k == 9:
            return f"\"{t.words(r.randint(1, 4))}\""
        if k == 10:
            return f"{t.snake()} or {t.num()}"
        if k == 11:
            return f"{t.camel()}.objects.select_related(\"{t.snake()}\").exclude({t.snake()}__isnull=True)"
        if k == 12:
            return str(t.num())
        return f"{t.snake()}.{t.snake()}"

    def py_lines(self, indent: str) -> list[str]:
        """One statement (sometimes a small block) at `indent`."""
        r, t, i = self.r, self, indent
        k = r.randrange(40)
        if k in PY_KW and r.random() > KEEP[PY_KW[k]] * self.kw:
            k = 0
        if k < 8:
            return [f"{i}{t.snake()} = {t.py_expr()}"]
        if k < 11:
            return [f"{i}# {t.sentence()}"]
        if k < 13:
            return [f"{i}logger.{r.choice(LOG_LEVELS)}(\"{t.sentence(3, 8)} %s\", {t.snake()})"]
        if k < 15:
            return [f"{i}return {t.py_expr()}"]
        if k < 17:
            return [f"{i}if {t.snake()} {r.choice(('is None', 'is not None', '> 0', '== 0'))}:",
                    f"{i}    {r.choice(('return None', 'continue', 'pass', 'raise Http404'))}"]
        if k < 19:
            return [f"{i}for {t.snake()} in {t.py_expr()}:",
                    f"{i}    {t.snake()}.{t.snake()} = {t.py_expr()}"]
        if k == 19:
            return [f"{i}self.{t.snake()} = {t.py_expr()}"]
        if k == 20:
            return [f"{i}{t.snake()}.save(update_fields=[\"{t.snake()}\", \"{t.snake()}\"])"]
        if k == 21:
            return [f"{i}raise ValidationError(_(\"{t.sentence(6, 16)}.\"), code=\"{t.snake()}\", "
                    f"params={{\"{t.snake()}\": {t.snake()}, \"{t.snake()}\": {t.num()}}})"]
        if k == 22:
            return [f"{i}context[\"{t.snake()}\"] = {t.py_expr()}"]
        if k == 23:
            return [f"{i}user.set_password(form.cleaned_data[\"new_password1\"])",
                    f"{i}update_session_auth_hash(request, user)"]
        if k == 24:
            return [f"{i}token = default_token_generator.make_token({t.snake()})"]
        if k == 25:
            return [f"{i}signer = signing.TimestampSigner(key=settings.SECRET_KEY, "
                    f"salt=\"{t.snake()}.{t.snake()}\")"]
        if k == 26:
            return [f"{i}cache_key = \"{t.snake()}:{t.snake()}:%s\" % {t.snake()}.pk"]
        if k == 27:
            return [f"{i}api_key = getattr(settings, \"{t.upper()}_API_KEY\", None)"]
        if k == 28:
            return [f"{i}if not check_password(password, {t.snake()}.password):",
                    f"{i}    raise PermissionDenied(\"{t.sentence(3, 7)}\")"]
        if k == 29:
            return [f"{i}secret = settings.{t.upper()}_WEBHOOK_SECRET",
                    f"{i}digest = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()"]
        if k == 30:
            return [f"{i}redis = get_redis_connection(\"default\")",
                    f"{i}redis.expire(\"{t.snake()}:%s\" % {t.snake()}.pk, {t.num()})"]
        if k == 31:
            return [f"{i}{t.snake()} = forms.CharField(label=_(\"Password\"), "
                    "widget=forms.PasswordInput, strip=False)"]
        if k == 32:
            return [f"{i}if settings.DEBUG:", f"{i}    logger.debug(\"{t.sentence(3, 8)}\")"]
        if k == 33:
            return [f"{i}timeout = getattr(settings, \"{t.upper()}_TIMEOUT\", {t.num()})"]
        if k == 34:
            return [f"{i}self.assertEqual({t.snake()}.{t.snake()}, {t.py_expr()})"]
        if k == 35:
            return [f"{i}response = self.client.{r.choice(('get', 'post'))}"
                    f"(reverse(\"{t.snake()}:{t.snake()}\"), {{\"{t.snake()}\": {t.num()}}})",
                    f"{i}self.assertEqual(response.status_code, {r.choice((200, 302, 403, 404))})"]
        if k == 36:
            return [f"{i}messages.{r.choice(('success', 'info', 'warning', 'error'))}"
                    f"(request, _(\"{t.sentence(4, 12)}.\"))"]
        if k == 37:
            return [f"{i}{t.snake()} = {t.snake()}  # {t.sentence(2, 8)}"]
        if k == 38:
            return [f"{i}with transaction.atomic():",
                    f"{i}    {t.snake()}.{r.choice(VERBS)}({t.snake()}, {t.snake()}={t.py_expr()})"]
        return [f"{i}assert {t.snake()} is not None, \"{t.sentence(3, 8)}\""]

    def py_def(self, indent: str, method: bool) -> list[str]:
        t, r = self, self.r
        args = ", ".join(t.snake() for _ in range(r.randint(0, 3)))
        first = "self, " if method else ""
        if method and not args:
            first = "self"
        name = r.choice(("test_", "")) + f"{r.choice(VERBS)}_{t.noun()}" if method else t.snake()
        out = [f"{indent}def {name}({first}{args}):"]
        if r.random() < 0.6:
            out.append(f"{indent}    \"\"\"{t.sentence()}.\"\"\"")
        for _ in range(r.randint(2, 9)):
            out += t.py_lines(indent + "    ")
        out.append("")
        return out

    def py_file(self, kind: str, app: str, target: int) -> str:
        t, r = self, self.r
        head = {
            "models": ["import uuid", "", "from django.conf import settings",
                       "from django.db import models", "from django.urls import reverse",
                       "from django.utils import timezone",
                       "from django.utils.translation import gettext_lazy as _"],
            "views": ["import hashlib", "import hmac", "import logging", "",
                      "from django.conf import settings",
                      "from django.contrib import messages",
                      "from django.contrib.auth import update_session_auth_hash",
                      "from django.contrib.auth.decorators import login_required",
                      "from django.contrib.auth.tokens import default_token_generator",
                      "from django.core import signing",
                      "from django.http import Http404, JsonResponse",
                      "from django.shortcuts import get_object_or_404, redirect, render",
                      "from django.utils.translation import gettext as _", "",
                      f"from .models import {t.camel()}, {t.camel()}", "",
                      "logger = logging.getLogger(__name__)"],
            "tests": ["from django.contrib.auth import get_user_model",
                      "from django.test import TestCase, override_settings",
                      "from django.urls import reverse", "",
                      f"from apps.{app}.models import {t.camel()}"],
            "forms": ["from django import forms",
                      "from django.contrib.auth.hashers import check_password",
                      "from django.core.exceptions import ValidationError",
                      "from django.utils.translation import gettext_lazy as _"],
        }.get(kind, ["import logging", "", "from django.conf import settings",
                     "from django.db import transaction", "",
                     "logger = logging.getLogger(__name__)"])
        lines = [f"\"\"\"{t.sentence()}.\"\"\"", ""] + head + ["", ""]
        if kind == "urls":
            lines = ["from django.urls import path", "", "from . import views", "",
                     f"app_name = \"{app}\"", "", "urlpatterns = ["]
            while len(lines) < target:
                lines.append(t.url_line())
            lines.append("]")
            return "\n".join(lines) + "\n"
        while len(lines) < target:
            if kind in ("models", "tests", "admin", "forms", "serializers") or r.random() < 0.4:
                base = {"models": "models.Model", "tests": "TestCase",
                        "admin": "admin.ModelAdmin", "forms": "forms.ModelForm",
                        "serializers": "serializers.ModelSerializer"}.get(kind, "View")
                lines.append(f"class {t.camel()}{r.choice(('', 'Mixin', 'Base', 'Detail'))}({base}):")
                lines.append(f"    \"\"\"{t.sentence()}.\"\"\"")
                lines.append("")
                if kind == "models":
                    for _ in range(r.randint(3, 10)):
                        lines.append(t.model_field("    "))
                    lines += ["", "    class Meta:",
                              f"        ordering = [\"-{t.snake()}\"]",
                              f"        verbose_name = _(\"{t.noun()}\")", ""]
                for _ in range(r.randint(1, 4)):
                    lines += t.py_def("    ", True)
                lines.append("")
            else:
                lines += t.py_def("", False)
                lines.append("")
        return "\n".join(lines) + "\n"

    def model_field(self, indent: str) -> str:
        t, r = self, self.r
        if r.random() < 0.2:
            return (f"{indent}{t.snake()} = models.ForeignKey({r.choice(('settings.AUTH_USER_MODEL', repr(t.camel())))}, "
                    f"on_delete=models.{r.choice(('CASCADE', 'PROTECT', 'SET_NULL'))}, "
                    f"related_name=\"{t.snake()}s\", null=True, blank=True)")
        ftype, opts = r.choice(FIELD_TYPES)
        return (f"{indent}{t.snake()} = models.{ftype}(_(\"{t.words(r.randint(1, 3))}\"), "
                f"{opts.format(n=r.choice((32, 64, 100, 200, 255)))})")

    def url_line(self) -> str:
        t = self
        return (f"    path(\"{t.noun()}/<int:pk>/{t.r.choice(VERBS)}/\", "
                f"views.{t.camel()}View.as_view(), name=\"{t.snake()}\"),")

    # -- migrations -------------------------------------------------------------
    def migration_op(self) -> list[str]:
        t, r = self, self.r
        k = r.randrange(3)
        if k == 0:
            return ["        migrations.AddField(",
                    f"            model_name=\"{t.noun()}\",",
                    f"            name=\"{t.snake()}\",",
                    f"            field={t.model_field('').strip().split(' = ', 1)[1]},",
                    "        ),"]
        if k == 1:
            return ["        migrations.AlterField(",
                    f"            model_name=\"{t.noun()}\", name=\"{t.snake()}\", "
                    f"field=models.CharField(blank=True, default=\"\", help_text=\"{t.sentence(5, 14)}\", "
                    f"max_length={r.choice((64, 128, 255))}, verbose_name=\"{t.words(2)}\"),",
                    "        ),"]
        fields = [f"                (\"{t.snake()}\", models.{r.choice(FIELD_TYPES)[0]}"
                  f"(blank=True, null=True, verbose_name=\"{t.words(2)}\"))," for _ in range(r.randint(2, 7))]
        return (["        migrations.CreateModel(", f"            name=\"{t.camel()}\",",
                 "            fields=[",
                 "                (\"id\", models.BigAutoField(auto_created=True, primary_key=True, "
                 "serialize=False, verbose_name=\"ID\")),"]
                + fields + ["            ],", "        ),"])

    def migration_file(self, app: str, number: int, target: int) -> str:
        t, r = self, self.r
        date = START_DATE + datetime.timedelta(days=r.randrange(1500), minutes=r.randrange(1440))
        lines = [f"# Generated by Django 3.2.{r.randint(1, 16)} on {date:%Y-%m-%d %H:%M}", "",
                 "from django.conf import settings",
                 "from django.db import migrations, models", "import django.db.models.deletion", "",
                 "", "class Migration(migrations.Migration):", ""]
        if number == 1:
            lines += ["    initial = True", "", "    dependencies = [",
                      "        migrations.swappable_dependency(settings.AUTH_USER_MODEL),", "    ]"]
        else:
            lines += ["    dependencies = [",
                      f"        (\"{app}\", \"{number - 1:04d}_{t.snake()}\"),", "    ]"]
        lines += ["", "    operations = ["]
        while len(lines) < target:
            lines += t.migration_op()
        lines.append("    ]")
        return "\n".join(lines) + "\n"

    # -- HTML templates -----------------------------------------------------------
    def html_lines(self, indent: str) -> list[str]:
        t, r, i = self, self.r, indent
        k = r.randrange(20)
        if k in (10, 18) and r.random() > KEEP["password"] * self.kw:
            k = 0
        if k < 3:
            return [f"{i}<div class=\"{r.choice(CSS_CLASSES)} {r.choice(CSS_CLASSES)}\">",
                    f"{i}  <p>{{{{ {t.snake()}.{t.snake()} }}}}</p>", f"{i}</div>"]
        if k < 5:
            return [f"{i}{{% if {t.snake()}.{t.snake()} %}}",
                    f"{i}  <span class=\"badge bg-{r.choice(STYLES)}\">{{{{ {t.snake()}.get_{t.snake()}_display }}}}</span>",
                    f"{i}{{% endif %}}"]
        if k < 7:
            v = t.noun()
            return [f"{i}{{% for {v} in {v}_list %}}",
                    f"{i}  <li class=\"list-group-item\">{{{{ {v}.{t.snake()} }}}} - {{{{ {v}.{t.snake()}|date:\"SHORT_DATE_FORMAT\" }}}}</li>",
                    f"{i}{{% empty %}}", f"{i}  <li>{{% trans \"{t.sentence(2, 6)}\" %}}</li>",
                    f"{i}{{% endfor %}}"]
        if k == 7:
            return [f"{i}<a href=\"{{% url '{t.noun()}:{t.snake()}' {t.noun()}.pk %}}\" "
                    f"class=\"btn btn-{r.choice(STYLES)} btn-sm\">{{% trans \"{t.sentence(1, 4)}\" %}}</a>"]
        if k == 8:
            return [f"{i}<!-- {t.sentence()} -->"]
        if k == 9:
            return [f"{i}<p class=\"text-muted\">{{% blocktrans %}}{t.prose(2, 4)}{{% endblocktrans %}}</p>"]
        if k == 10:
            return [f"{i}<label for=\"id_password\">{{% trans \"Password\" %}}</label>",
                    f"{i}{{{{ form.password1 }}}}",
                    f"{i}<small class=\"form-text\">{{{{ form.password1.help_text|safe }}}}</small>"]
        if k == 11:
            return [f"{i}<form method=\"post\" action=\"{{% url '{t.noun()}:{t.snake()}' %}}\">",
                    f"{i}  {{% csrf_token %}}", f"{i}  {{{{ form.as_p }}}}",
                    f"{i}  <button type=\"submit\" class=\"btn btn-{r.choice(STYLES)}\">{{% trans \"Save\" %}}</button>",
                    f"{i}</form>"]
        if k == 12:
            return [f"{i}{{# {t.sentence()} #}}"]
        if k == 13:
            return [f"{i}<td class=\"{r.choice(CSS_CLASSES)}\">{{{{ {t.snake()}.{t.snake()}|floatformat:2 }}}}</td>"]
        if k == 14:
            return [f"{i}<input type=\"hidden\" name=\"{t.snake()}\" value=\"{{{{ {t.snake()}.pk }}}}\">"]
        if k == 15:
            return [f"{i}{{% include \"{t.noun()}/_{t.snake()}.html\" with {t.noun()}={t.noun()} only %}}"]
        if k == 16:
            return [f"{i}<h{r.randint(2, 5)}>{{% trans \"{t.sentence(1, 5)}\" %}}</h{r.randint(2, 5)}>"]
        if k == 17:
            return [f"{i}<img src=\"{{% static '{t.noun()}/img/{t.snake()}.png' %}}\" alt=\"{t.words(3)}\" "
                    f"class=\"{' '.join(r.choice(CSS_CLASSES) for _ in range(5))}\" loading=\"lazy\">"]
        if k == 18:
            return [f"{i}<p>{{% trans \"Reset your password using the link we sent to your email.\" %}}</p>"]
        return [f"{i}<span>{{{{ {t.snake()}|default:\"-\" }}}}</span>"]

    def html_file(self, target: int) -> str:
        t, r = self, self.r
        lines = ["{% extends \"base.html\" %}", "{% load i18n static %}", "",
                 f"{{% block title %}}{{% trans \"{t.sentence(1, 4)}\" %}}{{% endblock %}}", "",
                 "{% block content %}", "<div class=\"container\">"]
        while len(lines) < target:
            lines += t.html_lines("  " * r.randint(1, 3))
        lines += ["</div>", "{% endblock %}"]
        return "\n".join(lines) + "\n"

    # -- JavaScript ---------------------------------------------------------------
    def js_name(self) -> str:
        parts = self.snake().split("_")
        return parts[0] + "".join(p.capitalize() for p in parts[1:])

    def js_lines(self, indent: str) -> list[str]:
        t, r, i = self, self.r, indent
        k = r.randrange(18)
        if k == 15 and r.random() > KEEP["password"] * self.kw:
            k = 0
        if k < 3:
            return [f"{i}const {t.js_name()} = document.querySelector(\"#{t.noun()}-{t.noun()}\");"]
        if k < 5:
            return [f"{i}{t.js_name()}.addEventListener(\"{r.choice(JS_EVENTS)}\", function (event) {{",
                    f"{i}  event.preventDefault();",
                    f"{i}  {t.js_name()}({t.js_name()}, event.target.dataset.{t.js_name()});",
                    f"{i}}});"]
        if k == 5:
            return [f"{i}fetch(`/api/{t.noun()}/${{{t.js_name()}}}/`, {{method: \"POST\", headers: "
                    "{\"X-CSRFToken\": csrftoken, \"Content-Type\": \"application/json\"}, "
                    f"body: JSON.stringify({{{t.js_name()}: {t.js_name()}, {t.js_name()}: {t.num()}}})}})",
                    f"{i}  .then((response) => response.json())",
                    f"{i}  .then((data) => {t.js_name()}(data.{t.js_name()}))",
                    f"{i}  .catch((error) => console.error(\"{t.sentence(2, 6)}\", error));"]
        if k < 8:
            return [f"{i}// {t.sentence()}"]
        if k == 8:
            return [f"{i}if (!{t.js_name()}) {{", f"{i}  return;", f"{i}}}"]
        if k == 9:
            return [f"{i}const csrftoken = getCookie(\"csrftoken\");"]
        if k == 10:
            return [f"{i}localStorage.setItem(\"{t.noun()}-{t.noun()}-key\", JSON.stringify({t.js_name()}));"]
        if k == 11:
            return [f"{i}{t.js_name()}.classList.toggle(\"{r.choice(CSS_CLASSES)}\", {t.js_name()}.length > {t.num()});"]
        if k == 12:
            return [f"{i}const {t.js_name()} = {t.js_name()}.filter((x) => x.{t.js_name()} !== null)"
                    f".map((x) => x.{t.js_name()} * {t.num()}).reduce((acc, y) => acc + y, 0)"
                    f" + {t.js_name()}.length; // {t.sentence(4, 10)}"]
        if k == 13:
            return [f"{i}{t.js_name()}.innerHTML = `<span class=\"{r.choice(CSS_CLASSES)}\">${{{t.js_name()}}}</span>`;"]
        if k == 14:
            return [f"{i}let {t.js_name()} = {t.num()};"]
        if k == 15:
            return [f"{i}const passwordInput = form.querySelector(\"input[type=password]\");",
                    f"{i}passwordInput.setAttribute(\"autocomplete\", \"new-password\");"]
        if k == 16:
            return [f"{i}window.{t.js_name()} = {{token: null, {t.js_name()}: {t.num()}, {t.js_name()}: \"{t.words(2)}\"}};"]
        return [f"{i}{t.js_name()}({t.js_name()}, {t.num()});"]

    def js_file(self, target: int) -> str:
        t, r = self, self.r
        lines = ["\"use strict\";", "", f"// {t.sentence()}", ""]
        while len(lines) < target:
            args = ", ".join(t.js_name() for _ in range(r.randint(0, 3)))
            lines.append(f"{r.choice(('export ', ''))}function {t.js_name()}({args}) {{")
            for _ in range(r.randint(2, 8)):
                lines += t.js_lines("  ")
            lines += ["}", ""]
        return "\n".join(lines) + "\n"

    # -- reStructuredText ------------------------------------------------------------
    def rst_lines(self, indent: str = "") -> list[str]:
        t, r = self, self.r
        k = r.randrange(16)
        if k == 12 and r.random() > KEEP["postgres"] * self.kw:
            k = 0
        if k < 6:
            return [t.prose(1, 5), ""]
        if k < 8:
            return [f"* {t.sentence()}." for _ in range(r.randint(2, 5))] + [""]
        if k == 8:
            h = t.sentence(1, 5)
            return [h, r.choice("=-~^") * len(h), ""]
        if k == 9:
            return [".. code-block:: python", ""] + [
                "    " + ln for ln in t.py_lines("")] + [""]
        if k == 10:
            return [f".. note::", "", f"   {t.prose(1, 2)}", ""]
        if k == 11:
            return [f":setting:`{t.upper()}` {t.words(r.randint(6, 20))}.", ""]
        if k == 12:
            # Configuration examples of the kind Django docs hold: no real credentials.
            return r.choice((
                [".. code-block:: python", "",
                 "    SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]", ""],
                [".. code-block:: shell", "",
                 "    export DATABASE_URL=postgres://user:password@localhost:5432/app", ""],
                [".. code-block:: python", "", "    DATABASES = {", "        \"default\": {",
                 "            \"ENGINE\": \"django.db.backends.postgresql\",",
                 "            \"NAME\": \"app\",",
                 "            \"PASSWORD\": os.environ[\"DB_PASSWORD\"],", "        }", "    }", ""],
                [f"Store the {r.choice(('password', 'secret key', 'API token'))} in the environment "
                 "or a secrets manager, never in the repository; see :doc:`deployment`.", ""],
                [".. code-block:: text", "", "    CACHE_URL=redis://localhost:6379/1", ""],
            ))
        if k == 13:
            return [f"``{t.snake()}``", f"    {t.sentence()}.", ""]
        if k == 14:
            return [f".. versionchanged:: {r.randint(1, 4)}.{r.randint(0, 9)}", "",
                    f"    {t.prose(1, 3)}", ""]
        return [f"See :class:`apps.{t.noun()}.models.{t.camel()}` and :func:`{t.snake()}` "
                f"for {t.words(r.randint(3, 12))}.", ""]

    def rst_file(self, target: int) -> str:
        t = self
        h = t.sentence(1, 5)
        lines = ["=" * len(h), h, "=" * len(h), ""]
        while len(lines) < target:
            lines += t.rst_lines()
        return "\n".join(lines) + "\n"

    # -- CSS ---------------------------------------------------------------------
    def css_lines(self, indent: str = "") -> list[str]:
        r = self.r
        sel = ", ".join(f".{r.choice(CSS_CLASSES)}" + (f" .{r.choice(CSS_CLASSES)}" if r.random() < 0.5 else "")
                        for _ in range(r.randint(1, 3)))
        props = [f"  {p}: {v};" for p, v in (
            r.choice((("margin", f"{r.randint(0, 32)}px"), ("padding", f"{r.randint(0, 4)}rem"),
                      ("color", f"#{r.randrange(0x1000):03x}"), ("display", "flex"),
                      ("font-weight", str(r.choice((400, 500, 600, 700)))),
                      ("border-radius", f"{r.randint(0, 12)}px"), ("gap", f"{r.randint(1, 3)}rem")))
            for _ in range(r.randint(1, 5)))]
        return [f"{sel} {{"] + props + ["}", ""]

    def css_file(self, target: int) -> str:
        lines = [f"/* {self.sentence()} */", ""]
        while len(lines) < target:
            lines += self.css_lines()
        return "\n".join(lines) + "\n"

    # -- edits ---------------------------------------------------------------------
    def lines_for(self, kind: str, indent: str) -> list[str]:
        if kind in ("html",):
            return self.html_lines(indent)
        if kind == "js":
            return self.js_lines(indent)
        if kind == "rst":
            return self.rst_lines()
        if kind == "css":
            return self.css_lines()
        if kind == "migration":
            return self.migration_op()
        if kind == "urls":
            return [self.url_line()]
        if kind == "txt":
            return [f"{self.noun()}-{self.noun()}=={self.r.randint(0, 9)}.{self.r.randint(0, 30)}"]
        return self.py_lines(indent)

    def edit(self, content: str, kind: str, target: int) -> str:
        """Edit a few lines: replace, insert or delete small hunks. Files
        drift toward `target` lines."""
        r = self.r
        lines = content.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for _ in range(r.choice((1, 1, 1, 2, 2, 3, 4))):
            n = len(lines)
            pos = r.randrange(max(n, 1))
            ref = lines[pos] if n else ""
            indent = ref[:len(ref) - len(ref.lstrip(" "))]
            if kind in ("html", "js") and not indent:
                indent = "  "
            x = r.random()
            grow = 0.5 if n < target else 0.25
            if x < grow or n < 8:
                lines[pos:pos] = self.lines_for(kind, indent)
            elif x < grow + 0.25:
                del lines[pos:pos + r.randint(1, 3)]
            else:
                lines[pos:pos + r.randint(1, 2)] = self.lines_for(kind, indent)
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# the project tree
# --------------------------------------------------------------------------

# kind -> (target line range, edit weight)
KINDS = {
    "models": ((50, 220), 2.5), "views": ((60, 260), 3.0), "tests": ((60, 300), 2.5),
    "forms": ((30, 120), 1.5), "admin": ((20, 70), 1.0), "serializers": ((30, 120), 1.5),
    "urls": ((10, 40), 1.0), "py": ((25, 160), 1.2), "migration": ((20, 120), 0.12),
    "html": ((25, 120), 1.2), "js": ((40, 300), 1.5), "rst": ((40, 220), 1.0),
    "css": ((40, 160), 0.7), "txt": ((5, 30), 0.4), "vendor": ((1, 1), 0.0),
    "fixed": ((1, 1), 0.0),
}


class FileMeta:
    __slots__ = ("kind", "target", "weight", "app", "kw")

    def __init__(self, kind: str, target: int, weight: float, app: str | None, kw: float = 0.0) -> None:
        self.kind, self.target, self.weight, self.app, self.kw = kind, target, weight, app, kw


class Branch:
    def __init__(self, ref: str, files: dict[str, str], tip: int | None) -> None:
        self.ref = ref
        self.files = files          # path -> content (str); insertion-ordered
        self.tip = tip              # mark of the tip commit
        self.started = False        # a commit on this ref was already streamed


class Feature:
    def __init__(self, branch: Branch, app: str, length: int, merge: bool,
                 plants: dict | None = None) -> None:
        self.branch = branch
        self.app = app
        self.length = length
        self.merge = merge
        self.plants = plants or {}  # step index -> function(builder, branch) -> message
        self.steps = 0
        self.touched: dict[str, None] = {}
        self.pool: list[str] | None = None


class Builder:
    def __init__(self, args, stream, secrets: Secrets) -> None:
        self.args = args
        self.n_commits = args.commits
        self.rng = random.Random(args.seed)
        self.text = Text(random.Random(args.seed + 1))
        self.out = stream
        self.meta: dict[str, FileMeta] = {}
        self.ever: dict[str, None] = {}      # every path ever used (never reused)
        self.reserved: dict[str, None] = {}  # names handed out by unique_word
        for path in PROTECTED:               # planted files: only planned edits touch them
            self.meta[path] = FileMeta("fixed", 1, 0.0, None)
        self.p_add = 0.02
        self.apps: list[str] = []
        self.mig_count: dict[str, int] = {}
        self.n = 0                           # commits streamed
        self.summaries: list[str] = []       # by mark - 1
        self.seen: dict[bytes, None] = {}    # blob digests streamed
        self.blob_bytes = 0
        self.blob_count = 0
        self.key_blobs = 0                   # blobs holding a detector keyword
        self.secrets = secrets
        self.watch: list[tuple[str, str]] = []   # (secret, detector)
        # secret -> list of (mark index, path, blob oid, content) in streaming order
        self.holders: dict[str, list[tuple[int, str, str, str]]] = {}
        self.pairs: dict[tuple[str, str, str], None] = {}
        self.main = Branch("refs/heads/main", {}, None)
        self.features: list[Feature] = []
        self.feature_refs: list[str] = []
        self.kept_refs: list[str] = []
        self.tags: list[tuple[str, int]] = []
        self.paths_dirty = True
        self.paths: list[str] = []
        self.cum: list[float] = []

    # -- stream --------------------------------------------------------------
    def w(self, s: str) -> None:
        self.out.write(s.encode())

    def data(self, b: bytes) -> None:
        self.out.write(b"data %d\n" % len(b))
        self.out.write(b)
        self.out.write(b"\n")

    def modify(self, path: str, content: str) -> None:
        b = content.encode()
        h = hashlib.sha1(b"blob %d\0" % len(b))
        h.update(b)
        digest = h.digest()
        oid = h.hexdigest()
        if digest in self.seen:
            self.w(f"M 100644 {oid} {path}\n")
        else:
            self.seen[digest] = None
            self.blob_bytes += len(b)
            self.blob_count += 1
            if self.args.verbose:
                low = b.lower()
                if any(k in low for k in (b"password", b"secret_key", b"postgres", b"redis", b"mysql")):
                    self.key_blobs += 1
            self.w(f"M 100644 inline {path}\n")
            self.data(b)
        if path in PROTECTED:
            for secret, _ in self.watch:
                if secret in content and (secret, oid, path) not in self.pairs:
                    self.pairs[(secret, oid, path)] = None
                    self.holders.setdefault(secret, []).append((self.n, path, oid, content))

    def commit(self, branch: Branch, message: str, changes: list[tuple[str, str | None]],
               merge: int | None = None, author: int | None = None) -> int:
        """Stream one commit on `branch`: changes are (path, content) or (path, None) to delete."""
        if self.n >= self.n_commits:
            raise FixtureError("internal: commit budget exceeded")
        mark = self.n + 1
        who = IDENTITIES[self.rng.randrange(len(IDENTITIES)) if author is None else author]
        when = EPOCH0 + self.n * 3600
        self.w(f"commit {branch.ref}\nmark :{mark}\n"
               f"author {who[0]} <{who[1]}> {when} +0000\n"
               f"committer {who[0]} <{who[1]}> {when} +0000\n")
        self.data(message.encode() + b"\n")
        if not branch.started and branch.tip is not None:
            self.w(f"from :{branch.tip}\n")
        branch.started = True
        if merge is not None:
            self.w(f"merge :{merge}\n")
        for path, content in changes:
            if content is None:
                if path in branch.files:
                    del branch.files[path]
                    self.w(f"D {path}\n")
                    if branch is self.main:
                        self.paths_dirty = True
            else:
                if branch is self.main and path not in branch.files:
                    self.paths_dirty = True
                branch.files[path] = content
                self.modify(path, content)
        self.w("\n")
        branch.tip = mark
        self.summaries.append(message.split("\n", 1)[0])
        self.n += 1
        return mark

    # -- file registry ---------------------------------------------------------
    def register(self, path: str, kind: str, app: str | None) -> FileMeta:
        if path in self.ever:
            raise FixtureError(f"internal: path reused: {path}")
        lo, hi = KINDS[kind][0]
        target = max(1, int(0.85 * (lo + (hi - lo) * (self.rng.random() ** 1.6))))
        weight = KINDS[kind][1] * min(self.rng.paretovariate(1.3), 40.0)
        m = FileMeta(kind, target, weight, app, KW_HOT if self.rng.random() < 0.3 else 0.0)
        self.meta[path] = m
        self.ever[path] = None
        return m

    def edit_file(self, path: str, content: str) -> str:
        m = self.meta[path]
        self.text.kw = m.kw
        return self.text.edit(content, m.kind, m.target)

    def new_content(self, path: str) -> str:
        m = self.meta[path]
        t = self.text
        t.kw = m.kw
        if m.kind in ("models", "views", "tests", "forms", "admin", "serializers", "urls", "py"):
            return t.py_file(m.kind, m.app or "core", m.target)
        if m.kind == "migration":
            num = int(path.rsplit("/", 1)[1][:4])
            return t.migration_file(m.app or "core", num, m.target)
        if m.kind == "html":
            return t.html_file(m.target)
        if m.kind == "js":
            return t.js_file(m.target)
        if m.kind == "rst":
            return t.rst_file(m.target)
        if m.kind == "css":
            return t.css_file(m.target)
        if m.kind == "txt":
            return "\n".join(t.lines_for("txt", "")[0] for _ in range(m.target)) + "\n"
        if m.kind == "vendor":
            return self.vendor_js()
        raise FixtureError(f"internal: no generator for {m.kind}")

    def vendor_js(self) -> str:
        size = self.rng.randrange(60_000, 160_000)
        return minified_js(self.text.r, size, f"{{region:\"eu-west-1\",v:{self.n}}}")

    def refresh_paths(self) -> None:
        self.paths = [p for p in self.main.files if p not in PROTECTED and self.meta[p].weight > 0]
        acc = 0.0
        self.cum = []
        for p in self.paths:
            acc += self.meta[p].weight
            self.cum.append(acc)
        self.paths_dirty = False

    def pick_main(self, k: int) -> list[str]:
        if self.paths_dirty:
            self.refresh_paths()
        chosen: dict[str, None] = {}
        for _ in range(k * 4):
            p = self.rng.choices(self.paths, cum_weights=self.cum, k=1)[0]
            if p in self.main.files:
                chosen[p] = None
            if len(chosen) == k:
                break
        return list(chosen)

    # -- initial tree ------------------------------------------------------------
    def app_files(self, app: str) -> list[tuple[str, str]]:
        r = self.rng
        files = [(f"apps/{app}/{name}.py", kind) for name, kind in (
            ("__init__", "fixed"), ("apps", "fixed"), ("models", "models"), ("views", "views"),
            ("urls", "urls"), ("admin", "admin"), ("forms", "forms"), ("tests", "tests"))]
        if r.random() < 0.6:
            files.append((f"apps/{app}/serializers.py", "serializers"))
        for extra in ("signals", "tasks", "utils", "managers", "permissions"):
            if r.random() < 0.35:
                files.append((f"apps/{app}/{extra}.py", "py"))
        for _ in range(r.randint(0, 4)):
            files.append((f"apps/{app}/tests/test_{self.unique_word(f'apps/{app}/tests/test_', '.py')}.py",
                          "tests"))
        files.append((f"apps/{app}/migrations/__init__.py", "fixed"))
        for _ in range(r.randint(1, 7)):
            files.append((self.next_migration(app), "migration"))
        for _ in range(r.randint(3, 8)):
            files.append((f"apps/{app}/templates/{app}/"
                          f"{self.unique_word(f'apps/{app}/templates/{app}/', '.html')}.html", "html"))
        if r.random() < 0.5:
            files.append((f"apps/{app}/static/{app}/js/{app}.js", "js"))
        if r.random() < 0.25:
            cmd = self.unique_word(f"apps/{app}/management/commands/", ".py")
            files += [(f"apps/{app}/management/__init__.py", "fixed"),
                      (f"apps/{app}/management/commands/__init__.py", "fixed"),
                      (f"apps/{app}/management/commands/{cmd}.py", "py")]
        return files

    def unique_word(self, prefix: str, suffix: str) -> str:
        """A word such that prefix + word + suffix was never used (and is now reserved)."""
        for _ in range(1000):
            w = self.text.snake()
            if prefix + w + suffix not in self.ever and prefix + w + suffix not in self.reserved:
                self.reserved[prefix + w + suffix] = None
                return w
        raise FixtureError("internal: could not find a fresh name")

    def next_migration(self, app: str) -> str:
        c = self.mig_count.get(app, 0) + 1
        self.mig_count[app] = c
        return f"apps/{app}/migrations/{c:04d}_{self.text.snake()}.py"

    def fixed_content(self, path: str) -> str:
        t = self.text
        if path.endswith("/apps.py"):
            app = path.split("/")[1]
            return ("from django.apps import AppConfig\n\n\n"
                    f"class {''.join(x.capitalize() for x in app.split('_'))}Config(AppConfig):\n"
                    "    default_auto_field = \"django.db.models.BigAutoField\"\n"
                    f"    name = \"apps.{app}\"\n")
        if path.endswith("__init__.py"):
            return ""
        return f"# {t.sentence()}\n"

    def initial_tree(self, n_files: int) -> list[tuple[str, str]]:
        r = self.rng
        out: list[tuple[str, str]] = []

        def add(path: str, kind: str, app: str | None = None, content: str | None = None) -> None:
            self.register(path, kind, app)
            out.append((path, content if content is not None else
                        (self.fixed_content(path) if kind == "fixed" else self.new_content(path))))

        top_docs = max(8, n_files // 20)
        top_js = max(4, n_files // 40)
        top_css = max(2, n_files // 150)
        top_html = max(4, n_files // 60)
        budget_apps = n_files - (top_docs + top_js + top_css + top_html + 30)
        n_apps = max(3, round(budget_apps / 24.5))
        seen_apps: dict[str, None] = {}
        while len(self.apps) < n_apps:
            a = self.text.snake() if r.random() < 0.5 else self.text.noun() + "s"
            if a not in seen_apps and not a.startswith("import"):
                seen_apps[a] = None
                self.apps.append(a)

        add("README.rst", "rst")
        add("manage.py", "fixed", content=(
            "#!/usr/bin/env python\nimport os\nimport sys\n\n\ndef main():\n"
            "    os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"project.settings\")\n"
            "    from django.core.management import execute_from_command_line\n\n"
            "    execute_from_command_line(sys.argv)\n\n\nif __name__ == \"__main__\":\n    main()\n"))
        add(".gitignore", "fixed", content="*.pyc\n__pycache__/\n.env\n.venv/\nmedia/\nstaticfiles/\n")
        for req in ("base", "dev", "production", "test"):
            add(f"requirements/{req}.txt", "txt")
        add("setup.cfg", "fixed", content=(
            "[flake8]\nmax-line-length = 120\nexclude = migrations,.venv\n\n"
            "[isort]\nprofile = black\n\n[tool:pytest]\nDJANGO_SETTINGS_MODULE = project.settings\n"))
        add("project/__init__.py", "fixed")
        add("project/settings.py", "fixed", content=self.settings_py(self.secret_key_line_v1))
        add("project/urls.py", "py", "core")
        add("project/wsgi.py", "fixed", content=(
            "import os\n\nfrom django.core.wsgi import get_wsgi_application\n\n"
            "os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"project.settings\")\n\n"
            "application = get_wsgi_application()\n"))
        add("project/asgi.py", "py", "core")
        for _ in range(3):
            add(f"static/vendor/{self.unique_word('static/vendor/', '.min.js')}.min.js", "vendor")
        for _ in range(top_docs):
            sub = r.choice(("", "", "topics/", "howto/", "ref/"))
            add(f"docs/{sub}{self.unique_word('docs/' + sub, '.rst')}.rst", "rst")
        for _ in range(top_js):
            add(f"static/js/{self.unique_word('static/js/', '.js')}.js", "js")
        for _ in range(top_css):
            add(f"static/css/{self.unique_word('static/css/', '.css')}.css", "css")
        add("templates/base.html", "html")
        for _ in range(top_html):
            add(f"templates/{self.unique_word('templates/', '.html')}.html", "html")
        for app in self.apps:
            for path, kind in self.app_files(app):
                add(path, kind, app)
        return out

    # -- planted secrets: the files ---------------------------------------------------
    secret_key_line_v1 = ""

    def settings_py(self, key_line: str, extra_apps: int = 0) -> str:
        apps = "".join(f"    \"apps.{a}\",\n" for a in self.apps[:12 + extra_apps])
        return (
            "\"\"\"Django settings for the project.\n\n"
            "Generated by 'django-admin startproject' using Django 3.2.\n\"\"\"\n\n"
            "import os\nfrom pathlib import Path\n\n"
            "BASE_DIR = Path(__file__).resolve().parent.parent\n\n"
            "# SECURITY WARNING: keep the secret key used in production secret!\n"
            f"{key_line}\n\n"
            "# SECURITY WARNING: don't run with debug turned on in production!\n"
            "DEBUG = True\n\nALLOWED_HOSTS = []\n\n"
            "INSTALLED_APPS = [\n"
            "    \"django.contrib.admin\",\n    \"django.contrib.auth\",\n"
            "    \"django.contrib.contenttypes\",\n    \"django.contrib.sessions\",\n"
            "    \"django.contrib.messages\",\n    \"django.contrib.staticfiles\",\n"
            f"{apps}]\n\n"
            "MIDDLEWARE = [\n"
            "    \"django.middleware.security.SecurityMiddleware\",\n"
            "    \"django.contrib.sessions.middleware.SessionMiddleware\",\n"
            "    \"django.middleware.common.CommonMiddleware\",\n"
            "    \"django.middleware.csrf.CsrfViewMiddleware\",\n"
            "    \"django.contrib.auth.middleware.AuthenticationMiddleware\",\n"
            "    \"django.contrib.messages.middleware.MessageMiddleware\",\n"
            "]\n\n"
            "ROOT_URLCONF = \"project.urls\"\nWSGI_APPLICATION = \"project.wsgi.application\"\n\n"
            "DATABASES = {\n"
            "    \"default\": {\n"
            "        \"ENGINE\": \"django.db.backends.postgresql\",\n"
            "        \"NAME\": os.environ.get(\"DB_NAME\", \"shop\"),\n"
            "        \"USER\": os.environ.get(\"DB_USER\", \"shop\"),\n"
            "        \"PASSWORD\": os.environ.get(\"DB_PASSWORD\"),\n"
            "        \"HOST\": os.environ.get(\"DB_HOST\", \"localhost\"),\n"
            "    }\n}\n\n"
            "AUTH_PASSWORD_VALIDATORS = [\n"
            "    {\"NAME\": \"django.contrib.auth.password_validation.UserAttributeSimilarityValidator\"},\n"
            "    {\"NAME\": \"django.contrib.auth.password_validation.MinimumLengthValidator\"},\n"
            "    {\"NAME\": \"django.contrib.auth.password_validation.CommonPasswordValidator\"},\n"
            "]\n\n"
            "LANGUAGE_CODE = \"en-us\"\nTIME_ZONE = \"UTC\"\nUSE_I18N = True\nUSE_TZ = True\n\n"
            "STATIC_URL = \"/static/\"\nDEFAULT_AUTO_FIELD = \"django.db.models.BigAutoField\"\n")

    def production_settings(self, pw: str, caches: bool, key: str | None) -> str:
        s = "from .settings import *  # noqa: F401,F403\n\nDEBUG = False\n"
        if key is not None:
            s += f"SECRET_KEY = os.environ.get(\"DJANGO_SECRET_KEY\", \"{key}\")\n"
        s += ("ALLOWED_HOSTS = [\"shop.internal.test\"]\n\n"
              "DATABASES = {\n"
              "    'default': {\n"
              "        'ENGINE': 'django.db.backends.postgresql',\n"
              "        'NAME': 'shop_prod',\n"
              "        'USER': 'shop_prod',\n"
              f"        'PASSWORD': '{pw}',\n"
              "        'HOST': 'pg-prod.internal.test',\n"
              "        'PORT': '5432',\n"
              "        'CONN_MAX_AGE': 60,\n"
              "    }\n"
              "}\n")
        if caches:
            s += ("\nCACHES = {\n    \"default\": {\n"
                  "        \"BACKEND\": \"django.core.cache.backends.redis.RedisCache\",\n"
                  "        \"LOCATION\": \"redis://cache.internal.test:6379/1\",\n    }\n}\n")
        return s

    # -- the history ----------------------------------------------------------------
    def random_main_commit(self) -> None:
        r = self.rng
        k = r.choices((1, 2, 3, 4, 5), weights=(35, 27, 18, 12, 8))[0]
        changes: list[tuple[str, str | None]] = []
        verb = None
        for p in self.pick_main(k):
            changes.append((p, self.edit_file(p, self.main.files[p])))
        x = r.random()
        if x < self.p_add:
            path, kind, app = self.fresh_file()
            self.register(path, kind, app)
            changes.append((path, self.new_content(path)))
            verb = f"Add {path.rsplit('/', 1)[1]}"
        elif x < self.p_add + 0.006:
            victim = self.pick_removable()
            if victim:
                changes = [c for c in changes if c[0] != victim]
                changes.append((victim, None))
                verb = f"Remove {victim.rsplit('/', 1)[1]}"
        elif x < self.p_add + 0.012:
            victim = self.pick_removable()
            if victim:
                new = self.rename_target(victim)
                if new:
                    m = self.meta[victim]
                    self.register(new, m.kind, m.app).kw = m.kw
                    content = self.main.files[victim]
                    if r.random() < 0.5:
                        content = self.edit_file(victim, content)
                    changes = [c for c in changes if c[0] != victim]
                    changes += [(victim, None), (new, content)]
                    verb = f"Move {victim.rsplit('/', 1)[1]} to {new.rsplit('/', 2)[-2]}/"
        if self.n % max(1, self.n_commits // 8) == self.n_commits // 16 and self.n > 0:
            vendor = [p for p in self.main.files if self.meta[p].kind == "vendor"]
            if vendor:
                v = vendor[r.randrange(len(vendor))]
                changes.append((v, self.vendor_js()))
                verb = f"Update vendored {v.rsplit('/', 1)[1]}"
        if not changes:
            p = self.pick_main(1)[0]
            changes.append((p, self.edit_file(p, self.main.files[p])))
        self.commit(self.main, verb or self.message(changes), changes)

    def message(self, changes) -> str:
        r, t = self.rng, self.text
        p = changes[0][0]
        m = self.meta.get(p)
        where = m.app if m and m.app and m.app != "core" else p.rsplit("/", 1)[-1]
        msg = r.choice((
            f"Fix {t.words(r.randint(1, 3))} in {where}", f"Refactor {where} {t.noun()} handling",
            f"Add {t.noun()} {r.choice(('filter', 'validation', 'pagination', 'export', 'tests'))} to {where}",
            f"Update {where}", f"Clean up {where}", f"Improve {t.noun()} {t.noun()} in {where}",
            f"{r.choice(VERBS).replace('_', ' ').capitalize()} {t.noun()} {t.words(r.randint(1, 4))}",
            f"Tweak {where} {r.choice(('templates', 'styles', 'docs', 'tests', 'views'))}",
        ))
        if r.random() < 0.3:
            msg += "\n\n" + t.prose(1, 3)
        return msg

    def fresh_file(self) -> tuple[str, str, str | None]:
        r = self.rng
        app = self.apps[r.randrange(len(self.apps))]
        x = r.random()
        if x < 0.35:
            return self.next_migration(app), "migration", app
        if x < 0.6:
            return (f"apps/{app}/templates/{app}/"
                    f"{self.unique_word(f'apps/{app}/templates/{app}/', '.html')}.html", "html", app)
        if x < 0.75:
            return (f"apps/{app}/tests/test_{self.unique_word(f'apps/{app}/tests/test_', '.py')}.py",
                    "tests", app)
        if x < 0.88:
            sub = r.choice(("topics/", "howto/", "ref/", "releases/"))
            return f"docs/{sub}{self.unique_word('docs/' + sub, '.rst')}.rst", "rst", None
        return f"static/js/{self.unique_word('static/js/', '.js')}.js", "js", None

    def pick_removable(self) -> str | None:
        for _ in range(20):
            p = self.pick_main(1)
            if p and self.meta[p[0]].kind in ("html", "rst", "js", "css", "tests", "py"):
                return p[0]
        return None

    def rename_target(self, path: str) -> str | None:
        d, name = path.rsplit("/", 1)
        for sub in ("legacy", "old", "v2", "common", "shared"):
            new = f"{d}/{sub}/{name}"
            if new not in self.ever and path.count("/") < 7 and f"/{sub}/" not in path:
                return new
        return None

    def feature_commit(self, f: Feature) -> None:
        r = self.rng
        b = f.branch
        if f.steps in f.plants:
            msg, changes = f.plants[f.steps](b)
        else:
            if f.pool is None:
                f.pool = [p for p in b.files if p.startswith(f"apps/{f.app}/") and p not in PROTECTED
                          and self.meta[p].weight > 0]
            edited: dict[str, str] = {}
            for _ in range(r.randint(1, 4)):
                p = f.pool[r.randrange(len(f.pool))]
                edited[p] = self.edit_file(p, edited.get(p, b.files[p]))
            if r.random() < 0.15:
                path = self.next_migration(f.app)
                self.register(path, "migration", f.app)
                edited[path] = self.new_content(path)
                f.pool.append(path)
            changes = list(edited.items())
            msg = self.message(changes)
        for p, _ in changes:
            f.touched[p] = None
        self.commit(b, msg, changes)
        f.steps += 1

    def merge_feature(self, f: Feature) -> None:
        changes: list[tuple[str, str | None]] = []
        for p in f.touched:
            if p in f.branch.files:
                if self.main.files.get(p) != f.branch.files[p]:
                    changes.append((p, f.branch.files[p]))
            elif p in self.main.files:
                changes.append((p, None))
        name = f.branch.ref[len("refs/heads/"):]
        self.commit(self.main, f"Merge branch '{name}'", changes, merge=f.branch.tip)
        self.features.remove(f)

    def start_feature(self, name: str, app: str, length: int, merge: bool,
                      plants: dict | None = None) -> Feature:
        ref = f"refs/heads/{name}"
        b = Branch(ref, dict(self.main.files), self.main.tip)
        f = Feature(b, app, length, merge, plants)
        self.features.append(f)
        (self.feature_refs if merge else self.kept_refs).append(ref)
        return f


def build(out: Path, env: GitEnv, args) -> dict:
    t0 = time.perf_counter()
    N = args.commits
    s = Secrets(args.seed + 7)
    k_settings = s.django_key(insecure=True)
    k_dotenv = s.django_key()
    pw_dotenv = s.db_password()
    aws_id = s.aws_key_id("AKIA")
    aws_secret = s.aws_secret_key()
    pw_prod = s.db_password()
    pw_staging = s.db_password()
    k_prod = s.django_key()
    aws_backup_id = s.aws_key_id("AKIA")
    aws_backup_secret = s.aws_secret_key()
    k_local = s.django_key()
    pw_compose = s.db_password(dash_underscore=True)

    repo_path = out / "repo"
    env.git("init", "-q", "--bare", str(repo_path))
    marks = out / ".marks"
    cmd = ["git"]
    for item in GIT_CONFIG:
        cmd += ["-c", item]
    cmd += ["--git-dir", str(repo_path), "fast-import", "--quiet", "--done",
            f"--export-marks={marks}"]
    full_env = dict(env.base)
    full_env.update(env.identity_env())
    errf = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errf,
                            env=full_env, bufsize=1 << 20)
    b = Builder(args, proc.stdin, s)
    for sec, det in ((k_settings, DJANGO_SECRET_KEY), (k_dotenv, DJANGO_SECRET_KEY),
                     (pw_dotenv, DATABASE_URL), (aws_secret, AWS_ACCESS_KEY),
                     (pw_prod, DJANGO_DATABASE_PASSWORD), (pw_staging, DATABASE_URL),
                     (k_prod, DJANGO_SECRET_KEY), (aws_backup_secret, AWS_ACCESS_KEY),
                     (k_local, DJANGO_SECRET_KEY), (pw_compose, DATABASE_URL)):
        b.watch.append((sec, det))
    b.secret_key_line_v1 = f"SECRET_KEY = '{k_settings}'"

    def idx(f: float) -> int:
        return max(1, int(f * N))

    # Planned events on main: index -> (precondition, action). Each action
    # returns (message, changes).
    env_file = (f"DEBUG=1\nDJANGO_SECRET_KEY={k_dotenv}\n"
                f"DATABASE_URL=postgres://shop:{pw_dotenv}@db.internal.test:5432/shop\n"
                "REDIS_URL=redis://localhost:6379/0\nALLOWED_HOSTS=localhost,127.0.0.1\n")
    backup_sh = ("#!/bin/sh\nset -eu\n\n"
                 f"export AWS_ACCESS_KEY_ID={aws_backup_id}\n"
                 f"export AWS_SECRET_ACCESS_KEY={aws_backup_secret}\n"
                 "export AWS_DEFAULT_REGION=eu-west-1\n\n"
                 "stamp=$(date +%Y%m%d-%H%M%S)\n"
                 "pg_dump \"$DATABASE_URL\" | gzip > \"/tmp/db-$stamp.sql.gz\"\n"
                 "aws s3 cp \"/tmp/db-$stamp.sql.gz\" \"s3://shop-backups/db/$stamp.sql.gz\"\n")
    aws_feature: list[Feature] = []
    exp_started: list[bool] = []

    def main_has(path):
        return lambda: path in b.main.files

    events = [
        (idx(0.04), None, lambda: ("Register more apps in settings",
                                   [("project/settings.py", b.settings_py(b.secret_key_line_v1, 4))])),
        (idx(0.09), None, lambda: ("Add .env for local development", [(".env", env_file)])),
        (idx(0.13), main_has(".env"), lambda: ("Remove .env from the repository", [(".env", None)])),
        (idx(0.22), None, lambda: ("Read SECRET_KEY from the environment", [
            ("project/settings.py",
             b.settings_py("SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]", 4))])),
        (idx(0.42), None, lambda: ("Add production settings", [
            ("project/settings_production.py", b.production_settings(pw_prod, False, None))])),
        (idx(0.50), None, lambda: ("Add docker environment for staging", [
            ("docker/.env", "COMPOSE_PROJECT_NAME=shop\n"
             f"DATABASE_URL=postgresql://app:{pw_staging}@staging-db.internal.test:5432/app_staging\n"
             "CACHE_URL=redis://cache:6379/0\n")])),
        (idx(0.58), lambda: not aws_feature[0] in b.features and "deploy/aws/credentials" in b.main.files,
         lambda: ("Remove AWS credentials file; use instance roles",
                  [("deploy/aws/credentials", None)])),
        (idx(0.63), None, lambda: ("Configure Redis cache in production", [
            ("project/settings_production.py", b.production_settings(pw_prod, True, None))])),
        (idx(0.72), None, lambda: ("Production SECRET_KEY fallback", [
            ("project/settings_production.py", b.production_settings(pw_prod, True, k_prod))])),
        (idx(0.80), None, lambda: ("Add nightly database backup script", [("scripts/backup.sh", backup_sh)])),
        (idx(0.84), main_has("scripts/backup.sh"), lambda: ("Take AWS credentials from the environment", [
            ("scripts/backup.sh", backup_sh.replace(
                f"export AWS_ACCESS_KEY_ID={aws_backup_id}\n"
                f"export AWS_SECRET_ACCESS_KEY={aws_backup_secret}\n", ""))])),
        (idx(0.95), None, lambda: ("Add docker-compose stack", [
            ("docker-compose.yml", "version: \"3.8\"\nservices:\n  web:\n    build: .\n"
             "    environment:\n"
             f"      DATABASE_URL: postgres://app:{pw_compose}@db:5432/app\n"
             "      DJANGO_SETTINGS_MODULE: project.settings_production\n"
             "    depends_on:\n      - db\n  db:\n    image: postgres:13\n"
             "    environment:\n      POSTGRES_DB: app\n"
             "      POSTGRES_PASSWORD_FILE: /run/secrets/db_password\n")])),
    ]
    aws_start, exp_start = idx(0.30), idx(0.88)
    tag_at = {idx(0.25): "v1.0", idx(0.60): "v2.0", idx(0.90): "v3.0"}
    all_idx = [e[0] for e in events] + [aws_start, exp_start, 0]
    if len(set(all_idx)) != len(all_idx):
        raise FixtureError("--commits is too small for the planned events")

    def aws_plant(branch):
        return ("Add AWS credentials for deploy", [("deploy/aws/credentials",
                "[default]\n"
                f"aws_access_key_id = {aws_id}\n"
                f"aws_secret_access_key = {aws_secret}\n"
                "region = eu-west-1\n")])

    def local_plant(branch):
        return ("Add local settings for async experiments", [("project/local_settings.py",
                "from .settings import *  # noqa\n\n"
                f"SECRET_KEY = \"{k_local}\"\n"
                "DEBUG = True\nASGI_APPLICATION = \"project.asgi.application\"\n")])

    # Structure: the initial tree, then the history.
    initial_files = args.files - min(int(0.15 * args.files), int(0.01 * N))
    b.p_add = 0.006 + min(0.15 * args.files, 0.01 * N) / N
    tree = b.initial_tree(max(initial_files, 60))
    b.commit(b.main, "Initial import of the shop project", tree, author=0)
    tags: list[tuple[str, int, int]] = []
    pending = list(events)
    r = b.rng
    while b.n < N:
        n = b.n
        if pending and pending[0][0] <= n and (pending[0][1] is None or pending[0][1]()):
            _, _, action = pending.pop(0)
            msg, changes = action()
            b.commit(b.main, msg, changes)
        elif n >= aws_start and not aws_feature:
            f = b.start_feature("feature/deploy-aws", b.apps[0], 6, True, {0: aws_plant})
            aws_feature.append(f)
            b.feature_commit(f)
        elif n >= exp_start and not exp_started:
            exp_started.append(True)
            f = b.start_feature("experiment/async", b.apps[1], max(5, N // 200), False, {1: local_plant})
            b.feature_commit(f)
        else:
            merging = [f for f in b.features if f.merge]
            if merging and N - n <= len(merging):
                f = merging[0]
                if f.steps:
                    b.merge_feature(f)
                else:  # nothing to merge: it never got a commit (and has no ref)
                    b.features.remove(f)
                    b.feature_refs.remove(f.branch.ref)
                    b.random_main_commit()
            elif b.features and r.random() < 0.4:
                f = b.features[r.randrange(len(b.features))]
                if f.steps >= f.length:
                    if f.merge:
                        b.merge_feature(f)
                    else:
                        b.features.remove(f)
                        b.random_main_commit()
                else:
                    b.feature_commit(f)
            else:
                b.random_main_commit()
                if (not any(f.merge for f in b.features) and n < N - 400
                        and r.random() < 0.004 and abs(n - aws_start) > 50):
                    app = b.apps[r.randrange(len(b.apps))]
                    name = f"feature/{app.replace('_', '-')}-{b.text.noun().replace('_', '-')}-{n}"
                    b.start_feature(name, app, r.randint(3, 30), True)
        for at, name in list(tag_at.items()):
            if b.n > at:
                tags.append((name, b.main.tip, b.n))
                del tag_at[at]
    if pending:
        raise FixtureError(f"{len(pending)} planned events did not happen")
    if any(f.merge for f in b.features):
        raise FixtureError("a feature branch was left unmerged")
    for name, mark, n in tags:
        who = IDENTITIES[0]
        b.w(f"tag {name}\nfrom :{mark}\ntagger {who[0]} <{who[1]}> {EPOCH0 + n * 3600 - 1800} +0000\n")
        b.data(f"Release {name[1:]}\n".encode())
    b.w("done\n")
    proc.stdin.close()
    rc = proc.wait()
    if rc != 0:
        errf.seek(0)
        raise FixtureError(f"git fast-import failed with {rc}: {errf.read().decode(errors='replace')}")
    t_import = time.perf_counter()

    repo = Repo(env, repo_path)
    mark_ids: dict[int, str] = {}
    for line in marks.read_text().splitlines():
        m, oid = line.split()
        mark_ids[int(m[1:])] = oid
    marks.unlink()
    if len(mark_ids) != N:
        raise FixtureError(f"expected {N} commit marks, got {len(mark_ids)}")
    # Merged feature branches are gone, as after `git branch -d`.
    if b.feature_refs:
        repo.run("update-ref", "--stdin",
                 input="".join(f"delete {ref}\n" for ref in b.feature_refs).encode())
    t_refs = time.perf_counter()
    repo.run("-c", "pack.threads=0", "repack", "-a", "-d", "-f", "-q",
             f"--window={args.window}", f"--depth={args.depth}")
    t_repack = time.perf_counter()

    # ------------------------------------------------------------- answers
    P = planted
    secrets = [
        P(DJANGO_SECRET_KEY, k_settings, note="in the initial commit; line later replaced by an env lookup",
          expect_path="project/settings.py"),
        P(DJANGO_SECRET_KEY, k_dotenv, note="unquoted in .env; file deleted later", expect_path=".env"),
        P(DATABASE_URL, pw_dotenv, {"username": "shop", "host": "db.internal.test", "port": "5432",
                                    "database": "shop"}, ".env file deleted later", ".env"),
        P(AWS_ACCESS_KEY, aws_secret, {"access_key_id": aws_id},
          "credentials file added on branch feature/deploy-aws (merged, branch deleted); file deleted later",
          "deploy/aws/credentials"),
        P(DJANGO_DATABASE_PASSWORD, pw_prod, {"username": "shop_prod", "host": "pg-prod.internal.test",
                                              "port": "5432", "database": "shop_prod"},
          "DATABASES dict in production settings; still in HEAD", "project/settings_production.py"),
        P(DATABASE_URL, pw_staging, {"username": "app", "host": "staging-db.internal.test", "port": "5432",
                                     "database": "app_staging"}, "postgresql URL in docker/.env", "docker/.env"),
        P(DJANGO_SECRET_KEY, k_prod, note="default of os.environ.get; still in HEAD",
          expect_path="project/settings_production.py"),
        P(AWS_ACCESS_KEY, aws_backup_secret, {"access_key_id": aws_backup_id},
          "shell exports; lines removed later", "scripts/backup.sh"),
        P(DJANGO_SECRET_KEY, k_local, note="only on branch experiment/async (never merged)",
          expect_path="project/local_settings.py"),
        P(DATABASE_URL, pw_compose, {"username": "app", "host": "db", "port": "5432", "database": "app"},
          "docker-compose environment; password contains - and _", "docker-compose.yml"),
    ]
    head_content = [c for p, c in b.main.files.items() if p in PROTECTED]
    expected = []
    for item in secrets:
        locs = sorted(b.holders.get(item["secret"], []), key=lambda h: (h[0], h[1]))
        if not locs:
            raise FixtureError(f"planted {item['detector']} secret for {item['expect_path']} was never committed")
        n0, path, oid, content = locs[0]
        if item["expect_path"] != path:
            raise FixtureError(f"secret expected at {item['expect_path']}, found at {path}")
        entry = {
            "detector": item["detector"], "secret": item["secret"], "path": path,
            "commit": mark_ids[n0 + 1], "commit_summary": b.summaries[n0],
            "in_head": any(item["secret"] in c for c in head_content),
            "line": content[:content.index(item["secret"])].count("\n") + 1,
            "fields": item["fields"], "storage": "packed", "blob": oid,
        }
        if item.get("note"):
            entry["note"] = item["note"]
        if len(locs) > 1:
            entry["also"] = [{"path": p, "commit": mark_ids[i + 1], "blob": o} for i, p, o, _ in locs[1:]]
        expected.append(entry)

    # Self-checks against git.
    head = repo.rev("refs/heads/main")
    if head != mark_ids[b.main.tip]:
        raise FixtureError("refs/heads/main is not the last main commit")
    check = repo.out("cat-file", "--batch-check",
                     input="".join(e["blob"] + "\n" for e in expected).encode())
    if any(ln.split()[1:2] != ["blob"] for ln in check.splitlines()):
        raise FixtureError(f"answer-key blobs missing from the repository:\n{check}")
    counts = dict(ln.split(": ", 1) for ln in repo.out("count-objects", "-v").splitlines())
    if counts.get("count") != "0" or counts.get("packs") != "1":
        raise FixtureError(f"expected one pack and no loose objects: {counts}")
    refs = {"refs/heads/main": head}
    for ref in b.kept_refs:
        refs[ref] = repo.rev(ref)
    for name, _, _ in tags:
        refs[f"refs/tags/{name}"] = repo.rev(f"refs/tags/{name}")

    decoys = [
        decoy('os.environ["DJANGO_SECRET_KEY"]', "environment lookup", "project/settings.py"),
        decoy("password", "placeholder password in documentation URLs (docs/*.rst)"),
        decoy('os.environ["DB_PASSWORD"]', "environment lookup in documentation (docs/*.rst)"),
        decoy("settings.SECRET_KEY", "reference to the setting in code (apps/*/views.py)"),
    ]
    write_answers(out, {"repo": "repo", "head": head, "refs": refs, "expected": expected,
                        "decoys": decoys})
    t_end = time.perf_counter()
    return {
        "commits": N, "files_at_head": len(b.main.files), "distinct_blobs": b.blob_count,
        "blob_bytes": b.blob_bytes, "blobs_with_keywords": b.key_blobs,
        "feature_branches_merged": len(b.feature_refs),
        "pack_bytes": sum(p.stat().st_size for p in (repo_path / "objects" / "pack").glob("*.pack")),
        "objects": int(counts.get("in-pack", "0")),
        "t_import": t_import - t0, "t_repack": t_repack - t_refs, "t_total": t_end - t0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", metavar="OUT", help="output directory (created if missing; must be empty)")
    ap.add_argument("--commits", type=int, default=DEFAULT_COMMITS, help="commits (default %(default)s)")
    ap.add_argument("--files", type=int, default=DEFAULT_FILES,
                    help="approximate files at HEAD (default %(default)s)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="RNG seed (default %(default)s)")
    ap.add_argument("--window", type=int, default=10, help="repack --window (default %(default)s)")
    ap.add_argument("--depth", type=int, default=50, help="repack --depth (default %(default)s)")
    ap.add_argument("--verbose", action="store_true", help="print sizes and timings")
    args = ap.parse_args()
    if args.commits < 200:
        ap.error("--commits must be at least 200")
    if args.files < 100:
        ap.error("--files must be at least 100")
    try:
        out = prepare_out(args.out)
        with GitEnv() as env:
            stats = build(out, env, args)
    except (FixtureError, subprocess.SubprocessError, OSError) as exc:
        print(f"{Path(sys.argv[0]).name}: error: {exc}", file=sys.stderr)
        sys.exit(1)
    if args.verbose:
        mib = 1 << 20
        print(f"repository:      {out / 'repo'} (bare)")
        print(f"commits:         {stats['commits']} ({stats['feature_branches_merged']} feature branches merged)")
        print(f"files at HEAD:   {stats['files_at_head']}")
        print(f"distinct blobs:  {stats['distinct_blobs']}, {stats['blob_bytes'] / mib:.1f} MiB uncompressed "
              f"({stats['blobs_with_keywords']} hold a detector keyword)")
        print(f"objects in pack: {stats['objects']}, pack {stats['pack_bytes'] / mib:.1f} MiB")
        print(f"time:            import {stats['t_import']:.1f} s, repack {stats['t_repack']:.1f} s, "
              f"total {stats['t_total']:.1f} s")


if __name__ == "__main__":
    main()
