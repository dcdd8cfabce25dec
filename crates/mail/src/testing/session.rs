//! One SMTP session of the capture server: the RFC 5321 commands a submission client such as
//! lettre uses, without TLS or authentication.

use std::io;

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

use super::{Inbox, ReceivedMail};

/// Longest line taken at once (RFC 5321 §4.5.3.1 asks for at least 512 for commands and 1000
/// for text lines).
const MAX_LINE: u64 = 64 * 1024;
/// Largest message taken; larger ones are refused with 552 (advertised with SIZE).
const MAX_MESSAGE: usize = 10 * 1024 * 1024;
const GREETING: &[u8] = b"220 gatehouse-capture ESMTP ready\r\n";
const EHLO_REPLY: &[u8] =
    b"250-gatehouse-capture\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n";

/// The transaction being built (RFC 5321 §3.3).
#[derive(Default)]
struct Transaction {
    from: Option<String>,
    recipients: Vec<String>,
}

/// Serves one connection until QUIT or end of input.
pub(super) async fn serve(stream: TcpStream, inbox: Inbox) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut transaction = Transaction::default();
    let mut line = Vec::new();
    writer.write_all(GREETING).await?;
    loop {
        if !read_line(&mut reader, &mut line).await? {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line);
        let command = command.trim_end_matches(['\r', '\n']);
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => {
                transaction = Transaction::default();
                EHLO_REPLY
            }
            "HELO" => {
                transaction = Transaction::default();
                b"250 gatehouse-capture\r\n"
            }
            "MAIL" => mail_from(&mut transaction, command),
            "RCPT" => rcpt_to(&mut transaction, command),
            "DATA" if transaction.recipients.is_empty() => b"503 5.5.1 RCPT TO first\r\n",
            "DATA" => {
                writer
                    .write_all(b"354 end data with <CRLF>.<CRLF>\r\n")
                    .await?;
                let reply = receive(&mut reader, &transaction, &inbox).await?;
                transaction = Transaction::default();
                reply
            }
            "RSET" => {
                transaction = Transaction::default();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "VRFY" => b"252 2.1.5 cannot verify, will accept\r\n",
            "QUIT" => {
                writer.write_all(b"221 2.0.0 bye\r\n").await?;
                return writer.shutdown().await;
            }
            _ => b"500 5.5.2 command not recognized\r\n",
        };
        writer.write_all(reply).await?;
    }
}

/// Reads one line (with its CRLF) into `line`; false at end of input. Longer lines are cut at
/// `MAX_LINE` bytes and the rest is read as the next line.
async fn read_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    line: &mut Vec<u8>,
) -> io::Result<bool> {
    line.clear();
    let read = (&mut *reader)
        .take(MAX_LINE)
        .read_until(b'\n', line)
        .await?;
    Ok(read > 0)
}

/// The address inside `<…>` after `prefix` (`FROM:`), ignoring any parameters (`SIZE=…`).
fn path_argument(command: &str, prefix: &str) -> Option<String> {
    let rest = command.get(4..)?.trim_start();
    if !rest.get(..prefix.len())?.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = rest.get(prefix.len()..)?.trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

fn mail_from(transaction: &mut Transaction, command: &str) -> &'static [u8] {
    if transaction.from.is_some() {
        return b"503 5.5.1 nested MAIL command\r\n";
    }
    match path_argument(command, "FROM:") {
        Some(from) => {
            transaction.from = Some(from);
            b"250 2.1.0 OK\r\n"
        }
        None => b"501 5.5.4 syntax: MAIL FROM:<address>\r\n",
    }
}

fn rcpt_to(transaction: &mut Transaction, command: &str) -> &'static [u8] {
    if transaction.from.is_none() {
        return b"503 5.5.1 MAIL FROM first\r\n";
    }
    match path_argument(command, "TO:") {
        Some(recipient) if !recipient.is_empty() => {
            transaction.recipients.push(recipient);
            b"250 2.1.5 OK\r\n"
        }
        _ => b"501 5.5.4 syntax: RCPT TO:<address>\r\n",
    }
}

/// Reads the message up to the lone `.` line, undoing dot-stuffing (RFC 5321 §4.5.2), and
/// keeps it unless it is too large.
async fn receive<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    transaction: &Transaction,
    inbox: &Inbox,
) -> io::Result<&'static [u8]> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    let mut too_large = false;
    loop {
        if !read_line(reader, &mut line).await? {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            break;
        }
        let content = line.strip_prefix(b".").unwrap_or(&line);
        too_large |= data.len() + content.len() > MAX_MESSAGE;
        if !too_large {
            data.extend_from_slice(content);
        }
    }
    if too_large {
        return Ok(b"552 5.3.4 message too big\r\n");
    }
    let mail = ReceivedMail {
        from: transaction.from.clone().unwrap_or_default(),
        recipients: transaction.recipients.clone(),
        data,
    };
    inbox.send_modify(|received| received.push(mail));
    Ok(b"250 2.0.0 OK queued\r\n")
}
