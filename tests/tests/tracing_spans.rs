//! The runtime's `tracing` output: a span per revision, and each statement
//! (with its line) inside it, whether it ran alone or in a batch.

use std::io::Write;
use std::sync::{Arc, Mutex};

use migrate_runtime::Migrator;
use migrate_tests::{scenarios::chain_plan, TestDb};

/// A `MakeWriter` that keeps everything the subscriber prints.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn each_revision_has_a_span_and_each_statement_is_traced_inside_it() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let t = TestDb::sqlite().await;
    let plan = chain_plan(2);
    Migrator::new(plan).upgrade(&t.db, "head").await.unwrap();

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for revision in plan.revisions() {
        let span = format!("migrate_revision{{revision={}", revision.id());
        assert!(
            output.contains(&span),
            "no span for {}:\n{output}",
            revision.id()
        );
    }
    // Two statements per revision (CREATE TABLE, INSERT), each traced once.
    let statements = output
        .lines()
        .filter(|line| line.contains("migrate_statement"))
        .count();
    assert_eq!(statements, 4, "{output}");
}
