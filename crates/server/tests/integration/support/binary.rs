//! Running the built `gatehouse` binary in a clean environment.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::Duration,
};

/// The binary, with a data directory and environment of the test's choosing.
pub struct Gatehouse {
    data_dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Gatehouse {
    /// Runs with `--data-dir data_dir` and no inherited `GATEHOUSE__*` or `DATABASE_URL`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            data_dir: data_dir.to_path_buf(),
            env: Vec::new(),
        }
    }

    /// A copy with the same data directory and environment.
    pub fn clone_settings(&self) -> Self {
        Self {
            data_dir: self.data_dir.clone(),
            env: self.env.clone(),
        }
    }

    /// Adds an environment variable (a later value for the same name wins).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        command
            .args(args)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .current_dir(&self.data_dir);
        for (name, _) in std::env::vars() {
            if name.starts_with("GATEHOUSE__") || name == "DATABASE_URL" {
                command.env_remove(name);
            }
        }
        command.env("NO_COLOR", "1");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command.stdin(Stdio::null());
        command
    }

    /// Runs to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        let output = self.command(args).output().unwrap();
        Run(output)
    }

    /// Runs to completion with `input` on standard input.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        Run(child.wait_with_output().unwrap())
    }

    /// Starts `serve` on a free port and waits until `/readyz` answers 200.
    pub async fn serve(&self) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let child = self
            .command(&["serve", "--listen", &listen])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let server = Server {
            child,
            base_url: format!("http://{listen}"),
        };
        for _ in 0..300 {
            if let Ok(response) = reqwest::get(format!("{}/readyz", server.base_url)).await
                && response.status() == 200
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "gatehouse serve did not become ready: {}",
            server.finish().stderr()
        );
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A finished command.
pub struct Run(pub Output);

impl Run {
    /// The exit code.
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }

    /// Standard output.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    /// Standard error.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
}

/// A running `gatehouse serve`.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
}

impl Server {
    /// Sends SIGTERM and waits for the process.
    pub fn terminate(self) -> Run {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.finish()
    }

    /// Sends SIGKILL and waits for the process.
    pub fn kill(mut self) -> Run {
        self.child.kill().unwrap();
        self.finish()
    }

    fn finish(self) -> Run {
        Run(self.child.wait_with_output().unwrap())
    }
}
