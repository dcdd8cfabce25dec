//! The text/plain part: the same content as the HTML, each link on a line of its own so that
//! mail clients without HTML (and tests) find it whole.

use super::Document;

/// Writes the plain-text body of `document`.
pub(super) fn write(document: &Document) -> String {
    let mut blocks: Vec<String> = Vec::new();
    blocks.push(document.greeting.clone());
    blocks.extend(document.lines.iter().cloned());
    for action in &document.actions {
        blocks.push(format!("{}:\n{}", action.label, action.url));
    }
    if let Some((label, code)) = &document.code {
        blocks.push(format!("{label}\n\n    {code}"));
    }
    blocks.extend(document.notes.iter().cloned());
    // RFC 3676 §4.3: "-- " on a line of its own starts the signature.
    blocks.push(format!("-- \n{}", document.footer));
    let mut text = blocks.join("\n\n");
    text.push('\n');
    text
}
