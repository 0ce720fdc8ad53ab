//! Detector engine throughput on source-like text (prefilter + detectors), in bytes per second on
//! one thread, and the cost of detectors whose keywords never occur: some while they fit a few
//! more Teddy searchers, then one pass however many there are (200 and 1,000 cost the same).
//!
//! Run: `cargo bench --bench engine`.

use std::hint::black_box;

use blobhound::detectors::{compile, DetectorSet};
use blobhound::scan::Engine;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// A small deterministic generator, so the corpus is the same on every machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

/// About `size` bytes of Django-project-like Python, templates and JS. One line in 40 carries a
/// word the built-in keywords are made of (password, SECRET_KEY, redis, postgres ...), which is
/// denser than real Django code (about one keyword per 3 KB), but there are no secrets.
fn source_text(size: usize) -> Vec<u8> {
    const IDENTS: &[&str] = &[
        "user",
        "order",
        "request",
        "queryset",
        "instance",
        "form",
        "context",
        "response",
        "cache",
        "session",
        "product",
        "invoice",
        "customer",
        "serializer",
        "handler",
        "payload",
        "address",
        "shipment",
        "category",
        "review",
        "report",
        "account",
        "profile",
        "basket",
    ];
    const PLAIN: &[&str] = &[
        "    def get_{a}(self, {b}):\n        return self.{a}_set.filter({b}={b}).first()\n",
        "class {A}View(LoginRequiredMixin, DetailView):\n    model = {A}\n    template_name = \"{a}/detail.html\"\n",
        "    {a} = models.ForeignKey({A}, on_delete=models.CASCADE, related_name=\"{b}s\")\n",
        "# Validate the {a} before saving; see the {b} module for the limits.\n",
        "{% block content %}<div class=\"{a}\">{{ {b}.name }}</div>{% endblock %}\n",
        "export function {a}({b}) {{ return fetch(`/api/{a}/${{{b}.id}}`).then(r => r.json()); }}\n",
        "    path(\"{a}/<int:pk>/\", views.{A}View.as_view(), name=\"{a}-detail\"),\n",
        "        self.assertEqual(response.status_code, 200)  # {a} {b}\n",
        "{B}_TIMEOUT = int(os.environ.get(\"{B}_TIMEOUT\", \"30\"))\n",
        "        for {a} in {b}.{a}s.select_related(\"{b}\").order_by(\"-created\"):\n",
    ];
    const WITH_KEYWORDS: &[&str] = &[
        "    if not {a}.check_password({b}):\n        raise PermissionDenied(\"bad {a}\")\n",
        "SECRET_KEY = env(\"SECRET_KEY\")\n",
        "CACHES = {{\"default\": {{\"BACKEND\": \"django_redis.cache.RedisCache\", \"LOCATION\": env(\"REDIS_URL\")}}}}\n",
        "        'ENGINE': 'django.db.backends.postgresql', 'PASSWORD': env('DB_PASSWORD'),\n",
        "    password = forms.CharField(widget=forms.PasswordInput)\n",
    ];
    let mut rng = Lcg(0x5eed);
    let mut out = String::with_capacity(size + 256);
    while out.len() < size {
        let a = rng.pick(IDENTS);
        let b = rng.pick(IDENTS);
        let cap = |s: &str| {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        };
        let template = if rng.next().is_multiple_of(40) {
            rng.pick(WITH_KEYWORDS)
        } else {
            rng.pick(PLAIN)
        };
        out.push_str(
            &template
                .replace("{a}", a)
                .replace("{b}", b)
                .replace("{A}", &cap(a))
                .replace("{B}", &b.to_ascii_uppercase())
                .replace("{{", "{")
                .replace("}}", "}"),
        );
    }
    out.into_bytes()
}

/// `count` detectors whose keywords never occur in source text: each has its own random
/// eight-letter keyword, as distinct vendors' detectors would.
fn idle_detectors(count: usize) -> Vec<String> {
    let mut rng = Lcg(0x1d1e);
    (0..count)
        .map(|i| {
            let keyword: String = (0..8)
                .map(|_| char::from(b'a' + (rng.next() % 26) as u8))
                .collect();
            format!(
                "id = \"idle-{i}\"\nname = \"Idle {i}\"\nfamily = \"generic\"\nconfidence = \"high\"\n\
                 keywords = [\"{keyword}\"]\nregex = '''{keyword}_(?P<secret>[a-z0-9]{{32}})'''\n"
            )
        })
        .collect()
}

fn engine_throughput(c: &mut Criterion) {
    let text = source_text(8 << 20);
    let builtin = Engine::new(DetectorSet::builtin().expect("built-in detectors")).expect("engine");
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    group.bench_function("builtin detectors, 8 MiB source text", |b| {
        b.iter(|| black_box(builtin.scan(black_box(&text))))
    });

    for idle in [200, 1000] {
        let mut with_idle = DetectorSet::builtin().expect("built-in detectors");
        for (i, spec) in idle_detectors(idle).iter().enumerate() {
            with_idle
                .add(compile(&format!("idle-{i}"), spec).expect("idle detector compiles"))
                .expect("unique id");
        }
        let crowded = Engine::new(with_idle).expect("engine");
        group.bench_function(
            format!("builtin + {idle} idle detectors, 8 MiB source text"),
            |b| b.iter(|| black_box(crowded.scan(black_box(&text)))),
        );
    }
    group.finish();
}

criterion_group!(benches, engine_throughput);
criterion_main!(benches);
