//! Ways a test watches from outside: a terminal for the tool, the argv of a stand-in
//! program, polling, and plain HTTP to the rig.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A program run on a pseudo-terminal (through util-linux `script`), driven like a person:
/// wait for a prompt, then type.
pub struct Pty {
    child: Child,
    stdin: std::process::ChildStdin,
    screen: std::sync::Arc<std::sync::Mutex<String>>,
    reader: Option<thread::JoinHandle<()>>,
}

impl Pty {
    pub fn spawn(command: &str) -> Self {
        let mut child = Command::new("script")
            .args(["-qefc", command, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("script (util-linux)");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let screen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = screen.clone();
        let reader = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Self {
            child,
            stdin,
            screen,
            reader: Some(reader),
        }
    }

    pub fn screen(&self) -> String {
        self.screen.lock().unwrap().clone()
    }

    /// Waits until the screen shows `text` (bounded).
    pub fn expect(&self, text: &str, limit: Duration) {
        if wait_until(limit, || self.screen().contains(text).then_some(()).ok_or(())).is_err() {
            panic!("`{text}` never appeared; the screen:\n{}", self.screen());
        }
    }

    /// Types `text` (a line: include the newline).
    pub fn send(&mut self, text: &str) {
        self.stdin.write_all(text.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits for the program's end (bounded); its exit code and the whole screen.
    pub fn finish(mut self, limit: Duration) -> (i32, String) {
        let status = wait_until(limit, || self.child.try_wait().unwrap().ok_or(()));
        let Ok(status) = status else {
            let _ = self.child.kill();
            panic!("still running after {limit:?}; the screen:\n{}", self.screen());
        };
        self.reader.take().unwrap().join().unwrap();
        (status.code().unwrap_or(-1), self.screen())
    }
}

/// Every distinct command line seen on this machine (and so on the rig's hosts) until `stop`
/// is set: for secrets that are only known afterwards (tokens minted during the run).
pub fn record_argv(
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> thread::JoinHandle<std::collections::BTreeSet<String>> {
    thread::spawn(move || {
        let mut seen = std::collections::BTreeSet::new();
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
                    seen.insert(String::from_utf8_lossy(&cmdline).replace('\0', " "));
                }
            }
        }
        seen
    })
}

/// Watches every process's command line (on both sides: the rig's host shares this
/// machine's process table) until `stop` is set; returns the ones that contained `needle`.
pub fn watch_argv(
    needle: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> thread::JoinHandle<Vec<String>> {
    thread::spawn(move || {
        let mut seen = Vec::new();
        let mut scans = 0u64;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
                    let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                    if text.contains(&needle) {
                        seen.push(text);
                    }
                }
            }
            scans += 1;
        }
        assert!(scans > 1, "the process table was never scanned");
        seen
    })
}

/// Repeats `check` until it returns Ok or `limit` passes; returns the last Err.
pub fn wait_until<T, E>(limit: Duration, mut check: impl FnMut() -> Result<T, E>) -> Result<T, E> {
    let start = Instant::now();
    loop {
        match check() {
            Ok(v) => return Ok(v),
            Err(e) if start.elapsed() >= limit => return Err(e),
            Err(_) => thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// A plain HTTP/1.0 GET: `(status, body)`.
/// A POST of a JSON `body` to `path` at `addr`: its status and body.
pub fn http_post(addr: &str, path: &str, body: &str) -> (u16, String) {
    let length = body.len();
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n{body}"
        ),
    )
}

pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    http(addr, &format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n"))
}

/// One HTTP/1.0 exchange: `request` sent whole, the status and body read to the end.
pub(crate) fn http(addr: &str, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
