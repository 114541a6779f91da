//! The HTTP API, through the router (no socket): status codes, JSON shapes, limits, and that a
//! bundle is the CLI's bundle.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use oss_serve::{Config, router};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn call(config: Config, request: Request<Body>) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let response = router(config).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned())).collect();
    let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

async fn get(uri: &str) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    call(Config::default(), Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn post(body: Value) -> (StatusCode, Value) {
    let request = Request::post("/api/build").header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap();
    let (status, _, bytes) = call(Config::default(), request).await;
    (status, serde_json::from_slice(&bytes).unwrap())
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> &'h str {
    headers.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn cli_bundle(service: &str, sets: &[&str]) -> String {
    let loaded = oss_catalog::get(service)
        .unwrap()
        .load(&oss_spec::Options { sets: sets.iter().map(|s| (*s).to_owned()).collect(), ..oss_spec::Options::default() })
        .unwrap();
    oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap().to_yaml()
}

#[tokio::test]
async fn the_catalog_lists_every_service() {
    let (status, headers, body) = get("/api/catalog").await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, "content-type").starts_with("application/json"));
    let v: Value = serde_json::from_slice(&body).unwrap();
    let names: Vec<&str> = v["services"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    let expected: Vec<&str> = oss_catalog::entries().iter().map(|e| e.name).collect();
    assert_eq!(names, expected);
}

#[tokio::test]
async fn a_service_page_has_its_form_and_notes() {
    let (status, _, body) = get("/api/catalog/etcd").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["name"], "etcd");
    assert!(!v["endpoints"].as_array().unwrap().is_empty());
    assert!(v["highAvailability"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(v["security"].as_str().is_some_and(|s| !s.is_empty()), "{}", v["security"]);
    assert!(v["connect"].as_str().is_some_and(|s| s.contains("-binding")), "{}", v["connect"]);
    assert!(v["fields"].as_array().unwrap().iter().any(|f| f["path"] == "redundancy.replicas"));
    assert_eq!(v["command"], "ossc build etcd");
}

#[tokio::test]
async fn builds_are_the_cli_bytes() {
    let (status, v) = post(json!({"service": "cassandra", "sets": ["redundancy.replicas=5"]})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["yaml"].as_str().unwrap(), cli_bundle("cassandra", &["redundancy.replicas=5"]));
    assert_eq!(v["command"], "ossc build cassandra --set redundancy.replicas=5");

    let (status, headers, body) = get("/api/bundle/cassandra.yaml?set=redundancy.replicas%3D5").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-disposition"), "attachment; filename=\"cassandra.yaml\"");
    assert_eq!(String::from_utf8(body).unwrap(), cli_bundle("cassandra", &["redundancy.replicas=5"]));
}

#[tokio::test]
async fn the_zip_holds_the_output_directory_layout() {
    let (status, headers, body) = get("/api/bundle/etcd.zip").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "application/zip");
    let loaded = oss_catalog::get("etcd").unwrap().load(&oss_spec::Options::default()).unwrap();
    let files = oss_compile::compile(&loaded, &oss_compile::Options::default()).unwrap().to_files();
    assert_eq!(body, oss_serve::build::zip("etcd", &files).unwrap());
    for (path, _) in &files {
        let name = format!("etcd/{path}");
        assert!(body.windows(name.len()).any(|w| w == name.as_bytes()), "{name}");
    }
}

#[tokio::test]
async fn a_yaml_body_is_a_spec_or_overlay_with_options_in_the_query() {
    let overlay = "extends: cassandra\nredundancy:\n  replicas: 5\n";
    for content_type in [Some("application/yaml"), Some("text/yaml; charset=utf-8"), None] {
        let mut request = Request::post("/api/build?set=capacity.storage%3D20Gi&format=yaml");
        if let Some(ct) = content_type {
            request = request.header(header::CONTENT_TYPE, ct);
        }
        let (status, _, body) = call(Config::default(), request.body(Body::from(overlay)).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{content_type:?}: {}", String::from_utf8_lossy(&body));
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v["yaml"].as_str().unwrap(),
            cli_bundle("cassandra", &["redundancy.replicas=5", "capacity.storage=20Gi"]),
            "{content_type:?}"
        );
    }
    // `curl -d '{...}'` sends a form type: a body that starts with `{` is read as JSON.
    let request = Request::post("/api/build")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(r#"{"service": "etcd"}"#))
        .unwrap();
    let (status, _, _) = call(Config::default(), request).await;
    assert_eq!(status, StatusCode::OK);
    // Invalid YAML is a finding with its place, not a server error.
    let request = Request::post("/api/build").header(header::CONTENT_TYPE, "application/yaml").body(Body::from("a: [unclosed\n")).unwrap();
    let (status, _, body) = call(Config::default(), request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "OSS001");
    assert_eq!(v["diagnostics"][0]["location"]["file"], "spec.yaml");
}

#[tokio::test]
async fn findings_are_422_with_the_field() {
    let (status, v) = post(json!({"service": "cassandra", "sets": ["slo.availability=99.999"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let d = &v["diagnostics"][0];
    assert_eq!((d["code"].as_str(), d["field"].as_str()), (Some("OSS021"), Some("slo.availability")));
    assert!(d["help"].as_str().unwrap().contains("replicas"));

    let (status, v) = post(json!({"spec": "apiVersion: openservice.dev/v1alpha1\nkind: Service\nmetadata: {name: x}\nbogus: 1\n"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["diagnostics"].as_array().unwrap().iter().any(|d| d["code"] == "OSS003" && d["location"]["line"] == 4), "{v}");

    let (status, v) = post(json!({"spec": "a: [unclosed\n"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["diagnostics"][0]["code"], "OSS001");
}

#[tokio::test]
async fn bad_requests_get_clear_json_errors() {
    for (request, want) in [
        (
            Request::post("/api/build").header(header::CONTENT_TYPE, "application/json").body(Body::from("{not json")).unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Request::post("/api/build").header(header::CONTENT_TYPE, "image/png").body(Body::from("{}")).unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (Request::post("/api/build").body(Body::from("  \n")).unwrap(), StatusCode::BAD_REQUEST),
        (
            Request::post("/api/build")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"service":"etcd","colour":"red"}"#))
                .unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Request::post("/api/build?set=a%3D1")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"service":"etcd"}"#))
                .unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Request::post("/api/build?colour=red")
                .header(header::CONTENT_TYPE, "application/yaml")
                .body(Body::from("extends: etcd\n"))
                .unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Request::post("/api/build").header(header::CONTENT_TYPE, "application/yaml").body(Body::from(vec![0xff, 0xfe, 0x00])).unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (Request::get("/api/catalog/casandra").body(Body::empty()).unwrap(), StatusCode::NOT_FOUND),
        (Request::get("/api/bundle/etcd.tar").body(Body::empty()).unwrap(), StatusCode::NOT_FOUND),
        (Request::get("/api/bundle/etcd.yaml?colour=red").body(Body::empty()).unwrap(), StatusCode::BAD_REQUEST),
        (Request::get("/nope").body(Body::empty()).unwrap(), StatusCode::NOT_FOUND),
    ] {
        let uri = request.uri().to_string();
        let (status, _, body) = call(Config::default(), request).await;
        assert_eq!(status, want, "{uri}");
        let v: Value = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{uri}: not JSON: {}", String::from_utf8_lossy(&body)));
        assert_eq!(v["ok"], false, "{uri}");
        assert!(!v["error"]["message"].as_str().unwrap_or_default().is_empty(), "{uri}: {v}");
        assert!(!v["error"]["help"].as_str().unwrap_or_default().is_empty(), "{uri}: {v}");
    }
    let (_, v) = post(json!({"service": "casandra"})).await;
    assert_eq!(v["error"]["help"], "did you mean `cassandra`?");
}

#[tokio::test]
async fn huge_bodies_are_refused_and_the_server_keeps_serving() {
    let config = Config { max_body: 4096, ..Config::default() };
    let app = router(config);
    let huge = format!(r#"{{"spec": "{}"}}"#, "a".repeat(10_000));
    let request = Request::post("/api/build").header(header::CONTENT_TYPE, "application/json").body(Body::from(huge)).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let v: Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(v["error"]["help"].as_str().unwrap().contains("4096"));
    let again = app.oneshot(Request::get("/api/health").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_page_is_served_from_the_binary_with_a_strict_policy() {
    for (path, kind) in [("/", "text/html"), ("/app.js", "text/javascript"), ("/style.css", "text/css"), ("/favicon.svg", "image/svg+xml")]
    {
        let (status, headers, body) = get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(header(&headers, "content-type").starts_with(kind), "{path}");
        assert!(header(&headers, "content-security-policy").starts_with("default-src 'self'"), "{path}");
        assert!(!body.is_empty());
        let text = String::from_utf8(body).unwrap();
        assert!(!text.contains("http://") && !text.contains("https://") || path == "/favicon.svg", "{path} refers to the internet");
    }
}

#[tokio::test]
async fn builds_beyond_the_concurrency_limit_are_turned_away() {
    let config = Config { max_concurrent: 0, ..Config::default() };
    let request =
        Request::post("/api/build").header(header::CONTENT_TYPE, "application/json").body(Body::from(r#"{"service":"etcd"}"#)).unwrap();
    let (status, _, body) = call(config, request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["message"], "too many builds at once");
}

#[tokio::test]
async fn only_loopback_names_are_answered_unless_told_otherwise() {
    let with_host = |host: &str| Request::get("/api/health").header(header::HOST, host).body(Body::empty()).unwrap();
    for host in ["localhost:7300", "127.0.0.1:7300", "[::1]:7300", "LOCALHOST", "127.0.0.1"] {
        let (status, _, _) = call(Config::default(), with_host(host)).await;
        assert_eq!(status, StatusCode::OK, "{host}");
    }
    for host in ["evil.example", "evil.example:7300", "127.0.0.1.evil.example", "localhost.evil:80"] {
        let (status, _, body) = call(Config::default(), with_host(host)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{host}");
        assert!(String::from_utf8(body).unwrap().contains("loopback"), "{host}");
    }
    let (status, _, _) = call(Config { any_host: true, ..Config::default() }, with_host("evil.example")).await;
    assert_eq!(status, StatusCode::OK);
}
