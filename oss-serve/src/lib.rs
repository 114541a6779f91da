//! `ossc serve`: the local app store. A small HTTP server over the library — the catalog, a
//! service page with a knob form derived from the JSON Schema, a live preview of the bundle,
//! downloads (YAML, or a zip of the `-o` layout) and the equivalent command line — with the same
//! validation and the same bytes as `ossc build`.
//!
//! Owns: routes, request limits (body size, time, concurrency), JSON errors and the embedded
//! page (`web/`: plain HTML, CSS and JavaScript; nothing fetched from the internet). Must not:
//! touch the file system or the network beyond its socket, or compile anything itself — every
//! build goes through [`build::build`], the CLI's library calls.
//!
//! API (docs/serve.md): `GET /api/catalog`, `GET /api/catalog/{name}`, `POST /api/build`,
//! `GET /api/bundle/{name}.yaml|zip?set=PATH=VALUE&...`, `GET /api/health`.

pub mod build;
pub mod form;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use build::{BuildRequest, Format, Refused};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Limits of the server. The defaults suit one person on a laptop.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Largest request body in bytes (default 1 MiB, the size limit of a spec).
    pub max_body: usize,
    /// Longest a build may take before the request gets a 503 (default 10 s; a build takes
    /// about a millisecond).
    pub timeout: Duration,
    /// Builds running at once; more get a 503 at once instead of queueing (default 8).
    pub max_concurrent: usize,
    /// Answer requests whose `Host` is not a loopback name (`localhost`, `127.0.0.1`, `[::1]`).
    /// Off by default, which keeps a web page on another site from reaching the server through
    /// DNS rebinding; [`run`] turns it on when listening on a non-loopback address.
    pub any_host: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self { max_body: 1 << 20, timeout: Duration::from_secs(10), max_concurrent: 8, any_host: false }
    }
}

struct AppState {
    config: Config,
    permits: Semaphore,
    schema: Value,
    /// `GET /api/catalog`'s body: the catalog is built into the binary, so it is made once, on
    /// first use, not per request (that parsed every spec each time).
    catalog: std::sync::OnceLock<Result<Bytes, String>>,
}

/// The application: every route, with the limits of `config`.
pub fn router(config: Config) -> Router {
    let schema = oss_spec::schema::schema_with_null();
    let state = Arc::new(AppState { config, permits: Semaphore::new(config.max_concurrent), schema, catalog: std::sync::OnceLock::new() });
    Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", include_str!("../web/index.html")) }))
        .route("/app.js", get(|| async { asset("text/javascript; charset=utf-8", include_str!("../web/app.js")) }))
        .route("/style.css", get(|| async { asset("text/css; charset=utf-8", include_str!("../web/style.css")) }))
        .route("/favicon.svg", get(|| async { asset("image/svg+xml", include_str!("../web/favicon.svg")) }))
        .route("/api/health", get(|| async { axum::Json(json!({"ok": true, "version": env!("CARGO_PKG_VERSION")})) }))
        .route("/api/catalog", get(catalog))
        .route("/api/catalog/{name}", get(service))
        .route("/api/build", post(build_handler))
        .route("/api/bundle/{file}", get(bundle))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(config.max_body))
        .layer(axum::middleware::from_fn_with_state(state.clone(), check_host))
        .layer(axum::middleware::map_response(headers))
        .with_state(state)
}

/// Serves `router(config)` on `listener` until Ctrl-C. Blocks.
///
/// # Errors
/// When the runtime cannot start or the socket fails.
pub fn run(listener: std::net::TcpListener, mut config: Config) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    config.any_host |= !listener.local_addr()?.ip().is_loopback();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_io().enable_time().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        axum::serve(listener, router(config))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })
}

/// Refuses a request whose `Host` names another machine while the server listens on loopback:
/// a page elsewhere that rebinds its own name to 127.0.0.1 then gets nothing.
async fn check_host(State(state): State<Arc<AppState>>, request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if !state.config.any_host
        && let Some(host) = request.headers().get(header::HOST)
    {
        let host = host.to_str().unwrap_or_default();
        let name = host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(name, _)| name);
        if !matches!(name.to_ascii_lowercase().as_str(), "localhost" | "127.0.0.1" | "[::1]") {
            return error(
                StatusCode::FORBIDDEN,
                format!("this server answers only to loopback names, not to `{host}`"),
                "open it as http://127.0.0.1:PORT/ or http://localhost:PORT/; to serve other machines, listen on their address with --listen",
            );
        }
    }
    next.run(request).await
}

async fn headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// A JSON error: `{"ok": false, "error": {"status", "message", "help"}}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
    help: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"ok": false, "error": {"status": self.status.as_u16(), "message": self.message, "help": self.help}});
        (self.status, axum::Json(body)).into_response()
    }
}

fn api_error(status: StatusCode, message: impl Into<String>, help: impl Into<String>) -> ApiError {
    ApiError { status, message: message.into(), help: help.into() }
}

fn error(status: StatusCode, message: impl Into<String>, help: impl Into<String>) -> Response {
    api_error(status, message, help).into_response()
}

async fn not_found(uri: axum::http::Uri) -> Response {
    error(StatusCode::NOT_FOUND, format!("no such page: {}", uri.path()), "the page is at /, the API under /api (docs/serve.md)")
}

async fn catalog(State(state): State<Arc<AppState>>) -> Response {
    let body = state.catalog.get_or_init(|| match oss_catalog::load_all() {
        Ok(all) => {
            let items: Vec<Value> = all.iter().map(|(e, l)| oss_catalog::summary_json(e, l)).collect();
            Ok(Bytes::from(json!({"ok": true, "services": items}).to_string()))
        }
        Err((entry, f)) => Err(format!("catalog entry `{}` is broken: {f}", entry.name)),
    });
    match body {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes.clone()).into_response(),
        Err(message) => error(StatusCode::INTERNAL_SERVER_ERROR, message.clone(), "report this: shipped entries are tested"),
    }
}

fn unknown_service(name: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("no catalog service `{name}`"), build::unknown_help(name))
}

async fn service(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    let Some(entry) = oss_catalog::get(&name) else { return unknown_service(&name) };
    let loaded = match entry.load(&oss_spec::Options::default()) {
        Ok(l) => l,
        Err(f) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("catalog entry `{name}` is broken: {f}"), "report this"),
    };
    let s = &loaded.spec;
    let ports = |ports: &[oss_spec::model::PortSpec]| -> Vec<Value> {
        ports
            .iter()
            .map(|p| json!({"name": p.name.as_str(), "port": p.port, "protocol": p.protocol.name(), "description": p.description}))
            .collect()
    };
    let mut body = oss_catalog::summary_json(entry, &loaded);
    body["ok"] = Value::Bool(true);
    body["endpoints"] = Value::Array(ports(&s.function.endpoints));
    body["peerPorts"] = Value::Array(ports(&s.function.peer_ports));
    body["highAvailability"] = json!(s.function.high_availability.as_deref().map(str::trim));
    body["security"] = json!(s.function.security.as_deref().map(|t| t.split_whitespace().collect::<Vec<_>>().join(" ")));
    // What `ossc connect NAME` prints for the default build: address, binding, first command.
    body["connect"] = json!(oss_compile::connect(&loaded, &oss_compile::Options::default()));
    body["replicaRule"] =
        s.runtime.replicas.as_ref().map_or(Value::Null, |r| json!({"min": r.min, "max": r.max, "odd": r.odd, "reason": r.reason}));
    body["scalingNote"] = json!(s.runtime.scaling.reason);
    body["stateful"] = json!(s.runtime.state == oss_spec::model::State::Stateful);
    body["fields"] = Value::Array(form::fields(&state.schema, &loaded));
    body["command"] = json!(build::command(entry.name, &[], None, "generic", false));
    axum::Json(body).into_response()
}

/// Runs `work` on the blocking pool, within the time and concurrency limits: a 503 with a JSON
/// error when too many run at once or when it overruns (it then finishes unobserved).
async fn limited<T: Send + 'static>(state: &AppState, work: impl FnOnce() -> T + Send + 'static) -> Result<T, Response> {
    let Ok(permit) = state.permits.try_acquire() else {
        return Err(error(StatusCode::SERVICE_UNAVAILABLE, "too many builds at once", "retry in a moment"));
    };
    let outcome = tokio::time::timeout(state.config.timeout, tokio::task::spawn_blocking(work)).await;
    drop(permit);
    match outcome {
        Err(_) => Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the build took longer than {} s", state.config.timeout.as_secs_f64()),
            "a build takes milliseconds; report the input that caused this",
        )),
        Ok(Err(_)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, "the build failed unexpectedly", "report the input that caused this")),
        Ok(Ok(value)) => Ok(value),
    }
}

/// Runs a build within the limits; refusals become their JSON responses.
async fn run_build(state: &AppState, req: BuildRequest) -> Result<build::Built, Response> {
    match limited(state, move || build::build(&req)).await? {
        Err(Refused::Request { status, message, help }) => {
            Err(error(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), message, help))
        }
        Err(Refused::Findings(diagnostics, command)) => {
            Err((StatusCode::UNPROCESSABLE_ENTITY, axum::Json(json!({"ok": false, "diagnostics": diagnostics, "command": command})))
                .into_response())
        }
        Ok(built) => Ok(built),
    }
}

/// `POST /api/build`: a JSON [`BuildRequest`], or a spec or overlay as YAML text with the options
/// as query parameters (`set`, `namespace`, `target`, `monitoring`, `format`). Without a
/// content type (or `text/plain`, or a form type, as `curl -d` sends) a body starting with `{`
/// is JSON and anything else YAML.
async fn build_handler(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            let status = rejection.status();
            let help = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("a request is at most {} bytes; a spec is a few kilobytes", state.config.max_body)
            } else {
                "send the request again".to_owned()
            };
            return error(status, rejection.body_text(), help);
        }
    };
    let req = match request_from(&headers, query.as_deref().unwrap_or_default(), &body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let format = req.format;
    match run_build(&state, req).await {
        Ok(built) => axum::Json(build::built_json(&built, format)).into_response(),
        Err(response) => response,
    }
}

const JSON_HELP: &str = "send a JSON object such as {\"service\": \"cassandra\", \"sets\": [\"redundancy.replicas=5\"]} (docs/serve.md)";

fn request_from(headers: &HeaderMap, query: &str, body: &[u8]) -> Result<BuildRequest, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let sniff = || body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let json = match essence.as_str() {
        "application/json" => true,
        e if e.ends_with("+json") => true,
        "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" => false,
        "" | "text/plain" | "application/x-www-form-urlencoded" => sniff(),
        other => {
            return Err(api_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("cannot read a `{other}` body"),
                "send JSON (`Content-Type: application/json`) or a spec as YAML (`Content-Type: application/yaml`)",
            ));
        }
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(api_error(StatusCode::BAD_REQUEST, "the request body is empty", JSON_HELP));
    }
    if json {
        if !query.is_empty() {
            return Err(api_error(StatusCode::BAD_REQUEST, "query parameters are for YAML bodies", "put the options in the JSON object"));
        }
        return serde_json::from_slice(body)
            .map_err(|e| api_error(StatusCode::BAD_REQUEST, format!("not a build request: {e}"), JSON_HELP));
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return Err(api_error(StatusCode::BAD_REQUEST, "the body is not UTF-8 text", "send the spec as UTF-8 YAML"));
    };
    let mut req = BuildRequest { spec: Some(text.to_owned()), ..BuildRequest::default() };
    apply_query(&mut req, query, true)?;
    Ok(req)
}

/// Reads `set` (repeatable), `namespace`, `target`, `monitoring` and, where allowed, `format`.
fn apply_query(req: &mut BuildRequest, query: &str, with_format: bool) -> Result<(), ApiError> {
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "set" => req.sets.push(value.into_owned()),
            "namespace" => req.namespace = Some(value.into_owned()),
            "target" => req.target = Some(value.into_owned()),
            "monitoring" => req.monitoring = value == "true" || value == "1" || value == "prometheus-operator",
            "format" if with_format => {
                req.format = match value.as_ref() {
                    "yaml" => Format::Yaml,
                    "json" => Format::Json,
                    "files" => Format::Files,
                    other => {
                        return Err(api_error(StatusCode::BAD_REQUEST, format!("unknown format `{other}`"), "use yaml, json or files"));
                    }
                }
            }
            other => {
                let known =
                    if with_format { "set, namespace, target, noMonitoring or format" } else { "set, namespace, target or noMonitoring" };
                return Err(api_error(StatusCode::BAD_REQUEST, format!("unknown parameter `{other}`"), format!("use {known}")));
            }
        }
    }
    Ok(())
}

/// `GET /api/bundle/NAME.yaml` or `NAME.zip`, with `set`, `namespace`, `target` and
/// `monitoring` query parameters: a download.
async fn bundle(State(state): State<Arc<AppState>>, Path(file): Path<String>, RawQuery(query): RawQuery) -> Response {
    let (name, zip) = match (file.strip_suffix(".yaml"), file.strip_suffix(".zip")) {
        (Some(n), _) => (n.to_owned(), false),
        (_, Some(n)) => (n.to_owned(), true),
        _ => return error(StatusCode::NOT_FOUND, format!("no download `{file}`"), "ask for NAME.yaml or NAME.zip"),
    };
    if oss_catalog::get(&name).is_none() {
        return unknown_service(&name);
    }
    let mut req =
        BuildRequest { service: Some(name.clone()), format: if zip { Format::Files } else { Format::Yaml }, ..BuildRequest::default() };
    if let Err(e) = apply_query(&mut req, query.as_deref().unwrap_or_default(), false) {
        return e.into_response();
    }
    if zip && req.target.as_deref() == Some("compose") {
        return error(StatusCode::BAD_REQUEST, "`compose` gives one file", "download NAME.yaml with target=compose");
    }
    let built = match run_build(&state, req).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let (content_type, body) = if zip {
        match build::zip(&built.name, &built.files) {
            Ok(bytes) => ("application/zip", Bytes::from(bytes)),
            Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("could not write the zip: {e}"), "report this"),
        }
    } else {
        ("application/yaml", Bytes::from(built.text))
    };
    let disposition = format!("attachment; filename=\"{file}\"");
    let disposition = HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment"));
    ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type)), (header::CONTENT_DISPOSITION, disposition)], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_over_time_is_cut_off() {
        let config = Config { timeout: Duration::from_millis(1), ..Config::default() };
        let state = AppState { config, permits: Semaphore::new(1), schema: Value::Null, catalog: std::sync::OnceLock::new() };
        // The work cannot finish before the test lets it: the outcome does not depend on speed.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let response = limited(&state, move || wait.recv().is_ok()).await.unwrap_err();
        drop(release);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(state.permits.available_permits(), 1, "the permit is returned");
    }
}
