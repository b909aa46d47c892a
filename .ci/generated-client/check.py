"""A Python client generated from openapi/openapi.json (openapi-python-client) drives a live
`claimdesk serve`: create, attribute, edit, set a status, then read the history (every kind of
change decodes), lists and one attribution. Usage: check.py GENERATED_DIR BINARY"""
import os, subprocess, tempfile, time, socket, sys
sys.path.insert(0, sys.argv[1])
from claimdesk_client import AuthenticatedClient
from claimdesk_client.api.claims import create_claim, update_claim, get_history, get_claim, list_claims, set_status
from claimdesk_client.api.sources import create_source
from claimdesk_client.api.attributions import add_attribution, list_attributions, get_attribution
from claimdesk_client.models import CreateClaimRequest, ClaimPatchRequest, AttributionRequest, CreateSourceRequest, SourceKind, Stance, StatusChangeRequest, ClaimStatus

def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
token = "cdk_generated-client-check-0123456789abcdef"
hp, gp = port(), port()
d = tempfile.mkdtemp()
env = dict(os.environ, CLAIMDESK_HTTP_ADDR=f"127.0.0.1:{hp}", CLAIMDESK_GRPC_ADDR=f"127.0.0.1:{gp}", CLAIMDESK_BOOTSTRAP_TOKEN=token)
p = subprocess.Popen([os.path.abspath(sys.argv[2]), "serve"], cwd=d, env=env, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", hp)).close(); break
        except OSError: time.sleep(0.1)
    c = AuthenticatedClient(base_url=f"http://127.0.0.1:{hp}", token=token)
    r = create_claim.sync_detailed(client=c, body=CreateClaimRequest(text="Maduro a demandé l'aide de la Russie", language="fr", claimant="The Washington Post", claimant_kind=SourceKind.NEWS_OUTLET))
    assert r.status_code == 201, r
    claim = r.parsed
    src = create_source.sync_detailed(client=c, body=CreateSourceRequest(name="Dmitri Peskov", kind=SourceKind.PERSON)).parsed
    r = add_attribution.sync_detailed(client=c, id=claim.id, if_match=r.headers["etag"], body=AttributionRequest(speaker_id=src.id, stance=Stance.CONTEXT, quote="Nous sommes en contact"))
    assert r.status_code == 201, r
    etag = r.headers["etag"]
    r = update_claim.sync_detailed(client=c, id=claim.id, if_match=etag, body=ClaimPatchRequest(tags=["venezuela"], context="Selon le Post"))
    assert r.status_code == 200, r
    r = set_status.sync_detailed(client=c, id=claim.id, if_match=r.headers["etag"], body=StatusChangeRequest(status=ClaimStatus.IN_REVIEW))
    assert r.status_code == 200, r
    h = get_history.sync_detailed(client=c, id=claim.id)
    assert h.status_code == 200, h
    kinds = [type(e.change).__name__ for e in h.parsed.events]
    print("history kinds:", kinds)
    assert kinds == ["ChangeCreated", "ChangeAttributionAdded", "ChangeEdited", "ChangeStatusChanged"], kinds
    edited = [e.change for e in h.parsed.events if type(e.change).__name__ == "ChangeEdited"][0]
    edits = [(f.field, f.before, f.after) for f in edited.changes]
    print("edit:", edits)
    assert edits == [("context", None, "Selon le Post"), ("tags", [], ["venezuela"])], edits
    l = list_claims.sync_detailed(client=c)
    print("list:", l.status_code, len(l.parsed.claims))
    assert l.status_code == 200 and len(l.parsed.claims) == 1
    a = list_attributions.sync_detailed(client=c, id=claim.id)
    one = get_attribution.sync_detailed(client=c, id=claim.id, attribution_id=a.parsed.attributions[0].id)
    print("attribution:", one.status_code, one.parsed.stance)
    assert one.status_code == 200 and one.parsed.stance == Stance.CONTEXT
    g = get_claim.sync_detailed(client=c, id=claim.id)
    print("claim:", g.status_code, g.parsed.status, g.parsed.sourcing.level)
    assert g.status_code == 200 and g.parsed.status == ClaimStatus.IN_REVIEW
finally:
    p.terminate(); p.wait()
