//! The local container-credentials endpoint: a loopback-only HTTP/1.1 server that AWS SDKs
//! poll through `AWS_CONTAINER_CREDENTIALS_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
//!
//! It knows nothing of STS: each route answers from a `watch` channel that a keeper fills
//! with `send_replace`, so a request never waits on the network and many consumers never
//! wait on each other. The server is small and hand-written over `httparse` (hyper's server
//! side needs a crate this build does not have); it reads request heads only, never bodies,
//! and bounds every connection: head size, idle and header-read timeouts, a write timeout,
//! and a cap on open connections.

use crate::domain::credentials::TemporaryCredentials;
use crate::domain::secret::Secret;
use crate::error::UsageError;
use anyhow::Context as _;
use ring::rand::SecureRandom as _;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use subtle::ConstantTimeEq as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout, timeout_at};
use zeroize::Zeroizing;

/// What one route serves: a set of credentials and the role they are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedCredentials {
    pub credentials: TemporaryCredentials,
    pub role_arn: String,
}

/// Where a route reads its credentials: `None` until the keeper publishes the first set.
pub type CredentialsFeed = watch::Receiver<Option<Arc<ServedCredentials>>>;

/// A fresh bearer token for `AWS_CONTAINER_AUTHORIZATION_TOKEN`: 32 bytes from the OS CSPRNG
/// (256 bits, beyond guessing), as 43 characters of URL-safe base64 without padding, so it is
/// safe in an environment variable and an HTTP header alike.
pub fn token() -> Secret {
    let mut bytes = Zeroizing::new([0u8; 32]);
    ring::rand::SystemRandom::new()
        .fill(&mut *bytes)
        // The OS generator only fails when the kernel has none; nothing can be served then.
        .expect("the operating system's random number generator failed");
    Secret::new(encode_base64url(&*bytes))
}

/// URL-safe base64 (RFC 4648 §5) without padding; written here rather than pulled in for one
/// call.
fn encode_base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        // A chunk of n bytes carries n + 1 characters; the rest would be padding.
        for i in 0..=chunk.len() {
            text.push(char::from(ALPHABET[(group >> (18 - 6 * i) & 63) as usize]));
        }
    }
    text
}

/// The bounds every connection lives within. One set in production ([`LIMITS`]); tests
/// shrink them to see each bound act.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Open connections at once. Beyond it the accept loop waits (see [`Bound::serve`]).
    max_connections: usize,
    /// The request line and headers together; a longer head is answered 431 and closed.
    max_head_bytes: usize,
    /// How long a kept-alive connection may sit with no request before it is closed.
    idle_timeout: Duration,
    /// How long a request head may take from its first byte to its blank line (slow
    /// clients holding a slot), and how long writing an answer may take.
    head_timeout: Duration,
    /// How long `serve` waits, once told to stop, for answers being written to finish.
    drain_timeout: Duration,
}

const LIMITS: Limits = Limits {
    max_connections: 256,
    max_head_bytes: 16 * 1024,
    idle_timeout: Duration::from_secs(30),
    head_timeout: Duration::from_secs(10),
    drain_timeout: Duration::from_secs(5),
};

/// Headers read per request; an SDK sends fewer than ten.
const MAX_HEADERS: usize = 64;

/// A listening socket on a loopback address, not yet serving.
#[derive(Debug)]
pub struct Bound {
    listener: TcpListener,
    local_addr: SocketAddr,
}

/// Listens on `addr`, which must be a loopback address (127.0.0.0/8 or ::1): the endpoint
/// hands out credentials to whoever holds the token, and only this machine may ask. Port 0
/// picks a free port; [`Bound::local_addr`] tells which.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<Bound> {
    if !addr.ip().is_loopback() {
        return Err(UsageError(format!(
            "refusing to serve credentials on {}: only a loopback address (127.0.0.0/8 or ::1) \
             keeps them on this machine",
            addr.ip()
        ))
        .into());
    }
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local_addr = listener
        .local_addr()
        .with_context(|| format!("cannot read the address bound for {addr}"))?;
    Ok(Bound {
        listener,
        local_addr,
    })
}

impl Bound {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL of a route for `AWS_CONTAINER_CREDENTIALS_FULL_URI`, e.g.
    /// `http://127.0.0.1:PORT/role`. `path` starts with `/`, as the route was given to
    /// [`Bound::serve`].
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.local_addr)
    }

    /// Answers requests until `shutdown` resolves, then stops accepting, lets answers being
    /// written finish (closing idle connections at once), and returns.
    ///
    /// `routes` pairs each path (`/role`, `/profile/NAME`) with the feed it answers from; the
    /// paths must be distinct and made of URL path characters, and a request must name one
    /// exactly (a query string is ignored).
    ///
    /// At most 256 connections are open at once. Beyond that, new connections wait in the
    /// kernel's listen queue rather than being dropped: every open connection frees its slot
    /// within seconds (answers come from memory; idle and slow ones time out), and an SDK
    /// that waits a moment gets credentials, where one that is dropped may give up.
    pub async fn serve(
        self,
        token: Secret,
        routes: Vec<(String, CredentialsFeed)>,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        self.serve_within(LIMITS, SystemTime::now, token, routes, shutdown)
            .await
    }

    async fn serve_within(
        self,
        limits: Limits,
        clock: fn() -> SystemTime,
        token: Secret,
        routes: Vec<(String, CredentialsFeed)>,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let router = Arc::new(Router::new(self.local_addr, token, routes, clock)?);
        let slots = Arc::new(Semaphore::new(limits.max_connections));
        let (stop, stopping) = watch::channel(false);
        let mut connections = JoinSet::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            // Take a slot before accepting, so a full server leaves new connections queued.
            let slot = tokio::select! {
                biased;
                () = &mut shutdown => break,
                slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
            };
            let stream = tokio::select! {
                biased;
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(err) => {
                        // Transient (a reset before accept, out of descriptors): pause so a
                        // persistent one does not spin, and keep serving.
                        tracing::debug!("accepting a connection failed: {err}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let (router, stopping) = (Arc::clone(&router), stopping.clone());
            connections.spawn(async move {
                serve_connection(stream, &router, limits, stopping).await;
                drop(slot);
            });
            // Reap finished connections so the set stays as small as the open ones.
            while connections.try_join_next().is_some() {}
        }
        drop(self.listener);
        stop.send_replace(true);
        let drained = timeout(limits.drain_timeout, async {
            while connections.join_next().await.is_some() {}
        });
        if drained.await.is_err() {
            tracing::debug!("stopping with answers still being written; closing them");
        }
        Ok(())
    }
}

/// Everything a request is checked against; shared by all connections.
struct Router {
    /// The `Host` values that name this server; anything else is a DNS-rebinding page.
    allowed_hosts: Vec<String>,
    token: Secret,
    routes: HashMap<String, CredentialsFeed>,
    clock: fn() -> SystemTime,
}

impl Router {
    fn new(
        local_addr: SocketAddr,
        token: Secret,
        routes: Vec<(String, CredentialsFeed)>,
        clock: fn() -> SystemTime,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !token.expose().is_empty(),
            "refusing to serve credentials without a token"
        );
        let port = local_addr.port();
        let mut by_path = HashMap::new();
        for (path, feed) in routes {
            check_route_path(&path)?;
            anyhow::ensure!(
                by_path.insert(path.clone(), feed).is_none(),
                "the route {path:?} is given twice"
            );
        }
        Ok(Self {
            allowed_hosts: vec![
                format!("127.0.0.1:{port}"),
                format!("localhost:{port}"),
                format!("[::1]:{port}"),
                local_addr.to_string(),
            ],
            token,
            routes: by_path,
            clock,
        })
    }

    fn is_our_host(&self, host: &[u8]) -> bool {
        self.allowed_hosts
            .iter()
            .any(|allowed| host.eq_ignore_ascii_case(allowed.as_bytes()))
    }
}

/// A route path is matched byte for byte, so it must be what a client sends unchanged: a `/`
/// and then URL path characters only (no space, `?` or `#`).
fn check_route_path(path: &str) -> anyhow::Result<()> {
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || "/-._~!$&'()*+,;=:@%".contains(c);
    anyhow::ensure!(
        path.starts_with('/') && path.chars().all(is_path_char),
        "the route {path:?} is not a URL path (a `/` then letters, digits and -._~!$&'()*+,;=:@%)"
    );
    Ok(())
}

/// One request head, as far as the router needs it.
struct Head<'b> {
    method: &'b str,
    /// The request target as sent: `/role?x`, or `http://127.0.0.1:PORT/role`.
    target: &'b str,
    host: Header<'b>,
    authorization: Header<'b>,
}

/// A header that must appear at most once; two copies are treated as a wrong one.
#[derive(Clone, Copy)]
enum Header<'b> {
    Missing,
    One(&'b [u8]),
    Repeated,
}

impl<'b> Header<'b> {
    fn find(headers: &[httparse::Header<'b>], name: &str) -> Self {
        let mut found = headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name));
        match (found.next(), found.next()) {
            (None, _) => Header::Missing,
            (Some(h), None) => Header::One(h.value),
            (Some(_), Some(_)) => Header::Repeated,
        }
    }
}

/// What is sent back: a status and a JSON body, always `no-store`.
struct Reply {
    status: u16,
    reason: &'static str,
    /// Zeroed on drop: a credentials body holds the secret key and token.
    body: Zeroizing<Vec<u8>>,
}

/// The answer to one request, checked in this order: Host (DNS rebinding), method, path,
/// token, then the credentials themselves.
fn answer(router: &Router, head: &Head<'_>, now: SystemTime) -> Reply {
    let (authority, path) = split_target(head.target);
    let host_ok = match head.host {
        Header::One(host) => router.is_our_host(host),
        Header::Missing | Header::Repeated => false,
    };
    if !host_ok || authority.is_some_and(|a| !router.is_our_host(a.as_bytes())) {
        return error(
            403,
            "host_not_allowed",
            "the Host header does not name this server",
        );
    }
    if head.method != "GET" {
        return error(405, "method_not_allowed", "only GET is answered");
    }
    let Some(feed) = path.and_then(|path| router.routes.get(path)) else {
        return error(404, "not_found", "no credentials are served at this path");
    };
    match head.authorization {
        Header::Missing => {
            return error(401, "missing_token", "the Authorization header is missing");
        }
        Header::One(sent) if bool::from(sent.ct_eq(router.token.expose().as_bytes())) => {}
        // An empty header compares unequal to the (never empty) token.
        Header::One(_) | Header::Repeated => {
            return error(
                403,
                "wrong_token",
                "the Authorization token is not this server's",
            );
        }
    }
    // Clone the Arc out so the keeper's next `send_replace` never waits on this request.
    let served = feed.borrow().clone();
    match served {
        None => error(
            503,
            "not_ready",
            "no credentials have been fetched yet; retry shortly",
        ),
        Some(served) if served.credentials.expiration() <= now => error(
            503,
            "expired",
            "the credentials served here have expired; retry shortly",
        ),
        Some(served) => credentials(&served),
    }
}

/// The authority (absolute form only) and path of a request target; `None` for a path when
/// the target is neither `/path` nor `http://authority/path`.
fn split_target(target: &str) -> (Option<&str>, Option<&str>) {
    let without_query = target.split(['?', '#']).next().unwrap_or_default();
    if without_query.starts_with('/') {
        return (None, Some(without_query));
    }
    let Some(rest) = without_query.strip_prefix("http://") else {
        return (None, None);
    };
    match rest.find('/') {
        Some(slash) => (Some(&rest[..slash]), Some(&rest[slash..])),
        None => (Some(rest), Some("/")),
    }
}

/// The document AWS SDKs read from a container-credentials endpoint.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialsDocument<'c> {
    access_key_id: &'c str,
    secret_access_key: &'c str,
    token: &'c str,
    expiration: String,
    role_arn: &'c str,
}

fn credentials(served: &ServedCredentials) -> Reply {
    let creds = &served.credentials;
    let document = CredentialsDocument {
        access_key_id: creds.access_key_id(),
        secret_access_key: creds.secret_access_key().expose(),
        token: creds.session_token().expose(),
        expiration: creds.expiration_rfc3339(),
        role_arn: &served.role_arn,
    };
    // Sized up front so the secret is never left behind in a freed, smaller buffer.
    let room = 256 + document.access_key_id.len() + document.secret_access_key.len();
    let mut body = Zeroizing::new(Vec::with_capacity(
        room + document.token.len() + document.role_arn.len(),
    ));
    serde_json::to_writer(&mut *body, &document).expect("serializing strings cannot fail");
    Reply {
        status: 200,
        reason: "OK",
        body,
    }
}

/// An error answer: `{"code": ..., "message": ...}`, from fixed text only, so no secret or
/// request value can appear in it.
fn error(status: u16, code: &'static str, message: &'static str) -> Reply {
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    Reply {
        status,
        reason: reason(status),
        body: Zeroizing::new(body.into_bytes()),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "OK",
    }
}

/// What one read of a request head came to.
enum Outcome {
    /// A whole head of `len` bytes, its answer, and whether the connection may take another.
    Answered {
        len: usize,
        reply: Reply,
        keep_alive: bool,
    },
    /// More bytes are needed.
    Partial,
    /// Not HTTP/1.x, or too many headers: answered, then closed.
    Refused(Reply),
}

fn parse_and_answer(router: &Router, bytes: &[u8]) -> Outcome {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Outcome::Partial,
        Err(httparse::Error::TooManyHeaders) => {
            return Outcome::Refused(error(431, "headers_too_large", "too many headers"));
        }
        Err(_) => {
            return Outcome::Refused(error(400, "bad_request", "not an HTTP/1.1 request"));
        }
    };
    let head = Head {
        method: request.method.unwrap_or_default(),
        target: request.path.unwrap_or_default(),
        host: Header::find(request.headers, "host"),
        authorization: Header::find(request.headers, "authorization"),
    };
    let reply = answer(router, &head, (router.clock)());
    tracing::debug!(
        method = head.method,
        path = split_target(head.target).1.unwrap_or_default(),
        status = reply.status,
        "container credentials request"
    );
    let keep_alive =
        request.version == Some(1) && !has_body(request.headers) && !wants_close(request.headers);
    Outcome::Answered {
        len,
        reply,
        keep_alive,
    }
}

/// Bodies are never read, so a request that announces one ends its connection: what follows
/// the head is not a next request.
fn has_body(headers: &[httparse::Header<'_>]) -> bool {
    headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("transfer-encoding")
            || (h.name.eq_ignore_ascii_case("content-length") && h.value.trim_ascii() != b"0")
    })
}

fn wants_close(headers: &[httparse::Header<'_>]) -> bool {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("connection"))
        .flat_map(|h| h.value.split(|&b| b == b','))
        .any(|option| option.trim_ascii().eq_ignore_ascii_case(b"close"))
}

/// Answers requests on one connection until the client closes it, a bound is hit, or the
/// server stops. The read buffer is fixed and zeroed on drop: it holds the token.
async fn serve_connection(
    mut stream: TcpStream,
    router: &Router,
    limits: Limits,
    mut stopping: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let mut buf = Zeroizing::new(vec![0u8; limits.max_head_bytes]);
    let mut filled = 0;
    let mut deadline = Instant::now() + limits.idle_timeout;
    loop {
        let (len, reply, keep_alive) = match parse_and_answer(router, &buf[..filled]) {
            Outcome::Answered {
                len,
                reply,
                keep_alive,
            } => (len, reply, keep_alive),
            Outcome::Refused(reply) => (filled, reply, false),
            Outcome::Partial if filled == buf.len() => {
                let reply = error(431, "headers_too_large", "the request head is too large");
                (filled, reply, false)
            }
            Outcome::Partial => {
                let read = tokio::select! {
                    biased;
                    _ = stopping.wait_for(|stop| *stop) => return,
                    read = timeout_at(deadline, stream.read(&mut buf[filled..])) => read,
                };
                match read {
                    Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
                    Ok(Ok(n)) => {
                        if filled == 0 {
                            // The first byte of a request: from here the head has less time.
                            deadline = Instant::now() + limits.head_timeout;
                        }
                        filled += n;
                        continue;
                    }
                }
            }
        };
        let keep_alive = keep_alive && !*stopping.borrow();
        if write_reply(&mut stream, &reply, keep_alive, limits.head_timeout)
            .await
            .is_err()
        {
            return;
        }
        if !keep_alive {
            linger(&mut stream).await;
            return;
        }
        // Keep any pipelined bytes that followed this head.
        buf.copy_within(len..filled, 0);
        filled -= len;
        deadline = Instant::now()
            + if filled == 0 {
                limits.idle_timeout
            } else {
                limits.head_timeout
            };
    }
}

async fn write_reply(
    stream: &mut TcpStream,
    reply: &Reply,
    keep_alive: bool,
    write_timeout: Duration,
) -> std::io::Result<()> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(256 + reply.body.len()));
    bytes.extend_from_slice(
        format!(
            "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n\
             Content-Length: {}\r\n{}{}\r\n",
            reply.status,
            reply.reason,
            reply.body.len(),
            if reply.status == 405 {
                "Allow: GET\r\n"
            } else {
                ""
            },
            if keep_alive {
                ""
            } else {
                "Connection: close\r\n"
            },
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(&reply.body);
    match timeout(write_timeout, stream.write_all(&bytes)).await {
        Ok(written) => written,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// Closes after an answer without losing it: closing with unread input (a body, a too-large
/// head) makes the kernel send a reset that can discard the answer before the client reads
/// it. So: end our side, then discard what the client still sends, briefly and boundedly.
async fn linger(stream: &mut TcpStream) {
    if stream.shutdown().await.is_err() {
        return;
    }
    // Zeroed too: a pipelined request behind this one carries the token.
    let mut sink = Zeroizing::new([0u8; 4096]);
    let _ = timeout(Duration::from_secs(1), async {
        for _ in 0..64 {
            if matches!(stream.read(&mut *sink).await, Ok(0) | Err(_)) {
                break;
            }
        }
    })
    .await;
}
