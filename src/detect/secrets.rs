//! The secret detector: one table of rules, a keyword prefilter, and validation.
//!
//! Every rule names keywords; one case-insensitive Aho-Corasick pass over the text finds which
//! keywords occur, and only the rules whose keyword occurred run their regex. A rule's regex has
//! a `secret` group (the bytes that are reported, always redacted); a match is then filtered by
//! minimum entropy, known example values and placeholders. Each rule carries true- and
//! false-positive samples that the test suite checks, in the way gitleaks validates its rules.
//!
//! How a file is written decides what a literal is ([`Context`], chosen per file by
//! [`Context::for_file`]): in source code only string literals are values; in config, shell and
//! logs unquoted values are too; prose and YAML add that a value followed by more words is a
//! sentence or a label (an unquoted YAML value runs to the end of its line);
//! in lock files and detect-secrets baselines no digest is a credential. The generic rule then
//! asks [`super::literal`] what the value is (a reference, a name, a placeholder, a digest, a
//! type, plain words) before it reports it. The AWS secret access key has no prefix of its own,
//! so it is recognised by what stands next to it on the line: a key id, or words naming it.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use regex::Regex;

use super::literal;
use super::{is_placeholder, shannon_entropy, Detection};
use crate::document::Kind;
use crate::finding::Severity;

/// How a text is written, which changes what counts as a literal value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Source code: only quoted values are literals (`password = get()`, `cfg.Passwd = pwd`,
    /// `token: string` are not secrets).
    Code,
    /// Configuration, shell and logs: unquoted values are literals too (`PASSWORD=hunter2`).
    Config,
    /// Documentation (Markdown, reStructuredText, notebooks): like configuration, since docs
    /// quote config, but a `key: value` followed by more words is a sentence, not a setting.
    Prose,
    /// YAML (plain YAML, manifests, compose, CI files, CloudFormation): like configuration, but
    /// an unquoted `key: value` runs to the end of the line, so `password: snowflake password`
    /// is one multi-word string (a form label, a description), not the literal `snowflake`.
    Yaml,
    /// Machine-written digest manifests (lock files, detect-secrets baselines, checksum lists):
    /// like configuration, but no digest is a credential.
    Digests,
}

/// File names (lower case) of lock files, detect-secrets baselines and checksum lists.
const DIGEST_FILES: &[&str] = &[
    ".secrets.baseline",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "go.sum",
    "go.work.sum",
    "packages.lock.json",
    "conda-lock.yml",
    "conda-lock.yaml",
    ".terraform.lock.hcl",
    "sha256sums",
    "sha512sums",
    "sha1sums",
    "md5sums",
    "checksums.txt",
];
/// Extensions of source code (matched on the lower-cased name). Shell is not among them: in
/// `export TOKEN=abc` the unquoted value is the literal.
const CODE_EXTENSIONS: &[&str] = &[
    ".go", ".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".vue", ".svelte",
    ".java", ".kt", ".kts", ".scala", ".sc", ".groovy", ".gradle", ".cs", ".fs", ".vb", ".rb",
    ".rs", ".php", ".swift", ".m", ".mm", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh",
    ".dart", ".lua", ".pl", ".pm", ".ex", ".exs", ".erl", ".jl", ".clj", ".r", ".ps1", ".pyi",
    ".pyx", ".zig", ".nim",
];
const PROSE_EXTENSIONS: &[&str] = &[
    ".md",
    ".markdown",
    ".mdx",
    ".rst",
    ".txt",
    ".adoc",
    ".asciidoc",
    ".org",
    ".ipynb",
    ".tex",
];

impl Context {
    /// The context for a file, from its name and the kind the scan classified it as.
    pub fn for_file(path: &str, kind: Kind) -> Context {
        let name = path
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(path)
            .to_ascii_lowercase();
        let ends = |exts: &[&str]| exts.iter().any(|e| name.ends_with(e));
        if DIGEST_FILES.contains(&name.as_str())
            || ends(&[".lock", ".sha256", ".sha512", ".sha1", ".md5"])
        {
            return Context::Digests;
        }
        match kind {
            Kind::Python | Kind::AirflowDag | Kind::Terraform | Kind::Groovy => Context::Code,
            Kind::Text if ends(CODE_EXTENSIONS) || name == "jenkinsfile" => Context::Code,
            Kind::Text if ends(PROSE_EXTENSIONS) => Context::Prose,
            Kind::Yaml
            | Kind::Kubernetes
            | Kind::DockerCompose
            | Kind::GithubActions
            | Kind::GitlabCi
            | Kind::CloudFormation => Context::Yaml,
            _ => Context::Config,
        }
    }
}

/// What makes a match count, beyond the regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    None,
    /// The first segment must decode to a JSON header with `alg`.
    Jwt,
    /// The generic `key = value` rule: context-sensitive literal and stopword checks.
    Generic,
    /// A URI password: not a placeholder like `user:password@`.
    UriPassword,
    /// A 40-character AWS secret access key: needs an AWS key id on the same line, or words
    /// naming it just before it.
    AwsSecret,
}

pub struct SecretRule {
    pub id: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Lowercase; matched case-insensitively.
    pub keywords: &'static [&'static str],
    pub pattern: &'static str,
    pub min_entropy: f64,
    /// Matches of these (on the secret) are known examples, not secrets.
    pub allow: &'static [&'static str],
    pub check: Check,
    /// Lines that must produce this rule (the secret being the whole `secret` group).
    pub tps: &'static [&'static str],
    /// Lines that must not.
    pub fps: &'static [&'static str],
}

/// The rule table. Order matters only for overlaps: an earlier (more specific) rule wins.
pub static RULES: &[SecretRule] = &[
    SecretRule {
        id: "SEC001",
        name: "aws-access-key-id",
        title: "AWS access key ID",
        severity: Severity::Critical,
        keywords: &["akia", "asia", "abia", "acca", "a3t"],
        pattern: r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})\b",
        min_entropy: 3.0,
        allow: &[r"EXAMPLE$"],
        check: Check::None,
        tps: &["aws_access_key_id = AKIA2E0A8F3B244C9986", "\"AccessKeyId\": \"ASIAY34FZKBOKMUTVV7A\""],
        fps: &["aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAXXXXXXXXXXXXXXXX", "AKIA2E0A8F3B244C99866 (too long)"],
    },
    SecretRule {
        id: "SEC002",
        name: "aws-secret-access-key",
        title: "AWS secret access key",
        severity: Severity::Critical,
        keywords: &["aws", "amazon", "secret", "akia", "asia"],
        // Every maximal run of 40+ base64 characters; `Check::AwsSecret` keeps the runs of
        // exactly 40 that stand next to an AWS key id or to words naming a secret key, in
        // config, code and log lines alike (`… AKIA… secret wJalr…` in an LLM prompt).
        pattern: r"(?P<secret>[A-Za-z0-9/+]{40,})",
        min_entropy: 4.0,
        allow: &[r"EXAMPLEKEY$"],
        check: Check::AwsSecret,
        tps: &[
            "aws_secret_access_key = 9drTJvcXLB89EXAMPLEKEYz3kBsT7Vb+vK2aZtQ1",
            "AWS_SECRET_ACCESS_KEY=Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui0Ok2",
            "export AWS_SECRET_ACCESS_KEY=\"Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui0Ok2\"",
            "{\"prompt\":\"deploy with AKIA2E0A8F3B244C9986 and secret Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui0Ok2 thanks\"}",
            "\"SecretAccessKey\": \"Tb7+Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui\"",
            "my secret access key is Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui0Ok2",
            "AKIA2E0A8F3B244C9986:Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui0Ok2",
        ],
        fps: &[
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY3EXAMPLEKEY",
            "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
            "aws_secret_access_key = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "\"hashed_secret\": \"3e26d6750975d678acb8fa35a0f69237881576b0\"",
            "commit Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui0Ok2 merged",
            "secret Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui0Ok2x (41 characters)",
            "aws secret: Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui0Ok2= (base64 padding)",
            "secret_file: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
        ],
    },
    SecretRule {
        id: "SEC003",
        name: "github-token",
        title: "GitHub token",
        severity: Severity::High,
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        pattern: r"\b(?P<secret>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{80,255})\b",
        min_entropy: 3.5,
        allow: &[],
        check: Check::None,
        tps: &[
            "GITHUB_TOKEN=ghp_4Nd8cR2xWq7Lm9Zt3Kp6Vb1Hs5Jf0Ga8Ye2Q",
            "token: ghs_Zx9Lm2Qw8Er4Ty6Ui1Op3As5Df7Gh0Jk2Lz4X",
            "github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ01234567",
        ],
        fps: &["ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "see ghp_ prefix docs"],
    },
    SecretRule {
        id: "SEC004",
        name: "gitlab-token",
        title: "GitLab token",
        severity: Severity::High,
        keywords: &["glpat-", "glptt-", "gldt-"],
        pattern: r"\b(?P<secret>(?:glpat|glptt|gldt)-[A-Za-z0-9_\-]{20,})",
        min_entropy: 3.0,
        allow: &[],
        check: Check::None,
        tps: &["CI_TOKEN: glpat-x7Kq2Lm9Zt3Rp6Vb1Hs5J"],
        fps: &["glpat-xxxxxxxxxxxxxxxxxxxx", "glpat-<your-token>"],
    },
    SecretRule {
        id: "SEC005",
        name: "slack-token",
        title: "Slack token",
        severity: Severity::High,
        keywords: &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xapp-"],
        pattern: r"\b(?P<secret>(?:xox[baprs]|xapp)-(?:\d+-)?[A-Za-z0-9\-]{20,})",
        min_entropy: 3.0,
        allow: &[],
        check: Check::None,
        tps: &["SLACK_BOT_TOKEN=xoxb-2048123456-4096654321-Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0"],
        fps: &["xoxb-your-token-goes-here-please", "xoxb-xxxxxxxxxxxxxxxxxxxxxxxx"],
    },
    SecretRule {
        id: "SEC006",
        name: "slack-webhook",
        title: "Slack incoming webhook URL",
        severity: Severity::High,
        keywords: &["hooks.slack.com"],
        pattern: r"(?P<secret>https://hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]+/[A-Z0-9]+/[A-Za-z0-9]{20,})",
        min_entropy: 3.0,
        allow: &[r"(?i)/x{8,}$"],
        check: Check::None,
        tps: &["webhook: https://hooks.slack.com/services/T01ABCDEF/B02GHIJKL/Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0"],
        fps: &["https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"],
    },
    SecretRule {
        id: "SEC007",
        name: "openai-api-key",
        title: "OpenAI API key",
        severity: Severity::High,
        keywords: &["sk-"],
        pattern: r"\b(?P<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,}|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{80,})",
        min_entropy: 3.5,
        allow: &[],
        check: Check::None,
        tps: &[
            "OPENAI_API_KEY=sk-Zq8Lm2Xw9Kt3Rp6Vb1HsT3BlbkFJ5Jf0Ga8Ye2Qn4Mc7Ud1Wo",
            "api_key = \"sk-proj-Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3Ti6Pl9Ks2Dj5Fh8Gz1Xc4Vb7Nm0Qa3Ws6Ed9Rf2Tg5Yh8Uj1Ik4Ol7\"",
        ],
        fps: &["sk-your-openai-key-here", "the sk- prefix", "sk-ant-api03-notopenai"],
    },
    SecretRule {
        id: "SEC008",
        name: "anthropic-api-key",
        title: "Anthropic API key",
        severity: Severity::High,
        keywords: &["sk-ant-"],
        pattern: r"\b(?P<secret>sk-ant-(?:api03|admin01)-[A-Za-z0-9_\-]{80,120})",
        min_entropy: 3.5,
        allow: &[],
        check: Check::None,
        tps: &["ANTHROPIC_API_KEY=sk-ant-api03-Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3Ti6Pl9Ks2Dj5Fh8Gz1Xc4Vb7Nm0Qa3Ws6Ed9Rf2Tg5-AAA"],
        fps: &["ANTHROPIC_API_KEY=sk-ant-api03-..."],
    },
    SecretRule {
        id: "SEC009",
        name: "huggingface-token",
        title: "Hugging Face access token",
        severity: Severity::High,
        keywords: &["hf_"],
        pattern: r"\b(?P<secret>hf_[A-Za-z0-9]{34})\b",
        min_entropy: 3.5,
        allow: &[],
        check: Check::None,
        tps: &["HF_TOKEN=hf_Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4M"],
        fps: &["hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "model = hf_hub_download(repo)"],
    },
    SecretRule {
        id: "SEC010",
        name: "databricks-token",
        title: "Databricks personal access token",
        severity: Severity::High,
        keywords: &["dapi"],
        pattern: r"\b(?P<secret>dapi[a-f0-9]{32}(?:-\d)?)\b",
        min_entropy: 3.0,
        allow: &[],
        check: Check::None,
        tps: &["DATABRICKS_TOKEN=dapi1f3e5d7c9b2a4f6e8d0c1b3a5f7e9d2c"],
        fps: &["dapi00000000000000000000000000000000"],
    },
    SecretRule {
        id: "SEC011",
        name: "stripe-key",
        title: "Stripe secret or restricted key",
        severity: Severity::High,
        keywords: &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
        pattern: r"\b(?P<secret>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,99})\b",
        min_entropy: 3.0,
        allow: &[],
        check: Check::None,
        tps: &["stripe.api_key = \"sk_live_51Hq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye\""],
        fps: &["sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "pk_live_51Hq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye (publishable)"],
    },
    SecretRule {
        id: "SEC012",
        name: "twilio-api-key",
        title: "Twilio API key",
        severity: Severity::High,
        keywords: &["twilio", "sk"],
        pattern: r"\b(?P<secret>SK[0-9a-f]{32})\b",
        min_entropy: 3.0,
        allow: &[],
        check: Check::None,
        tps: &["TWILIO_API_KEY=SK1f3e5d7c9b2a4f6e8d0c1b3a5f7e9d2c"],
        fps: &["SK00000000000000000000000000000000", "ASK1f3e5d7c9b2a4f6e8d0c1b3a5f7e9d2c"],
    },
    SecretRule {
        id: "SEC013",
        name: "sendgrid-api-key",
        title: "SendGrid API key",
        severity: Severity::High,
        keywords: &["sg."],
        pattern: r"\b(?P<secret>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})\b",
        min_entropy: 3.5,
        allow: &[],
        check: Check::None,
        tps: &["SENDGRID_API_KEY=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"],
        fps: &["SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"],
    },
    SecretRule {
        id: "SEC014",
        name: "npm-token",
        title: "npm access token",
        severity: Severity::High,
        keywords: &["npm_"],
        pattern: r"\b(?P<secret>npm_[A-Za-z0-9]{36})\b",
        min_entropy: 3.5,
        allow: &[],
        check: Check::None,
        tps: &["//registry.npmjs.org/:_authToken=npm_Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7"],
        fps: &["npm_config_cache=/tmp/npm_cache_directory_for_builds_1"],
    },
    SecretRule {
        id: "SEC015",
        name: "pypi-token",
        title: "PyPI upload token",
        severity: Severity::High,
        keywords: &["pypi-ageichlwas5vcmc"],
        pattern: r"\b(?P<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
        min_entropy: 3.5,
        allow: &[],
        check: Check::None,
        tps: &["password = pypi-AgEIcHlwaS5vcmcCJDQ5Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3Ti6Pl9Ks2Dj5"],
        fps: &["pypi-AgEIcHlwaS5vcmc"],
    },
    SecretRule {
        id: "SEC016",
        name: "gcp-service-account-key",
        title: "GCP service-account key",
        severity: Severity::Critical,
        keywords: &["private_key_id"],
        pattern: r#""private_key_id"\s*:\s*"(?P<secret>[a-f0-9]{40})""#,
        min_entropy: 3.0,
        allow: &[],
        check: Check::None,
        tps: &["{\"type\": \"service_account\", \"private_key_id\": \"1f3e5d7c9b2a4f6e8d0c1b3a5f7e9d2c4b6a8f0e\","],
        fps: &["\"private_key_id\": \"<key-id>\""],
    },
    SecretRule {
        id: "SEC017",
        name: "azure-storage-key",
        title: "Azure storage account key",
        severity: Severity::Critical,
        keywords: &["accountkey="],
        pattern: r"(?i)AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)",
        min_entropy: 4.0,
        allow: &[],
        check: Check::None,
        tps: &["DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3Ti6Pl9Ks2Dj5Fh8Gz1Xc4Vb7Nm0Qa3Ws6Ed9Rf2Tg5Yh==;EndpointSuffix=core.windows.net"],
        fps: &["AccountKey=<storage-account-key>"],
    },
    SecretRule {
        id: "SEC018",
        name: "private-key",
        title: "Private key (PEM)",
        severity: Severity::Critical,
        keywords: &["private key"],
        pattern: r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----(?P<secret>(?:\\n|[\s\S]){20,}?)-----END",
        min_entropy: 3.0,
        allow: &[],
        check: Check::None,
        tps: &["-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAzq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3\\n-----END RSA PRIVATE KEY-----"],
        fps: &["-----BEGIN PUBLIC KEY-----\\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzq8Lm2Xw9Kt3Rp6\\n-----END PUBLIC KEY-----", "# paste your -----BEGIN PRIVATE KEY----- here"],
    },
    SecretRule {
        id: "SEC019",
        name: "jwt",
        title: "JSON Web Token",
        severity: Severity::Medium,
        keywords: &["eyj"],
        pattern: r"\b(?P<secret>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
        min_entropy: 3.0,
        allow: &[],
        check: Check::Jwt,
        tps: &["Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQyIiwiZXhwIjoxOTAwMDAwMDAwfQ.Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3"],
        fps: &["eyJub3QiOiJhIGp3dCJ9.eyJzdWIiOiJ1c2VyLTQyIn0.Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf"],
    },
    SecretRule {
        id: "SEC020",
        name: "uri-credentials",
        title: "Credentials in a connection URI",
        severity: Severity::High,
        keywords: &["://"],
        // Userinfo holds no `|`, `\`, `^`, braces or brackets (RFC 3986), which keeps regex
        // alternations like `sm://|ssm:|x@y` from looking like credentials.
        pattern: r#"(?i)\b[a-z][a-z0-9+.\-]*://(?P<user>[^:@/\s"'<>|\\^{}\[\]`]*):(?P<secret>[^@/\s"'<>|\\^{}\[\]`]+)@[a-z0-9.\-\[\]_]+"#,
        min_entropy: 0.0,
        allow: &[],
        check: Check::UriPassword,
        tps: &[
            "sql_alchemy_conn = postgresql+psycopg2://airflow:Air7low-Pr0d@db.internal:5432/airflow",
            "MONGO_URL=mongodb+srv://etl:Zq8Lm2Xw9K@cluster0.abcde.mongodb.net/db",
            "redis://:s3cr3t-redis@cache:6379/0",
            "amqp://guest:Rabb1t-Pa55@mq.internal:5672/",
            "curl https://deploy:hunter2-basic@artifacts.internal/upload",
        ],
        fps: &[
            "postgresql://user:password@localhost/db",
            "postgresql://${DB_USER}:${DB_PASSWORD}@db/airflow",
            "s3://aws_default@bucket/key",
            "https://user@host/path",
            "mysql://root:<password>@localhost/app",
            "`(?i)^(vault:|sm://|ssm:|secretsmanager:|@microsoft\\.keyvault|op://)`",
        ],
    },
    SecretRule {
        id: "SEC021",
        name: "jdbc-password",
        title: "Password in a JDBC URL",
        severity: Severity::High,
        keywords: &["jdbc:"],
        pattern: r#"(?i)jdbc:[a-z0-9]+:[^\s"']*?[;?&]password=(?P<secret>[^;&\s"']+)"#,
        min_entropy: 0.0,
        allow: &[],
        check: Check::UriPassword,
        tps: &["url = jdbc:sqlserver://db.internal:1433;databaseName=sales;user=etl;password=Sq1-Pr0d-2024"],
        fps: &["jdbc:postgresql://db/sales?user=etl&password=${JDBC_PASSWORD}"],
    },
    SecretRule {
        id: "SEC022",
        name: "url-query-secret",
        title: "Secret in a URL query string",
        severity: Severity::Medium,
        keywords: &["key=", "token=", "secret=", "password=", "sig="],
        // A query value is percent-encoded: brackets, braces, backslashes, `|` and `^` are not
        // in one, so `\?token=[a-zA-Z0-9_-]+` (a regex) and `?token={webhook.token}` (a format
        // template) are not secrets.
        pattern: r#"(?i)[?&](?:api[_\-]?key|apikey|access[_\-]?token|auth[_\-]?token|token|secret|client[_\-]?secret|password|sig|key)=(?P<secret>[^&\s"'#<>\[\]{}\\|^`]{8,})"#,
        min_entropy: 3.0,
        allow: &[],
        check: Check::None,
        tps: &[
            "GET /v1/forecast?city=berlin&api_key=Zq8Lm2Xw9Kt3Rp6Vb1Hs HTTP/1.1",
            "https://maps.example.com/api?key=AIzaSyZq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4",
        ],
        fps: &[
            "https://example.com/search?token=${TOKEN}",
            "/page?key=aaaaaaaaaaaa",
            "https://x.test/?key=value",
            r#"if not re.fullmatch(r"[a-z0-9_-]+\?token=[A-Za-z0-9_-]+", hook_path):"#,
            "raise ValueError('expected a path like {hook.id}?token={hook.secret}')",
        ],
    },
    SecretRule {
        id: "SEC023",
        name: "airflow-fernet-key",
        title: "Airflow Fernet key",
        severity: Severity::Critical,
        keywords: &["fernet_key"],
        pattern: r#"(?i)fernet_key["']?\s*[:=]\s*["']?(?P<secret>[A-Za-z0-9_\-]{43}=)"#,
        min_entropy: 3.5,
        allow: &[],
        check: Check::None,
        tps: &["fernet_key = Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3T=", "AIRFLOW__CORE__FERNET_KEY=Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3T="],
        fps: &["fernet_key = {FERNET_KEY}", "fernet_key ="],
    },
    SecretRule {
        id: "SEC024",
        name: "generic-credential",
        title: "Credential assigned to a credential-named key",
        severity: Severity::Medium,
        keywords: &["password", "passwd", "passphrase", "secret", "token", "api_key", "apikey", "api-key", "access_key", "private_key", "credential"],
        pattern: concat!(
            r#"(?i)(?P<key>[a-z0-9_.\-]*"#,
            r"(?:password|passwd|passphrase|secret|token|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key|client[_\-]?secret|credentials?)",
            r#")["']?[ \t]*(?P<op>:=|=>|:|=)[ \t]*"#,
            // A type annotation before a quoted initialiser (`token: string = "…"`,
            // `password: str = "…"`), else an optional opening quote.
            r#"(?:[&*]?[a-z_][\w.:]*(?:<[\w.<>:, &']*>)?(?:\[\])?\??[ \t]*=[ \t]*(?P<tq>["'`])|(?P<q>["'`]?))"#,
            r#"(?P<secret>[^\s"'`,;#)(\]\[{}]{3,})"#
        ),
        min_entropy: 0.0,
        allow: &[],
        check: Check::Generic,
        tps: &[
            "DB_PASSWORD=hunter2",
            "password: \"Summer2024!\"",
            "client_secret = 'f9a8b7c6d5e4f3a2b1c0'",
            "redis_password=letmein123",
        ],
        fps: &[
            "password = get_password()",
            "password: ${DB_PASSWORD}",
            "token: \"{{ var.value.token }}\"",
            "max_tokens: 256",
            "password_file: /run/secrets/db",
            "api_key = os.environ['API_KEY']",
            "secret: <your-secret>",
            "password: changeme",
            "token_url = https://auth.example.com/token",
            "password: str",
            "apiKey: vault:secret/data/feature-store#api_key",
            "MasterUserPassword: !Ref DBPassword",
            "client_secret: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/api",
            "credentials: /var/run/secrets/gcp.json",
            "credentials = \"/etc/gcp/service-account.json\"",
            // Digests under a digest-named key.
            "\"hashed_secret\": \"3e26d6750975d678acb8fa35a0f69237881576b0\",",
            "\"hashed_password\": \"5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8\"",
            "sha256_api_key: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "digest_token = \"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"",
            "integrity_secret: sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
            // Names and references.
            "secret = Secret(\"env\", \"SQL_CONN\", \"airflow-secrets\", \"sql_alchemy_conn\")",
            "secret=\"airflow-secrets\", key=\"sql_alchemy_conn\"",
            "password: db-password",
            "existingSecret: my-db-secret",
            "tls_secret: ingress-tls-secret",
            "apiToken: vault:secret/data/feature-store#api_token",
            "db_password: secret/data/warehouse/etl",
            "password: /prod/db/password",
            "password: arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db/password",
            "token: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/api-AbC123",
            "password: *db_password",
            "password = db_password",
            "token: githubToken",
            // Placeholders.
            "password: DB_PASSWORD",
            "password: user_password",
            "api_key: INSERT_API_KEY_HERE",
            "password: yourpassword",
            "client_secret: update-this-value",
            "password: xxx",
            "token: ...",
            "password=$DB_PASSWORD",
            "password: _REDIS_PASSWORD_",
            "connection_string: \"redis:6379,ssl=true,password=my_password\"",
            "api_token=api_token",
            // Source-code shapes read as config.
            "password: Option<String>",
            "apiKey: &apiKeyStr",
            "{{- range $secret := .Values.secrets }}",
            "token: string | undefined",
            // Prose, switches and non-credentials.
            "NOPASSWD: ALL",
            "%admin ALL=(ALL) NOPASSWD:ALL",
            "ALLOW_EMPTY_PASSWORD=yes",
            "id-token: write",
            "nextPageToken: Cg9zdG9yZS1wYWdlLTAwNDIQZBoIcmVwb3J0cw",
            "page_token = \"Zq8Lm2Xw9Kt3Rp6Vb1Hs\"",
            "continuation_token: eyJvZmZzZXQiOjEwMH0",
            "kubectl --server=https://127.0.0.1:6443 --token=demo/cluster-ops create -f x.yaml",
            "\"x-refresh-token\": \"not-a-real-token\"",
            "\"password\": \"Where do I change my password\",",
            "access_token=\"sa-token\"",
            "\"token\": 12345678",
            "token: https://auth.internal.example.com/oauth/token",
            "\"guides/DbUserPassword\": \"../guides/DbUserPassword.html\",",
            "password: conf/keys/db-password",
            "\"password\": \"fake_value_for_tests\",",
            "      csrf-token: 2.0.0-rc.20240315",
            // Request and version tokens: idempotency (AWS `ClientToken`), optimistic locking.
            "\"ClientToken\": \"b7e4c3a1-9f2d-4e8a-a1c3-5d6e7f8a9b0c\",",
            "client_request_token=\"0d9c8b7a-6f5e-4d3c-2b1a-09f8e7d6c5b4\",",
            "IdempotencyToken: Zq8Lm2Xw9Kt3Rp6Vb1Hs",
            "versionToken=\"vt-7f3a91c2\",",
            // A credential word written where the value goes.
            "password: pass",
            "api_key: apikey",
            // A segment of an ARN, not a key.
            "\"ARN\": \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:etl/warehouse-Ab12Cd\",",
            // Filler shapes and format directives.
            "\"password\": \"T00000000?token=XXXXXXXXXXXXXXXXXXXXXXXX\",",
            "api_key: sk-XXXXXXXXXXXXXXXXXXXXXXXX",
        ],
    },
];

struct Compiled {
    prefilter: AhoCorasick,
    /// The keywords (first, with the same indices) and then the PII detector's context words:
    /// one pass over a log line finds both ([`scan_with_context_words`]).
    with_context: AhoCorasick,
    /// How many keywords `with_context` starts with.
    keyword_count: usize,
    /// Keyword index → rule indices.
    by_keyword: Vec<Vec<usize>>,
    /// Compiled on first use: a run only pays for the rules whose keywords occur (a
    /// pre-commit run on one file compiles a few of them, not all).
    regexes: Vec<std::sync::OnceLock<Regex>>,
    allows: Vec<std::sync::OnceLock<Vec<Regex>>>,
}

impl Compiled {
    fn regex(&self, i: usize) -> &Regex {
        self.regexes[i].get_or_init(|| Regex::new(RULES[i].pattern).expect("static rule regex"))
    }

    fn allows(&self, i: usize) -> &[Regex] {
        self.allows[i].get_or_init(|| {
            RULES[i]
                .allow
                .iter()
                .map(|a| Regex::new(a).expect("static allow regex"))
                .collect()
        })
    }
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut keywords = Vec::new();
    let mut by_keyword: Vec<Vec<usize>> = Vec::new();
    for (i, r) in RULES.iter().enumerate() {
        for k in r.keywords {
            if let Some(pos) = keywords.iter().position(|x| x == k) {
                by_keyword[pos].push(i);
            } else {
                keywords.push(*k);
                by_keyword.push(vec![i]);
            }
        }
    }
    // A full DFA: the prefilter runs over every line of every log, and an overlapping search
    // (every keyword, even inside another) is fastest on a DFA; the keyword set is small, so
    // the table is too.
    let dfa = |words: &[&str]| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(words)
            .expect("static keywords build")
    };
    let mut both = keywords.clone();
    both.extend(super::pii::context_words());
    Compiled {
        prefilter: dfa(&keywords),
        with_context: dfa(&both),
        keyword_count: keywords.len(),
        by_keyword,
        regexes: RULES.iter().map(|_| std::sync::OnceLock::new()).collect(),
        allows: RULES.iter().map(|_| std::sync::OnceLock::new()).collect(),
    }
});

/// Words that, as the whole value, are not a credential (types, placeholders, key names,
/// switches and permission levels).
const STOPWORDS: &[&str] = &[
    "yes",
    "on",
    "off",
    "enabled",
    "disabled",
    "enable",
    "disable",
    "read",
    "write",
    "read-all",
    "write-all",
    "all",
    "any",
    "auto",
    "always",
    "never",
    "unset",
    "unknown",
    "prompt",
    "generated",
    "random",
    "bearer",
    "basic",
    "oauth",
    "oauth2",
    "plain",
    "plaintext",
    "str",
    "string",
    "bool",
    "int",
    "none",
    "null",
    "nil",
    "true",
    "false",
    "required",
    "optional",
    "env",
    "environ",
    // A credential word as the whole value is the key's name or an abbreviation of it
    // (`password: pass`, `api_key: apikey`), written where the real value goes.
    "secret",
    "secrets",
    "password",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "token",
    "key",
    "apikey",
    "api_key",
    "api-key",
    "credential",
    "credentials",
    "creds",
    "value",
    "undefined",
    "empty",
    "redacted",
    "masked",
    "hidden",
    "sensitive",
    "bytes",
    "text",
    "varchar",
    "self",
    "this",
    "input",
    "config",
    "settings",
    "default",
];

/// References to secret stores: the value names where the secret is kept.
const SECRET_STORE_PREFIXES: &[&str] = &[
    "vault:",
    "ref+",
    "arn:aws:secretsmanager:",
    "arn:aws:ssm:",
    "arn:aws:kms:",
    "projects/",
    "sm://",
    "ssm:",
    "secretsmanager:",
    "@microsoft.keyvault",
    "azurekeyvault:",
    "keyvault:",
    "op://",
    "file:",
    "env:",
    "secret://",
    "arn:",
    "secret/",
    "secrets/",
    "kv/",
    "vault://",
    "awssm://",
    "gcpsm://",
    "azkv://",
    "sops:",
    "k8s://",
    "secretref:",
];

fn jwt_header_ok(token: &str) -> bool {
    let header = token.split('.').next().unwrap_or_default();
    URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v.get("alg").is_some())
}

/// The generic rule's judgement: `Some(end)` of the literal credential (trimmed of a
/// JSON-escaped line end), or `None` when the value is not one.
fn generic_end(
    caps: &regex::Captures<'_>,
    m: regex::Match<'_>,
    text: &str,
    ctx: Context,
) -> Option<usize> {
    // A call or an index, not a value: `get_password()`, `env["X"]`.
    if text[m.end()..].starts_with(['(', '[']) {
        return None;
    }
    // A JSON-escaped line end inside a string (notebooks, YAML held in JSON): `feast\n`.
    let mut secret = m.as_str();
    while let Some(s) = ["\\n", "\\r", "\\t"]
        .iter()
        .find_map(|e| secret.strip_suffix(e))
    {
        secret = s;
    }
    if secret.len() < 3 {
        return None;
    }
    let end = m.start() + secret.len();
    let quote = caps
        .name("tq")
        .or_else(|| caps.name("q"))
        .map_or("", |q| q.as_str());
    let quoted = !quote.is_empty();
    if ctx == Context::Code && !quoted {
        return None;
    }
    let key_m = caps.name("key")?;
    let key = key_m.as_str().to_ascii_lowercase();
    if literal::is_non_credential_key(&key) {
        return None;
    }
    let line_start = text[..key_m.start()].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..key_m.start()];
    // Inside a template expression: `{{- range $secret := .Values.secrets }}`.
    if before.rfind("{{") > before.rfind("}}") {
        return None;
    }
    // A segment of a longer colon- or slash-joined name, not a key: the `secret:` of
    // `arn:aws:secretsmanager:…:secret:prod/db-AbC123`, `…/token:v2`.
    if before.ends_with([':', '/']) {
        return None;
    }
    let lower = secret.to_ascii_lowercase();
    if STOPWORDS.contains(&lower.as_str()) {
        return None;
    }
    // A YAML tag (`!Ref Param`), a secret-store reference or a file path is not the secret itself.
    if secret.starts_with('!') || SECRET_STORE_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return None;
    }
    if literal::is_path(secret) || literal::is_made_up(secret) {
        return None;
    }
    if !quoted && is_reference_expression(secret) {
        return None;
    }
    if literal::is_type_expr(secret)
        || literal::is_credential_name(secret)
        || literal::is_plain_url(secret)
        || (literal::is_digest_key(&key) && literal::is_digest(secret))
    {
        return None;
    }
    // The value repeats its key: `api_token=api_token`, `client_secret="client_secret"`.
    let squash = |s: &str| -> String {
        s.bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|c| char::from(c.to_ascii_lowercase()))
            .collect()
    };
    if squash(secret) == squash(&key) {
        return None;
    }
    // More words after the value: a sentence, not a setting. Inside quotes anywhere
    // (`"password": "Where do I change my password"`); unquoted after a colon in prose.
    let rest_of_line = text[end..].split('\n').next().unwrap_or_default();
    if quoted {
        let closing = quote.chars().next().unwrap_or('"');
        let inner = rest_of_line.split(closing).next().unwrap_or_default();
        if inner.starts_with([' ', '\t']) && inner.bytes().any(|c| c.is_ascii_alphabetic()) {
            return None;
        }
    } else if matches!(ctx, Context::Prose | Context::Yaml)
        && !key.ends_with("passphrase")
        && caps.name("op").is_some_and(|o| o.as_str() == ":")
        && rest_of_line
            .trim_start()
            .starts_with(|c: char| c.is_ascii_alphabetic())
        && rest_of_line.starts_with([' ', '\t'])
    {
        return None;
    }
    let password_like =
        key.ends_with("password") || key.ends_with("passwd") || key.ends_with("passphrase");
    // Weak passwords are still passwords; other secrets must look random: not plain words,
    // not a number, and of some length and entropy.
    if password_like {
        return Some(end);
    }
    let random = !literal::is_words(secret)
        && !literal::is_number(secret)
        && !literal::is_version(secret)
        && secret.len() >= 8
        && shannon_entropy(secret) >= 3.0;
    random.then_some(end)
}

/// An unquoted expression that refers to a value: `config.password`, `os.environ`,
/// `.Values.secrets`, `&apiKeyStr`, `*db_password` (a YAML alias), `opts?.credentials`.
fn is_reference_expression(v: &str) -> bool {
    if v.starts_with(['&', '*']) {
        return v[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    }
    let body = v.trim_start_matches('.');
    body.contains('.')
        && body.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && body.split('.').all(|p| {
            let p = p.trim_end_matches(['?', '!']);
            !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        || (v.starts_with('.') && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// The AWS secret access key judgement: exactly 40 characters (not a slice of a longer run or
/// of padded base64), upper, lower and digit, and named by its context on the same line.
fn aws_secret_ok(text: &str, start: usize, end: usize, secret: &str) -> bool {
    if secret.len() != 40 || text[end..].starts_with('=') {
        return false;
    }
    let b = secret.as_bytes();
    if !(b.iter().any(u8::is_ascii_uppercase)
        && b.iter().any(u8::is_ascii_lowercase)
        && b.iter().any(u8::is_ascii_digit))
    {
        return false;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    if AWS_KEY_ID.is_match(&text[line_start..line_end]) {
        return true;
    }
    let mut from = start.saturating_sub(100).max(line_start);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = text[from..start].to_ascii_lowercase();
    before.contains("secret")
        || ((before.contains("aws") || before.contains("amazon"))
            && (before.contains("key") || before.contains("sk")))
}

static AWS_KEY_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b").expect("static regex"));

fn uri_password_ok(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    !matches!(
        lower.as_str(),
        "password" | "pass" | "passwd" | "pwd" | "secret" | "changeme" | "xxx" | "****"
    ) && !literal::is_credential_name(secret)
}

/// Run every rule whose keyword occurs in `text`.
pub fn scan(text: &str, ctx: Context) -> Vec<Detection> {
    scan_with(text, ctx, true)
}

/// The words a key of the generic rule (SEC024) can end with: the last word of each
/// alternative of its key pattern (`api[_-]?key`, `client[_-]?secret`, `credentials?`, …).
const GENERIC_KEY_ENDS: [&[u8]; 8] = [
    b"password",
    b"passwd",
    b"passphrase",
    b"secret",
    b"token",
    b"key",
    b"credential",
    b"credentials",
];

/// Could the generic rule's pattern (SEC024) match in `text`? A match needs a key that ends
/// in one of [`GENERIC_KEY_ENDS`], then an optional quote, blanks, and `:` or `=` (every
/// operator starts with one): checked at each `:` and `=` of the text, going back. A log line
/// whose only keyword is part of a name (`"prompt_tokens":`) fails it, and the pattern, the
/// costliest of the detector on such lines, does not run. Text that is not ASCII always runs
/// the pattern: its case-insensitive match also folds non-ASCII letters (the Kelvin sign to
/// `k`, `ſ` to `s`).
fn generic_may_match(text: &str) -> bool {
    if !text.is_ascii() {
        return true;
    }
    let b = text.as_bytes();
    memchr::memchr2_iter(b':', b'=', b).any(|op| {
        let mut end = op;
        while end > 0 && matches!(b.get(end - 1), Some(b' ' | b'\t')) {
            end -= 1;
        }
        if end > 0 && matches!(b.get(end - 1), Some(b'"' | b'\'')) {
            end -= 1;
        }
        let before = b.get(..end).unwrap_or_default();
        GENERIC_KEY_ENDS.iter().any(|w| {
            before.len() >= w.len()
                && before
                    .get(before.len() - w.len()..)
                    .is_some_and(|t| t.eq_ignore_ascii_case(w))
        })
    })
}

/// [`scan`], with the generic rule's necessary-condition check ([`generic_may_match`]) on or
/// off (off: the pattern runs whenever a keyword occurs, for tests that hold the two to the
/// same result).
fn scan_with(text: &str, ctx: Context, gate: bool) -> Vec<Detection> {
    let hits = COMPILED
        .prefilter
        .find_overlapping_iter(text)
        .map(|m| (m.pattern().as_usize(), m.start()));
    scan_hits(text, ctx, gate, hits)
}

/// [`scan`], and the PII detector's context words found in the same pass over `text` (for
/// [`super::pii::scan_with_words`]): a log line is walked by one keyword automaton, not two.
/// The keywords are the same, with the same indices, so the detections are [`scan`]'s.
pub fn scan_with_context_words(text: &str, ctx: Context) -> (Vec<Detection>, super::pii::Words) {
    let c = &*COMPILED;
    let mut words = super::pii::Words::default();
    let mut hits: Vec<(usize, usize)> = Vec::new();
    for m in c.with_context.find_overlapping_iter(text) {
        let i = m.pattern().as_usize();
        match i.checked_sub(c.keyword_count) {
            Some(w) => words.add(w),
            None => hits.push((i, m.start())),
        }
    }
    (scan_hits(text, ctx, true, hits.into_iter()), words)
}

/// Run the rules whose keywords are among `hits` (keyword index, start; in the order an
/// overlapping search reports them).
fn scan_hits(
    text: &str,
    ctx: Context,
    gate: bool,
    hits: impl Iterator<Item = (usize, usize)>,
) -> Vec<Detection> {
    let c = &*COMPILED;
    let mut hits = hits.peekable();
    // Most lines of a log hold no keyword at all: nothing to allocate for them.
    if hits.peek().is_none() {
        return Vec::new();
    }
    let mut wanted = vec![false; RULES.len()];
    // Line-scoped rules run on the lines where their keyword occurs, not on the whole text.
    let mut lines: Vec<Vec<(usize, usize)>> = vec![Vec::new(); RULES.len()];
    let mut any = false;
    for (keyword, start) in hits {
        let Some(rules) = c.by_keyword.get(keyword) else {
            continue;
        };
        for &r in rules {
            wanted[r] = true;
            any = true;
            // Matches come in text order: one on the line already recorded adds nothing, and
            // looking for its line's ends again would make a long line with many keywords
            // quadratic.
            if line_scoped(&RULES[r]) && lines[r].last().is_none_or(|&(_, end)| end < start) {
                let b = text.as_bytes();
                let from = memchr::memrchr(b'\n', &b[..start]).map_or(0, |i| i + 1);
                let to = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |i| start + i);
                if lines[r].last().is_none_or(|&(_, end)| end < from) {
                    lines[r].push((from, to));
                }
            }
        }
    }
    if !any {
        return Vec::new();
    }
    let mut out: Vec<Detection> = Vec::new();
    for (i, rule) in RULES.iter().enumerate() {
        if !wanted[i] {
            continue;
        }
        if gate && rule.check == Check::Generic && !generic_may_match(text) {
            continue;
        }
        let whole = [(0, text.len())];
        let spans: &[(usize, usize)] = if line_scoped(rule) { &lines[i] } else { &whole };
        for &(base, stop) in spans {
            let Some(hay) = text.get(base..stop) else {
                continue;
            };
            for caps in c.regex(i).captures_iter(hay) {
                let Some(m) = caps.name("secret") else {
                    continue;
                };
                let (start, m_end) = (base + m.start(), base + m.end());
                let secret = m.as_str();
                if is_placeholder(secret) || c.allows(i).iter().any(|a| a.is_match(secret)) {
                    continue;
                }
                // In a lock file or a baseline, a digest is only ever a digest.
                if ctx == Context::Digests && literal::is_digest(secret) {
                    continue;
                }
                if rule.min_entropy > 0.0 && shannon_entropy(secret) < rule.min_entropy {
                    continue;
                }
                let end = match rule.check {
                    Check::None => Some(m_end),
                    Check::Jwt => jwt_header_ok(secret).then_some(m_end),
                    // Whole-text rules: `hay` is `text`, so positions need no shifting.
                    Check::Generic => generic_end(&caps, m, text, ctx),
                    Check::UriPassword => uri_password_ok(secret).then_some(m_end),
                    Check::AwsSecret => aws_secret_ok(text, start, m_end, secret).then_some(m_end),
                };
                let Some(end) = end else {
                    continue;
                };
                // An earlier, more specific rule already reported this secret.
                if out.iter().any(|d| d.start < end && start < d.end) {
                    continue;
                }
                out.push(Detection {
                    rule: rule.id,
                    start,
                    end,
                });
            }
        }
    }
    out.sort_by_key(|d| (d.start, d.rule));
    out
}

/// Rules whose context is the line (the AWS secret key): their regex runs only on lines that
/// hold one of their keywords, which is exact because the check looks no further than the line.
fn line_scoped(rule: &SecretRule) -> bool {
    rule.check == Check::AwsSecret
}

pub fn rule(id: &str) -> Option<&'static SecretRule> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_regexes_compile() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        assert_eq!(COMPILED.regexes.len(), RULES.len());
        // Every rule's pattern and allow-list compiles (they are compiled lazily in a run).
        for i in 0..RULES.len() {
            let _ = COMPILED.regex(i);
            let _ = COMPILED.allows(i);
        }
        for r in RULES {
            assert!(
                !r.keywords.is_empty(),
                "{} needs keywords for the prefilter",
                r.id
            );
            assert!(
                r.keywords.iter().all(|k| k.to_ascii_lowercase() == *k),
                "{}: lowercase keywords",
                r.id
            );
            assert!(
                !r.tps.is_empty() && !r.fps.is_empty(),
                "{} needs true- and false-positive samples",
                r.id
            );
        }
    }

    #[test]
    fn every_true_positive_sample_is_found_by_its_rule() {
        for r in RULES {
            for tp in r.tps {
                let found = scan(tp, Context::Config);
                assert!(
                    found.iter().any(|d| d.rule == r.id),
                    "{} missed its sample {tp:?}: {found:?}",
                    r.id
                );
            }
        }
    }

    #[test]
    fn no_false_positive_sample_is_found_by_its_rule() {
        for r in RULES {
            for fp in r.fps {
                let found = scan(fp, Context::Config);
                assert!(
                    !found.iter().any(|d| d.rule == r.id),
                    "{} flagged its false-positive sample {fp:?}",
                    r.id
                );
            }
        }
    }

    #[test]
    fn code_needs_quotes_config_does_not() {
        assert!(scan("password = hunter2", Context::Code).is_empty());
        assert_eq!(
            scan("password = \"hunter2\"", Context::Code)[0].rule,
            "SEC024"
        );
        assert_eq!(
            scan("password = hunter2", Context::Config)[0].rule,
            "SEC024"
        );
    }

    #[test]
    fn specific_rule_wins_over_generic() {
        let d = scan(
            "github_token = ghp_4Nd8cR2xWq7Lm9Zt3Kp6Vb1Hs5Jf0Ga8Ye2Q",
            Context::Config,
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].rule, "SEC003");
    }

    /// The rule and the exact value a sample must produce.
    type Expected = Option<(&'static str, &'static str)>;

    /// Lines judged in a given context: (context, line, the value that must be reported, if any).
    const CONTEXT_SAMPLES: &[(Context, &str, Expected)] = &[
        // Code: only string literals are values; calls, fields, types and addresses are not.
        (Context::Code, "cfg.Passwd = pwd", None),
        (Context::Code, "secret := &corev1.Secret{}", None),
        (Context::Code, "\"tls-secret\": &api.Secret{},", None),
        (Context::Code, "conf.ApiKey = &keyStr", None),
        (Context::Code, "token: string;", None),
        (Context::Code, "password: Option<String>,", None),
        (Context::Code, "credentials: opts?.credentials,", None),
        (Context::Code, "this.password = password;", None),
        (
            Context::Code,
            "token=Variable.get(\"api_token\"), aws_conn_id=\"aws_default\"",
            None,
        ),
        (
            Context::Code,
            "secret = Secret(\"env\", \"SQL_CONN\", \"airflow-secrets\", \"sql_alchemy_conn\")",
            None,
        ),
        (
            Context::Code,
            "secret_key_ref=k8s.V1SecretKeySelector(name=\"db\", key=\"password\")",
            None,
        ),
        (
            Context::Code,
            "k8s.V1EnvVar(name=\"TOKEN\", value_from=k8s.V1EnvVarSource(secret_key_ref=ref))",
            None,
        ),
        (
            Context::Code,
            "password=\"db-password\", secret=\"warehouse-creds\"",
            None,
        ),
        (
            Context::Code,
            "headers={\"X-API-Key\": \"wrong-key\"}",
            None,
        ),
        (
            Context::Code,
            "{\"password\": \"Where do I change my password\"}",
            None,
        ),
        (
            Context::Code,
            "Password: \"Go-Pr0d-S3cret!\",",
            Some(("SEC024", "Go-Pr0d-S3cret!")),
        ),
        (
            Context::Code,
            "const apiToken: string = \"Ts7Lm2Xw9Kt3Rp6Vb1Hs\";",
            Some(("SEC024", "Ts7Lm2Xw9Kt3Rp6Vb1Hs")),
        ),
        (
            Context::Code,
            "val dbPassword: String = \"Kt-Pr0d-2024\"",
            Some(("SEC024", "Kt-Pr0d-2024")),
        ),
        (
            Context::Code,
            "String password = \"J4va-Pr0d!\";",
            Some(("SEC024", "J4va-Pr0d!")),
        ),
        (
            Context::Code,
            "let api_key: &str = \"Rs7Lm2Xw9Kt3Rp6Vb1Hs\";",
            Some(("SEC024", "Rs7Lm2Xw9Kt3Rp6Vb1Hs")),
        ),
        (
            Context::Code,
            "password: str = \"Py-Pr0d-2024\"",
            Some(("SEC024", "Py-Pr0d-2024")),
        ),
        (
            Context::Code,
            "key = \"AKIA2E0A8F3B244C9986\"",
            Some(("SEC001", "AKIA2E0A8F3B244C9986")),
        ),
        // Prose: a literal in a doc is a literal, a sentence is not.
        (
            Context::Prose,
            "password: must be at least 12 characters long",
            None,
        ),
        (
            Context::Prose,
            "$ kubectl --server=https://127.0.0.1:6443 --token=demo/cluster-ops create -f pod.yaml",
            None,
        ),
        (
            Context::Prose,
            "password: hunter2-docs",
            Some(("SEC024", "hunter2-docs")),
        ),
        (
            Context::Prose,
            "\"  password: feast\\n\",",
            Some(("SEC024", "feast")),
        ),
        // Digests: in a lock file or baseline a digest is a digest; other secrets still count.
        (
            Context::Digests,
            "\"hashed_secret\": \"3e26d6750975d678acb8fa35a0f69237881576b0\",",
            None,
        ),
        (
            Context::Digests,
            "api_key = \"d41d8cd98f00b204e9800998ecf8427e\"",
            None,
        ),
        (
            Context::Config,
            "api_key = \"d41d8cd98f00b204e9800998ecf8427e\"",
            Some(("SEC024", "d41d8cd98f00b204e9800998ecf8427e")),
        ),
        (
            Context::Digests,
            "resolved \"https://npm:Npm-T0ken-2024@registry.internal/x.tgz\"",
            Some(("SEC020", "Npm-T0ken-2024")),
        ),
        // YAML: an unquoted value runs to the end of the line, so words after it make one
        // string (a form label, a description); a comment after it does not.
        (Context::Yaml, "  password: warehouse password", None),
        (
            Context::Yaml,
            "  proxy_password: Proxy password (optional)",
            None,
        ),
        (
            Context::Yaml,
            "  password: Wh-Pr0d-2024 # rotated monthly",
            Some(("SEC024", "Wh-Pr0d-2024")),
        ),
        (
            Context::Yaml,
            "  passphrase: correct horse battery",
            Some(("SEC024", "correct")),
        ),
        // Elsewhere the line is not one value: `PASSWORD: x` in a log is followed by more text.
        (
            Context::Config,
            "login failed password: Lg-Pr0d-77 for user etl",
            Some(("SEC024", "Lg-Pr0d-77")),
        ),
        // Format directives filled in at run time, in a URI or a query.
        (
            Context::Code,
            "db, err := sql.Open(\"postgres\", fmt.Sprintf(\"postgres://app:%s@db:5432/app\", pw))",
            None,
        ),
        (
            Context::Code,
            "dsn = \"mysql://etl:{}@warehouse:3306/sales\".format(pw)",
            None,
        ),
        (
            Context::Code,
            "dsn = \"mysql://etl:My-Pr0d-9@warehouse:3306/sales\"",
            Some(("SEC020", "My-Pr0d-9")),
        ),
        // Config and shell: unquoted values are literals.
        (
            Context::Config,
            "export DB_PASSWORD=S3cure-Sh3ll",
            Some(("SEC024", "S3cure-Sh3ll")),
        ),
        (
            Context::Config,
            "docker run -e MYSQL_ROOT_PASSWORD=Dock3r-Pw percona",
            Some(("SEC024", "Dock3r-Pw")),
        ),
    ];

    #[test]
    fn context_samples_hold() {
        for (ctx, line, want) in CONTEXT_SAMPLES {
            let got: Vec<(&str, &str)> = scan(line, *ctx)
                .iter()
                .map(|d| (d.rule, &line[d.start..d.end]))
                .collect();
            match want {
                Some(w) => assert_eq!(got, [*w], "{ctx:?}: {line}"),
                None => assert!(got.is_empty(), "{ctx:?}: {line} gave {got:?}"),
            }
        }
    }

    #[test]
    fn context_follows_the_file() {
        for (path, kind, want) in [
            ("dags/etl.py", Kind::AirflowDag, Context::Code),
            ("main.tf", Kind::Terraform, Context::Code),
            ("go/internal/store.go", Kind::Text, Context::Code),
            ("ui/src/client.ts", Kind::Text, Context::Code),
            ("src/Main.java", Kind::Text, Context::Code),
            ("src/lib.rs", Kind::Text, Context::Code),
            ("Jenkinsfile", Kind::Text, Context::Code),
            ("Jenkinsfile", Kind::Groovy, Context::Code),
            ("vars/deploy.groovy", Kind::Groovy, Context::Code),
            ("deploy.sh", Kind::Text, Context::Config),
            ("Dockerfile", Kind::Text, Context::Config),
            ("docs/setup.md", Kind::Text, Context::Prose),
            ("examples/Install.ipynb", Kind::Text, Context::Prose),
            (".secrets.baseline", Kind::Text, Context::Digests),
            ("ui/package-lock.json", Kind::Json, Context::Digests),
            ("poetry.lock", Kind::Text, Context::Digests),
            ("Cargo.lock", Kind::Text, Context::Digests),
            ("go.sum", Kind::Text, Context::Digests),
            ("pnpm-lock.yaml", Kind::Yaml, Context::Digests),
            ("k8s/deploy.yaml", Kind::Kubernetes, Context::Yaml),
            ("provider.yaml", Kind::Yaml, Context::Yaml),
            ("docker-compose.yml", Kind::DockerCompose, Context::Yaml),
            ("settings.env", Kind::Dotenv, Context::Config),
        ] {
            assert_eq!(Context::for_file(path, kind), want, "{path}");
        }
    }

    /// The generic rule's gate ([`generic_may_match`]) only skips texts where the pattern
    /// cannot match: every text gives the same detections with and without it, in every
    /// context. Texts: every rule's samples, and keys × quotes × blanks × operators × values,
    /// names that merely contain a keyword (`prompt_tokens`), JSON and log framings, and
    /// non-ASCII case folds.
    #[test]
    fn the_generic_gate_loses_no_detection() {
        let mut texts: Vec<String> = RULES
            .iter()
            .flat_map(|r| r.tps.iter().chain(r.fps))
            .map(|s| (*s).to_owned())
            .collect();
        let keys = [
            "token",
            "Token",
            "TOKEN",
            "prompt_tokens",
            "tokens",
            "access_token",
            "tokenizer",
            "api-key",
            "apiKey",
            "API_KEY",
            "key",
            "monkey",
            "keys",
            "client_secret",
            "clientSecret",
            "secrets",
            "credentials",
            "Credential",
            "db_passwd",
            "PASSWORD",
            "passphrase",
            "private_key",
            "accesskey",
        ];
        let values = [
            "Zq8vT2mWx9Lk3Rp6",
            "\"Zq8vT2mWx9Lk3Rp6\"",
            "'Zq8vT2mWx9Lk3Rp6'",
            "string = \"Zq8vT2mWx9Lk3Rp6\"",
            "get_it()",
            "529",
        ];
        for k in keys {
            for q in ["", "\"", "'"] {
                for blank in ["", " ", "\t", "  "] {
                    for op in [":", "=", ":=", "=>"] {
                        for v in values {
                            texts.push(format!("{k}{q}{blank}{op}{blank}{v}"));
                            texts.push(format!("{{\"ts\":1,{q}{k}{q}{blank}{op}{blank}{v}}}"));
                        }
                    }
                }
            }
            texts.push(format!("2026-11-22 INFO svc {k} rotated for user 7"));
            texts.push(format!("{{\"usage\":{{\"{k}\":529}},\"note\":\"{k} ok\"}}"));
        }
        // Non-ASCII: the Kelvin sign folds to `k`, the long s to `s`.
        texts.push("api_\u{212a}ey=Zq8vT2mWx9Lk3Rp6".to_owned());
        texts.push("pa\u{17f}sword=Zq8vT2mWx9Lk3Rp6".to_owned());
        texts.push("token=Zq8vT2mWx9Lk3Rp6 caf\u{e9}".to_owned());
        let mut found = 0;
        for t in &texts {
            for ctx in [
                Context::Code,
                Context::Config,
                Context::Prose,
                Context::Yaml,
                Context::Digests,
            ] {
                let gated = scan_with(t, ctx, true);
                assert_eq!(gated, scan_with(t, ctx, false), "{t:?} in {ctx:?}");
                found += usize::from(gated.iter().any(|d| d.rule == "SEC024"));
            }
        }
        assert!(found > 500, "the texts exercise the rule: {found}");
        assert!(!generic_may_match(
            r#"{"usage":{"prompt_tokens":529,"completion_tokens":229},"cost_usd":0.0003}"#
        ));
        assert!(generic_may_match(r#"{"access_token": "Zq8vT2mWx9Lk3Rp6"}"#));
        assert!(generic_may_match("pa\u{17f}sword=x"));
    }
}
