//! A stand-in IAM Identity Center (SSO) portal on loopback: the one call aws-config's SSO
//! credentials provider makes, `GetRoleCredentials`
//! (`GET /federation/credentials?account_id=..&role_name=..` with the access token from the
//! SSO cache in `x-amz-sso_bearer_token`). Std only, one thread per connection,
//! `Connection: close`, like tests/standin/mod.rs; it stops when dropped.
//!
//! ```ignore
//! let portal = SsoPortal::start(Grant { token, account_id, role_name, credentials });
//! sandbox.set("AWS_ENDPOINT_URL_SSO", portal.endpoint());   // wins over AWS_ENDPOINT_URL
//! // ... run rolecreds ...
//! assert_eq!(portal.requests(), [expected_request]);
//! ```
//!
//! It answers the grant's credentials only for the grant's exact token, account and role,
//! and otherwise what the real portal answers: an unknown (expired, revoked) token is
//! `401 UnauthorizedException` `{"message":"Session token not found or invalid"}`; a role the
//! token is not assigned is `403 ForbiddenException` `{"message":"No access"}`.

#![allow(dead_code)]

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The message the real portal sends with a 401 (as the AWS CLI prints it after
/// `UnauthorizedException`).
pub const UNAUTHORIZED_MESSAGE: &str = "Session token not found or invalid";

/// What the portal hands out, and to whom.
#[derive(Clone, Debug)]
pub struct Grant {
    /// The SSO access token that `aws sso login` would have cached.
    pub token: String,
    pub account_id: String,
    /// The permission set's name (`sso_role_name`).
    pub role_name: String,
    pub credentials: RoleCredentials,
}

/// The `roleCredentials` of a GetRoleCredentials answer.
#[derive(Clone, Debug)]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Milliseconds since the epoch, as the portal sends it.
    pub expiration_millis: i64,
}

/// One request as the portal received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub account_id: Option<String>,
    pub role_name: Option<String>,
    pub bearer_token: Option<String>,
}

/// The running portal. Dropping it stops accepting and joins every connection's thread.
pub struct SsoPortal {
    address: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    revoked: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    grant: Grant,
    requests: Arc<Mutex<Vec<Request>>>,
    revoked: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl SsoPortal {
    /// Listens on 127.0.0.1:0 and serves `grant`.
    pub fn start(grant: Grant) -> SsoPortal {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the SSO portal");
        let address = listener.local_addr().expect("the SSO portal's address");
        let shared = Arc::new(Shared {
            grant,
            requests: Arc::default(),
            revoked: Arc::default(),
            stop: Arc::default(),
        });
        let (requests, revoked, stop) = (
            shared.requests.clone(),
            shared.revoked.clone(),
            shared.stop.clone(),
        );
        let acceptor = std::thread::spawn(move || accept_loop(&listener, &shared));
        SsoPortal {
            address,
            requests,
            revoked,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_SSO`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// From now on the grant's token is unknown too (signed out, session revoked): every
    /// request gets the 401.
    pub fn revoke(&self) {
        self.revoked.store(true, Ordering::SeqCst);
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("requests lock").clone()
    }
}

impl Drop for SsoPortal {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let mut connections = Vec::new();
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let shared = shared.clone();
        connections.push(std::thread::spawn(move || {
            let _ = serve(stream, &shared);
        }));
        connections.retain(|c: &JoinHandle<()>| !c.is_finished());
    }
    for connection in connections {
        let _ = connection.join();
    }
}

/// Short socket timeouts, so a connection's thread notices the stop flag soon.
const POLL: Duration = Duration::from_millis(200);

fn serve(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(POLL))?;
    let Some(head) = read_head(&mut stream, &shared.stop)? else {
        return Ok(());
    };
    let request = parse_head(&head);
    shared
        .requests
        .lock()
        .expect("requests lock")
        .push(request.clone());
    let (status, error_type, body) = answer(&request, &shared.grant, &shared.revoked);
    let mut response = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         x-amzn-RequestId: 0d3c1f5e-sso-portal\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    if let Some(error_type) = error_type {
        // The real portal names the error here, with a namespace after a colon.
        response.push_str(&format!(
            "x-amzn-ErrorType: {error_type}:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/\r\n"
        ));
    }
    response.push_str("\r\n");
    response.push_str(&body);
    stream.write_all(response.as_bytes())?;
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

/// Status, error type and JSON body for one request.
fn answer(
    request: &Request,
    grant: &Grant,
    revoked: &AtomicBool,
) -> (u16, Option<&'static str>, String) {
    let message = |text: &str| serde_json::json!({ "message": text }).to_string();
    if request.method != "GET" || request.path != "/federation/credentials" {
        return (
            404,
            Some("ResourceNotFoundException"),
            message("not served by the stand-in"),
        );
    }
    let token_is_known =
        !revoked.load(Ordering::SeqCst) && request.bearer_token.as_deref() == Some(&grant.token);
    if !token_is_known {
        return (
            401,
            Some("UnauthorizedException"),
            message(UNAUTHORIZED_MESSAGE),
        );
    }
    if request.account_id.as_deref() != Some(&grant.account_id)
        || request.role_name.as_deref() != Some(&grant.role_name)
    {
        return (403, Some("ForbiddenException"), message("No access"));
    }
    let credentials = &grant.credentials;
    let body = serde_json::json!({
        "roleCredentials": {
            "accessKeyId": credentials.access_key_id,
            "secretAccessKey": credentials.secret_access_key,
            "sessionToken": credentials.session_token,
            "expiration": credentials.expiration_millis,
        }
    });
    (200, None, body.to_string())
}

/// Reads up to the blank line that ends the headers (GetRoleCredentials has no body); `None`
/// if the client hung up first or the portal is stopping.
fn read_head(stream: &mut TcpStream, stop: &AtomicBool) -> std::io::Result<Option<String>> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(Some(String::from_utf8_lossy(&data[..end]).into_owned()));
        }
        if stop.load(Ordering::SeqCst) {
            return Ok(None);
        }
        match stream.read(&mut buffer) {
            Ok(0) => return Ok(None),
            Ok(n) => data.extend_from_slice(&buffer[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
    }
}

fn parse_head(head: &str) -> Request {
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query_value = |name: &str| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| percent_decode(value))
    };
    let bearer_token = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("x-amz-sso_bearer_token"))
        .map(|(_, value)| value.trim().to_owned());
    Request {
        method,
        path: path.to_owned(),
        account_id: query_value("account_id"),
        role_name: query_value("role_name"),
        bearer_token,
    }
}

/// `%XX` escapes decoded (the SDK escapes everything outside the unreserved set).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| value.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Status",
    }
}
