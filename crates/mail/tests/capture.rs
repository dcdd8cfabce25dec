//! The capture server's SMTP dialogue, driven by hand: replies, command order, dot-stuffing.
#![expect(clippy::unwrap_used, reason = "a test: a failed step is a failed test")]

use std::time::Duration;

use gatehouse_mail::testing::SmtpCapture;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{
        TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
};

struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    async fn connect(capture: &SmtpCapture) -> Self {
        let (reader, writer) = TcpStream::connect(capture.address())
            .await
            .unwrap()
            .into_split();
        let mut client = Self {
            reader: BufReader::new(reader),
            writer,
        };
        assert!(client.reply().await.starts_with("220 "));
        client
    }

    /// The last line of the next (possibly multi-line) reply.
    async fn reply(&mut self) -> String {
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).await.unwrap();
            if line.as_bytes().get(3) != Some(&b'-') {
                return line;
            }
        }
    }

    async fn send(&mut self, line: &str) -> String {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
        self.reply().await
    }
}

#[tokio::test]
async fn keeps_envelope_and_undoes_dot_stuffing() {
    let capture = SmtpCapture::start().await.unwrap();
    let mut client = Client::connect(&capture).await;
    assert!(client.send("EHLO test.example").await.starts_with("250 "));
    assert!(client.send("NOOP").await.starts_with("250 "));
    assert!(
        client
            .send("MAIL FROM:<a@example.com> SIZE=100")
            .await
            .starts_with("250 ")
    );
    assert!(
        client
            .send("RCPT TO:<b@example.com>")
            .await
            .starts_with("250 ")
    );
    assert!(
        client
            .send("rcpt to:<c@example.com>")
            .await
            .starts_with("250 ")
    );
    assert!(client.send("DATA").await.starts_with("354 "));
    let reply = client
        .send("Subject: dots\r\n\r\n..starts with a dot\r\nplain\r\n.")
        .await;
    assert!(reply.starts_with("250 "), "{reply}");
    assert!(client.send("QUIT").await.starts_with("221 "));

    let mails = capture.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails[0].from, "a@example.com");
    assert_eq!(mails[0].recipients, ["b@example.com", "c@example.com"]);
    assert_eq!(
        mails[0].data,
        b"Subject: dots\r\n\r\n.starts with a dot\r\nplain\r\n"
    );
    assert_eq!(
        mails[0].text_body().as_deref(),
        Some(".starts with a dot\nplain\n")
    );
}

#[tokio::test]
async fn refuses_commands_out_of_order_and_forgets_after_rset() {
    let capture = SmtpCapture::start().await.unwrap();
    let mut client = Client::connect(&capture).await;
    assert!(client.send("HELO test.example").await.starts_with("250 "));
    assert!(
        client
            .send("RCPT TO:<b@example.com>")
            .await
            .starts_with("503 ")
    );
    assert!(client.send("DATA").await.starts_with("503 "));
    assert!(
        client
            .send("MAIL FROM:<a@example.com>")
            .await
            .starts_with("250 ")
    );
    assert!(
        client
            .send("MAIL FROM:<a@example.com>")
            .await
            .starts_with("503 ")
    );
    assert!(
        client
            .send("RCPT TO:<b@example.com>")
            .await
            .starts_with("250 ")
    );
    assert!(client.send("RSET").await.starts_with("250 "));
    assert!(client.send("DATA").await.starts_with("503 "));
    assert!(
        client
            .send("MAIL FROM:a@example.com")
            .await
            .starts_with("501 ")
    );
    assert!(client.send("STARTTLS").await.starts_with("500 "));
    assert!(client.send("QUIT").await.starts_with("221 "));
    assert!(capture.received().is_empty());
}

#[tokio::test]
async fn serves_connections_at_the_same_time() {
    let capture = SmtpCapture::start().await.unwrap();
    let mut idle = Client::connect(&capture).await;
    let mut busy = Client::connect(&capture).await;
    busy.send("EHLO b").await;
    busy.send("MAIL FROM:<>").await;
    busy.send("RCPT TO:<x@example.com>").await;
    busy.send("DATA").await;
    busy.send("Subject: one\r\n\r\nbody\r\n.").await;
    assert_eq!(capture.wait_for(1, Duration::from_secs(5)).await.len(), 1);
    assert!(idle.send("NOOP").await.starts_with("250 "));
}
