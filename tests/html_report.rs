//! The HTML audit report in a real browser: headless Chromium (Debian `chromium`, installed by
//! tests/setup.sh) opens it and is driven over the Chrome DevTools Protocol on its
//! `--remote-debugging-pipe` transport (JSON messages separated by NUL on file descriptors 3
//! and 4, wired by `sh`), so console messages, exceptions, CSP violations and every network
//! request are observed as events, not guessed from a DOM dump.
//!
//! The page must load with no console error, no log error (a blocked resource is one), no
//! exception and no request other than the report file itself; its stylesheet must apply (the
//! CSP allows it by hash only); the key numbers must be in the DOM; and it must print to PDF.
//! The screenshot and the PDF are kept in target/tmp/html_report/ for a person to look at.
//! Without Chromium the test fails: it never skips.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use common::{code, custos, stderr};

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(p);
    }
    for name in ["chromium", "chromium-browser"] {
        let found = std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        });
        if let Some(p) = found {
            return p;
        }
    }
    panic!("chromium is not installed: run tests/setup.sh (Debian package `chromium`)");
}

/// A CDP connection to a headless Chromium over its debugging pipe.
struct Browser {
    child: Child,
    to: ChildStdin,
    from: Receiver<Value>,
    next_id: u64,
    /// Every event received so far, in order.
    events: Vec<Value>,
}

impl Browser {
    fn launch(profile: &Path, log: &Path) -> Self {
        // fd 3: what chromium reads (our stdin pipe); fd 4: what it writes (our stdout pipe).
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 1>&2 0</dev/null"#)
            .arg(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-pipe",
                "--hide-scrollbars",
                "--window-size=1200,1600",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).expect("chromium log file"))
            .spawn()
            .expect("start chromium");
        let to = child.stdin.take().expect("stdin pipe");
        let stdout = child.stdout.take().expect("stdout pipe");
        let (tx, from) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut buf = Vec::new();
            while r.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
                buf.clear();
            }
        });
        Self {
            child,
            to,
            from,
            next_id: 0,
            events: Vec::new(),
        }
    }

    /// Send a command (to a page session when `session` is given) and wait for its result.
    fn call(&mut self, session: Option<&str>, method: &str, params: &Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).expect("write to chromium");
        self.to.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .from
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no answer from chromium to {method}"));
            if v["id"].as_u64() == Some(id) {
                assert!(v.get("error").is_none(), "{method} failed: {v}");
                return v["result"].clone();
            }
            self.events.push(v);
        }
    }

    /// Wait for an event named `method`.
    fn wait_for(&mut self, method: &str) {
        if self.events.iter().any(|e| e["method"] == method) {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .from
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("chromium never sent {method}"));
            let done = v["method"] == method;
            self.events.push(v);
            if done {
                return;
            }
        }
    }

    /// Collect events for a little longer (late console messages, lazy requests).
    fn settle(&mut self, for_: Duration) {
        let until = Instant::now() + for_;
        while let Ok(v) = self
            .from
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            self.events.push(v);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scope with findings, an intact and a tampered chain; audited twice (the second run with
/// one more finding and `--previous`), so the report has failures, passes, manual controls,
/// verifications and a trend.
fn make_report(dir: &Path) -> (PathBuf, Value) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("repo")).unwrap();
    std::fs::write(
        dir.join("repo/main.tf"),
        "resource \"aws_s3_bucket\" \"data\" {\n  bucket = \"acme-data\"\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("plain.jsonl"), "{\"e\":1}\n{\"e\":2}\n{\"e\":3}\n").unwrap();
    for args in [
        &["chain", "seal", "plain.jsonl", "-o", "good.jsonl"][..],
        &["chain", "keygen", "example.com/audit"][..],
        &[
            "chain",
            "checkpoint",
            "good.jsonl",
            "--key",
            "example.com_audit.key",
            "--origin",
            "example.com/audit",
            "-o",
            "good.cp",
        ][..],
    ] {
        let o = custos(args, dir);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let good = std::fs::read_to_string(dir.join("good.jsonl")).unwrap();
    std::fs::write(dir.join("bad.jsonl"), good.replace("\"e\":2", "\"e\":7")).unwrap();
    std::fs::write(
        dir.join("audit.toml"),
        r#"name = "Browser test audit <script>alert(1)</script>"
scan = ["repo"]
[window]
start = "2026-01-01T00:00:00Z"
end = "2026-03-31T23:59:59Z"
[[chain]]
path = "good.jsonl"
checkpoints = ["good.cp"]
keys = ["example.com_audit.pub"]
[[chain]]
path = "bad.jsonl"
checkpoints = ["good.cp"]
keys = ["example.com_audit.pub"]
"#,
    )
    .unwrap();
    let o = custos(&["audit", "-o", "first"], dir);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    std::fs::write(
        dir.join("repo/more.tf"),
        "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs\"\n}\n",
    )
    .unwrap();
    let o = custos(
        &["audit", "-o", "second", "--previous", "first/bundle.json"],
        dir,
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(dir.join("second/bundle.json")).unwrap()).unwrap();
    (dir.join("second/report.html"), bundle)
}

#[test]
fn the_html_report_loads_offline_without_errors_and_shows_the_numbers() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html_report");
    let (html, bundle) = make_report(&dir);
    let url = format!("file://{}", std::fs::canonicalize(&html).unwrap().display());
    let mut b = Browser::launch(&dir.join("profile"), &dir.join("chromium.log"));
    let target = b.call(None, "Target.createTarget", &json!({"url": "about:blank"}));
    let attached = b.call(
        None,
        "Target.attachToTarget",
        &json!({"targetId": target["targetId"], "flatten": true}),
    );
    let session = attached["sessionId"].as_str().unwrap().to_owned();
    let s = Some(session.as_str());
    for m in [
        "Runtime.enable",
        "Log.enable",
        "Network.enable",
        "Page.enable",
    ] {
        b.call(s, m, &json!({}));
    }
    b.call(
        s,
        "Emulation.setDeviceMetricsOverride",
        &json!({"width": 1200, "height": 1600, "deviceScaleFactor": 1, "mobile": false}),
    );
    b.call(s, "Page.navigate", &json!({"url": url}));
    b.wait_for("Page.loadEventFired");
    b.settle(Duration::from_millis(500));

    // What the page asked for, said and threw.
    let mine: Vec<&Value> = b
        .events
        .iter()
        .filter(|e| e["sessionId"] == session.as_str())
        .collect();
    let requests: Vec<&str> = mine
        .iter()
        .filter(|e| e["method"] == "Network.requestWillBeSent")
        .filter_map(|e| e["params"]["request"]["url"].as_str())
        .collect();
    assert!(
        requests.iter().all(|u| *u == url),
        "the report made requests besides itself: {requests:?}"
    );
    assert!(requests.contains(&url.as_str()), "navigation not observed");
    let errors: Vec<String> = mine
        .iter()
        .filter(|e| {
            (e["method"] == "Runtime.consoleAPICalled"
                && matches!(e["params"]["type"].as_str(), Some("error" | "assert")))
                || e["method"] == "Runtime.exceptionThrown"
                || (e["method"] == "Log.entryAdded"
                    && matches!(e["params"]["entry"]["level"].as_str(), Some("error")))
        })
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    // The key numbers, as the DOM has them.
    let eval = |b: &mut Browser, expr: &str| -> Value {
        let r = b.call(
            s,
            "Runtime.evaluate",
            &json!({"expression": expr, "returnByValue": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expr}: {r}");
        r["result"]["value"].clone()
    };
    let metrics = eval(
        &mut b,
        "Object.fromEntries([...document.querySelectorAll('[data-metric]')].map(e => [e.dataset.metric, e.textContent.trim()]))",
    );
    let summary = &bundle["summary"];
    let expect = [
        ("controls-fail", &summary["controls"]["fail"]),
        ("controls-pass", &summary["controls"]["pass"]),
        ("controls-manual", &summary["controls"]["manual"]),
        ("findings-total", &summary["findings"]["total"]),
        ("findings-failing", &summary["failing_findings"]),
        ("checks-fail", &summary["checks"]["fail"]),
        ("severity-high", &summary["findings"]["high"]),
        ("trend-controls-fail", &summary["controls"]["fail"]),
    ];
    for (metric, want) in expect {
        assert_eq!(
            metrics[metric].as_str(),
            Some(want.to_string().as_str()),
            "{metric} in {metrics}"
        );
    }
    assert_eq!(metrics["gate"].as_str(), Some("Gate FAILED"));
    assert!(summary["controls"]["fail"].as_u64().unwrap() > 0);
    // The title was escaped, not run; the stylesheet applied (the CSP allows it by hash).
    let title = eval(&mut b, "document.querySelector('h1').textContent");
    assert_eq!(
        title.as_str(),
        Some("Browser test audit <script>alert(1)</script>")
    );
    assert_eq!(eval(&mut b, "document.scripts.length"), json!(0));
    let colour = eval(
        &mut b,
        "getComputedStyle(document.querySelector('.verdict')).backgroundColor",
    );
    assert_eq!(
        colour.as_str(),
        Some("rgb(180, 35, 24)"),
        "stylesheet not applied"
    );
    let svgs = eval(&mut b, "document.querySelectorAll('svg rect').length");
    assert!(svgs.as_u64().unwrap() > 5, "charts missing: {svgs}");
    let tampered = eval(
        &mut b,
        "document.body.innerText.includes('bad.jsonl') && document.body.innerText.includes('TAMPERED')",
    );
    assert_eq!(tampered, json!(true));

    // A screenshot for a person, and the PDF a printout would be.
    let shot = b.call(
        s,
        "Page.captureScreenshot",
        &json!({"format": "png", "captureBeyondViewport": true}),
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().unwrap())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    std::fs::write(dir.join("report.png"), &png).unwrap();
    let pdf = b.call(s, "Page.printToPDF", &json!({"printBackground": false}));
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(pdf["data"].as_str().unwrap())
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    std::fs::write(dir.join("report.pdf"), &pdf).unwrap();
    let _ = b.call(None, "Browser.close", &json!({}));
}

#[test]
fn a_report_that_loads_something_is_caught() {
    // The test above must be able to fail: a page with an external image (blocked by its own
    // CSP here, so the attempt shows as a console error) and a script error is flagged.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html_report_negative");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\"></head><body><img src=\"http://127.0.0.1:9/x.png\"></body></html>",
    )
    .unwrap();
    let url = format!("file://{}", std::fs::canonicalize(&page).unwrap().display());
    let mut b = Browser::launch(&dir.join("profile"), &dir.join("chromium.log"));
    let target = b.call(None, "Target.createTarget", &json!({"url": "about:blank"}));
    let attached = b.call(
        None,
        "Target.attachToTarget",
        &json!({"targetId": target["targetId"], "flatten": true}),
    );
    let session = attached["sessionId"].as_str().unwrap().to_owned();
    let s = Some(session.as_str());
    for m in [
        "Runtime.enable",
        "Log.enable",
        "Network.enable",
        "Page.enable",
    ] {
        b.call(s, m, &json!({}));
    }
    b.call(s, "Page.navigate", &json!({"url": url}));
    b.wait_for("Page.loadEventFired");
    b.settle(Duration::from_millis(500));
    let flagged = b.events.iter().any(|e| {
        e["sessionId"] == session.as_str()
            && ((e["method"] == "Network.requestWillBeSent"
                && e["params"]["request"]["url"] != url.as_str())
                || (e["method"] == "Log.entryAdded" && e["params"]["entry"]["level"] == "error")
                || (e["method"] == "Runtime.consoleAPICalled" && e["params"]["type"] == "error"))
    });
    assert!(flagged, "a blocked external image went unnoticed");
}
