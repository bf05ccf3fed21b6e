//! The secret detector: one table of rules, a keyword prefilter, and validation.
//!
//! Every rule names keywords; one case-insensitive Aho-Corasick pass over the text finds which
//! keywords occur, and only the rules whose keyword occurred run their regex. A rule's regex has
//! a `secret` group (the bytes that are reported, always redacted); a match is then filtered by
//! minimum entropy, known example values and placeholders. Each rule carries true- and
//! false-positive samples that the test suite checks, in the way gitleaks validates its rules.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use regex::Regex;

use super::{is_placeholder, shannon_entropy, Detection};
use crate::finding::Severity;

/// How a text is written, which changes what counts as a literal value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Source code: only quoted values are literals (`password = get()` is not a secret).
    Code,
    /// Configuration and logs: unquoted values are literals too (`PASSWORD=hunter2`).
    Config,
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
        keywords: &["aws", "amazon"],
        pattern: r#"(?i)(?:aws|amazon)[\w.\-]{0,30}?(?:secret|sk|access[_\-]?key)[\w.\-]{0,20}["']?\s*(?::|=|:=|=>)\s*["']?(?P<secret>[A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        min_entropy: 4.0,
        allow: &[r"EXAMPLEKEY$"],
        check: Check::None,
        tps: &[
            "aws_secret_access_key = 9drTJvcXLB89EXAMPLEKEYz3kBsT7Vb+vK2aZtQ1",
            "AWS_SECRET_ACCESS_KEY=Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui0Ok2",
            "export AWS_SECRET_ACCESS_KEY=\"Kq3rJ9xT0mZ8vLw2Yp5Nc7Hd1Fg4Bs6Ae9Ui0Ok2\"",
        ],
        fps: &[
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY3EXAMPLEKEY",
            "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
            "aws_secret_access_key = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
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
        pattern: r#"(?i)[?&](?:api[_\-]?key|apikey|access[_\-]?token|auth[_\-]?token|token|secret|client[_\-]?secret|password|sig|key)=(?P<secret>[^&\s"'#<>]{8,})"#,
        min_entropy: 3.0,
        allow: &[],
        check: Check::None,
        tps: &[
            "GET /v1/forecast?city=berlin&api_key=Zq8Lm2Xw9Kt3Rp6Vb1Hs HTTP/1.1",
            "https://maps.example.com/api?key=AIzaSyZq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4",
        ],
        fps: &["https://example.com/search?token=${TOKEN}", "/page?key=aaaaaaaaaaaa", "https://x.test/?key=value"],
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
            r#")["']?[ \t]*(?::=|=>|:|=)[ \t]*(?P<q>["'`]?)(?P<secret>[^\s"'`,;#)(\]\[{}]{3,})"#
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
        ],
    },
];

struct Compiled {
    prefilter: AhoCorasick,
    /// Keyword index → rule indices.
    by_keyword: Vec<Vec<usize>>,
    regexes: Vec<Regex>,
    allows: Vec<Vec<Regex>>,
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
    Compiled {
        prefilter: AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&keywords)
            .expect("static keywords build"),
        by_keyword,
        regexes: RULES
            .iter()
            .map(|r| Regex::new(r.pattern).expect("static rule regex"))
            .collect(),
        allows: RULES
            .iter()
            .map(|r| {
                r.allow
                    .iter()
                    .map(|a| Regex::new(a).expect("static allow regex"))
                    .collect()
            })
            .collect(),
    }
});

/// Words that, as the whole value, are not a credential (types, placeholders, key names).
const STOPWORDS: &[&str] = &[
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
    "secret",
    "secrets",
    "password",
    "passwd",
    "token",
    "key",
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
];

fn jwt_header_ok(token: &str) -> bool {
    let header = token.split('.').next().unwrap_or_default();
    URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v.get("alg").is_some())
}

fn generic_ok(caps: &regex::Captures<'_>, secret: &str, after: &str, ctx: Context) -> bool {
    // A call or an index, not a value: `get_password()`, `env["X"]`.
    if after.starts_with(['(', '[']) {
        return false;
    }
    let quoted = caps.name("q").is_some_and(|q| !q.as_str().is_empty());
    if ctx == Context::Code && !quoted {
        return false;
    }
    let lower = secret.to_ascii_lowercase();
    if STOPWORDS.contains(&lower.as_str()) {
        return false;
    }
    // A YAML tag (`!Ref Param`), a secret-store reference or a file path is not the secret itself.
    if secret.starts_with('!') || SECRET_STORE_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return false;
    }
    if secret.starts_with('/') || secret.starts_with("./") || secret.starts_with("~/") {
        return false;
    }
    // Unquoted dotted identifiers are references (`config.password`, `os.environ`).
    if !quoted
        && secret.contains('.')
        && secret
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        && secret
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
    {
        return false;
    }
    let key = caps
        .name("key")
        .map_or("", |k| k.as_str())
        .to_ascii_lowercase();
    let password_like =
        key.ends_with("password") || key.ends_with("passwd") || key.ends_with("passphrase");
    // Weak passwords are still passwords; other secrets must look random.
    password_like || (secret.len() >= 8 && shannon_entropy(secret) >= 3.0)
}

fn uri_password_ok(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    !matches!(
        lower.as_str(),
        "password" | "pass" | "passwd" | "pwd" | "secret" | "changeme" | "xxx" | "****"
    )
}

/// Run every rule whose keyword occurs in `text`.
pub fn scan(text: &str, ctx: Context) -> Vec<Detection> {
    let c = &*COMPILED;
    let mut wanted = vec![false; RULES.len()];
    let mut any = false;
    for m in c.prefilter.find_overlapping_iter(text) {
        for &r in &c.by_keyword[m.pattern().as_usize()] {
            wanted[r] = true;
            any = true;
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
        for caps in c.regexes[i].captures_iter(text) {
            let Some(m) = caps.name("secret") else {
                continue;
            };
            let secret = m.as_str();
            if is_placeholder(secret) || c.allows[i].iter().any(|a| a.is_match(secret)) {
                continue;
            }
            if rule.min_entropy > 0.0 && shannon_entropy(secret) < rule.min_entropy {
                continue;
            }
            let ok = match rule.check {
                Check::None => true,
                Check::Jwt => jwt_header_ok(secret),
                Check::Generic => generic_ok(&caps, secret, &text[m.end()..], ctx),
                Check::UriPassword => uri_password_ok(secret),
            };
            if !ok {
                continue;
            }
            // An earlier, more specific rule already reported this secret.
            if out.iter().any(|d| d.start < m.end() && m.start() < d.end) {
                continue;
            }
            out.push(Detection {
                rule: rule.id,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    out.sort_by_key(|d| (d.start, d.rule));
    out
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
}
