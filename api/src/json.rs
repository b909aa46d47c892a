//! JSON bodies end with a newline, as text meant for a terminal does: `curl` then leaves the
//! prompt on a line of its own, and line-oriented tools see one document per line.

use actix_web::{
    HttpResponse, HttpResponseBuilder,
    body::{BoxBody, MessageBody},
};
use serde::Serialize;

pub trait JsonLine {
    /// `HttpResponseBuilder::json` (the same content type rules), with a final newline.
    fn json_line(&mut self, value: impl Serialize) -> HttpResponse;
}

impl JsonLine for HttpResponseBuilder {
    fn json_line(&mut self, value: impl Serialize) -> HttpResponse {
        self.json(value).map_body(|_, body| match body.try_into_bytes() {
            Ok(bytes) => {
                let mut line = Vec::with_capacity(bytes.len() + 1);
                line.extend_from_slice(&bytes);
                line.push(b'\n');
                BoxBody::new(line)
            }
            // A serialisation error's body: left as it is.
            Err(body) => body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::CONTENT_TYPE;

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
