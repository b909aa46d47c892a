#!/usr/bin/env python3
"""A claimdesk webhook receiver in Python that checks each delivery with the Standard Webhooks
library (PyPI `standardwebhooks`), not with code of its own.

    CLAIMDESK_TOKEN=cdk_... .venv/bin/python examples/python/webhook_receiver.py [127.0.0.1:50051]

It listens on 127.0.0.1 (the server must list it: CLAIMDESK_WEBHOOK_ALLOWED_HOSTS=127.0.0.1),
registers itself over gRPC for `created` events, records a claim, and waits for the delivery:
the library verifies its signature, and refuses the same delivery with one byte changed. The
body is the change feed's event JSON. Then it deletes the webhook. Exits non-zero when
anything differs from that.
"""

import http.server
import json
import os
import queue
import sys
import threading

import grpc
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from claimdesk_client import generate_stubs


def main():
    generate_stubs()
    from claimdesk.v1 import claims_pb2, claims_pb2_grpc, webhooks_pb2, webhooks_pb2_grpc

    target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CLAIMDESK_GRPC", "127.0.0.1:50051")
    auth = [("authorization", f"Bearer {os.environ['CLAIMDESK_TOKEN']}")]
    channel = grpc.insecure_channel(target)
    hooks = webhooks_pb2_grpc.WebhookServiceStub(channel)
    claims = claims_pb2_grpc.ClaimServiceStub(channel)

    deliveries = queue.Queue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            deliveries.put((body, {k.lower(): v for k, v in self.headers.items()}))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/claimdesk"

    created = hooks.CreateWebhook(webhooks_pb2.CreateWebhookRequest(url=url, events=["created"],
                                                                    description="python example"),
                                  metadata=auth, timeout=10)
    print(f"registered webhook {created.webhook.id} -> {url}")
    try:
        claim = claims.CreateClaim(claims_pb2.CreateClaimRequest(
            text="Trois bombardiers B-52 ont survolé la mer des Caraïbes au large du Venezuela",
            language="fr"), metadata=auth, timeout=10)
        body, headers = deliveries.get(timeout=30)
        verifier = Webhook(created.secret)
        event = verifier.verify(body, headers)
        print(f"verified delivery {headers['webhook-id']}: {event['kind']} of claim {event['claim_id']}")
        if event["claim_id"] != claim.id or event["kind"] != "created" or event["event"]["version"] != 1:
            sys.exit(f"unexpected event: {event}")
        if not event.get("cursor"):
            sys.exit("the event has no cursor")
        tampered = body.replace(b"B-52", b"B-53")
        try:
            verifier.verify(tampered, headers)
            sys.exit("a tampered body passed verification")
        except WebhookVerificationError:
            print("a tampered body is refused")
    finally:
        hooks.DeleteWebhook(webhooks_pb2.DeleteWebhookRequest(id=created.webhook.id), metadata=auth, timeout=10)
        server.shutdown()


if __name__ == "__main__":
    main()
