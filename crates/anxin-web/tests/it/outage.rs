//! A database that goes away: requests answer 503 and nothing is acknowledged that was not stored; when it comes
//! back, the same request succeeds once. PostgreSQL behind a proxy that the test switches off (runs when
//! `ANXIN_TEST_POSTGRES_URL` is set, as in CI).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::support::*;

/// A TCP proxy to PostgreSQL that can cut every connection and refuse new ones.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (up2, open2, upstream) = (up.clone(), open.clone(), upstream.to_owned());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else { continue };
                open2.lock().unwrap().extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                for (mut from, mut to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Proxy { port, up, open }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_database_outage_is_503_and_loses_nothing() {
    let Some(url) = postgres_url_for_outage() else {
        eprintln!("ANXIN_TEST_POSTGRES_URL not set: the outage story needs PostgreSQL (CI sets it)");
        return;
    };
    let proxy = Proxy::start("127.0.0.1:5432");
    let via_proxy = url.replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port), 1);
    let app = TestApp::spawn(Some(via_proxy));
    let mut visitor = app.visitor();
    assert_eq!(visitor.send("before", "你好，在吗").0, 201);

    proxy.cut();
    let (status, body) = visitor.send("during", "订单怎么还没发货？");
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("service_unavailable")), "{body}");
    assert_eq!(Client::new(&app).get("/readyz").0, 503);

    proxy.restore();
    // The client retries the same message: stored once.
    let mut stored = None;
    for _ in 0..50 {
        let (status, body) = visitor.send("during", "订单怎么还没发货？");
        if status == 201 {
            stored = Some(body);
            break;
        }
        assert_eq!(status, 503, "{body}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let stored = stored.expect("accepted again once the database is back");
    assert_eq!(visitor.send("during", "订单怎么还没发货？").1["message"]["id"], stored["message"]["id"]);
    assert_eq!(Client::new(&app).get("/readyz").0, 200);
    let mut agent = app.login("agent");
    let conversation = stored["conversation_id"].as_i64().unwrap();
    let (_, messages) = agent.get(&format!("/api/v1/conversations/{conversation}/messages"));
    let ids: Vec<&str> = messages["messages"].as_array().unwrap().iter().filter_map(|m| m["client_message_id"].as_str()).collect();
    assert_eq!(ids, ["before", "during"]);
}

fn postgres_url_for_outage() -> Option<String> {
    let url = std::env::var("ANXIN_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
    assert!(url.contains("127.0.0.1:5432"), "the outage story proxies 127.0.0.1:5432; got {url}");
    Some(fresh_schema(&url))
}
