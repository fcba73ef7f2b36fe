"""Classic and agentic search against a local fake of an OpenAI-compatible chat endpoint."""

from __future__ import annotations

import json

import pytest
from airweave.core.pydantic_utilities import parse_obj_as
from airweave.types import AgenticSearchEvent, SearchV2Response

from tests.search.conftest import write_entities
from tests.search.fake_llm import FakeLLM, tool_call


@pytest.fixture
def fake_llm(settings):
    fake = FakeLLM().start()
    settings.WEFT_LLM_BASE_URL = fake.base_url
    settings.WEFT_LLM_API_KEY = "test-llm-key"
    settings.WEFT_LLM_MODEL = "fake-model"
    yield fake
    fake.stop()


@pytest.fixture
def docs(org_a, source_connection):
    write_entities(
        source_connection,
        {"entity_id": "zep", "name": "Zeppelin maintenance", "text": "Hull and gas cells."},
        {"entity_id": "run", "name": "Deployment runbook", "text": "Roll back a deployment."},
        {"entity_id": "old", "name": "Deployment notes 2019", "text": "Old deployment notes."},
    )
    return org_a.collection


def post(tenant, tier: str, body: dict):
    url = f"/api/collections/{tenant.collection.readable_id}/search/{tier}"
    return tenant.client.post(url, body, format="json")


def originals(response) -> list[str]:
    return [r["airweave_system_metadata"]["original_entity_id"] for r in response.json()["results"]]


def test_classic_searches_the_variations_the_llm_plans(org_a, docs, fake_llm):
    fake_llm.replies.append({"content": json.dumps({"queries": ["zeppelin hull"]})})
    response = post(org_a, "classic", {"query": "airship upkeep"})
    assert response.status_code == 200
    assert originals(response) == ["zep"]
    request = fake_llm.requests[0]
    assert request["model"] == "fake-model"
    assert request["messages"][-1] == {"role": "user", "content": "airship upkeep"}
    assert fake_llm.headers[0]["Authorization"] == "Bearer test-llm-key"


def test_classic_applies_the_filter_the_llm_plans(org_a, docs, fake_llm):
    plan = {
        "queries": ["deployment"],
        "filter": [{"conditions": [{"field": "name", "operator": "contains", "value": "2019"}]}],
    }
    fake_llm.replies.append({"content": "```json\n" + json.dumps(plan) + "\n```"})
    assert originals(post(org_a, "classic", {"query": "deployment"})) == ["old"]


def test_classic_drops_a_planned_filter_that_excludes_everything(org_a, docs, fake_llm):
    plan = {
        "queries": ["deployment"],
        "filter": [{"conditions": [{"field": "name", "operator": "equals", "value": "nope"}]}],
    }
    fake_llm.replies.append({"content": json.dumps(plan)})
    assert set(originals(post(org_a, "classic", {"query": "deployment"}))) == {"run", "old"}


def test_classic_keeps_the_callers_filter(org_a, docs, fake_llm):
    fake_llm.replies.append({"content": json.dumps({"queries": ["zeppelin", "deployment"]})})
    only_run = [{"conditions": [{"field": "name", "operator": "contains", "value": "runbook"}]}]
    body = {"query": "deployment", "filter": only_run}
    assert originals(post(org_a, "classic", body)) == ["run"]


def test_classic_searches_without_a_plan_when_the_llm_fails(org_a, docs, fake_llm):
    fake_llm.replies.append(500)
    response = post(org_a, "classic", {"query": "deployment"})
    assert response.status_code == 200
    assert set(originals(response)) == {"run", "old"}


@pytest.mark.parametrize("tier", ["agentic", "agentic/stream"])
def test_agentic_without_an_llm_is_503_saying_what_to_set(org_a, tier):
    response = post(org_a, tier, {"query": "deployment"})
    assert response.status_code == 503
    assert "WEFT_LLM_BASE_URL" in response.json()["detail"]


def script_agent(fake_llm) -> None:
    fake_llm.replies.extend(
        [
            {
                "content": "Looking for runbooks.",
                "tool_calls": [tool_call("search", {"query": "deployment"})],
            },
            {"tool_calls": [tool_call("read", {"entity_ids": ["run__chunk_0"]})]},
            {"tool_calls": [tool_call("add_to_results", {"entity_ids": ["run__chunk_0"]})]},
            {"tool_calls": [tool_call("return_results_to_user", {})]},
        ]
    )


def test_agentic_returns_what_the_agent_collected(org_a, docs, fake_llm):
    script_agent(fake_llm)
    response = post(org_a, "agentic", {"query": "how do I roll back?"})
    assert response.status_code == 200
    assert [r.entity_id for r in SearchV2Response.model_validate(response.json()).results] == [
        "run__chunk_0"
    ]
    tool_messages = [m for m in fake_llm.requests[2]["messages"] if m["role"] == "tool"]
    assert "Roll back a deployment." in tool_messages[-1]["content"]


def sse_events(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return [
        json.loads(line.removeprefix("data: "))
        for line in body.splitlines()
        if line.startswith("data: ")
    ]


def test_agentic_stream_sends_the_sdks_events(org_a, docs, fake_llm):
    script_agent(fake_llm)
    response = post(org_a, "agentic/stream", {"query": "how do I roll back?"})
    assert response["Content-Type"] == "text/event-stream"
    events = sse_events(response)
    types = [event["type"] for event in events]
    assert types == [
        "started",
        "thinking",
        "tool_call",
        "tool_call",
        "tool_call",
        "tool_call",
        "done",
    ]
    parsed = [parse_obj_as(AgenticSearchEvent, event) for event in events]
    assert parsed[-1].results[0].entity_id == "run__chunk_0"
    assert [event.tool_name for event in parsed[2:6]] == [
        "search",
        "read",
        "add_to_results",
        "return_results_to_user",
    ]


def test_agentic_stream_ends_with_an_error_event_when_the_llm_fails(org_a, docs, fake_llm):
    fake_llm.replies.append(502)
    events = sse_events(post(org_a, "agentic/stream", {"query": "deployment"}))
    assert [event["type"] for event in events] == ["started", "error"]
    assert "502" in events[-1]["message"]


def test_agentic_searches_only_within_the_callers_filter(org_a, docs, fake_llm):
    fake_llm.replies.extend(
        [
            {"tool_calls": [tool_call("search", {"query": "deployment"})]},
            {"content": "Done."},
        ]
    )
    only_old = [{"conditions": [{"field": "name", "operator": "contains", "value": "2019"}]}]
    response = post(org_a, "agentic", {"query": "deployment", "filter": only_old})
    assert originals(response) == ["old"]


def test_a_bad_tool_call_is_reported_to_the_model_not_the_caller(org_a, docs, fake_llm):
    fake_llm.replies.extend(
        [
            {"tool_calls": [tool_call("teleport", {})]},
            {"tool_calls": [tool_call("search", {"query": "zeppelin"})]},
            {"content": "Done."},
        ]
    )
    response = post(org_a, "agentic", {"query": "zeppelin"})
    assert originals(response) == ["zep"]
    assert "unknown tool" in fake_llm.requests[1]["messages"][-1]["content"]
