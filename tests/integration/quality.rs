//! The value-quality judgement from the command line: typed, sequential and default values are
//! reported only at `--confidence low`, with the reason; generated ones stay at their detector's
//! confidence; a value only in example files is marked.

use crate::fixtures::scan_json;
use crate::sandbox::{commit_file, Sandbox};

#[test]
fn typed_values_are_low_with_a_reason_and_generated_ones_keep_their_confidence() {
    let mut sandbox = Sandbox::new(1401);
    let repo = sandbox.work();
    let generated = sandbox.django_key();
    let password = sandbox.password();
    commit_file(
        &repo,
        "settings.py",
        &format!(
            "SECRET_KEY = '{generated}'\n\
             DATABASE_URL = 'postgres://shop:{password}@db.example.com/shop'\n"
        ),
        "Settings",
    );
    commit_file(
        &repo,
        "local_settings.py",
        "SECRET_KEY = 'someRandOmSecrEtKey23'\n\
         REDIS_URL = 'redis://cache:abcdefghijkl@cache.internal:6379/0'\n\
         DATABASE_URL = 'postgres://saleor:saleor2024@db.internal/saleor'\n\
         OTHER_DATABASE_URL = 'postgres://app:bitnami@db.internal/app'\n",
        "Local settings",
    );
    commit_file(
        &repo,
        "backend.env",
        "CACHE_URL=redis://cache:jlsfadjlasdjflajsdflasjdf@cache.internal:6379/1\n",
        "Backend environment",
    );
    let (code, report) = scan_json(&repo, &[]);
    assert_eq!(code, 1);
    let secrets: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert!(secrets.contains(&generated.as_str()), "{secrets:?}");
    assert!(secrets.contains(&password.as_str()), "{secrets:?}");
    assert_eq!(
        secrets.len(),
        2,
        "typed values stay out at the default confidence: {secrets:?}"
    );

    let (_, low) = scan_json(&repo, &["--confidence", "low"]);
    let reason = |secret: &str| {
        low["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["secret"] == secret)
            .map(|f| (f["confidence"].clone(), f["confidence_reason"].clone()))
    };
    for (secret, why) in [
        ("someRandOmSecrEtKey23", "dictionary words"),
        ("abcdefghijkl", "a sequence or a repetition"),
        ("saleor2024", "a default: the same as its user name"),
        ("bitnami", "a well-known default"),
        (
            "jlsfadjlasdjflajsdflasjdf",
            "keyboard mashing (one row of the keyboard)",
        ),
    ] {
        let (confidence, reason) = reason(secret).unwrap_or_else(|| panic!("{secret}: {low}"));
        assert_eq!(confidence, "low", "{secret}");
        assert_eq!(reason, why, "{secret}");
    }
    assert!(reason(&generated).unwrap().1.is_null());
}

#[test]
fn a_generated_value_only_in_an_example_file_is_low_unless_a_real_file_holds_it() {
    let mut sandbox = Sandbox::new(1402);
    let repo = sandbox.work();
    let key = sandbox.django_key();
    commit_file(
        &repo,
        ".env.example",
        &format!("SECRET_KEY={key}\nEMAIL_HOST_PASSWORD=changeme\n"),
        "Example environment",
    );
    let (code, report) = scan_json(&repo, &[]);
    assert_eq!(code, 0, "{report}");
    let (_, report) = scan_json(&repo, &["--confidence", "low"]);
    let finding = &report["findings"][0];
    assert_eq!(finding["secret"], key.as_str());
    assert_eq!(finding["confidence"], "low");
    assert_eq!(
        finding["confidence_reason"],
        "only in example, sample or documentation files"
    );
    // The same key in a real file as well: that occurrence decides.
    commit_file(
        &repo,
        "settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Settings",
    );
    let (_, report) = scan_json(&repo, &[]);
    let finding = &report["findings"][0];
    assert_eq!(finding["confidence"], "high");
    assert!(finding.get("confidence_reason").is_none());
    assert_eq!(finding["locations"].as_array().unwrap().len(), 2);
}

#[test]
fn smtp_urls_and_telegram_tokens_are_found_in_history() {
    let mut sandbox = Sandbox::new(1403);
    let repo = sandbox.work();
    let password = sandbox.password();
    let bot_id = sandbox.random(b"0123456789", 10);
    let token = format!(
        "{bot_id}:AA{}",
        sandbox.random(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
            33
        )
    );
    commit_file(
        &repo,
        ".env",
        &format!(
            "EMAIL_URL=smtp+tls://noreply%40shop.example.com:{password}@smtp.mailgun.org:587\n\
             TELEGRAM_BOT_TOKEN={token}\n"
        ),
        "Environment",
    );
    let (code, report) = scan_json(&repo, &[]);
    assert_eq!(code, 1);
    let found: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["detector"].as_str().unwrap(),
                f["secret"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        found.contains(&("email-url", password.as_str())),
        "{found:?}"
    );
    assert!(
        found.contains(&("telegram-bot-token", token.as_str())),
        "{found:?}"
    );
}

/// A JWT whose payload is `claims`, signed with random bytes.
fn jwt(sandbox: &mut Sandbox, claims: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let signature = sandbox.random(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
        43,
    );
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims)
    )
}

#[test]
fn a_lasting_jwt_is_reported_and_an_expired_one_only_at_low_with_the_reason() {
    let mut sandbox = Sandbox::new(1404);
    let repo = sandbox.work();
    let lasting = jwt(
        &mut sandbox,
        r#"{"sub":"svc-billing","iss":"https://auth.shop.example","exp":4102444800}"#,
    );
    let expired = jwt(&mut sandbox, r#"{"sub":"1","exp":946684800}"#);
    commit_file(
        &repo,
        "billing/client.py",
        &format!("SERVICE_TOKEN_HEADER = 'Bearer {lasting}'\nOLD = \"{expired}\"\n"),
        "Billing client",
    );
    let (_, report) = scan_json(&repo, &[]);
    let findings = report["findings"].as_array().unwrap();
    let live = findings
        .iter()
        .find(|f| f["secret"] == lasting.as_str())
        .expect("the lasting token is reported at the default confidence");
    assert_eq!(live["detector"], "jwt");
    assert_eq!(live["fields"]["iss"], "https://auth.shop.example");
    assert!(
        !findings.iter().any(|f| f["secret"] == expired.as_str()),
        "an expired token is below the default confidence"
    );
    let (_, low) = scan_json(&repo, &["--confidence", "low"]);
    let old = low["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["secret"] == expired.as_str())
        .expect("the expired token is reported at low");
    assert_eq!(old["confidence"], "low");
    assert_eq!(
        old["confidence_reason"],
        "an expired token (its exp claim is in the past)"
    );
}

#[test]
fn a_merchant_key_is_reported_and_public_or_lookup_keys_are_not() {
    let mut sandbox = Sandbox::new(1405);
    let repo = sandbox.work();
    let merchant = sandbox.password();
    let site = sandbox.password();
    let cache = sandbox.password();
    commit_file(
        &repo,
        "settings_local.py",
        &format!(
            "CHECKOUT_MERCHANT_KEY = '{merchant}'\n\
             RECAPTCHA_PUBLIC_KEY = '{site}'\n\
             USER_CACHE_KEY = '{cache}'\n"
        ),
        "Local settings",
    );
    let (code, report) = scan_json(&repo, &["--confidence", "low"]);
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    let key = findings
        .iter()
        .find(|f| f["secret"] == merchant.as_str())
        .expect("the merchant key is reported");
    assert_eq!(key["detector"], "key-assignment");
    assert_eq!(key["confidence"], "medium");
    assert_eq!(key["fields"]["setting"], "CHECKOUT_MERCHANT_KEY");
    for other in [&site, &cache] {
        assert!(
            !findings.iter().any(|f| f["secret"] == other.as_str()),
            "{other} is a public key or a cache key's name: {findings:?}"
        );
    }
}
