//! A tiny loopback HTTP server for tests: every request is recorded and answered by a closure
//! (or from a queue of canned responses). `{base}` in a body is replaced by the server's URL.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Req {
    pub(crate) fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Canned {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Canned {
    pub(crate) fn json(status: u16, body: impl Into<String>) -> Self {
        Canned {
            status,
            headers: vec![("content-type".into(), "application/json; charset=utf-8".into())],
            body: body.into(),
        }
    }
    pub(crate) fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}

type Handler = Arc<dyn Fn(&Req) -> Canned + Send + Sync>;

pub(crate) struct TestServer {
    pub(crate) base: String,
    pub(crate) requests: Arc<Mutex<Vec<Req>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub(crate) async fn start(handler: impl Fn(&Req) -> Canned + Send + Sync + 'static) -> TestServer {
        let handler: Handler = Arc::new(handler);
        let requests: Arc<Mutex<Vec<Req>>> = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (h, r, b) = (handler.clone(), requests.clone(), base.clone());
        let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let (h, r, b) = (h.clone(), r.clone(), b.clone());
            async move {
                let req = Req {
                    method: method.to_string(),
                    path: uri.path().to_string(),
                    query: uri.query().unwrap_or("").to_string(),
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                };
                r.lock().unwrap().push(req.clone());
                let c = h(&req);
                let mut resp: Response =
                    (StatusCode::from_u16(c.status).unwrap(), c.body.replace("{base}", &b)).into_response();
                for (k, v) in c.headers {
                    resp.headers_mut()
                        .insert(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
                }
                resp
            }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer { base, requests, task }
    }

    /// Answers from a queue, in order; 500 "queue empty" when exhausted.
    pub(crate) async fn queue(responses: Vec<Canned>) -> TestServer {
        let q = Mutex::new(VecDeque::from(responses));
        Self::start(move |_| {
            q.lock().unwrap().pop_front().unwrap_or_else(|| Canned::json(599, "{\"error\":{\"code\":\"QueueEmpty\"}}"))
        })
        .await
    }

    pub(crate) fn url(&self) -> url::Url {
        url::Url::parse(&self.base).unwrap()
    }

    pub(crate) fn requests(&self) -> Vec<Req> {
        self.requests.lock().unwrap().clone()
    }
}

/// A usage page body with `n` records numbered from `first` and an optional nextLink.
pub(crate) fn page_body(first: usize, n: usize, next_link: Option<&str>) -> String {
    let recs: Vec<String> = (first..first + n)
        .map(|i| {
            let inst = format!(
                "{{\"Microsoft.Resources\":{{\"resourceUri\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm{i}\",\"location\":\"local\",\"tags\":\"\",\"additionalInfo\":\"\"}}}}"
            );
            format!(
                r#"{{"properties":{{"subscriptionId":"42274f77-d385-4df0-b47f-a7822e095571","usageStartTime":"2024-05-01T00:00:00+00:00","usageEndTime":"2024-05-02T00:00:00+00:00","instanceData":{},"quantity":{i},"meterId":"6dab500f-a4fd-49c4-956d-229bb9c8c793"}}}}"#,
                serde_json::to_string(&inst).unwrap()
            )
        })
        .collect();
    match next_link {
        Some(l) => format!(r#"{{"value":[{}],"nextLink":"{l}"}}"#, recs.join(",")),
        None => format!(r#"{{"value":[{}]}}"#, recs.join(",")),
    }
}
