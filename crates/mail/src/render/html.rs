//! The text/html part: one self-contained page with inline styles. Nothing is loaded from
//! elsewhere (no images, fonts or trackers); the only links are the message's own, each also
//! shown as text. Every string passes through [`escape`].

use std::fmt::Write;

use super::Document;

const BODY: &str = "margin:0;padding:24px;background:#ffffff;color:#1f2328;\
font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;";
const BUTTON: &str = "display:inline-block;padding:10px 18px;border-radius:6px;background:#1f4fd1;\
color:#ffffff;font-weight:600;text-decoration:none;";
const HINT: &str = "font-size:14px;color:#57606a;";
const LINK: &str = "color:#1f4fd1;word-break:break-all;";
const CODE: &str = "font-family:ui-monospace,Menlo,Consolas,monospace;font-size:28px;\
font-weight:700;letter-spacing:6px;";
const RULE: &str = "border:none;border-top:1px solid #d0d7de;margin:32px 0 16px;";
const FOOTER: &str = "font-size:13px;color:#57606a;";

/// Escapes text for HTML content and double-quoted attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

fn paragraph(html: &mut String, text: &str) {
    let _ = writeln!(html, "<p>{}</p>", escape(text));
}

/// Writes the HTML body of `document`.
pub(super) fn write(document: &Document) -> String {
    let mut html = String::with_capacity(4096);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light\">\n<title>{title}</title>\n</head>\n\
         <body style=\"{BODY}\">\n<div style=\"max-width:560px;margin:0 auto;\">\n",
        lang = document.language.code(),
        title = escape(&document.subject),
    );
    paragraph(&mut html, &document.greeting);
    for line in &document.lines {
        paragraph(&mut html, line);
    }
    for action in &document.actions {
        let url = escape(&action.url);
        let _ = writeln!(
            html,
            "<p style=\"margin:24px 0 8px;\"><a href=\"{url}\" style=\"{BUTTON}\">{label}</a></p>\n\
             <p style=\"{HINT}\">{hint}<br><a href=\"{url}\" style=\"{LINK}\">{url}</a></p>",
            label = escape(&action.label),
            hint = escape(&document.link_hint),
        );
    }
    if let Some((label, code)) = &document.code {
        paragraph(&mut html, label);
        let _ = writeln!(html, "<p style=\"{CODE}\">{}</p>", escape(code));
    }
    for note in &document.notes {
        paragraph(&mut html, note);
    }
    let _ = write!(
        html,
        "<hr style=\"{RULE}\">\n<p style=\"{FOOTER}\">{}</p>\n</div>\n</body>\n</html>\n",
        escape(&document.footer),
    );
    html
}
