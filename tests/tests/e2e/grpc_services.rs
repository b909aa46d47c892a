//! gRPC health checking and server reflection, as reflection-based clients use them.

use claimdesk_tests::TestApp;
use tokio_stream::StreamExt;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
use tonic_reflection::pb::{v1, v1alpha};

async fn health_reports_serving(app: TestApp) {
    let mut health = HealthClient::new(app.grpc_channel().await);
    for service in ["", "claimdesk.v1.ClaimService", "claimdesk.v1.SourceService", "claimdesk.v1.TokenService"] {
        let status = health
            .check(HealthCheckRequest { service: service.into() })
            .await
            .expect("health answers")
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving, "{service:?}");
    }
    let unknown = health.check(HealthCheckRequest { service: "nope.Service".into() }).await;
    assert_eq!(unknown.expect_err("unknown service").code(), tonic::Code::NotFound);
}

async fn reflection_v1_lists_and_describes_the_services(app: TestApp) {
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(app.grpc_channel().await);
    let list = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(String::new())),
    };
    let describe = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::FileContainingSymbol(
            "claimdesk.v1.ClaimService".into(),
        )),
    };
    let mut answers = client
        .server_reflection_info(tokio_stream::iter([list, describe]))
        .await
        .expect("reflection answers")
        .into_inner();

    let Some(Ok(v1::ServerReflectionResponse {
        message_response: Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(services)),
        ..
    })) = answers.next().await
    else {
        panic!("no service list");
    };
    let mut names: Vec<String> = services.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "claimdesk.v1.ClaimService",
            "claimdesk.v1.SourceService",
            "claimdesk.v1.TokenService",
            "claimdesk.v1.WebhookService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection"
        ]
    );

    let Some(Ok(v1::ServerReflectionResponse {
        message_response: Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(files)),
        ..
    })) = answers.next().await
    else {
        panic!("no descriptor for ClaimService");
    };
    assert!(!files.file_descriptor_proto.is_empty());
}

async fn reflection_v1alpha_answers_too(app: TestApp) {
    let mut client = v1alpha::server_reflection_client::ServerReflectionClient::new(app.grpc_channel().await);
    let list = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1alpha::server_reflection_request::MessageRequest::ListServices(String::new())),
    };
    let mut answers = client.server_reflection_info(tokio_stream::iter([list])).await.expect("answers").into_inner();
    let Some(Ok(v1alpha::ServerReflectionResponse {
        message_response: Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(services)),
        ..
    })) = answers.next().await
    else {
        panic!("no service list");
    };
    assert!(services.service.iter().any(|s| s.name == "claimdesk.v1.ClaimService"));
}

/// Bytes that are not the method's message are the caller's mistake: INVALID_ARGUMENT naming
/// the problem, never INTERNAL; and nothing is stored.
async fn malformed_protobuf_is_invalid_argument(app: TestApp) {
    let garbage: [&[u8]; 4] = [
        &[0x0f],                   // wire type 7 does not exist
        &[0xff, 0xff, 0xff],       // a tag whose varint never ends
        &[0x0a, 0x05, 0x61],       // field 1 announces 5 bytes, 1 follows
        &[0x0a, 0x02, 0xff, 0xfe], // field 1 (text) is not UTF-8
    ];
    for body in garbage {
        let status =
            app.raw_grpc_call("/claimdesk.v1.ClaimService/CreateClaim", body.to_vec()).await.expect_err("refused");
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{body:02x?}: {status:?}");
        assert!(status.message().contains("not valid protobuf"), "{body:02x?}: {}", status.message());
    }
    assert_eq!(app.sql_i64("(SELECT count(*) FROM claims)").await, 0);
    // A well-formed empty message still reaches the rules.
    let status = app.raw_grpc_call("/claimdesk.v1.ClaimService/CreateClaim", Vec::new()).await.expect_err("refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("text"), "{}", status.message());
}

claimdesk_tests::on_both_backends!(
    malformed_protobuf_is_invalid_argument,
    health_reports_serving,
    reflection_v1_lists_and_describes_the_services,
    reflection_v1alpha_answers_too
);
