//! Issue 11 item 6: `cargo migrate` gives up on a server that accepts and
//! never answers after `--connect-timeout`, with the library's message.

use std::process::Command;

#[test]
fn a_server_that_never_answers_hits_the_connect_timeout() {
    // Bound, never accepting: the kernel completes the handshake, nothing answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("address").port();
    let dir = tempfile::tempdir().expect("temp dir");
    let cargo_migrate = |args: &[&str], url: &str| {
        Command::new(env!("CARGO_BIN_EXE_cargo-migrate"))
            .arg("migrate")
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", url)
            .env("NO_COLOR", "1")
            .output()
            .expect("cargo-migrate runs")
    };
    let init = cargo_migrate(&["init"], "");
    assert!(init.status.success(), "{init:?}");
    for (scheme, url) in [
        (
            "postgres",
            format!("postgres://app:s3cret@127.0.0.1:{port}/db"),
        ),
        ("mysql", format!("mysql://app:s3cret@127.0.0.1:{port}/db")),
    ] {
        let output = cargo_migrate(&["current", "--connect-timeout", "0.3"], &url);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert_eq!(
            stderr.trim_end(),
            format!(
                "error: could not connect to {scheme}://app:***@127.0.0.1:{port}/db: \
                 the connect timeout (300ms) fired: no connection to the server in time"
            )
        );
    }
    let help = cargo_migrate(&["--help"], "");
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("--connect-timeout <SECONDS>"),
        "{help:?}"
    );
    drop(silent);
}
