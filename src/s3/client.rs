//! The S3 client: an AWS SDK client on a small tokio runtime, bridged to blocking code.
//!
//! Credentials and region come from the SDK's standard chains (environment, shared config and
//! credentials files, SSO, web identity, ECS/EC2 metadata). The endpoint is `--endpoint-url`,
//! else `[s3] endpoint_url`, else what the SDK resolves itself (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_S3`, the profile's `endpoint_url`), else AWS. Requests are retried by the
//! SDK's standard retry strategy (exponential backoff with jitter; throttling — `SlowDown`,
//! 503 — and transient errors are retried) up to `max_attempts`. Every failure becomes an
//! [`S3Error`] naming the bucket and key and saying what went wrong in words an operator acts
//! on; nothing here panics on a server's answer.

use std::io::Read;
use std::time::Duration;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

use super::{S3Config, DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS};

/// What kind of failure an S3 call met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    AccessDenied,
    NoSuchBucket,
    NoSuchKey,
    /// The configuration asked for does not exist (no policy, no lock configuration…).
    NotConfigured,
    Throttled,
    /// The server does not implement the call (HTTP 501).
    NotImplemented,
    /// The endpoint could not be reached or did not speak S3.
    Endpoint,
    Credentials,
    Other,
}

/// A failed S3 call, naming what it was about.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{target}: {}{}", self.kind_text(), if self.detail.is_empty() { String::new() } else { format!(" ({})", self.detail) })]
pub struct S3Error {
    pub kind: ErrorKind,
    /// `s3://bucket` or `s3://bucket/key`.
    pub target: String,
    /// The service's error code and message, or the transport's reason.
    pub detail: String,
}

impl S3Error {
    fn kind_text(&self) -> &'static str {
        match self.kind {
            ErrorKind::AccessDenied => "access denied",
            ErrorKind::NoSuchBucket => "no such bucket",
            ErrorKind::NoSuchKey => "no such key",
            ErrorKind::NotConfigured => "not configured",
            ErrorKind::Throttled => "throttled (still after retries with backoff)",
            ErrorKind::NotImplemented => "not implemented by this server",
            ErrorKind::Endpoint => "endpoint unreachable or not an S3 endpoint",
            ErrorKind::Credentials => "no usable credentials",
            ErrorKind::Other => "request failed",
        }
    }

    pub(crate) fn new(kind: ErrorKind, target: &str, detail: impl Into<String>) -> Self {
        Self {
            kind,
            target: target.to_owned(),
            detail: detail.into(),
        }
    }
}

/// Codes S3 (and compatible stores) answer for a missing configuration of a bucket.
const NOT_CONFIGURED: &[&str] = &[
    "ServerSideEncryptionConfigurationNotFoundError",
    "ObjectLockConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "NoSuchBucketPolicy",
    "NoSuchLifecycleConfiguration",
    "NoSuchTagSet",
];

/// Turn an SDK error into an [`S3Error`] about `target`.
pub(crate) fn classify<E>(err: &SdkError<E, HttpResponse>, target: &str) -> S3Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = err.code().unwrap_or_default();
    let message = err.message().unwrap_or_default();
    let status = err.raw_response().map(|r| r.status().as_u16());
    let detail = |fallback: String| {
        let mut parts = Vec::new();
        if !code.is_empty() {
            parts.push(code.to_owned());
        }
        if let Some(s) = status {
            parts.push(format!("HTTP {s}"));
        }
        if !message.is_empty() {
            parts.push(message.to_owned());
        }
        if parts.is_empty() {
            fallback
        } else {
            parts.join(": ")
        }
    };
    let kind = match err {
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) | SdkError::TimeoutError(_) => {
            ErrorKind::Endpoint
        }
        SdkError::ConstructionFailure(_) => ErrorKind::Credentials,
        _ => match (code, status) {
            (
                "AccessDenied"
                | "AllAccessDisabled"
                | "InvalidAccessKeyId"
                | "SignatureDoesNotMatch",
                _,
            )
            | ("", Some(403)) => ErrorKind::AccessDenied,
            ("NoSuchBucket", _) => ErrorKind::NoSuchBucket,
            ("NoSuchKey" | "NotFound" | "NoSuchVersion", _) | ("", Some(404)) => {
                ErrorKind::NoSuchKey
            }
            (
                "SlowDown"
                | "Throttling"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TooManyRequests",
                _,
            )
            | (_, Some(429 | 503)) => ErrorKind::Throttled,
            ("NotImplemented", _) | (_, Some(501)) => ErrorKind::NotImplemented,
            (c, _) if NOT_CONFIGURED.contains(&c) => ErrorKind::NotConfigured,
            _ => ErrorKind::Other,
        },
    };
    let fallback = match err {
        SdkError::TimeoutError(_) => "the request timed out".to_owned(),
        other => source_chain(other),
    };
    S3Error::new(kind, target, detail(fallback))
}

/// An error and its sources, one line.
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    let mut depth = 0;
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    out
}

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Listed {
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
    /// Seconds since the epoch.
    pub last_modified: Option<i64>,
}

/// An S3 client and the runtime it runs on.
pub struct Store {
    rt: tokio::runtime::Runtime,
    client: Client,
    concurrency: usize,
    /// Keys per listing page (`None`: the server's default, 1000 on S3).
    page_size: Option<i32>,
    /// Where requests go: the configured endpoint, or `AWS` (for messages).
    pub endpoint: String,
    pub region: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A client from `[s3]` and an `--endpoint-url` override (which wins).
    pub fn connect(cfg: &S3Config, endpoint_override: Option<&str>) -> Result<Self, S3Error> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("custos-s3")
            .enable_all()
            .build()
            .map_err(|e| S3Error::new(ErrorKind::Other, "s3", format!("no async runtime: {e}")))?;
        let attempts = cfg.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1);
        let endpoint = endpoint_override
            .map(str::to_owned)
            .or_else(|| cfg.endpoint_url.clone());
        if let Some(e) = &endpoint {
            if !(e.starts_with("http://") || e.starts_with("https://")) {
                return Err(S3Error::new(
                    ErrorKind::Endpoint,
                    e,
                    "an endpoint URL starts with http:// or https://",
                ));
            }
        }
        let region_override = cfg.region.clone();
        let sdk = rt.block_on(async {
            let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .retry_config(
                    RetryConfig::standard()
                        .with_max_attempts(attempts)
                        .with_initial_backoff(Duration::from_millis(200))
                        .with_max_backoff(Duration::from_secs(10)),
                )
                .timeout_config(
                    aws_config::timeout::TimeoutConfig::builder()
                        .connect_timeout(Duration::from_secs(10))
                        .read_timeout(Duration::from_secs(60))
                        .build(),
                );
            if let Some(r) = region_override {
                loader = loader.region(aws_config::Region::new(r));
            }
            loader.load().await
        });
        let region = sdk
            .region()
            .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
        let mut b = aws_sdk_s3::config::Builder::from(&sdk)
            .region(aws_sdk_s3::config::Region::new(region.clone()));
        if let Some(e) = &endpoint {
            b = b.endpoint_url(e);
        }
        // S3-compatible stores mostly want the bucket in the path; AWS wants virtual hosts.
        let path_style = cfg
            .force_path_style
            .unwrap_or(endpoint.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some());
        b = b.force_path_style(path_style);
        let shown = endpoint
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .unwrap_or_else(|| "AWS".to_owned());
        Ok(Self {
            rt,
            client: Client::from_conf(b.build()),
            concurrency: cfg.concurrency.unwrap_or(DEFAULT_CONCURRENCY).clamp(1, 64),
            page_size: None,
            endpoint: shown,
            region,
        })
    }

    /// The SDK client (tests configure buckets through it).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// List with pages of at most `n` keys (tests exercise pagination with it).
    pub fn set_page_size(&mut self, n: i32) {
        self.page_size = Some(n.max(1));
    }

    /// Keys per listing page, when set.
    pub fn page_size(&self) -> Option<i32> {
        self.page_size
    }

    /// How many GETs may run at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Run a future on this store's runtime, from blocking code.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Every object under `prefix` (all pages), in key order.
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<Listed>, S3Error> {
        let target = super::S3Url::object_url(bucket, prefix);
        self.block_on(async {
            let mut out = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let resp = self
                    .client
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(prefix)
                    .set_max_keys(self.page_size)
                    .set_continuation_token(token.take())
                    .send()
                    .await
                    .map_err(|e| classify(&e, &target))?;
                for o in resp.contents() {
                    let Some(key) = o.key() else { continue };
                    out.push(Listed {
                        key: key.to_owned(),
                        size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                        etag: o.e_tag().map(|e| e.trim_matches('"').to_owned()),
                        last_modified: o
                            .last_modified()
                            .map(aws_sdk_s3::primitives::DateTime::secs),
                    });
                }
                match resp.next_continuation_token() {
                    Some(t) if resp.is_truncated() == Some(true) => token = Some(t.to_owned()),
                    _ => break,
                }
            }
            out.sort_by(|a, b| a.key.cmp(&b.key));
            out.dedup_by(|a, b| a.key == b.key);
            Ok(out)
        })
    }

    /// Open an object for streaming reads.
    pub fn open(&self, bucket: &str, key: &str) -> Result<ObjectReader<'_>, S3Error> {
        let target = super::S3Url::object_url(bucket, key);
        let resp = self.block_on(async {
            self.client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| classify(&e, &target))
        })?;
        Ok(ObjectReader {
            store: self,
            target,
            info: ObjectInfo {
                etag: resp.e_tag().map(|e| e.trim_matches('"').to_owned()),
                version_id: resp.version_id().map(str::to_owned),
                size: resp.content_length().and_then(|s| u64::try_from(s).ok()),
                metadata: resp
                    .metadata()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            body: Some(resp.body),
            chunk: bytes::Bytes::new(),
        })
    }

    /// An object's user metadata (`x-amz-meta-*`, keys lowercased, without the prefix).
    pub fn metadata(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, S3Error> {
        let target = super::S3Url::object_url(bucket, key);
        self.block_on(async {
            let resp = self
                .client
                .head_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| classify(&e, &target))?;
            Ok(resp
                .metadata()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                        .collect()
                })
                .unwrap_or_default())
        })
    }

    /// Does the bucket exist and may we read it?
    pub fn check_bucket(&self, bucket: &str) -> Result<(), S3Error> {
        let target = super::S3Url::bucket_url(bucket);
        self.block_on(async {
            self.client
                .head_bucket()
                .bucket(bucket)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    let mut err = classify(&e, &target);
                    // HEAD has no body: a 404 on a bucket is a missing bucket.
                    if err.kind == ErrorKind::NoSuchKey {
                        err.kind = ErrorKind::NoSuchBucket;
                    }
                    err
                })
        })
    }

    /// Upload bytes (tests and `--seal`-style writers).
    pub fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        metadata: &[(&str, &str)],
    ) -> Result<Option<String>, S3Error> {
        let target = super::S3Url::object_url(bucket, key);
        self.block_on(async {
            let mut req = self
                .client
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(body));
            for (k, v) in metadata {
                req = req.metadata(*k, *v);
            }
            req.send()
                .await
                .map(|o| o.version_id().map(str::to_owned))
                .map_err(|e| classify(&e, &target))
        })
    }
}

/// What a GET said about the object.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ObjectInfo {
    pub etag: Option<String>,
    pub version_id: Option<String>,
    pub size: Option<u64>,
    /// User metadata, keys lowercased without `x-amz-meta-`.
    pub metadata: std::collections::BTreeMap<String, String>,
}

/// An object's body as a blocking reader: one HTTP chunk in memory at a time.
pub struct ObjectReader<'a> {
    store: &'a Store,
    target: String,
    pub info: ObjectInfo,
    body: Option<ByteStream>,
    chunk: bytes::Bytes,
}

impl std::fmt::Debug for ObjectReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReader")
            .field("target", &self.target)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Read for ObjectReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            let Some(body) = self.body.as_mut() else {
                return Ok(0);
            };
            match self.store.block_on(body.next()) {
                Some(Ok(bytes)) => self.chunk = bytes,
                Some(Err(e)) => {
                    self.body = None;
                    return Err(std::io::Error::other(format!(
                        "{}: reading the body failed: {}",
                        self.target,
                        source_chain(&e)
                    )));
                }
                None => self.body = None,
            }
        }
        let n = buf.len().min(self.chunk.len());
        let head = self.chunk.split_to(n);
        buf.get_mut(..n)
            .ok_or_else(|| std::io::Error::other("short buffer"))?
            .copy_from_slice(&head);
        Ok(n)
    }
}
