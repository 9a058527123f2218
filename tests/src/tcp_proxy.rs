//! A TCP pass-through proxy on loopback that can sever every connection it carries: a network
//! cut in the middle of a WebSocket, for the realtime reconnect tests.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A running proxy: `127.0.0.1:<port>` → `target`. Stops accepting when dropped.
#[derive(Debug)]
pub struct TcpProxy {
    addr: SocketAddr,
    streams: Arc<Mutex<Vec<TcpStream>>>,
    accepted: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl TcpProxy {
    /// Starts a proxy to `target` (`host:port`).
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound.
    pub fn start(target: &str) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("the proxy's address");
        let streams = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let target = target.to_owned();
        {
            let (streams, accepted, stop) = (
                Arc::clone(&streams),
                Arc::clone(&accepted),
                Arc::clone(&stop),
            );
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            accepted.fetch_add(1, Ordering::Relaxed);
                            let _ = client.set_nonblocking(false);
                            let Ok(server) = TcpStream::connect(&target) else {
                                continue;
                            };
                            pipe(client, server, &streams);
                        }
                        Err(_) => thread::sleep(Duration::from_millis(10)),
                    }
                }
            });
        }
        TcpProxy {
            addr,
            streams,
            accepted,
            stop,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Severs every connection the proxy carries now (both directions, both ends).
    pub fn cut(&self) {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        for stream in streams.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.cut();
    }
}

fn pipe(client: TcpStream, server: TcpStream, streams: &Mutex<Vec<TcpStream>>) {
    let clones = (
        client.try_clone(),
        server.try_clone(),
        client.try_clone(),
        server.try_clone(),
    );
    let (Ok(c2), Ok(s2), Ok(c3), Ok(s3)) = clones else {
        return;
    };
    streams
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .extend([c3, s3]);
    thread::spawn(move || copy(client, server));
    thread::spawn(move || copy(s2, c2));
}

fn copy(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
