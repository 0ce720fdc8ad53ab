//! Percent-encoding (`%XX`), as URLs carry it: a password in a connection URL, a path in a query
//! parameter. One decoder, so that every layer reads an escape the same way.

/// `bytes` with every valid `%XX` escape decoded; an invalid or cut-off one is kept as it is.
pub fn decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let digit = |at: usize| bytes.get(at).and_then(|&b| (b as char).to_digit(16));
        let escaped = digit(i + 1)
            .zip(digit(i + 2))
            .map(|(high, low)| (high * 16 + low) as u8);
        match (bytes[i], escaped) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// `text` decoded, or `text` as it is when the decoded bytes are not UTF-8.
pub fn decoded(text: &str) -> String {
    String::from_utf8(decode(text.as_bytes())).unwrap_or_else(|_| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_escapes_are_decoded_and_others_kept() {
        assert_eq!(decoded("p%40ss%2Fw0rd"), "p@ss/w0rd");
        assert_eq!(decoded("100%"), "100%");
        assert_eq!(decoded("a%zz%4"), "a%zz%4");
        // A sign is no hex digit (`from_str_radix` would take "+1").
        assert_eq!(decoded("%+1%-1"), "%+1%-1");
        assert_eq!(decoded("%2Fetc%2Fca%20x.pem"), "/etc/ca x.pem");
        // "+" is no escape here (it is only in form encoding).
        assert_eq!(decoded("a+b"), "a+b");
        // Bytes that are not UTF-8 keep the text as written.
        assert_eq!(decoded("%ff"), "%ff");
        assert_eq!(decode(b"%ff"), vec![0xff]);
    }
}
