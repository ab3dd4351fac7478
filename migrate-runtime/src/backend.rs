//! The three backends, behind one sealed trait.
//!
//! sqlx's `Any` driver would hide exactly the differences this crate must
//! handle (transactional DDL, locking, batching), so each verb takes a
//! concrete pool (`&SqlitePool`, `&PgPool`, `&MySqlPool`) or a
//! [`MigrateConnection`] opened from a URL, and dispatches on the dialect.

use std::future::Future as _;
use std::str::FromStr;
use std::time::Duration;

/// A row of one text column then integer columns.
type TextAndIntegers = (String, Vec<i64>);

use futures_util::future::BoxFuture;

#[cfg(feature = "mysql")]
use sqlx::mysql::{MySql, MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::pool::PoolConnection;
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, Postgres};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{Sqlite, SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::error::Error;
use crate::plan::Dialect;
use crate::url_mask::redact_url;
use crate::version_table::RawRow;

mod sealed {
    pub trait Sealed {}
}

/// A database the migrator can work on: `SqlitePool`, `PgPool`,
/// `MySqlPool`, or a [`MigrateConnection`]. Sealed.
pub trait Database: sealed::Sealed + Sync {
    #[doc(hidden)]
    fn backend(&self) -> Backend<'_>;
}

#[cfg(feature = "sqlite")]
impl sealed::Sealed for SqlitePool {}
#[cfg(feature = "postgres")]
impl sealed::Sealed for PgPool {}
#[cfg(feature = "mysql")]
impl sealed::Sealed for MySqlPool {}
impl sealed::Sealed for MigrateConnection {}

#[cfg(feature = "sqlite")]
impl Database for SqlitePool {
    fn backend(&self) -> Backend<'_> {
        Backend::Sqlite(self)
    }
}

#[cfg(feature = "postgres")]
impl Database for PgPool {
    fn backend(&self) -> Backend<'_> {
        Backend::Postgres(self)
    }
}

#[cfg(feature = "mysql")]
impl Database for MySqlPool {
    fn backend(&self) -> Backend<'_> {
        Backend::MySql(self)
    }
}

impl Database for MigrateConnection {
    fn backend(&self) -> Backend<'_> {
        match self {
            #[cfg(feature = "sqlite")]
            MigrateConnection::Sqlite(pool) => Backend::Sqlite(pool),
            #[cfg(feature = "postgres")]
            MigrateConnection::Postgres(pool) => Backend::Postgres(pool),
            #[cfg(feature = "mysql")]
            MigrateConnection::MySql(pool) => Backend::MySql(pool),
        }
    }
}

/// A borrowed pool of one of the three kinds.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Backend<'a> {
    /// SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(&'a SqlitePool),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(&'a PgPool),
    /// MySQL or MariaDB.
    #[cfg(feature = "mysql")]
    MySql(&'a MySqlPool),
}

impl Backend<'_> {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => Dialect::Postgres,
            #[cfg(feature = "mysql")]
            Backend::MySql(_) => Dialect::MySql,
        }
    }

    /// A connection from the pool, within `connect_timeout`; its round
    /// trips are bounded by `statement_timeout` when set, and watched by a
    /// liveness probe every `liveness` when set.
    pub(crate) async fn acquire(
        &self,
        connect_timeout: Duration,
        statement_timeout: Option<Duration>,
        liveness: Option<Duration>,
    ) -> Result<Conn, Error> {
        let context = "could not get a connection from the pool";
        let pooled = async {
            Ok::<_, sqlx::Error>(match self {
                #[cfg(feature = "sqlite")]
                Backend::Sqlite(pool) => Pooled::Sqlite(pool.acquire().await?),
                #[cfg(feature = "postgres")]
                Backend::Postgres(pool) => Pooled::Postgres(pool.acquire().await?),
                #[cfg(feature = "mysql")]
                Backend::MySql(pool) => Pooled::MySql(pool.acquire().await?),
            })
        };
        match tokio::time::timeout(connect_timeout, pooled).await {
            Ok(Ok(inner)) => Ok(Conn {
                inner,
                guard: Guard {
                    broken: None,
                    timeout: statement_timeout,
                    probe: liveness.and_then(|every| self.probe(every)),
                    cancel: None,
                },
                cancelled: None,
            }),
            // The pool's own acquire timeout is the same bound: one message.
            Ok(Err(sqlx::Error::PoolTimedOut)) | Err(_) => Err(Error::Database {
                context: context.to_string(),
                message: Timeout::Connect(connect_timeout).to_string(),
            }),
            Ok(Err(error)) => Err(Error::database(context, &error)),
        }
    }
}

impl Backend<'_> {
    /// Where a second connection to this backend's server goes: the
    /// liveness probe and the canceller (none on SQLite, whose database is
    /// a local file run in this process).
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(unreachable_code)
    )]
    fn second_connection(&self) -> Option<ProbeTarget> {
        Some(match self {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => return None,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => ProbeTarget::Postgres(pool.connect_options()),
            #[cfg(feature = "mysql")]
            Backend::MySql(pool) => ProbeTarget::MySql(pool.connect_options()),
        })
    }

    /// The liveness probe of this backend's sessions.
    pub(crate) fn probe(&self, every: Duration) -> Option<Probe> {
        let target = self.second_connection()?;
        Some(Probe { every, target })
    }

    /// How to cancel what the server's session `session` runs, from a
    /// second connection.
    pub(crate) fn canceller(&self, session: i64) -> Option<Canceller> {
        let target = self.second_connection()?;
        Some(Canceller { session, target })
    }
}

/// Cancels the statement a session runs when the statement timeout fires on
/// it: a second connection asks the server (`pg_cancel_backend`, `KILL
/// QUERY`), and the session's own answer says what became of the statement.
#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
pub(crate) struct Canceller {
    /// The server's id of the session (PostgreSQL pid, MySQL connection id).
    session: i64,
    target: ProbeTarget,
}

impl Canceller {
    /// Asks the server to cancel the session's statement; `Ok` once asked.
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(unused_imports, unreachable_code)
    )]
    fn send(&self) -> BoxFuture<'_, Result<(), sqlx::Error>> {
        Box::pin(async move {
            use sqlx::{ConnectOptions as _, Connection as _};
            match &self.target {
                #[cfg(feature = "postgres")]
                ProbeTarget::Postgres(options) => {
                    let mut conn = options.connect().await?;
                    let sql = format!("SELECT pg_cancel_backend({})", self.session);
                    let asked: bool = sqlx::query_scalar(&sql).fetch_one(&mut conn).await?;
                    let _ = conn.close().await;
                    if asked {
                        Ok(())
                    } else {
                        Err(sqlx::Error::Protocol(format!(
                            "pg_cancel_backend({}) found no session to cancel",
                            self.session
                        )))
                    }
                }
                #[cfg(feature = "mysql")]
                ProbeTarget::MySql(options) => {
                    let mut conn = options.connect().await?;
                    let sql = format!("KILL QUERY {}", self.session);
                    sqlx::Executor::execute(&mut conn, sqlx::raw_sql(&sql)).await?;
                    let _ = conn.close().await;
                    Ok(())
                }
                ProbeTarget::Never(never) => match *never {},
            }
        })
    }
}

/// How long, at most, a statement the statement timeout cancelled is given
/// to answer (the cancel's own connection included) before its connection
/// is taken as lost (a frozen network cannot carry the cancel either).
pub(crate) const CANCEL_GRACE: Duration = Duration::from_secs(2);

/// Where a liveness probe connects: the pool's own connect options.
enum ProbeTarget {
    #[cfg(feature = "postgres")]
    Postgres(std::sync::Arc<PgConnectOptions>),
    #[cfg(feature = "mysql")]
    MySql(std::sync::Arc<MySqlConnectOptions>),
    /// Keeps the match arms valid in a SQLite-only build.
    #[allow(dead_code)]
    Never(std::convert::Infallible),
}

/// A probe connection, once opened.
enum ProbeConn {
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgConnection),
    #[cfg(feature = "mysql")]
    MySql(sqlx::MySqlConnection),
    /// Keeps the match arms valid in a SQLite-only build.
    #[allow(dead_code)]
    Never(std::convert::Infallible),
}

/// The client-side stand-in for TCP keepalive (sqlx 0.8 opens its sockets
/// itself and offers no keepalive option nor a hook on the socket): while
/// a round trip has waited `every`, a second connection to the server is
/// opened and pinged every `every`. When a ping (or the opening) gets no
/// answer within `every`, the network is taken as frozen and the round trip
/// is abandoned with [`Timeout::Liveness`]. A probe that fails with an
/// error (the server refusing a connection, say) proves nothing and is
/// retried; only silence fires. A statement that answers within `every`
/// never opens the probe connection.
pub(crate) struct Probe {
    every: Duration,
    target: ProbeTarget,
}

impl Probe {
    /// Returns (with the error to report) only when a probe went unanswered.
    async fn watch(&self) -> sqlx::Error {
        let mut conn: Option<ProbeConn> = None;
        loop {
            tokio::time::sleep(self.every).await;
            let answered = tokio::time::timeout(self.every, self.ping(&mut conn)).await;
            match answered {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::debug!(%error, "liveness probe failed; retrying");
                    conn = None;
                }
                Err(_) => return Timeout::Liveness(self.every).into_sqlx(),
            }
        }
    }

    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(unused_imports, unreachable_code)
    )]
    async fn ping(&self, conn: &mut Option<ProbeConn>) -> Result<(), sqlx::Error> {
        use sqlx::{ConnectOptions as _, Connection as _};
        if conn.is_none() {
            *conn = Some(match &self.target {
                #[cfg(feature = "postgres")]
                ProbeTarget::Postgres(options) => ProbeConn::Postgres(options.connect().await?),
                #[cfg(feature = "mysql")]
                ProbeTarget::MySql(options) => ProbeConn::MySql(options.connect().await?),
                ProbeTarget::Never(never) => match *never {},
            });
        }
        match conn {
            #[cfg(feature = "postgres")]
            Some(ProbeConn::Postgres(c)) => c.ping().await,
            #[cfg(feature = "mysql")]
            Some(ProbeConn::MySql(c)) => c.ping().await,
            Some(ProbeConn::Never(never)) => match *never {},
            None => Ok(()),
        }
    }
}

/// A round trip's result, and the statement timeout that fired on it when
/// the runtime cancelled its statement and the server answered with an
/// error (the statement did not complete; the connection is sound).
type Watched<T> = (Result<T, sqlx::Error>, Option<Duration>);

/// What bounds and watches a connection's round trips: the statement
/// timeout, the liveness probe, the canceller, and the timeout that already
/// fired on the connection, if one did.
struct Guard {
    /// The timeout that fired on this connection, if one did: its protocol
    /// state is unknown from then on, so every later round trip fails at
    /// once with the same error instead of waiting out another timeout on
    /// a session that cannot answer (a frozen network would otherwise cost
    /// one full timeout per statement the caller still tries).
    broken: Option<Timeout>,
    timeout: Option<Duration>,
    probe: Option<Probe>,
    /// Cancels the session's statement when the statement timeout fires
    /// (set once the session's server id is known).
    cancel: Option<Canceller>,
}

impl Guard {
    /// [`watched`] on a connection: when a timeout already fired on it
    /// (`broken`), that error again, without a round trip; with `cancel`, a
    /// statement timeout cancels the statement rather than give up on the
    /// connection.
    async fn run<T>(
        &self,
        future: impl std::future::Future<Output = Result<T, sqlx::Error>> + Send,
    ) -> Watched<T> {
        match self.broken {
            Some(fired) => (Err(fired.into_sqlx()), None),
            None => {
                let (probe, cancel) = (self.probe.as_ref(), self.cancel.as_ref());
                watched_dyn(self.timeout, probe, cancel, std::pin::pin!(future)).await
            }
        }
    }
}

/// `future`, bounded by `timeout` and watched by `probe`, if any.
#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
pub(crate) async fn watched<T>(
    timeout: Option<Duration>,
    probe: Option<&Probe>,
    future: impl std::future::Future<Output = Result<T, sqlx::Error>> + Send,
) -> Result<T, sqlx::Error> {
    watched_dyn(timeout, probe, None, std::pin::pin!(future))
        .await
        .0
}

/// [`watched`] on a future behind a pointer: the future is polled in this
/// one place whether or not a timeout or a probe is set, and this body is
/// compiled once per result type rather than once per future (sqlx's
/// futures are large, and the binary carries each copy).
///
/// When the statement timeout fires and `cancel` is set, the server is
/// asked to cancel the statement and the session's own answer is awaited
/// (within [`CANCEL_GRACE`], and no longer than the timeout itself): an
/// error is the statement's end, told apart by the timeout returned with
/// it; a success means it completed before the cancel reached it. No
/// answer in time (a frozen network), or no canceller, and the round trip
/// fails with [`Timeout::Statement`], the connection's state unknown.
async fn watched_dyn<T>(
    timeout: Option<Duration>,
    probe: Option<&Probe>,
    cancel: Option<&Canceller>,
    mut future: std::pin::Pin<
        &mut (dyn std::future::Future<Output = Result<T, sqlx::Error>> + Send + '_),
    >,
) -> Watched<T> {
    use futures_util::future::Either;
    use std::task::Poll;
    let mut sleep = std::pin::pin!(timeout.map(tokio::time::sleep));
    let mut watch = std::pin::pin!(probe.map(Probe::watch));
    let fired = std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(result));
        }
        if let (Some(after), Some(sleep)) = (timeout, sleep.as_mut().as_pin_mut()) {
            if sleep.poll(cx).is_ready() {
                return Poll::Ready(Err(after));
            }
        }
        if let Some(watch) = watch.as_mut().as_pin_mut() {
            if let Poll::Ready(error) = watch.poll(cx) {
                return Poll::Ready(Ok(Err(error)));
            }
        }
        Poll::Pending
    })
    .await;
    let after = match fired {
        Ok(result) => return (result, None),
        Err(after) => after,
    };
    let timed_out = || (Err(Timeout::Statement(after).into_sqlx()), None);
    let Some(cancel) = cancel else {
        return timed_out();
    };
    let answer = tokio::time::timeout(after.min(CANCEL_GRACE), async {
        match futures_util::future::select(cancel.send(), future.as_mut()).await {
            // The statement ended before the canceller finished: by the
            // cancel when the server says so (its answer can arrive while
            // the canceller is still closing its own connection), else on
            // its own.
            Either::Right((result, _)) => {
                let cancelled = matches!(&result, Err(error) if is_cancellation(error));
                (result, cancelled)
            }
            Either::Left((asked, statement)) => {
                if let Err(error) = &asked {
                    tracing::debug!(%error, "could not cancel the statement");
                }
                (statement.await, asked.is_ok())
            }
        }
    })
    .await;
    match answer {
        Ok((Ok(value), _)) => (Ok(value), None),
        Ok((Err(error), asked)) if !is_connection_failure(&error) => {
            (Err(error), asked.then_some(after))
        }
        _ => timed_out(),
    }
}

/// PostgreSQL's TCP keepalive for the migrator's sessions, set on the server
/// side (sqlx exposes no client-side keepalive): the server probes an idle
/// session after 30 s, every 10 s, and ends it after 3 unanswered probes,
/// releasing the locks of a client that vanished.
#[cfg(feature = "postgres")]
pub(crate) const SERVER_KEEPALIVE: [(&str, &str); 3] = [
    ("tcp_keepalives_idle", "30"),
    ("tcp_keepalives_interval", "10"),
    ("tcp_keepalives_count", "3"),
];

/// A client-side timeout that fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timeout {
    /// Opening a connection took longer than the connect timeout.
    Connect(Duration),
    /// A statement (or batch) got no answer within the statement timeout.
    Statement(Duration),
    /// The liveness probe got no answer: the network is taken as frozen.
    Liveness(Duration),
}

impl std::fmt::Display for Timeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Timeout::Connect(after) => write!(
                f,
                "the connect timeout ({after:?}) fired: no connection to the server in time"
            ),
            Timeout::Statement(after) => write!(
                f,
                "the statement timeout ({after:?}) fired: the server did not answer in time"
            ),
            Timeout::Liveness(every) => write!(
                f,
                "the liveness probe ({every:?}) fired: a second connection to the server got no answer in time, so the network is taken as frozen"
            ),
        }
    }
}

impl std::error::Error for Timeout {}

impl Timeout {
    /// As a sqlx I/O error (the connection's state is unknown after it).
    pub(crate) fn into_sqlx(self) -> sqlx::Error {
        sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, self))
    }
}

/// A pooled connection of one of the three kinds, whose round trips are
/// bounded by the statement timeout when one is set.
pub(crate) struct Conn {
    inner: Pooled,
    guard: Guard,
    /// The statement timeout, when the last round trip's statement was
    /// cancelled by it.
    cancelled: Option<Duration>,
}

enum Pooled {
    #[cfg(feature = "sqlite")]
    Sqlite(PoolConnection<Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(PoolConnection<Postgres>),
    #[cfg(feature = "mysql")]
    MySql(PoolConnection<MySql>),
}

macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            Pooled::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            Pooled::Postgres($c) => $body,
            #[cfg(feature = "mysql")]
            Pooled::MySql($c) => $body,
        }
    };
}

// The methods return boxed futures: rustc cannot prove the unboxed ones
// `Send` for every lifetime (the `Executor` impls of `&mut MySqlConnection`
// are higher-ranked), which would make `upgrade(..)` unusable in
// `tokio::spawn`. Boxing checks `Send` at a concrete lifetime.
impl Conn {
    /// After a timeout the protocol state is unknown: never reuse it.
    fn settle<T>(&mut self, (result, cancelled): Watched<T>) -> Result<T, sqlx::Error> {
        if let Some(fired) = timeout_of(&result) {
            self.guard.broken.get_or_insert(fired);
            self.close_on_drop();
        }
        self.cancelled = cancelled;
        result
    }

    /// From now on, a statement timeout cancels the statement of the
    /// session (`canceller`) instead of abandoning the connection.
    pub(crate) fn cancel_with(&mut self, canceller: Option<Canceller>) {
        self.guard.cancel = canceller;
    }

    /// The statement timeout, when it cancelled the statement of the last
    /// round trip (which then failed with the server's answer to the cancel).
    pub(crate) fn cancelled(&self) -> Option<Duration> {
        self.cancelled
    }

    /// Runs SQL text through the simple (text) protocol: one statement or,
    /// on PostgreSQL and SQLite, several separated by `;`, in one round trip.
    pub(crate) fn execute<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async move {
            // `Executor::execute` rather than `RawSql::execute`, whose
            // future rustc cannot prove `Send` for every lifetime.
            let inner = &mut self.inner;
            let result = self.guard.run(async {
                with_conn!(inner, c => sqlx::Executor::execute(&mut **c, sqlx::raw_sql(sql)).await.map(|_| ()))
            })
            .await;
            self.settle(result)
        })
    }

    /// [`execute`](Self::execute), also counting the statements the server
    /// reported complete before an error (so the failing one is the next).
    pub(crate) fn execute_counted<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, (usize, Result<(), sqlx::Error>)> {
        Box::pin(async move {
            let mut completed = 0;
            let inner = &mut self.inner;
            let result = self.guard.run(async {
                with_conn!(inner, c => {
                    let mut results = sqlx::Executor::execute_many(&mut **c, sqlx::raw_sql(sql));
                    loop {
                        match std::future::poll_fn(|cx| results.as_mut().poll_next(cx)).await {
                            None => break Ok(()),
                            Some(Ok(_)) => completed += 1,
                            Some(Err(error)) => break Err(error),
                        }
                    }
                })
            })
            .await;
            (completed, self.settle(result))
        })
    }

    /// The first row of `sql`, its first `columns` columns as text, sent
    /// through the simple (text) protocol: one message and one round trip,
    /// with no statement prepared first (the start-up check's query).
    pub(crate) fn fetch_texts_simple<'a>(
        &'a mut self,
        sql: &'a str,
        columns: usize,
    ) -> BoxFuture<'a, Result<Option<Vec<String>>, sqlx::Error>> {
        Box::pin(async move {
            let inner = &mut self.inner;
            let result = self
                .guard
                .run(async {
                    with_conn!(inner, c => {
                        match sqlx::Executor::fetch_optional(&mut **c, sqlx::raw_sql(sql)).await? {
                            Some(row) => (0..columns)
                                .map(|i| sqlx::Row::try_get::<String, _>(&row, i))
                                .collect::<Result<Vec<String>, sqlx::Error>>()
                                .map(Some),
                            None => Ok(None),
                        }
                    })
                })
                .await;
            self.settle(result)
        })
    }

    /// One row of a text column then `integers` integer columns, by the
    /// simple query protocol (one round trip, nothing prepared). The
    /// integers are read as 64 bits, or 32 for a table an older version
    /// made with `INTEGER` columns.
    pub(crate) fn fetch_text_and_integers<'a>(
        &'a mut self,
        sql: &'a str,
        integers: usize,
    ) -> BoxFuture<'a, Result<Option<TextAndIntegers>, sqlx::Error>> {
        Box::pin(async move {
            let inner = &mut self.inner;
            let result = self
                .guard
                .run(async {
                    with_conn!(inner, c => {
                        match sqlx::Executor::fetch_optional(&mut **c, sqlx::raw_sql(sql)).await? {
                            Some(row) => {
                                let text = sqlx::Row::try_get::<String, _>(&row, 0)?;
                                let numbers = (1..=integers)
                                    .map(|i| {
                                        sqlx::Row::try_get::<i64, _>(&row, i).or_else(|_| {
                                            sqlx::Row::try_get::<i32, _>(&row, i).map(i64::from)
                                        })
                                    })
                                    .collect::<Result<Vec<i64>, sqlx::Error>>()?;
                                Ok(Some((text, numbers)))
                            }
                            None => Ok(None),
                        }
                    })
                })
                .await;
            self.settle(result)
        })
    }

    pub(crate) fn fetch_count<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<i64, sqlx::Error>> {
        Box::pin(async move {
            let inner = &mut self.inner;
            let result = self.guard.run(async {
                with_conn!(inner, c => sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut **c).await)
            })
            .await;
            self.settle(result)
        })
    }

    pub(crate) fn fetch_optional_string<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, sqlx::Error>> {
        Box::pin(async move {
            let inner = &mut self.inner;
            let result = self.guard.run(async {
                with_conn!(inner, c => sqlx::query_scalar::<_, String>(sql).fetch_optional(&mut **c).await)
            })
            .await;
            self.settle(result)
        })
    }

    /// The first column of every row, as text.
    pub(crate) fn fetch_strings<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, sqlx::Error>> {
        Box::pin(async move {
            let inner = &mut self.inner;
            let result = self.guard.run(async {
                with_conn!(inner, c => sqlx::query_scalar::<_, String>(sql).fetch_all(&mut **c).await)
            })
            .await;
            self.settle(result)
        })
    }

    pub(crate) fn fetch_summary<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<Option<(String, i64)>, sqlx::Error>> {
        Box::pin(async move {
            let inner = &mut self.inner;
            let result = self.guard.run(async {
                with_conn!(inner, c => sqlx::query_as::<_, (String, i64)>(sql).fetch_optional(&mut **c).await)
            })
            .await;
            self.settle(result)
        })
    }

    pub(crate) fn fetch_rows<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RawRow>, sqlx::Error>> {
        Box::pin(async move {
            let inner = &mut self.inner;
            let result = self.guard.run(async {
                with_conn!(inner, c => sqlx::query_as::<_, RawRow>(sql).fetch_all(&mut **c).await)
            })
            .await;
            self.settle(result)
        })
    }

    /// Makes sure a connection left inside a transaction (a cancelled
    /// future, a panic, a timeout) never goes back to the pool.
    pub(crate) fn close_on_drop(&mut self) {
        with_conn!(&mut self.inner, c => c.close_on_drop())
    }
}

/// The client-side timeout `result` failed with, if it did.
fn timeout_of<T>(result: &Result<T, sqlx::Error>) -> Option<Timeout> {
    match result {
        Err(sqlx::Error::Io(error)) => error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<Timeout>())
            .copied(),
        _ => None,
    }
}

/// Whether an error is the server's answer to a cancel request: the
/// statement was cut short, the session is sound (PostgreSQL's
/// `query_canceled`, MySQL's `ER_QUERY_INTERRUPTED`).
fn is_cancellation(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(error) = error else {
        return false;
    };
    #[cfg(feature = "mysql")]
    if let Some(mysql) = error.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return mysql.number() == 1317;
    }
    error.code().as_deref() == Some("57014")
}

/// Whether an error means the connection itself failed (or timed out), so
/// that whatever was in flight may or may not have committed.
pub(crate) fn is_connection_failure(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => {
            // MariaDB/MySQL: connection killed, server gone, connection lost.
            #[cfg(feature = "mysql")]
            if let Some(mysql) = error.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                return matches!(mysql.number(), 1927 | 2006 | 2013);
            }
            // PostgreSQL: the session was terminated, or a connection exception.
            matches!(
                error.code().as_deref(),
                Some("57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006")
            )
        }
        _ => false,
    }
}

/// A pool opened from a URL, for the CLI and for applications that do not
/// keep a pool of their own.
#[derive(Debug, Clone)]
pub enum MigrateConnection {
    /// `sqlite:` URLs (the file is created when missing).
    #[cfg(feature = "sqlite")]
    Sqlite(SqlitePool),
    /// `postgres:` and `postgresql:` URLs.
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
    /// `mysql:` and `mariadb:` URLs.
    #[cfg(feature = "mysql")]
    MySql(MySqlPool),
}

impl MigrateConnection {
    /// Opens a small pool for `url`, within [`DEFAULT_CONNECT_TIMEOUT`].
    /// Errors name the URL with its password replaced by `***`.
    pub async fn connect(url: &str) -> Result<MigrateConnection, Error> {
        Self::connect_with_timeout(url, DEFAULT_CONNECT_TIMEOUT).await
    }

    /// [`connect`](Self::connect), giving up after `timeout` with the same
    /// message as every other connect timeout (a server that accepts the
    /// TCP connection and never answers). One plain connection is opened
    /// first, so that a refused connection is reported at once: sqlx's pool
    /// would retry it until its own timeout and then say only "pool timed
    /// out".
    pub async fn connect_with_timeout(
        url: &str,
        timeout: Duration,
    ) -> Result<MigrateConnection, Error> {
        Self::connect_shaped(url, timeout, Shape::SINGLE).await
    }

    /// A fleet target's pool: one connection opened (no plain connection
    /// first), at most two, no ping before each use, and on PostgreSQL
    /// `schema` alone on every session's `search_path` (the lock's and the
    /// liveness probe's sessions too, since they connect with the pool's
    /// options).
    pub(crate) async fn connect_target(
        url: &str,
        schema: Option<&str>,
        timeout: Duration,
    ) -> Result<MigrateConnection, Error> {
        Self::connect_shaped(
            url,
            timeout,
            Shape {
                schema,
                connect_first: false,
                max_connections: 2,
            },
        )
        .await
    }

    async fn connect_shaped(
        url: &str,
        timeout: Duration,
        shape: Shape<'_>,
    ) -> Result<MigrateConnection, Error> {
        let context = || format!("could not connect to {}", redact_url(url));
        let dialect = Dialect::of_url(url).ok_or_else(|| Error::UnsupportedUrl(redact_url(url)))?;
        if dialect != Dialect::Sqlite {
            if let Some(problem) = crate::url_mask::server_url_problem(url) {
                return Err(Error::Database {
                    context: context(),
                    message: problem,
                });
            }
        }
        let opened = match open(url, dialect, timeout, shape) {
            Some(opened) => opened,
            None => {
                return Err(Error::DriverNotCompiled {
                    url: redact_url(url),
                    feature: dialect.name(),
                })
            }
        };
        match tokio::time::timeout(timeout, opened).await {
            Ok(Ok(connection)) => Ok(connection),
            Ok(Err(sqlx::Error::PoolTimedOut)) | Err(_) => Err(Error::Database {
                context: context(),
                message: Timeout::Connect(timeout).to_string(),
            }),
            Ok(Err(error)) => Err(Error::Database {
                context: context(),
                message: crate::error::database_message(&error),
            }),
        }
    }

    /// The backend's dialect.
    pub fn dialect(&self) -> Dialect {
        self.backend().dialect()
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            #[cfg(feature = "sqlite")]
            MigrateConnection::Sqlite(pool) => pool.close().await,
            #[cfg(feature = "postgres")]
            MigrateConnection::Postgres(pool) => pool.close().await,
            #[cfg(feature = "mysql")]
            MigrateConnection::MySql(pool) => pool.close().await,
        }
    }
}

/// How long [`MigrateConnection::connect`] and a default
/// [`Migrator`](crate::Migrator) wait for a connection: 10 s, long enough for a server
/// across a slow network, short enough for a person at a terminal. Raise it
/// with `Migrator::connect_timeout` or `--connect-timeout` for a server that
/// wakes up slowly.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

type Opening<'a> = BoxFuture<'a, Result<MigrateConnection, sqlx::Error>>;

/// How a pool is opened: a single database's (a plain connection first, so
/// that a refused connection is reported at once, and a pool of four), or a
/// fleet target's.
#[derive(Debug, Clone, Copy)]
struct Shape<'a> {
    /// PostgreSQL: the schema put alone on `search_path`.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    schema: Option<&'a str>,
    /// Open and close one plain connection before the pool.
    connect_first: bool,
    /// The pool's size (SQLite in memory: always one).
    max_connections: u32,
}

impl Shape<'_> {
    const SINGLE: Shape<'static> = Shape {
        schema: None,
        connect_first: true,
        max_connections: 4,
    };
}

/// Opens the pool for `url`, or `None` when `dialect`'s driver is not
/// compiled in (its feature is off).
#[allow(unused_variables)]
fn open<'a>(
    url: &'a str,
    dialect: Dialect,
    timeout: Duration,
    shape: Shape<'a>,
) -> Option<Opening<'a>> {
    let single = shape.connect_first;
    match dialect {
        #[cfg(feature = "sqlite")]
        Dialect::Sqlite => Some(Box::pin(async move {
            let options = SqliteConnectOptions::from_str(url)?.create_if_missing(true);
            // An in-memory database exists once per connection.
            let max = if url.contains(":memory:") || url.contains("mode=memory") {
                1
            } else {
                shape.max_connections
            };
            let pool = SqlitePoolOptions::new()
                .acquire_timeout(timeout)
                .max_connections(max)
                .test_before_acquire(single)
                .connect_with(options)
                .await?;
            Ok(MigrateConnection::Sqlite(pool))
        })),
        #[cfg(feature = "postgres")]
        Dialect::Postgres => Some(Box::pin(async move {
            use sqlx::{ConnectOptions as _, Connection as _};
            let mut options = PgConnectOptions::from_str(url)?.options(SERVER_KEEPALIVE);
            if let Some(schema) = shape.schema {
                // Validated by `migrate_core::names::schema_problem`: no
                // quote, space or backslash to escape.
                options = options.options([("search_path", format!("\"{schema}\""))]);
            }
            if single {
                options.connect().await?.close().await?;
            }
            let address = Address::of_postgres(&options);
            let pool = PgPoolOptions::new()
                .acquire_timeout(timeout)
                .max_connections(shape.max_connections)
                .test_before_acquire(single)
                .connect_with(options);
            let pool = unless_refused(!single, address, pool).await?;
            Ok(MigrateConnection::Postgres(pool))
        })),
        #[cfg(feature = "mysql")]
        Dialect::MySql => Some(Box::pin(async move {
            use sqlx::{ConnectOptions as _, Connection as _};
            let options = match url.get(..8) {
                Some(scheme) if scheme.eq_ignore_ascii_case("mariadb:") => {
                    MySqlConnectOptions::from_str(&format!("mysql:{}", &url[8..]))?
                }
                _ => MySqlConnectOptions::from_str(url)?,
            };
            if single {
                options.connect().await?.close().await?;
            }
            let address = Address::of_mysql(&options);
            let pool = MySqlPoolOptions::new()
                .acquire_timeout(timeout)
                .max_connections(shape.max_connections)
                .test_before_acquire(single)
                .connect_with(options);
            let pool = unless_refused(!single, address, pool).await?;
            Ok(MigrateConnection::MySql(pool))
        })),
        _ => None,
    }
}

/// How long a fleet target's pool may wait for its first connection before
/// a bare socket is opened to find out whether the server refuses it.
/// Every healthy connection here took a few milliseconds; the pool's
/// retries of a refused one sleep 10, 20, 40, 80 ms... in between.
pub(crate) const REFUSAL_PROBE_AFTER: Duration = Duration::from_millis(200);

/// Where a server listens, as sqlx's drivers connect to it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Address {
    /// A host name or address (an IPv6 one without its brackets) and a port.
    Tcp(String, u16),
    /// A Unix socket's path.
    #[cfg_attr(
        not(all(unix, any(feature = "postgres", feature = "mysql"))),
        allow(dead_code)
    )]
    Unix(std::path::PathBuf),
}

impl Address {
    /// PostgreSQL's: the socket `<dir>/.s.PGSQL.<port>` when the options
    /// name a directory (`host=/run/postgresql`), else host and port.
    #[cfg(feature = "postgres")]
    fn of_postgres(options: &PgConnectOptions) -> Address {
        let port = options.get_port();
        let dir = match options.get_socket() {
            Some(dir) => Some(dir.clone()),
            None if options.get_host().starts_with('/') => Some(options.get_host().into()),
            None => None,
        };
        match dir {
            Some(dir) => Address::Unix(dir.join(format!(".s.PGSQL.{port}"))),
            None => Address::tcp(options.get_host(), port),
        }
    }

    /// MySQL's: the socket when the options name one, else host and port.
    #[cfg(feature = "mysql")]
    fn of_mysql(options: &MySqlConnectOptions) -> Address {
        match options.get_socket() {
            Some(path) => Address::Unix(path.clone()),
            None => Address::tcp(options.get_host(), options.get_port()),
        }
    }

    #[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
    fn tcp(host: &str, port: u16) -> Address {
        Address::Tcp(host.trim_matches(['[', ']']).to_string(), port)
    }

    /// Opens a bare socket to the address and closes it at once, before
    /// any protocol: the operating system's answer, nothing else.
    async fn reach(&self) -> std::io::Result<()> {
        match self {
            Address::Tcp(host, port) => tokio::net::TcpStream::connect((host.as_str(), *port))
                .await
                .map(drop),
            #[cfg(unix)]
            Address::Unix(path) => tokio::net::UnixStream::connect(path).await.map(drop),
            #[cfg(not(unix))]
            Address::Unix(_) => Err(std::io::ErrorKind::Unsupported.into()),
        }
    }
}

/// A pool's opening, failed at once when the server refuses connections
/// (`watch`, a fleet target's pool). sqlx's pool takes a refused connection
/// for a server starting up and retries it until its acquire timeout, then
/// says only "pool timed out"; a single run opens one plain connection
/// first to see the refusal, which a fleet does not (on MySQL it costs a
/// query a target, and a connection on every server). So once the pool has
/// waited [`REFUSAL_PROBE_AFTER`], a bare socket is opened to the server's
/// address: refused, the opening fails with the system's error, as the
/// single run's plain connection would; accepted (and closed before any
/// protocol), or failing otherwise, the pool is left to finish or to time
/// out. A pool that connects sooner never opens the socket.
#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
async fn unless_refused<T>(
    watch: bool,
    address: Address,
    opening: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    if !watch {
        return opening.await;
    }
    let refused = async {
        tokio::time::sleep(REFUSAL_PROBE_AFTER).await;
        match address.reach().await {
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => error,
            _ => std::future::pending().await,
        }
    };
    let opening = std::pin::pin!(opening);
    let refused = std::pin::pin!(refused);
    match futures_util::future::select(opening, refused).await {
        futures_util::future::Either::Left((opened, _)) => opened,
        futures_util::future::Either::Right((error, _)) => Err(sqlx::Error::Io(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "postgres")]
    #[test]
    fn a_postgres_address_is_where_the_driver_connects() {
        let address = |url: &str| Address::of_postgres(&PgConnectOptions::from_str(url).unwrap());
        assert_eq!(
            address("postgres://u:p@db.example:6543/app"),
            Address::Tcp("db.example".into(), 6543)
        );
        assert_eq!(
            address("postgres://u@[::1]/app"),
            Address::Tcp("::1".into(), 5432)
        );
        assert_eq!(
            address("postgres://u@%2Frun%2Fpostgresql:5433/app"),
            Address::Unix("/run/postgresql/.s.PGSQL.5433".into())
        );
    }

    #[tokio::test]
    async fn connection_errors_never_show_the_password() {
        for url in [
            "postgres://app:hunter2@127.0.0.1:1/db",
            "mysql://app:hunter2@127.0.0.1:1/db",
            "postgres://127.0.0.1:1/db?user=app&password=hunter2",
        ] {
            let error = MigrateConnection::connect_with_timeout(url, Duration::from_millis(300))
                .await
                .unwrap_err()
                .to_string();
            assert!(!error.contains("hunter2"), "{error}");
            assert!(error.contains("***"), "{error}");
        }
        let error = MigrateConnection::connect("oracle://u:hunter2@h/db")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            !error.contains("hunter2") && error.contains("unsupported"),
            "{error}"
        );
    }
}
