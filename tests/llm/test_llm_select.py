"""Choosing and opening a backend from flags and the environment, and `town llm check`."""

from __future__ import annotations

import argparse

import pytest

from tests.llm.conftest import KEY
from town.llm import ScriptedModel
from town.llm.check import add_check_command
from town.llm.errors import BackendError
from town.llm.openai_backend import Endpoint, OpenAIBackend
from town.llm.select import BackendSpec, add_llm_arguments, open_model, spec_from_args
from town.llm.stub_server import StubServer

ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TOWN_MODEL", "TOWN_PRICES")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def spec(*argv: str) -> BackendSpec:
    parser = argparse.ArgumentParser()
    add_llm_arguments(parser)
    return spec_from_args(parser.parse_args(list(argv)))


def check(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="town")
    add_check_command(parser.add_subparsers())
    args = parser.parse_args(["llm", "check", *argv])
    return args.command(args)


def test_the_default_is_local_unless_an_endpoint_is_configured(monkeypatch) -> None:
    assert spec().kind == "local"
    assert spec("--base-url", "http://127.0.0.1:9/v1").kind == "openai"  # a URL implies it
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert spec().kind == "openai" and spec("--llm", "scripted").kind == "scripted"


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--llm", "gpt"], "unknown backend --llm 'gpt'"),
        (["--llm", "local", "--base-url", "http://x/v1"], "are for --llm openai"),
        (["--max-in-flight", "0"], "at least 1"),
        (["--timeout", "-1"], "must be positive"),
    ],
)
def test_bad_backend_input_is_refused_clearly(argv, problem, capsys) -> None:
    with pytest.raises(BackendError, match=problem):
        spec(*argv)
    assert check(*argv) == 2 and problem in capsys.readouterr().err


def test_endpoints_come_from_flags_or_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1, http://127.0.0.1:2/v1")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("TOWN_MODEL", "served-model")
    with open_model(spec("--llm", "openai")) as stack:
        backend = stack.backend
        assert isinstance(backend, OpenAIBackend) and backend.model == "served-model"
        assert [e.base_url for e in backend.endpoints] == [
            "http://127.0.0.1:1/v1",
            "http://127.0.0.1:2/v1",
        ]
        assert all(e.api_key == KEY for e in backend.endpoints)
        assert KEY not in repr(backend) + stack.description + repr(spec("--llm", "openai"))


def test_openai_itself_needs_a_key_and_other_endpoints_a_model(monkeypatch) -> None:
    with pytest.raises(BackendError, match="OpenAI's API needs a key: set OPENAI_API_KEY"):
        open_model(spec("--llm", "openai")).__enter__()
    with pytest.raises(BackendError, match="set TOWN_MODEL or --model"):
        open_model(spec("--base-url", "http://127.0.0.1:9/v1")).__enter__()
    with pytest.raises(BackendError, match="'ftp://host/v1' is not an http"):
        open_model(spec("--base-url", "ftp://host/v1", "--model", "m")).__enter__()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with open_model(spec("--llm", "openai")) as stack:
        assert stack.model_name == "gpt-4o-mini"


def test_a_url_with_credentials_is_shown_without_them() -> None:
    endpoint = Endpoint("http://user:secret@example.com:8000/v1", KEY)
    assert endpoint.url == "http://example.com:8000/v1"
    assert "secret" not in repr(endpoint) and KEY not in repr(endpoint)


def test_the_scripted_backend_is_composed_like_any_other() -> None:
    with open_model(BackendSpec("scripted", max_in_flight=3), seed=5) as stack:
        assert isinstance(stack.backend, ScriptedModel) and stack.backend.seed == 5
        assert stack.cap is not None and stack.cap.limit == 3


def test_check_against_an_endpoint(capsys) -> None:
    with StubServer(json_schema=False) as stub:
        code = check("--llm", "openai", "--base-url", stub.base_url, "--model", "stub-model")
    out = capsys.readouterr().out
    assert code == 0
    assert f"backend: openai-compatible: {stub.base_url}" in out and "model: stub-model" in out
    assert "test answer: 'Okay.' in " in out and "structured answers: work: '{" in out
    assert "structured form: JSON mode, the schema in the prompt" in out


def test_check_reports_a_failing_model_without_its_key(monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with StubServer(faults=["auth", "auth"]) as stub:
        code = check("--base-url", stub.base_url, "--model", "stub-model")
    out = capsys.readouterr().out
    assert code == 1 and "test answer: FAILED" in out and "answered 401" in out
    assert KEY not in out
