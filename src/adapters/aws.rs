//! The only module that talks to AWS: source credentials, the caller's name, AssumeRole.
//!
//! Source credentials are resolved once through the standard chain (environment, profile with
//! SSO or credential_process, web identity, container, instance) and handed to the STS and IAM
//! clients as static values, so the chain runs once per invocation.

use crate::domain::assume::AssumeOptions;
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::quote::quote_safely;
use crate::domain::secret::Secret;
use crate::domain::session_name::{SessionName, UsernameSource, name_from_caller_arn};
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_http_client::Connector;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::timeout::TimeoutConfig;
use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// Why a call to AWS failed, sorted by what the user can do about it (and the exit code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsFailure {
    /// AWS answered no: access denied, bad or expired credentials, invalid request (exit 3).
    Refused(String),
    /// AWS could not be reached (exit 6).
    Unreachable(String),
    /// AWS is throttling or failing (5xx); trying later may work (exit 6).
    Transient(String),
    /// The role needs an MFA code and there is no way to ask for one (exit 5).
    MfaRequired(String),
    /// The configuration the SDK read is unusable, e.g. a region that is no region name
    /// (exit 2: the user must fix it, retrying cannot).
    Invalid(String),
    /// Anything else (exit 1).
    Other(String),
}

impl fmt::Display for AwsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(m)
            | Self::Unreachable(m)
            | Self::Transient(m)
            | Self::MfaRequired(m)
            | Self::Invalid(m)
            | Self::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for AwsFailure {}

/// Where to take source credentials and which region to call.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub source_profile: Option<String>,
    pub region: Option<String>,
}

/// Clients for STS and IAM, signed with the source credentials.
#[derive(Debug)]
pub struct Aws {
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
    /// True when the source credentials are themselves temporary (role chaining caps at 1 h).
    pub source_is_temporary: bool,
}

/// One AssumeRole call's parameters.
#[derive(Debug, Clone)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: SessionName,
    pub duration: Duration,
    pub options: AssumeOptions,
    pub mfa: Option<(String, Secret)>,
}

/// The HTTP client: rustls with ring (one TLS stack), honouring HTTPS_PROXY / NO_PROXY.
///
/// Setting up TLS decodes every root certificate on the machine (~4 ms, 0.5 MB); a request to
/// an `http://` endpoint (a local emulator or proxy) never needs it, so the TLS connector is
/// built on the first `https://` request only.
fn http_client() -> SharedHttpClient {
    let connector: OnceLock<SharedHttpConnector> = OnceLock::new();
    http_client_fn(move |settings, components| {
        connector
            .get_or_init(|| {
                SharedHttpConnector::new(SchemeConnector {
                    settings: settings.clone(),
                    sleep: components.sleep_impl(),
                    plain: OnceLock::new(),
                    tls: OnceLock::new(),
                })
            })
            .clone()
    })
}

/// Sends each request through a plain or a TLS connector, by the URL's scheme, building each
/// on first use.
#[derive(Debug)]
struct SchemeConnector {
    settings: HttpConnectorSettings,
    sleep: Option<SharedAsyncSleep>,
    plain: OnceLock<Connector>,
    tls: OnceLock<Connector>,
}

impl SchemeConnector {
    fn build(&self, trust_store: TrustStore) -> Connector {
        let mut builder = Connector::builder();
        builder.set_connector_settings(Some(self.settings.clone()));
        builder.set_sleep_impl(self.sleep.clone());
        let builder = builder
            .proxy_config(ProxyConfig::from_env())
            .tls_provider(Provider::Rustls(CryptoMode::Ring));
        match TlsContext::builder().with_trust_store(trust_store).build() {
            Ok(context) => builder.tls_context(context).build(),
            Err(_) => builder.build(),
        }
    }
}

impl HttpConnector for SchemeConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let connector = if request.uri().starts_with("http://") {
            self.plain.get_or_init(|| self.build(TrustStore::empty()))
        } else {
            self.tls.get_or_init(|| self.build(TrustStore::default()))
        };
        let response = connector.call(request);
        HttpConnectorFuture::new(async move { read_bounded(response.await?).await })
    }
}

/// The most of a response body rolecreds reads. STS and IAM answer in a few kilobytes; an
/// endpoint that sends more (a misdirected proxy, a hostile stand-in, an endless chunked
/// stream) is cut off here instead of filling memory.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// A response body that went past [`MAX_RESPONSE_BYTES`].
#[derive(Debug)]
struct ResponseTooLarge;

impl fmt::Display for ResponseTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the answer was larger than {} KiB, which no STS or IAM answer is; check \
             AWS_ENDPOINT_URL and HTTPS_PROXY",
            MAX_RESPONSE_BYTES >> 10
        )
    }
}

impl std::error::Error for ResponseTooLarge {}

/// Reads the whole body, at most [`MAX_RESPONSE_BYTES`] of it, into memory (the SDK reads
/// it whole anyway), within the call's timeouts.
async fn read_bounded(
    response: aws_smithy_runtime_api::http::Response,
) -> Result<aws_smithy_runtime_api::http::Response, ConnectorError> {
    use http_body_util::BodyExt as _;
    let (status, headers, body) = {
        let mut response = response;
        let body = response.take_body();
        (response.status(), response.headers().clone(), body)
    };
    let limited = http_body_util::Limited::new(body, MAX_RESPONSE_BYTES);
    let bytes = match limited.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            return Err(ConnectorError::other(Box::new(ResponseTooLarge), None));
        }
        Err(err) => return Err(ConnectorError::io(err)),
    };
    let mut bounded = aws_smithy_runtime_api::http::Response::new(status, SdkBody::from(bytes));
    *bounded.headers_mut() = headers;
    Ok(bounded)
}

/// Bounds on every call, so that an endpoint that accepts connections but never answers
/// cannot hang a cron run, a watcher (which retries) or a credential_process consumer. STS
/// and IAM normally answer in well under a second.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(8))
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// Loads the shared AWS configuration the way the AWS CLI does, with `--source-profile`
/// taking precedence over environment credentials like the CLI's `--profile`.
async fn load_sdk_config(connection: &Connection) -> Result<SdkConfig, AwsFailure> {
    let http = http_client();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http.clone())
        .timeout_config(timeouts());
    if let Some(region) = &connection.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &connection.source_profile {
        loader = loader.profile_name(profile);
    }
    // Loading resolves the region (flag, AWS_REGION, the profile's, instance metadata);
    // credentials are resolved later, on first use.
    let config = loader.load().await;
    let region = match config.region() {
        // It becomes part of a host name: a region name or nothing.
        Some(region) => {
            crate::domain::request_limits::check_region("the configured region", region.as_ref())
                .map_err(AwsFailure::Invalid)?;
            region.clone()
        }
        None => {
            // STS and IAM are reachable through us-east-1 wherever the caller is, as in the CLI.
            tracing::info!("no region configured; calling STS and IAM in us-east-1");
            Region::from_static("us-east-1")
        }
    };
    let mut builder = config.into_builder().region(region.clone());
    if let Some(profile) = &connection.source_profile {
        // The source profile may itself assume a role (a chain of role profiles): its STS
        // client needs the region too, else it fails with "missing signing region".
        let provider_config = ProviderConfig::without_region()
            .with_http_client(http)
            .with_region(Some(region));
        let provider = ProfileFileCredentialsProvider::builder()
            .configure(&provider_config)
            .profile_name(profile)
            .build();
        builder = builder.credentials_provider(SharedCredentialsProvider::new(provider));
    }
    Ok(builder.build())
}

impl Aws {
    /// Resolves the source credentials once and builds the clients.
    pub async fn connect(connection: &Connection) -> Result<Self, AwsFailure> {
        let config = load_sdk_config(connection).await?;
        let provider = config
            .credentials_provider()
            .ok_or_else(|| AwsFailure::Refused(no_credentials_message(connection)))?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|err| credentials_failure(err, connection))?;
        Ok(Self::signed_with(config, credentials))
    }

    /// Clients signed with `credentials` (an MFA session) instead of the default chain.
    pub async fn with_source(
        connection: &Connection,
        credentials: Credentials,
    ) -> Result<Self, AwsFailure> {
        Ok(Self::signed_with(
            load_sdk_config(connection).await?,
            credentials,
        ))
    }

    fn signed_with(config: SdkConfig, credentials: Credentials) -> Self {
        let source_is_temporary = credentials.session_token().is_some();
        tracing::debug!(
            access_key_id = credentials.access_key_id(),
            temporary = source_is_temporary,
            "loaded source credentials"
        );
        let config = config
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        Self {
            sts: aws_sdk_sts::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            source_is_temporary,
        }
    }

    /// An MFA session: one GetSessionToken with the code, good for `duration`, from which
    /// roles can then be assumed without MFA until it expires.
    pub async fn mfa_session(
        &self,
        serial: &str,
        code: &Secret,
        duration: Duration,
    ) -> Result<(Credentials, SystemTime), AwsFailure> {
        let seconds = i32::try_from(duration.as_secs()).unwrap_or(i32::MAX);
        let output = self
            .sts
            .get_session_token()
            .serial_number(serial)
            .token_code(code.expose())
            .duration_seconds(seconds)
            .send()
            .await
            .map_err(|err| classify("sts:GetSessionToken", err))?;
        let (issued, expiration) = issued("sts:GetSessionToken", output.credentials())?;
        let credentials = Credentials::new(
            issued.access_key_id(),
            issued.secret_access_key(),
            Some(issued.session_token().to_owned()),
            Some(expiration),
            "rolecreds-mfa-session",
        );
        Ok((credentials, expiration))
    }

    /// The caller's name for the session name: the IAM user name, else the name in the
    /// caller's ARN (SSO, assumed roles, root), else the operating-system user.
    pub async fn caller_username(&self) -> Result<(String, UsernameSource), AwsFailure> {
        match self.iam.get_user().send().await {
            Ok(output) => {
                if let Some(user) = output.user() {
                    return Ok((user.user_name().to_owned(), UsernameSource::IamUser));
                }
            }
            Err(err) if is_unreachable(&err) => return Err(classify("iam:GetUser", err)),
            // Only the code: a raw response must never reach the log.
            Err(err) => tracing::info!(
                "iam:GetUser failed ({}), trying sts:GetCallerIdentity",
                error_code(&err).unwrap_or("no error code")
            ),
        }
        let arn = self.caller_arn().await?;
        if let Some(name) = name_from_caller_arn(&arn) {
            return Ok((name.to_owned(), UsernameSource::CallerArn));
        }
        Ok((os_username(), UsernameSource::OsUser))
    }

    /// The ARN the source credentials act as (sts:GetCallerIdentity needs no permission).
    pub async fn caller_arn(&self) -> Result<String, AwsFailure> {
        let output = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|err| classify("sts:GetCallerIdentity", err))?;
        Ok(output.arn().unwrap_or_default().to_owned())
    }

    /// Calls AssumeRole and returns the role's temporary credentials.
    pub async fn assume_role(
        &self,
        request: &AssumeRole,
    ) -> Result<TemporaryCredentials, AwsFailure> {
        let output = match self.assume_role_call(request).send().await {
            Ok(output) => output,
            // moto, like some proxies, sends AccessDenied as a bare 403 without a parsed code.
            Err(err) if error_code(&err) == Some("AccessDenied") || is_bare_403(&err) => {
                return Err(self.access_denied(request).await);
            }
            Err(err) => return Err(classify("sts:AssumeRole", err)),
        };
        let (issued, expiration) = issued("sts:AssumeRole", output.credentials())?;
        TemporaryCredentials::new(
            issued.access_key_id(),
            Secret::new(issued.secret_access_key()),
            Secret::new(issued.session_token()),
            expiration,
        )
        .map_err(|err| {
            AwsFailure::Other(format!(
                "sts:AssumeRole answered with credentials that cannot be used ({err})"
            ))
        })
    }

    /// Names who tried to assume what, since AccessDenied alone does not say. When even
    /// GetCallerIdentity fails, the source credentials themselves are the problem.
    async fn access_denied(&self, request: &AssumeRole) -> AwsFailure {
        let principal = match self.caller_arn().await {
            Ok(arn) => arn,
            Err(failure) => return failure,
        };
        let mfa_hint = if request.mfa.is_none() {
            " (if the role requires MFA, pass --mfa-serial)"
        } else {
            ""
        };
        AwsFailure::Refused(format!(
            "sts:AssumeRole: AccessDenied: {principal} may not assume {}; the role's trust \
             policy must allow this principal and its permissions must allow sts:AssumeRole{mfa_hint}",
            request.role_arn
        ))
    }

    fn assume_role_call(
        &self,
        request: &AssumeRole,
    ) -> aws_sdk_sts::operation::assume_role::builders::AssumeRoleFluentBuilder {
        use aws_sdk_sts::types::{PolicyDescriptorType, Tag};
        let seconds = i32::try_from(request.duration.as_secs()).unwrap_or(i32::MAX);
        let mut call = self
            .sts
            .assume_role()
            .role_arn(&request.role_arn)
            .role_session_name(request.session_name.as_str())
            .duration_seconds(seconds)
            .set_external_id(request.options.external_id.clone())
            .set_source_identity(request.options.source_identity.clone())
            .set_policy(request.options.policy.clone());
        for arn in &request.options.policy_arns {
            call = call.policy_arns(PolicyDescriptorType::builder().arn(arn).build());
        }
        for (key, value) in &request.options.tags {
            if let Ok(tag) = Tag::builder().key(key).value(value).build() {
                call = call.tags(tag);
            }
        }
        if let Some((serial, code)) = &request.mfa {
            call = call.serial_number(serial).token_code(code.expose());
        }
        call
    }
}

/// The credentials an STS answer carries and their expiry, checked to be usable.
fn issued<'c>(
    operation: &str,
    issued: Option<&'c aws_sdk_sts::types::Credentials>,
) -> Result<(&'c aws_sdk_sts::types::Credentials, SystemTime), AwsFailure> {
    let issued = issued
        .ok_or_else(|| AwsFailure::Other(format!("{operation} answered without credentials")))?;
    let expiration = SystemTime::try_from(*issued.expiration())
        .map_err(|_| AwsFailure::Other(format!("{operation} returned an unreadable expiration")))?;
    crate::domain::credentials::check_expiration(expiration).map_err(|err| {
        AwsFailure::Other(format!(
            "{operation} answered with credentials that cannot be used ({err})"
        ))
    })?;
    Ok((issued, expiration))
}

/// The profile the source credentials come from: --source-profile, else AWS_PROFILE.
fn source_profile_name(connection: &Connection) -> String {
    connection
        .source_profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_else(|| "default".into())
}

fn no_credentials_message(connection: &Connection) -> String {
    let profile = source_profile_name(connection);
    format!(
        "no source credentials found: looked in the environment (AWS_ACCESS_KEY_ID), profile \
         {profile} of ~/.aws/config and ~/.aws/credentials (keys, SSO, credential_process, \
         role), web identity, the container and the instance metadata; run `aws configure` or \
         `aws sso login`, or pass --source-profile"
    )
}

fn credentials_failure(err: CredentialsError, connection: &Connection) -> AwsFailure {
    match err {
        CredentialsError::CredentialsNotLoaded(_) => {
            AwsFailure::Refused(no_credentials_message(connection))
        }
        other if sso_login_needed(&other) => AwsFailure::Refused(format!(
            "cannot load the source credentials: the SSO login of profile {profile} has \
             expired or was revoked ({}); run `aws sso login --profile {profile}`",
            quote_safely(&innermost_causes(&other)),
            profile = source_profile_name(connection),
        )),
        // The provider's message may quote what a credential_process or SSO portal printed.
        other => AwsFailure::Refused(format!(
            "cannot load the source credentials: {}",
            quote_safely(&innermost_causes(&other))
        )),
    }
}

/// Whether the SSO provider failed for want of a live `aws sso login`: no cached token, a
/// token past its expiry (`sso_session` profiles), or one the portal no longer knows. The
/// SDK's error types for these are private, so their messages are matched.
fn sso_login_needed(err: &CredentialsError) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = current {
        let message = cause.to_string();
        if message.starts_with("the SSO token has expired")
            || message.starts_with("failed to load the cached SSO token")
            || message.starts_with("UnauthorizedException")
            || (message.starts_with("failed to read") && message.contains("/.aws/sso/cache/"))
        {
            return true;
        }
        current = cause.source();
    }
    false
}

fn error_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    err.as_service_error().and_then(ProvideErrorMetadata::code)
}

fn is_bare_403<E: ProvideErrorMetadata, R: HttpStatus>(err: &SdkError<E, R>) -> bool {
    error_code(err).is_none() && err.raw_response().map(HttpStatus::status_code) == Some(403)
}

fn is_unreachable<E, R>(err: &SdkError<E, R>) -> bool {
    matches!(
        err,
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
    )
}

/// Turns an SDK error into a one-line message that names the fix where one is known.
fn classify<E, R>(operation: &str, err: SdkError<E, R>) -> AwsFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug + HttpStatus + 'static,
{
    if caused_by::<ResponseTooLarge>(&err) {
        return AwsFailure::Other(format!("{operation}: {}", ResponseTooLarge));
    }
    if is_unreachable(&err) {
        return AwsFailure::Unreachable(format!(
            "cannot reach AWS for {operation}: {}; check the network, the region, \
             AWS_ENDPOINT_URL and HTTPS_PROXY",
            quote_safely(&innermost_causes(&err))
        ));
    }
    let status = err.raw_response().map(HttpStatus::status_code);
    // Never the SDK's Display or Debug of the error here: they can carry the raw response,
    // whose body may hold the very credentials that failed to parse.
    let Some(service_error) = err.as_service_error() else {
        return AwsFailure::Other(format!(
            "{operation} failed: {} ({})",
            failure_kind(&err),
            quote_safely(&innermost_causes(&err))
        ));
    };
    let code = service_error.code().unwrap_or_default();
    let message = quote_safely(service_error.message().unwrap_or_default());
    let refused = |text: String| AwsFailure::Refused(text);
    if THROTTLING.contains(&code) || status.is_some_and(|s| s >= 500) {
        return AwsFailure::Transient(format!(
            "{operation}: AWS is throttling or failing ({code} HTTP {}); retry later",
            status.unwrap_or_default()
        ));
    }
    match code {
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => refused(format!(
            "{operation}: the source credentials have expired ({code}); refresh them, e.g. \
             `aws sso login`, or run rolecreds from fresh credentials"
        )),
        "InvalidClientTokenId" | "SignatureDoesNotMatch" | "UnrecognizedClientException" => {
            refused(format!(
                "{operation}: AWS rejected the source credentials ({code}: {message}); check \
                 the access key and secret, or pass --source-profile"
            ))
        }
        "" if status == Some(403) => refused(format!(
            "{operation}: AWS rejected the source credentials (HTTP 403); check the access \
             key and secret, or pass --source-profile"
        )),
        "" => AwsFailure::Other(format!(
            "{operation}: the answer (HTTP {}) could not be read as an AWS response ({}); \
             check AWS_ENDPOINT_URL and HTTPS_PROXY",
            status.unwrap_or_default(),
            quote_safely(&innermost_causes(service_error))
        )),
        _ => refused(format!("{operation}: AWS refused ({code}): {message}")),
    }
}

/// The last two messages of an error's source chain (`tcp connect error: Connection refused`),
/// which say what happened without the SDK's nested Debug output.
fn innermost_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut chain: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(cause) = current {
        chain.push(cause.to_string());
        current = cause.source();
    }
    let start = chain.len().saturating_sub(2);
    chain[start..].join(": ")
}

/// What went wrong, in words, for the SDK errors that are not a service's answer.
fn failure_kind<E, R>(err: &SdkError<E, R>) -> &'static str {
    match err {
        SdkError::ConstructionFailure(_) => "the request could not be built",
        SdkError::TimeoutError(_) => "the call timed out",
        SdkError::DispatchFailure(_) => "the request could not be sent",
        SdkError::ResponseError(_) => "the answer could not be read",
        _ => "unexpected error",
    }
}

/// Whether a `T` is anywhere in the error's source chain.
fn caused_by<T: std::error::Error + 'static>(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(cause) = current {
        if cause.is::<T>() {
            return true;
        }
        current = cause.source();
    }
    false
}

/// Error codes that mean "slow down", not "no".
const THROTTLING: [&str; 4] = [
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
];

/// The HTTP status of a raw response, whatever its type.
pub trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// The login name of the user running rolecreds, for the session name as a last resort.
fn os_username() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "rolecreds".into())
}
