#!/usr/bin/env python3
"""A claimdesk client in Python, over gRPC, with stubs generated from proto/ at start.

    python3 -m venv .venv && .venv/bin/pip install -r examples/python/requirements.txt
    CLAIMDESK_TOKEN=cdk_... .venv/bin/python examples/python/claimdesk_client.py [127.0.0.1:50051]

It records the seed article's claim that Maduro asked Russia for help, relayed by The
Washington Post, then:
- adds the Post's attribution with `expected_version`, and shows a stale version refused with
  its `google.rpc` details (ErrorInfo reason and metadata, PreconditionFailure);
- watches the change feed for that claim from its beginning and prints each event, drops the
  stream, and resumes from the first event's cursor to receive the second again.
Exits non-zero when anything differs from that.
"""

import os
import pathlib
import sys
import tempfile

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from grpc_tools import protoc

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROTO = ROOT / "proto" / "proto"


def generate_stubs():
    """claimdesk/v1/*_pb2.py and *_pb2_grpc.py from the .proto files, into a fresh directory
    on sys.path. grpcio-tools ships protoc and the well-known types; nothing is downloaded."""
    out = tempfile.mkdtemp(prefix="claimdesk-stubs-")
    well_known = pathlib.Path(protoc.__file__).parent / "_proto"
    files = sorted(str(p.relative_to(PROTO)) for p in (PROTO / "claimdesk" / "v1").glob("*.proto"))
    code = protoc.main(["protoc", f"-I{PROTO}", f"-I{well_known}", f"--python_out={out}",
                        f"--grpc_python_out={out}", *files])
    if code != 0:
        sys.exit(f"protoc failed ({code})")
    sys.path.insert(0, out)


def details(error):
    """The google.rpc.Status a claimdesk error carries, decoded: (ErrorInfo, other details)."""
    status = rpc_status.from_call(error)
    info, others = None, []
    for detail in status.details if status else []:
        for kind in (error_details_pb2.ErrorInfo, error_details_pb2.PreconditionFailure,
                     error_details_pb2.BadRequest):
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                if kind is error_details_pb2.ErrorInfo:
                    info = message
                else:
                    others.append(message)
    return info, others


def main():
    generate_stubs()
    from claimdesk.v1 import claims_pb2, claims_pb2_grpc, sources_pb2, sources_pb2_grpc

    target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CLAIMDESK_GRPC", "127.0.0.1:50051")
    token = os.environ["CLAIMDESK_TOKEN"]
    auth = [("authorization", f"Bearer {token}")]
    channel = grpc.insecure_channel(target)
    claims = claims_pb2_grpc.ClaimServiceStub(channel)
    sources = sources_pb2_grpc.SourceServiceStub(channel)

    # The relaying paper: created, or found when a source of that name exists already
    # (ALREADY_EXISTS, its id in ErrorInfo metadata).
    try:
        post = sources.CreateSource(sources_pb2.CreateSourceRequest(source=sources_pb2.SourceFields(
            name="The Washington Post", kind=sources_pb2.SOURCE_KIND_NEWS_OUTLET)), metadata=auth, timeout=10)
        post_id = post.id
    except grpc.RpcError as error:
        info, _ = details(error)
        if error.code() != grpc.StatusCode.ALREADY_EXISTS or info is None:
            raise
        post_id = info.metadata["existing_id"]
    print("source: The Washington Post")

    claim = claims.CreateClaim(claims_pb2.CreateClaimRequest(
        text="Maduro a demandé l'aide de la Russie, de la Chine et de l'Iran",
        language="fr", tags=["venezuela"]), metadata=auth, timeout=10)
    print(f"claim: version {claim.version}, status {claims_pb2.ClaimStatus.Name(claim.status)}")

    attribution = claims_pb2.AttributionFields(
        speaker_id=post_id, stance=claims_pb2.STANCE_ASSERTS,
        quote="Maduro a demandé l'aide de la Russie", published_at="2025-10-31")
    added = claims.AddAttribution(claims_pb2.AddAttributionRequest(
        claim_id=claim.id, expected_version=claim.version, attribution=attribution), metadata=auth, timeout=10)
    print(f"attribution added: claim version {added.claim_version}")

    # The same change against the version read before: refused, with the details to act on.
    try:
        claims.AddAttribution(claims_pb2.AddAttributionRequest(
            claim_id=claim.id, expected_version=claim.version, attribution=attribution), metadata=auth, timeout=10)
        sys.exit("a stale expected_version was accepted")
    except grpc.RpcError as error:
        info, others = details(error)
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.code()
        print(f"stale version refused: {error.code().name}, reason {info.reason}, "
              f"current_version {info.metadata['current_version']}, "
              f"{type(others[0]).__name__} {others[0].violations[0].type}")

    # The change feed for this claim, from its first event.
    watch = claims_pb2.WatchEventsRequest(from_beginning=True, claim_ids=[claim.id])
    stream = claims.WatchEvents(watch, metadata=auth)
    seen = []
    for event in stream:
        seen.append(event)
        print(f"feed: version {event.event.version} {event.kind} by {event.event.actor}")
        if len(seen) == 2:
            break
    stream.cancel()
    assert [e.kind for e in seen] == ["created", "attribution_added"], seen

    # Reconnect after the first event: exactly the second comes again.
    resumed = claims.WatchEvents(claims_pb2.WatchEventsRequest(since=seen[0].cursor, claim_ids=[claim.id]),
                                 metadata=auth)
    again = next(resumed)
    resumed.cancel()
    assert again.cursor == seen[1].cursor, (again, seen[1])
    print(f"resumed after the first event: version {again.event.version} {again.kind}")


if __name__ == "__main__":
    main()
