//! A stand-in AWS query-protocol endpoint (STS and IAM on one loopback port) whose answers a
//! test chooses per action: valid documents, errors, malformed, huge or endless bodies. Std
//! only, one thread per connection, `Connection: close`; it stops when dropped.
//!
//! The SDK sends STS and IAM requests to the same `AWS_ENDPOINT_URL` as form-encoded POSTs,
//! so the server dispatches on the body's `Action=`:
//!
//! ```ignore
//! let sts = StandIn::start([("AssumeRole", Answer::AssumeRoleWith { expiration: || "tomorrow".into() })]);
//! let sandbox = sts.sandbox();        // temp HOME, AWS_ENDPOINT_URL pointing here
//! // ... run rolecreds ...
//! assert_eq!(sts.count("AssumeRole"), 1);
//! ```
//!
//! `GetUser` and `GetCallerIdentity` answer valid documents for user `alice` unless the test
//! says otherwise, so the session name always resolves. Issued credentials carry
//! [`CANARY_SECRET`] and [`canary_token`]: either one (or a slice of it) in rolecreds' output
//! is a leak.

#![allow(dead_code)]

use crate::emulator::{AccessKey, Sandbox};
use std::collections::HashMap;
use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const ALICE_ARN: &str = "arn:aws:iam::123456789012:user/alice";
pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/dns_editor";
pub const ACCESS_KEY_ID: &str = "ASIACANARY0000000001";

/// The issued secret: 40 characters of the base64 alphabet, as STS's are, so rolecreds
/// accepts it as a value and any leak of it is unmistakable.
pub const CANARY_SECRET: &str = "CANARYsecretQ7z9K2w4X8v6B3n5M1p0T4y6R8u2";

const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// The issued session token: `CANARYtoken` and ~290 pseudo-random base64 letters and digits
/// (a fixed sequence, so a failure message shows the same value on every run).
pub fn canary_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut state: u32 = 0x2545_f491;
    let tail: String = (0..289)
        .map(|_| {
            // xorshift32: cheap, deterministic, no period short enough to repeat a 20-char run.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            ALPHABET[state as usize % ALPHABET.len()] as char
        })
        .collect();
    format!("CANARYtoken{tail}")
}

/// What the stand-in answers to one action.
#[derive(Clone, Debug)]
pub enum Answer {
    /// This status and XML body.
    Xml(u16, String),
    /// 200 with a `Content-Length` of `bytes`: the start of an AssumeRoleResponse, then filler.
    Huge { bytes: usize },
    /// 200, `Transfer-Encoding: chunked`: the start of an AssumeRoleResponse, then filler
    /// chunks until the client hangs up (or the stand-in is dropped).
    EndlessChunked,
    /// A valid AssumeRoleResponse with the canary secret and token, whose `Expiration` is
    /// whatever `expiration` returns when the request arrives.
    AssumeRoleWith { expiration: fn() -> String },
}

/// The running server. Dropping it stops accepting, ends every connection's thread at its
/// next read or write, and joins them.
pub struct StandIn {
    address: SocketAddr,
    counts: Arc<Mutex<HashMap<String, usize>>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl StandIn {
    /// Listens on 127.0.0.1:0 and serves `answers` (action name → answer); `GetUser` and
    /// `GetCallerIdentity` default to valid documents for alice. Any other action gets a 400
    /// `InvalidAction` error.
    pub fn start(answers: impl IntoIterator<Item = (&'static str, Answer)>) -> StandIn {
        let mut table: HashMap<String, Answer> = HashMap::from([
            ("GetUser".to_owned(), Answer::Xml(200, get_user_response())),
            (
                "GetCallerIdentity".to_owned(),
                Answer::Xml(200, get_caller_identity_response()),
            ),
        ]);
        table.extend(
            answers
                .into_iter()
                .map(|(a, answer)| (a.to_owned(), answer)),
        );
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the stand-in");
        let address = listener.local_addr().expect("the stand-in's address");
        let counts = Arc::new(Mutex::new(HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (counts, stop, table) = (counts.clone(), stop.clone(), Arc::new(table));
            std::thread::spawn(move || accept_loop(&listener, &table, &counts, &stop))
        };
        StandIn {
            address,
            counts,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// How many requests for `action` have arrived so far.
    pub fn count(&self, action: &str) -> usize {
        let counts = self.counts.lock().expect("counts lock");
        counts.get(action).copied().unwrap_or(0)
    }

    /// A sandbox (clean environment, temp HOME) whose rolecreds calls this stand-in with a
    /// made-up long-term key (the stand-in checks no signature).
    pub fn sandbox(&self) -> Sandbox {
        Sandbox::new(
            &self.endpoint(),
            &AccessKey {
                id: "AKIASTANDIN000000000".into(),
                secret: "standin/source/secret/000000000000000000".into(),
            },
        )
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept_loop(
    listener: &TcpListener,
    table: &Arc<HashMap<String, Answer>>,
    counts: &Arc<Mutex<HashMap<String, usize>>>,
    stop: &Arc<AtomicBool>,
) {
    let mut connections = Vec::new();
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let (table, counts, stop) = (table.clone(), counts.clone(), stop.clone());
        connections.push(std::thread::spawn(move || {
            // A client that hangs up mid-answer is what some tests provoke: not an error here.
            let _ = serve(stream, &table, &counts, &stop);
        }));
        // Keep the list short in a test that makes thousands of connections.
        connections.retain(|c: &JoinHandle<()>| !c.is_finished());
    }
    for connection in connections {
        let _ = connection.join();
    }
}

/// Short socket timeouts, so a connection's thread notices the stop flag within this long
/// even when the client neither sends nor reads.
const POLL: Duration = Duration::from_millis(200);

fn serve(
    mut stream: TcpStream,
    table: &HashMap<String, Answer>,
    counts: &Mutex<HashMap<String, usize>>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(POLL))?;
    let Some(body) = read_request(&mut stream, stop)? else {
        return Ok(());
    };
    let action = form_value(&body, "Action").unwrap_or_default();
    *counts
        .lock()
        .expect("counts lock")
        .entry(action.clone())
        .or_default() += 1;
    let answer = table.get(&action).cloned().unwrap_or_else(|| {
        Answer::Xml(
            400,
            error_response("Sender", "InvalidAction", "not served by the stand-in"),
        )
    });
    let mut out = Writer {
        stream: &mut stream,
        stop,
    };
    match answer {
        Answer::Xml(status, body) => out.respond(status, body.as_bytes())?,
        Answer::AssumeRoleWith { expiration } => {
            out.respond(200, assume_role_response(&expiration()).as_bytes())?;
        }
        Answer::Huge { bytes } => out.huge(bytes)?,
        Answer::EndlessChunked => out.endless()?,
    }
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

/// Reads one request's headers and `Content-Length` body; `None` if the client hung up first
/// or the stand-in is stopping.
fn read_request(stream: &mut TcpStream, stop: &AtomicBool) -> std::io::Result<Option<String>> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 8192];
    let mut wanted: Option<usize> = None;
    loop {
        if let Some(total) = wanted
            && data.len() >= total
        {
            let start = header_end(&data).expect("headers were complete");
            return Ok(Some(
                String::from_utf8_lossy(&data[start..total]).into_owned(),
            ));
        }
        if stop.load(Ordering::SeqCst) {
            return Ok(None);
        }
        match stream.read(&mut buffer) {
            Ok(0) => return Ok(None),
            Ok(n) => data.extend_from_slice(&buffer[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) => return Err(e),
        }
        if wanted.is_none()
            && let Some(start) = header_end(&data)
        {
            let headers = String::from_utf8_lossy(&data[..start]).to_ascii_lowercase();
            let length = headers
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            wanted = Some(start + length);
        }
    }
}

/// The offset just past the blank line that ends the headers.
fn header_end(data: &[u8]) -> Option<usize> {
    data.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|position| position + 4)
}

/// The value of `name` in a form-encoded body (actions and our tests need no percent-decoding).
fn form_value(body: &str, name: &str) -> Option<String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Writes to the client, giving up when the stand-in stops; a write timeout (a client that
/// stopped reading) is retried until then.
struct Writer<'a> {
    stream: &'a mut TcpStream,
    stop: &'a AtomicBool,
}

/// The start of a well-formed AssumeRoleResponse, which huge and endless bodies never finish.
fn open_assume_role_response() -> String {
    format!(
        "<AssumeRoleResponse xmlns=\"{STS_NAMESPACE}\">\n  <AssumeRoleResult>\n    \
         <AssumedRoleUser>\n      <Arn>"
    )
}

/// Filler: one letter repeated, so it shares no 20-character slice with either canary, and a
/// rolecreds that echoes the body is caught by the size of its output.
static FILLER: [u8; 64 * 1024] = [b'f'; 64 * 1024];

/// The endless body goes no faster than this: fast enough to pass any sane limit within the
/// SDK's 8 s attempt timeout, slow enough that an unbounded client cannot take all the
/// machine's memory in the meantime.
const ENDLESS_BYTES_PER_SECOND: usize = 16 * 1024 * 1024;

impl Writer<'_> {
    fn write_all(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() {
            if self.stop.load(Ordering::SeqCst) {
                return Err(std::io::Error::other("the stand-in is stopping"));
            }
            match self.stream.write(bytes) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => bytes = &bytes[n..],
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn head(&mut self, status: u16, length: Option<usize>) -> std::io::Result<()> {
        let framing = match length {
            Some(length) => format!("Content-Length: {length}"),
            None => "Transfer-Encoding: chunked".to_owned(),
        };
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: text/xml\r\n{framing}\r\n\
             x-amzn-RequestId: 4f1e0b6a-standin\r\nConnection: close\r\n\r\n",
            reason(status)
        );
        self.write_all(head.as_bytes())
    }

    fn respond(&mut self, status: u16, body: &[u8]) -> std::io::Result<()> {
        self.head(status, Some(body.len()))?;
        self.write_all(body)
    }

    fn huge(&mut self, bytes: usize) -> std::io::Result<()> {
        let prefix = open_assume_role_response();
        self.head(200, Some(bytes))?;
        let prefix = &prefix.as_bytes()[..prefix.len().min(bytes)];
        self.write_all(prefix)?;
        let mut left = bytes - prefix.len();
        while left > 0 {
            let n = left.min(FILLER.len());
            self.write_all(&FILLER[..n])?;
            left -= n;
        }
        Ok(())
    }

    fn endless(&mut self) -> std::io::Result<()> {
        self.head(200, None)?;
        let prefix = open_assume_role_response();
        self.chunk(prefix.as_bytes())?;
        let started = Instant::now();
        let mut sent = 0usize;
        loop {
            let allowed = started.elapsed().as_secs_f64() * ENDLESS_BYTES_PER_SECOND as f64;
            if (sent as f64) < allowed {
                self.chunk(&FILLER)?;
                sent += FILLER.len();
            } else {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }

    fn chunk(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.write_all(format!("{:x}\r\n", data.len()).as_bytes())?;
        self.write_all(data)?;
        self.write_all(b"\r\n")
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

/// A valid AssumeRoleResponse, shaped like real STS's, with the canary secret and token.
pub fn assume_role_response(expiration: &str) -> String {
    format!(
        "<AssumeRoleResponse xmlns=\"{STS_NAMESPACE}\">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/dns_editor/alice@dns_editor.123456789012</Arn>
      <AssumedRoleId>AROACANARY0000000001:alice@dns_editor.123456789012</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>{ACCESS_KEY_ID}</AccessKeyId>
      <SecretAccessKey>{CANARY_SECRET}</SecretAccessKey>
      <SessionToken>{token}</SessionToken>
      <Expiration>{expiration}</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>
",
        token = canary_token()
    )
}

/// IAM's GetUserResponse for alice.
pub fn get_user_response() -> String {
    format!(
        "<GetUserResponse xmlns=\"{IAM_NAMESPACE}\">
  <GetUserResult>
    <User>
      <UserId>AIDACANARY0000000001</UserId>
      <Path>/</Path>
      <UserName>alice</UserName>
      <Arn>{ALICE_ARN}</Arn>
      <CreateDate>2026-01-01T00:00:00Z</CreateDate>
    </User>
  </GetUserResult>
  <ResponseMetadata>
    <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>
  </ResponseMetadata>
</GetUserResponse>
"
    )
}

/// STS's GetCallerIdentityResponse for alice.
pub fn get_caller_identity_response() -> String {
    format!(
        "<GetCallerIdentityResponse xmlns=\"{STS_NAMESPACE}\">
  <GetCallerIdentityResult>
    <Arn>{ALICE_ARN}</Arn>
    <UserId>AIDACANARY0000000001</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
"
    )
}

/// A query-protocol error document.
pub fn error_response(kind: &str, code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{STS_NAMESPACE}\">
  <Error>
    <Type>{kind}</Type>
    <Code>{code}</Code>
    <Message>{message}</Message>
  </Error>
  <RequestId>x</RequestId>
</ErrorResponse>
"
    )
}
