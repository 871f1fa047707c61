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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;
    use tokio::sync::oneshot;
    use tokio::task::JoinHandle;

    const SECRET: &str = "c2VjcmV0Q0FOQVJZ+/=";
    const SESSION_TOKEN: &str = "U0VTU0lPTkNBTkFSWQ==";
    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/deploy";

    fn served(key: &str, expiration: SystemTime) -> Arc<ServedCredentials> {
        let credentials = TemporaryCredentials::new(
            key,
            Secret::new(SECRET),
            Secret::new(SESSION_TOKEN),
            expiration,
        )
        .unwrap();
        Arc::new(ServedCredentials {
            credentials,
            role_arn: ROLE_ARN.to_owned(),
        })
    }

    fn in_an_hour() -> SystemTime {
        SystemTime::now() + Duration::from_secs(3600)
    }

    /// A running endpoint and the handles a test needs.
    struct Running {
        addr: SocketAddr,
        url: String,
        token: Secret,
        stop: oneshot::Sender<()>,
        served: JoinHandle<anyhow::Result<()>>,
    }

    async fn start(routes: Vec<(&str, CredentialsFeed)>, limits: Limits) -> Running {
        let bound = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let (addr, url) = (bound.local_addr(), bound.url("/role"));
        let token = token();
        let (stop, stopped) = oneshot::channel::<()>();
        let routes = routes.into_iter().map(|(p, f)| (p.to_owned(), f)).collect();
        let serving = bound.serve_within(limits, SystemTime::now, token.clone(), routes, async {
            let _ = stopped.await;
        });
        let served = tokio::spawn(serving);
        Running {
            addr,
            url,
            token,
            stop,
            served,
        }
    }

    /// One route, `/role`, already holding a fresh set.
    async fn start_serving_role() -> (Running, watch::Sender<Option<Arc<ServedCredentials>>>) {
        let (publish, feed) = watch::channel(Some(served("ASIAROLE", in_an_hour())));
        (start(vec![("/role", feed)], LIMITS).await, publish)
    }

    #[derive(Debug)]
    struct Response {
        status: u16,
        head: String,
        body: String,
    }

    impl Response {
        fn header(&self, name: &str) -> Option<&str> {
            self.head.lines().skip(1).find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name).then(|| value.trim())
            })
        }

        fn json(&self) -> serde_json::Value {
            serde_json::from_str(&self.body).unwrap_or_else(|err| panic!("{err}: {self:?}"))
        }
    }

    fn parse_response(raw: &[u8]) -> Response {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Response {
            status,
            head: head.to_owned(),
            body: body.to_owned(),
        }
    }

    /// Sends `raw` as is and reads until the server closes.
    async fn exchange(addr: SocketAddr, raw: &[u8]) -> std::io::Result<Response> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(raw).await?;
        let mut answer = Vec::new();
        timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
            .await
            .expect("the server neither answered nor closed")?;
        Ok(parse_response(&answer))
    }

    /// A GET as an SDK sends it, with `Connection: close` so the answer ends the exchange.
    fn get(path: &str, host: &str, authorization: Option<&str>) -> String {
        let authorization =
            authorization.map_or(String::new(), |value| format!("Authorization: {value}\r\n"));
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{authorization}Connection: close\r\n\r\n")
    }

    async fn get_role(running: &Running, path: &str) -> Response {
        let host = running.addr.to_string();
        let raw = get(path, &host, Some(running.token.expose()));
        exchange(running.addr, raw.as_bytes()).await.unwrap()
    }

    fn assert_no_secret(response: &Response, token: &Secret) {
        let all = format!("{}{}", response.head, response.body);
        for secret in [SECRET, SESSION_TOKEN, token.expose()] {
            assert!(!all.contains(secret), "a secret leaked: {response:?}");
        }
    }

    fn assert_error(response: &Response, status: u16, code: &str) {
        assert_eq!(response.status, status, "{response:?}");
        assert_eq!(response.header("content-type"), Some("application/json"));
        let json = response.json();
        assert_eq!(json["code"], code, "{response:?}");
        assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    #[test]
    fn base64url_matches_rfc_4648_without_padding() {
        let cases: [(&[u8], &str); 8] = [
            (b"", ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
            // Standard base64 would give "+/8=": the URL-safe alphabet and no padding.
            (&[0xfb, 0xff], "-_8"),
        ];
        for (bytes, expected) in cases {
            assert_eq!(encode_base64url(bytes), expected, "{bytes:?}");
        }
    }

    #[test]
    fn a_token_is_43_url_safe_characters_and_new_each_time() {
        let (first, second) = (token(), token());
        for token in [&first, &second] {
            let text = token.expose();
            assert!(text.len() >= 43, "{}", text.len());
            assert!(
                text.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "not URL-safe base64"
            );
        }
        assert_ne!(first.expose(), second.expose());
    }

    #[tokio::test]
    async fn binding_anything_but_loopback_is_refused() {
        for addr in ["0.0.0.0:0", "192.0.2.1:0", "[::]:0", "[::ffff:127.0.0.1]:0"] {
            let err = bind(addr.parse().unwrap()).await.unwrap_err();
            assert!(
                err.downcast_ref::<UsageError>().is_some(),
                "{addr}: {err:#}"
            );
            assert!(err.to_string().contains("loopback"), "{addr}: {err:#}");
        }
        let bound = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let port = bound.local_addr().port();
        assert_ne!(port, 0, "port 0 picks a free port");
        assert_eq!(bound.url("/role"), format!("http://127.0.0.1:{port}/role"));
    }

    #[tokio::test]
    async fn serves_the_credentials_as_sdks_read_them_and_never_to_be_cached() {
        let (running, _publish) = start_serving_role().await;
        assert!(running.url.ends_with("/role"));
        let response = get_role(&running, "/role").await;
        assert_eq!(response.status, 200, "{response:?}");
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(response.header("content-type"), Some("application/json"));
        let json = response.json();
        assert_eq!(json["AccessKeyId"], "ASIAROLE");
        assert_eq!(json["SecretAccessKey"], SECRET);
        assert_eq!(json["Token"], SESSION_TOKEN);
        assert_eq!(json["RoleArn"], ROLE_ARN);
        let expiration = json["Expiration"].as_str().unwrap();
        assert_eq!(
            expiration.len(),
            "2026-11-18T11:06:40Z".len(),
            "{expiration}"
        );
        assert!(expiration.ends_with('Z'), "{expiration}");
        // A query string does not change the route.
        assert_eq!(get_role(&running, "/role?x=1").await.status, 200);
    }

    #[tokio::test]
    async fn each_refusal_has_its_status_and_code_and_never_a_secret() {
        let (running, _publish) = start_serving_role().await;
        let port = running.addr.port();
        let ours = running.addr.to_string();
        let token = running.token.expose().to_owned();
        let wrong = format!("{}x", &token[..token.len() - 1]);
        let evil = format!("evil.example:{port}");
        let other_port = format!("127.0.0.1:{}", port.wrapping_add(1));
        let cases: Vec<(String, u16, &str)> = vec![
            (get("/role", &ours, None), 401, "missing_token"),
            (get("/role", &ours, Some(&wrong)), 403, "wrong_token"),
            (get("/role", &ours, Some(&token[..10])), 403, "wrong_token"),
            (get("/role", &ours, Some("")), 403, "wrong_token"),
            (
                get("/role", &ours, Some(&format!("Bearer {token}"))),
                403,
                "wrong_token",
            ),
            (get("/role", &evil, Some(&token)), 403, "host_not_allowed"),
            (
                get("/role", &other_port, Some(&token)),
                403,
                "host_not_allowed",
            ),
            (
                format!(
                    "GET /role HTTP/1.1\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"
                ),
                403,
                "host_not_allowed",
            ),
            (
                format!(
                    "GET http://{evil}/role HTTP/1.1\r\nHost: {ours}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"
                ),
                403,
                "host_not_allowed",
            ),
            (get("/other", &ours, Some(&token)), 404, "not_found"),
            (get("/role/", &ours, Some(&token)), 404, "not_found"),
            // Order: the host before the method, the method before the path, the path before
            // the token.
            (
                format!(
                    "POST /role HTTP/1.1\r\nHost: {evil}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                ),
                403,
                "host_not_allowed",
            ),
            (
                format!("POST /nowhere HTTP/1.1\r\nHost: {ours}\r\nContent-Length: 5\r\n\r\nhello"),
                405,
                "method_not_allowed",
            ),
            (get("/nowhere", &ours, None), 404, "not_found"),
            (
                b"NOT HTTP AT ALL\r\n\r\n"
                    .iter()
                    .map(|&b| b as char)
                    .collect(),
                400,
                "bad_request",
            ),
        ];
        for (raw, status, code) in cases {
            let response = exchange(running.addr, raw.as_bytes()).await.unwrap();
            assert_error(&response, status, code);
            assert_no_secret(&response, &running.token);
            if status == 405 {
                assert_eq!(response.header("allow"), Some("GET"), "{raw}");
            }
        }
        // Every name this server goes by is accepted.
        for host in [
            format!("localhost:{port}"),
            format!("LOCALHOST:{port}"),
            format!("[::1]:{port}"),
        ] {
            let raw = get("/role", &host, Some(&token));
            assert_eq!(
                exchange(running.addr, raw.as_bytes()).await.unwrap().status,
                200,
                "{host}"
            );
        }
    }

    #[tokio::test]
    async fn before_the_first_set_503_then_the_set_once_published() {
        let (publish, feed) = watch::channel(None);
        let running = start(vec![("/role", feed)], LIMITS).await;
        let response = get_role(&running, "/role").await;
        assert_error(&response, 503, "not_ready");
        publish.send_replace(Some(served("ASIAFIRST", in_an_hour())));
        let response = get_role(&running, "/role").await;
        assert_eq!(response.json()["AccessKeyId"], "ASIAFIRST", "{response:?}");
    }

    #[tokio::test]
    async fn expired_credentials_are_503_and_never_sent() {
        let long_ago = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let (_publish, feed) = watch::channel(Some(served("ASIAOLD", long_ago)));
        let running = start(vec![("/role", feed)], LIMITS).await;
        let response = get_role(&running, "/role").await;
        assert_error(&response, 503, "expired");
        assert_no_secret(&response, &running.token);
        assert!(!response.body.contains("ASIAOLD"), "{response:?}");
    }

    #[test]
    fn credentials_expire_at_their_expiration_exactly() {
        let expiration = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let (_publish, feed) = watch::channel(Some(served("ASIAEDGE", expiration)));
        let addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let token = Secret::new("t0ken");
        let router = Router::new(addr, token, vec![("/role".into(), feed)], SystemTime::now);
        let router = router.unwrap();
        let head = Head {
            method: "GET",
            target: "/role",
            host: Header::One(b"127.0.0.1:4000"),
            authorization: Header::One(b"t0ken"),
        };
        let second = Duration::from_secs(1);
        assert_eq!(answer(&router, &head, expiration - second).status, 200);
        assert_eq!(answer(&router, &head, expiration).status, 503);
        assert_eq!(answer(&router, &head, expiration + second).status, 503);
    }

    #[tokio::test]
    async fn each_route_serves_its_own_set() {
        let (_a, role) = watch::channel(Some(served("ASIAROLE", in_an_hour())));
        let (_b, profile) = watch::channel(Some(served("ASIAPROFILE", in_an_hour())));
        let routes = vec![("/role", role), ("/profile/dev-admin", profile)];
        let running = start(routes, LIMITS).await;
        let role = get_role(&running, "/role").await;
        let profile = get_role(&running, "/profile/dev-admin").await;
        assert_eq!(role.json()["AccessKeyId"], "ASIAROLE", "{role:?}");
        assert_eq!(profile.json()["AccessKeyId"], "ASIAPROFILE", "{profile:?}");
    }

    #[tokio::test]
    async fn routes_and_tokens_that_cannot_work_are_refused_before_serving() {
        let feed = || watch::channel(None).1;
        let bad_routes: [Vec<(&str, CredentialsFeed)>; 4] = [
            vec![("/role", feed()), ("/role", feed())],
            vec![("role", feed())],
            vec![("/role?x", feed())],
            vec![("/my role", feed())],
        ];
        for routes in bad_routes {
            let bound = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
            let routes = routes.into_iter().map(|(p, f)| (p.to_owned(), f)).collect();
            let result = bound.serve(token(), routes, std::future::pending()).await;
            assert!(result.unwrap_err().to_string().contains("route"));
        }
        let bound = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let routes = vec![("/role".to_owned(), feed())];
        let result = bound
            .serve(Secret::new(""), routes, std::future::pending())
            .await;
        assert!(result.unwrap_err().to_string().contains("token"));
    }

    #[tokio::test]
    async fn sixteen_concurrent_clients_all_get_their_credentials() {
        let (running, _publish) = start_serving_role().await;
        let running = Arc::new(running);
        let mut clients = JoinSet::new();
        for _ in 0..16 {
            let running = Arc::clone(&running);
            clients.spawn(async move {
                let mut statuses = Vec::new();
                for _ in 0..8 {
                    statuses.push(get_role(&running, "/role").await.status);
                }
                statuses
            });
        }
        let statuses: Vec<u16> = clients.join_all().await.into_iter().flatten().collect();
        assert_eq!(statuses, vec![200; 16 * 8]);
    }

    #[tokio::test]
    async fn one_connection_answers_several_requests_even_pipelined() {
        let (running, _publish) = start_serving_role().await;
        let (host, token) = (running.addr.to_string(), running.token.expose());
        let keep = format!("GET /role HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n\r\n");
        let last = get("/nowhere", &host, Some(token));
        let raw = format!("{keep}{keep}{last}");
        let mut stream = TcpStream::connect(running.addr).await.unwrap();
        stream.write_all(raw.as_bytes()).await.unwrap();
        let mut answers = Vec::new();
        timeout(Duration::from_secs(5), stream.read_to_end(&mut answers))
            .await
            .unwrap()
            .unwrap();
        let text = String::from_utf8(answers).unwrap();
        let statuses: Vec<&str> = text
            .match_indices("HTTP/1.1 ")
            .map(|(at, _)| &text[at + 9..at + 12])
            .collect();
        assert_eq!(statuses, ["200", "200", "404"], "{text}");
    }

    #[tokio::test]
    async fn a_head_over_16_kib_is_refused_and_4_kib_is_served() {
        let (running, _publish) = start_serving_role().await;
        let (host, token) = (running.addr.to_string(), running.token.expose());
        let with_padding = |bytes: usize| {
            let padding = "a".repeat(bytes);
            format!(
                "GET /role HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nX-Padding: {padding}\r\nConnection: close\r\n\r\n"
            )
        };
        let small = exchange(running.addr, with_padding(4 * 1024).as_bytes()).await;
        assert_eq!(small.unwrap().status, 200);
        // The server may close before taking every byte; what matters is no credentials.
        match exchange(running.addr, with_padding(20 * 1024).as_bytes()).await {
            Ok(response) => {
                assert_error(&response, 431, "headers_too_large");
                assert_no_secret(&response, &running.token);
            }
            Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}"),
        }
    }

    /// Whether the server closes `stream` within `within`.
    async fn closes_within(stream: &mut TcpStream, within: Duration) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            timeout(within, stream.read(&mut byte)).await,
            Ok(Ok(0) | Err(_))
        )
    }

    #[tokio::test]
    async fn idle_and_slow_connections_are_closed() {
        let (_publish, feed) = watch::channel(None);
        let short = Duration::from_millis(200);
        let idle = Limits {
            idle_timeout: short,
            ..LIMITS
        };
        let running = start(vec![("/role", feed.clone())], idle).await;
        let mut silent = TcpStream::connect(running.addr).await.unwrap();
        assert!(closes_within(&mut silent, Duration::from_secs(3)).await);

        let slow = Limits {
            head_timeout: short,
            ..LIMITS
        };
        let running = start(vec![("/role", feed)], slow).await;
        let mut partial = TcpStream::connect(running.addr).await.unwrap();
        partial
            .write_all(b"GET /role HTTP/1.1\r\nHo")
            .await
            .unwrap();
        assert!(closes_within(&mut partial, Duration::from_secs(3)).await);
        // Within the (long) idle timeout, a silent connection stays open.
        let mut silent = TcpStream::connect(running.addr).await.unwrap();
        assert!(!closes_within(&mut silent, Duration::from_millis(600)).await);
    }

    #[tokio::test]
    async fn beyond_the_connection_limit_a_new_connection_waits_for_a_slot() {
        let (_publish, feed) = watch::channel(Some(served("ASIAROLE", in_an_hour())));
        let one = Limits {
            max_connections: 1,
            ..LIMITS
        };
        let running = start(vec![("/role", feed)], one).await;
        let holder = TcpStream::connect(running.addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let raw = get(
            "/role",
            &running.addr.to_string(),
            Some(running.token.expose()),
        );
        let waiting = tokio::spawn(async move { exchange(running.addr, raw.as_bytes()).await });
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(!waiting.is_finished(), "answered beyond the limit");
        drop(holder);
        let response = timeout(Duration::from_secs(5), waiting).await.unwrap();
        assert_eq!(response.unwrap().unwrap().status, 200);
    }

    #[tokio::test]
    async fn shutdown_stops_accepting_closes_idle_connections_and_returns() {
        let (running, _publish) = start_serving_role().await;
        assert_eq!(get_role(&running, "/role").await.status, 200);
        let mut idle = TcpStream::connect(running.addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        running.stop.send(()).unwrap();
        let returned = timeout(Duration::from_secs(3), running.served).await;
        returned.expect("serve did not return").unwrap().unwrap();
        assert!(closes_within(&mut idle, Duration::from_secs(1)).await);
        assert!(TcpStream::connect(running.addr).await.is_err());
    }
}
