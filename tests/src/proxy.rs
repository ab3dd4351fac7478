//! A TCP proxy between the migrator and a database server, for the
//! connection-fault tests: it forwards bytes both ways until told to
//! [`cut`](Proxy::cut) every open connection (new ones are still accepted,
//! so a client can reconnect) or to [`freeze`](Proxy::freeze) (nothing is
//! forwarded any more, on open or new connections, but every socket stays
//! open: the network went silent without closing anything).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

#[derive(Default)]
struct State {
    frozen: AtomicBool,
    connections: Mutex<Vec<AbortHandle>>,
    parked: Mutex<Vec<TcpStream>>,
}

/// A running proxy; dropping it closes everything.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    state: Arc<State>,
    accept: AbortHandle,
}

impl Proxy {
    /// Listens on a free local port, forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State::default());
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if shared.frozen.load(Ordering::SeqCst) {
                    // Accepted by the kernel, never answered.
                    shared.parked.lock().unwrap().push(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                let up = tokio::spawn(pump(client_read, server_write, shared.clone()));
                let down = tokio::spawn(pump(server_read, client_write, shared.clone()));
                let mut connections = shared.connections.lock().unwrap();
                connections.push(up.abort_handle());
                connections.push(down.abort_handle());
            }
        })
        .abort_handle();
        Proxy {
            addr,
            state,
            accept,
        }
    }

    /// `url` (`scheme://user@host:port/db?query`) pointed at the proxy.
    pub fn url(&self, url: &str) -> String {
        let authority_start = url.find("://").map(|p| p + 3).unwrap_or(0);
        let rest = &url[authority_start..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let userinfo = authority
            .rfind('@')
            .map(|at| &authority[..=at])
            .unwrap_or("");
        format!(
            "{}{userinfo}{}{}",
            &url[..authority_start],
            self.addr,
            &rest[authority_end..]
        )
    }

    /// Closes every open connection (both sides) at once.
    pub fn cut(&self) {
        for connection in self.state.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// Stops forwarding anything, keeping every socket open.
    pub fn freeze(&self) {
        self.state.frozen.store(true, Ordering::SeqCst);
    }

    /// Forwards new connections again (the frozen ones stay frozen until
    /// [`cut`](Self::cut)).
    pub fn thaw(&self) {
        self.state.frozen.store(false, Ordering::SeqCst);
        self.state.parked.lock().unwrap().clear();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
        self.state.parked.lock().unwrap().clear();
    }
}

/// Copies one direction until either side closes, or forever holds the
/// bytes once the proxy is frozen.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    state: Arc<State>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        if state.frozen.load(Ordering::SeqCst) {
            // Keep both halves (the sockets stay open), forward nothing.
            std::future::pending::<()>().await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

/// The `host:port` of a server URL, resolved.
pub fn upstream_of(url: &str) -> SocketAddr {
    let authority_start = url.find("://").map(|p| p + 3).unwrap_or(0);
    let rest = &url[authority_start..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    std::net::ToSocketAddrs::to_socket_addrs(host_port)
        .expect("a resolvable host:port")
        .next()
        .expect("an address")
}
