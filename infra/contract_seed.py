#!/usr/bin/env python3
"""Seeds the live local API with real objects for the contract test and writes the
schemathesis configuration that hands their ids to every operation.

Schemathesis's example, coverage and fuzzing phases generate path parameters at random, so an
id-taking operation would only ever answer 404. This creates, through the public API, an agent,
a campaign with imported contacts (a CSV uploaded to its presigned URL, imported by the local
importer), a lead, an export, a webhook endpoint with a delivery (a second campaign's launch,
fanned out by the local webhook worker), and separate throwaway objects for the destructive operations
(DELETE), then writes `parameters` so each operation receives ids that exist. The stateful
phase chains ids on its own through the document's links.

Usage: contract_seed.py BASE_URL API_KEY IDS_JSON   (the configuration goes to stdout, the
ids to IDS_JSON for infra/contract_hooks.py)
"""

import json
import sys
import time

import requests

CALLER = "+14155550199"  # the demo tenant's registered caller number
CSV = "phone,name,timezone\n" + "".join(
    f"+1212555{i:04d},Contact {i},America/New_York\n" for i in range(1, 21)
)


def main():
    base, key, ids_path = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {key}"

    def call(method, path, expect, **kwargs):
        r = s.request(method, base + path, timeout=30, **kwargs)
        if r.status_code != expect:
            sys.exit(f"seed: {method} {path} answered {r.status_code}: {r.text}")
        return r.json() if r.content else None

    def agent(name):
        return call("POST", "/v1/agents", 201, json={
            "name": name, "mode": "outbound", "provider": "simulator",
            "caller_number": CALLER, "provider_agent_ref": "contract-agent"})["id"]

    def campaign(name, agent_id):
        return call("POST", "/v1/campaigns", 201, json={"name": name, "agent_id": agent_id})["id"]

    def imported(campaign_id):
        body = CSV.encode()
        upload = call("POST", f"/v1/campaigns/{campaign_id}/imports", 201,
                      json={"size_bytes": len(body)})
        put = requests.put(upload["upload_url"], data=body, headers=upload["headers"], timeout=30)
        if put.status_code >= 300:
            sys.exit(f"seed: the upload answered {put.status_code}: {put.text}")
        import_id = upload["import_id"]
        for _ in range(300):
            status = call("GET", f"/v1/campaigns/{campaign_id}/imports/{import_id}", 200)["status"]
            if status not in ("awaiting_upload", "processing"):
                break
            time.sleep(0.2)
        if status != "completed":
            sys.exit(f"seed: the import ended {status}")
        return import_id

    def endpoint(name):
        # Nothing listens on the discard port: deliveries fail and wait out their backoff.
        return call("POST", "/v1/webhook-endpoints", 201, json={
            "url": "http://127.0.0.1:9/contract-hook", "events": ["campaign.status_changed"],
            "description": name})["id"]

    agent_id = agent("Contract agent")
    campaign_id = campaign("Contract campaign", agent_id)
    import_id = imported(campaign_id)

    # A delivery to redeliver: a launch's status change, fanned out to the seeded endpoint by
    # the runner's webhook worker.
    endpoint_id = endpoint("Contract endpoint")
    told = campaign("Contract campaign for webhooks", agent_id)
    imported(told)
    call("POST", f"/v1/campaigns/{told}/launch", 200, json={})
    event_id = None
    for _ in range(300):
        items = call("GET", f"/v1/webhook-endpoints/{endpoint_id}/deliveries", 200)["items"]
        if items:
            event_id = items[0]["event"]["id"]
            break
        time.sleep(0.2)
    if event_id is None:
        sys.exit("seed: the launch's webhook event was never fanned out")
    doomed_endpoint = endpoint("Contract endpoint to delete")

    lead_id = call("GET", f"/v1/campaigns/{campaign_id}/leads", 200)["items"][0]["id"]
    export_id = call("POST", f"/v1/campaigns/{campaign_id}/exports", 202)["id"]
    doomed_agent = agent("Contract agent to delete")
    doomed_campaign = campaign("Contract campaign to delete", agent_id)

    with open(ids_path, "w") as f:
        json.dump({"agent_id": agent_id, "campaign_id": campaign_id}, f)
    sys.stdout.write(f"""# Written by infra/contract_seed.py: real ids for the id-taking operations.
[parameters]
agent_id = "{agent_id}"
campaign_id = "{campaign_id}"
import_id = "{import_id}"
lead_id = "{lead_id}"
export_id = "{export_id}"
endpoint_id = "{endpoint_id}"
event_id = "{event_id}"

[[operations]]
include-name = "DELETE /v1/agents/{{agent_id}}"
parameters = {{ agent_id = "{doomed_agent}" }}

[[operations]]
include-name = "DELETE /v1/campaigns/{{campaign_id}}"
parameters = {{ campaign_id = "{doomed_campaign}" }}

[[operations]]
include-name = "DELETE /v1/webhook-endpoints/{{endpoint_id}}"
parameters = {{ endpoint_id = "{doomed_endpoint}" }}
""")


if __name__ == "__main__":
    main()
