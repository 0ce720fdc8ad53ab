//! The names of the code checks a detector file may ask for. The checks themselves live in the
//! engine (`scan::checks`); a detector only names one, so definitions never import the engine.

/// The named code checks a detector file may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Nothing beyond regex, entropy and placeholders.
    None,
    /// Database URL: placeholder passwords, port as a number.
    UrlCredentials,
    /// Django `DATABASES` entry: user, host, port and name from the surrounding dict.
    DjangoDatabases,
    /// AWS key id: pair it with a nearby secret access key.
    AwsPair,
    /// AWS secret access key: leave it to the pair when a key id is nearby.
    AwsSecretUnpaired,
    /// Django `SECRET_KEY`: the `django-insecure-` prefix is not part of the key's randomness.
    DjangoSecretKey,
    /// A `*_KEY` setting: public keys and names of keys (`CACHE_KEY`) are not secrets.
    SecretSetting,
    /// A JSON Web Token: its header and payload must decode; its claims become fields.
    Jwt,
}

impl Check {
    /// Every name a detector file may use.
    pub const NAMES: [&'static str; 8] = [
        "none",
        "url-credentials",
        "django-databases",
        "aws-pair",
        "aws-secret-unpaired",
        "django-secret-key",
        "secret-setting",
        "jwt",
    ];

    /// Looks a check up by its name in a detector file.
    pub fn from_name(name: &str) -> Option<Check> {
        Some(match name {
            "none" => Check::None,
            "url-credentials" => Check::UrlCredentials,
            "django-databases" => Check::DjangoDatabases,
            "aws-pair" => Check::AwsPair,
            "aws-secret-unpaired" => Check::AwsSecretUnpaired,
            "django-secret-key" => Check::DjangoSecretKey,
            "secret-setting" => Check::SecretSetting,
            "jwt" => Check::Jwt,
            _ => return None,
        })
    }
}
