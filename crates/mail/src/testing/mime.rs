//! Just enough MIME reading for tests: unfolded headers with RFC 2047 encoded words decoded,
//! and the text parts of a (nested) multipart message with their transfer encoding undone.

use base64::{Engine, engine::general_purpose::STANDARD};

/// A message or a body part: its headers and its raw body.
pub(super) struct Entity<'a> {
    headers: Vec<(String, String)>,
    body: &'a str,
}

impl<'a> Entity<'a> {
    /// Splits `raw` at the first empty line.
    pub(super) fn parse(raw: &'a str) -> Self {
        let (head, body) = raw
            .split_once("\r\n\r\n")
            .or_else(|| raw.split_once("\n\n"))
            .unwrap_or((raw, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = headers.last_mut() {
                    value.push_str(line);
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        Self { headers, body }
    }

    /// The first `name` header, encoded words decoded.
    pub(super) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| decode_words(value))
    }

    /// The media type in lower case (`text/plain`), and the `boundary` parameter.
    fn content_type(&self) -> (String, Option<String>) {
        let value = self
            .header("Content-Type")
            .unwrap_or_else(|| "text/plain".to_owned());
        let mut parameters = value.split(';');
        let media_type = parameters
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let boundary = parameters.find_map(|parameter| {
            let (name, value) = parameter.split_once('=')?;
            let value = value.trim().trim_matches('"');
            name.trim()
                .eq_ignore_ascii_case("boundary")
                .then(|| value.to_owned())
        });
        (media_type, boundary)
    }

    /// The decoded body of the first part of type `media_type`, searching nested multiparts.
    pub(super) fn find_text(&self, media_type: &str) -> Option<String> {
        let (own_type, boundary) = self.content_type();
        if own_type == media_type {
            return Some(self.decoded_body());
        }
        let boundary = boundary.filter(|_| own_type.starts_with("multipart/"))?;
        parts(self.body, &boundary)
            .into_iter()
            .find_map(|part| Entity::parse(part).find_text(media_type))
    }

    /// The body with its Content-Transfer-Encoding undone, line ends as `\n`.
    fn decoded_body(&self) -> String {
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => {
                let compact: String = self.body.split_whitespace().collect();
                STANDARD.decode(compact).unwrap_or_default()
            }
            "quoted-printable" => {
                quoted_printable::decode(self.body, quoted_printable::ParseMode::Robust)
                    .unwrap_or_else(|_| self.body.as_bytes().to_vec())
            }
            _ => self.body.as_bytes().to_vec(),
        };
        String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
    }
}

/// The body parts between `--boundary` delimiter lines (RFC 2046 §5.1.1).
fn parts<'a>(body: &'a str, boundary: &str) -> Vec<&'a str> {
    let delimiter = format!("--{boundary}");
    body.split(delimiter.as_str())
        .skip(1)
        .take_while(|part| !part.starts_with("--"))
        .map(|part| {
            let part = part
                .strip_prefix("\r\n")
                .or_else(|| part.strip_prefix('\n'));
            let part = part.unwrap_or_default();
            part.strip_suffix("\r\n")
                .or_else(|| part.strip_suffix('\n'))
                .unwrap_or(part)
        })
        .collect()
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); whitespace between two
/// encoded words is dropped (§6.2). Charsets other than UTF-8 are read as UTF-8.
pub(super) fn decode_words(value: &str) -> String {
    let mut decoded = Vec::with_capacity(value.len());
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        match decode_word(candidate) {
            Some((bytes, used)) => {
                if !(after_word && before.trim().is_empty()) {
                    decoded.extend_from_slice(before.as_bytes());
                }
                decoded.extend_from_slice(&bytes);
                rest = &candidate[used..];
                after_word = true;
            }
            None => {
                decoded.extend_from_slice(&rest.as_bytes()[..start + 2]);
                rest = &candidate[2..];
                after_word = false;
            }
        }
    }
    decoded.extend_from_slice(rest.as_bytes());
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Decodes one encoded word at the start of `text`: its bytes and the length it took.
fn decode_word(text: &str) -> Option<(Vec<u8>, usize)> {
    let inner = text.strip_prefix("=?")?;
    let (_charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let payload = &inner[..end];
    let used = text.len() - inner.len() + end + 2;
    let bytes = match encoding {
        "B" | "b" => STANDARD.decode(payload).ok()?,
        "Q" | "q" => {
            let spaced = payload.replace('_', " ");
            quoted_printable::decode(spaced, quoted_printable::ParseMode::Robust).ok()?
        }
        _ => return None,
    };
    Some((bytes, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_encoded_words_and_keeps_plain_text() {
        assert_eq!(
            decode_words("=?utf-8?b?QmVzdMOkdGlnZW4=?= Sie"),
            "Bestätigen Sie"
        );
        assert_eq!(decode_words("=?utf-8?q?a_b?= =?utf-8?q?=C3=A4?="), "a bä");
        assert_eq!(decode_words("plain =? text"), "plain =? text");
    }

    #[test]
    fn finds_the_text_part_of_nested_multiparts() {
        let raw = "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
                   --outer\r\nContent-Type: multipart/alternative;\r\n boundary=inner\r\n\r\n\
                   --inner\r\nContent-Type: text/plain; charset=utf-8\r\n\
                   Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=\r\n=C3=9Fe\r\n\
                   --inner\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--inner--\r\n\
                   --outer--\r\n";
        let entity = Entity::parse(raw);
        assert_eq!(entity.find_text("text/plain").as_deref(), Some("Grüße"));
        assert_eq!(entity.find_text("text/html").as_deref(), Some("<p>x</p>"));
    }
}
