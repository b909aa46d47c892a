//! JSON bodies end with a newline, as text meant for a terminal does: `curl` then leaves the
//! prompt on a line of its own, and line-oriented tools see one document per line.

use actix_web::{
    HttpResponse, HttpResponseBuilder,
    error::JsonPayloadError,
    http::header::{CONTENT_TYPE, HeaderValue},
};
use serde::Serialize;

pub trait JsonLine {
    /// `HttpResponseBuilder::json` (the same content type rules), with a final newline.
    fn json_line(&mut self, value: impl Serialize) -> HttpResponse;
}

impl JsonLine for HttpResponseBuilder {
    fn json_line(&mut self, value: impl Serialize) -> HttpResponse {
        let mut body = match serde_json::to_vec(&value) {
            Ok(body) => body,
            Err(error) => return HttpResponse::from_error(JsonPayloadError::Serialize(error)),
        };
        body.push(b'\n');
        let mut response = self.body(body);
        // A content type set before (problem+json) stays.
        if !response.headers().contains_key(CONTENT_TYPE) {
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn the_body_is_the_json_and_a_newline() {
        let response = HttpResponse::Ok().json_line(serde_json::json!({"a": [1, "é"]}));
        assert_eq!(response.headers().get(CONTENT_TYPE).expect("content type"), "application/json");
        let body = actix_web::body::to_bytes(response.into_body()).await.expect("body");
        assert_eq!(&body[..], "{\"a\":[1,\"é\"]}\n".as_bytes());
    }

    #[actix_web::test]
    async fn a_content_type_set_before_stays() {
        let response = HttpResponse::BadRequest().content_type("application/problem+json").json_line("x");
        assert_eq!(response.headers().get(CONTENT_TYPE).expect("content type"), "application/problem+json");
        let body = actix_web::body::to_bytes(response.into_body()).await.expect("body");
        assert_eq!(&body[..], b"\"x\"\n");
    }
}
