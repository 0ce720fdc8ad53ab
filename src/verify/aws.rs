//! AWS keys: `sts:GetCallerIdentity`, which every valid key may call and which changes nothing,
//! signed with SigV4 (the `aws-sigv4` crate) and POSTed to the global STS endpoint (or to
//! `BLOBHOUND_AWS_STS_ENDPOINT`, e.g. a local test server).

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use super::{guard, Outcome, VerifyOptions};

/// The global STS endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://sts.amazonaws.com/";
/// Environment variable that points verification at another STS endpoint.
pub const ENDPOINT_VARIABLE: &str = "BLOBHOUND_AWS_STS_ENDPOINT";
/// The request body.
pub const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// The endpoint in use.
pub fn endpoint() -> String {
    std::env::var(ENDPOINT_VARIABLE).unwrap_or_else(|_| DEFAULT_ENDPOINT.to_string())
}

/// The headers that sign a GetCallerIdentity request to `url` at `time` (exposed so that the
/// signature can be checked against an independent SigV4 implementation).
pub fn signed_headers(
    url: &str,
    access_key_id: &str,
    secret_access_key: &str,
    session_token: Option<&str>,
    time: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    let identity: Identity = Credentials::new(
        access_key_id,
        secret_access_key,
        session_token.map(str::to_string),
        None,
        "blobhound",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let headers = [("content-type", CONTENT_TYPE)];
    let signable = SignableRequest::new(
        "POST",
        url,
        headers.iter().copied(),
        SignableBody::Bytes(BODY.as_bytes()),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let mut request = http::Request::builder()
        .method("POST")
        .uri(url)
        .header("content-type", CONTENT_TYPE)
        .body(())
        .map_err(|e| e.to_string())?;
    instructions.apply_to_request_http1x(&mut request);
    Ok(request
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect())
}

/// Calls GetCallerIdentity with the key pair.
pub fn verify(
    access_key_id: &str,
    secret_access_key: &str,
    session_token: Option<&str>,
    options: &VerifyOptions,
) -> Outcome {
    let url = endpoint();
    let Ok(parsed) = reqwest::Url::parse(&url) else {
        return Outcome::error(format!("{ENDPOINT_VARIABLE} is not a URL"));
    };
    let Some(host) = parsed.host_str().map(str::to_string) else {
        return Outcome::error("the STS endpoint has no host".to_string());
    };
    let port = parsed.port_or_known_default().unwrap_or(443);
    let address = match guard::resolve(&host, port, options.allow_private) {
        Ok(address) => address,
        Err(refused) => return Outcome::unknown(refused.0),
    };
    let headers = match signed_headers(
        &url,
        access_key_id,
        secret_access_key,
        session_token,
        SystemTime::now(),
    ) {
        Ok(headers) => headers,
        Err(e) => return Outcome::error(format!("cannot sign the request: {e}")),
    };
    let client = match reqwest::blocking::Client::builder()
        .resolve(&host, address)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(options.timeout)
        .connect_timeout(options.timeout.min(Duration::from_secs(5)))
        .build()
    {
        Ok(client) => client,
        Err(e) => return Outcome::error(format!("cannot build an HTTP client: {e}")),
    };
    let mut request = client.post(parsed).body(BODY);
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    let response = match request.send() {
        Ok(response) => response,
        Err(e) if e.is_timeout() || e.is_connect() => {
            return Outcome::unknown(format!("STS did not answer: {}", without_url(&e)))
        }
        Err(e) => return Outcome::unknown(format!("STS request failed: {}", without_url(&e))),
    };
    let status = response.status();
    let text = response.text().unwrap_or_default();
    interpret(status.as_u16(), &text)
}

/// Turns STS's answer into an outcome.
pub fn interpret(status: u16, body: &str) -> Outcome {
    if status == 200 {
        let account = element(body, "Account").unwrap_or_default();
        let arn = element(body, "Arn").unwrap_or_default();
        return Outcome::live(format!("account {account}, {arn}"));
    }
    match element(body, "Code").as_deref() {
        Some("InvalidClientTokenId") => {
            Outcome::invalid("AWS does not know this access key id (deleted or never valid)".into())
        }
        Some("SignatureDoesNotMatch") => Outcome::invalid(
            "the access key id exists, but this secret access key is not its secret".into(),
        ),
        Some("ExpiredToken") => Outcome::invalid("the temporary credentials have expired".into()),
        Some(code) => Outcome::error(format!("STS answered {status} {code}")),
        None => Outcome::error(format!("STS answered {status}")),
    }
}

fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(xml[start..end].trim().to_string())
}

/// An error message without the request URL (which is harmless, but keep messages short).
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "STS");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    #[test]
    fn sts_answers_map_to_statuses() {
        let ok = "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn><UserId>X</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
        let live = interpret(200, ok);
        assert_eq!(live.status, Status::Live);
        assert!(live.detail.unwrap().contains("123456789012"));
        let bad = "<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>";
        assert_eq!(interpret(403, bad).status, Status::Invalid);
        let wrong =
            "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>";
        let outcome = interpret(403, wrong);
        assert_eq!(outcome.status, Status::Invalid);
        assert!(outcome.detail.unwrap().contains("exists"));
    }
}
