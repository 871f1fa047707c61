//! rolecreds honours HTTP_PROXY like the AWS CLI: a rotation against the emulator succeeds
//! through a small forward proxy on loopback, and the proxy saw the requests. (With the proxy
//! pointing nowhere, the same rotation fails with exit 6, proving the setting is used.)

mod emulator;

use emulator::{Moto, ROLE_DNS_EDITOR_ARN};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

/// A forward proxy for plain HTTP: absolute-form requests are forwarded to their host, and
/// CONNECT opens a tunnel. Counts the requests it forwarded.
struct Proxy {
    port: u16,
    forwarded: Arc<AtomicUsize>,
}

impl Proxy {
    fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let forwarded = Arc::new(AtomicUsize::new(0));
        let counter = forwarded.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let counter = counter.clone();
                thread::spawn(move || {
                    let _ = serve(client, &counter);
                });
            }
        });
        Proxy { port, forwarded }
    }
}

fn serve(client: TcpStream, forwarded: &AtomicUsize) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let authority = match method {
        "CONNECT" => target.to_owned(),
        _ => target
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or("")
            .to_owned(),
    };
    let mut upstream = TcpStream::connect(&authority)?;
    forwarded.fetch_add(1, Ordering::SeqCst);
    if method == "CONNECT" {
        let mut line = String::new();
        while reader.read_line(&mut line)? > 2 {
            line.clear();
        }
        (&client).write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    } else {
        upstream.write_all(request_line.as_bytes())?;
    }
    let buffered = reader.buffer().to_vec();
    upstream.write_all(&buffered)?;
    let (mut from_client, mut to_upstream) = (reader.into_inner(), upstream.try_clone()?);
    let pump = thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_upstream);
        let _ = to_upstream.shutdown(Shutdown::Write);
    });
    let mut to_client = client;
    let mut response = Vec::new();
    upstream.read_to_end(&mut response)?;
    to_client.write_all(&response)?;
    let _ = to_client.shutdown(Shutdown::Both);
    let _ = pump.join();
    Ok(())
}

#[test]
fn a_rotation_goes_through_http_proxy() {
    let moto = Moto::start();
    let proxy = Proxy::start();
    let mut sandbox = moto.sandbox();
    sandbox.set("HTTP_PROXY", format!("http://127.0.0.1:{}", proxy.port));
    let output = sandbox
        .rolecreds()
        .args([
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--profile-name",
            "proxied",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        proxy.forwarded.load(Ordering::SeqCst) >= 2,
        "GetUser and AssumeRole should both pass the proxy"
    );

    let mut nowhere = moto.sandbox();
    nowhere.set("HTTP_PROXY", emulator::closed_endpoint());
    let output = nowhere
        .rolecreds()
        .args([
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--profile-name",
            "unproxied",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
}
