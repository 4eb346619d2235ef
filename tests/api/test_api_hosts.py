"""The host policy: which URLs are allowed, which may see the key; refusals happen before any byte."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from api_support import KEY

from fluxdesk.api import BflClient, HostPolicy, HostPolicyError, region_base
from fluxdesk.core.network import is_loopback


@pytest.mark.parametrize("base", [
    "https://api.bfl.ai", "https://api.eu.bfl.ai", "https://api.us.bfl.ai", "https://api.eu1.bfl.ai",
    "https://api.us1.bfl.ai", "https://api.bfl.ml", "https://API.BFL.AI/", "https://api.bfl.ai:443",
    "http://127.0.0.1:8123", "http://127.5.6.7", "http://localhost:9", "http://[::1]:8080",
])
def test_accepted_api_bases(base: str) -> None:
    HostPolicy(base)


@pytest.mark.parametrize("base", [
    "http://api.bfl.ai",           # plain http off loopback
    "https://evil.example.com",
    "https://api.bfl.ai.evil.com",
    "https://api.eu2.bfl.ai",      # a cluster host, not an API host
    "https://api.bfl.ai:8443",
    "https://api.bfl.ai/v1",       # a path
    "https://user:pw@api.bfl.ai",
    "http://10.0.0.1:8000",
    "ftp://api.bfl.ai",
    "api.bfl.ai",
    "",
])
def test_refused_api_bases(base: str) -> None:
    with pytest.raises(HostPolicyError) as info:
        HostPolicy(base)
    assert info.value.message and not info.value.retryable


def test_regions() -> None:
    assert region_base("global") == "https://api.bfl.ai"
    assert region_base("eu") == "https://api.eu.bfl.ai"
    assert region_base("us") == "https://api.us.bfl.ai"
    with pytest.raises(ValueError):
        region_base("mars")


def test_loopback_detection() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.255.0.9", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("10.0.0.1", "128.0.0.1", "api.bfl.ai", "localhost.evil.com",
                                             "::ffff:8.8.8.8", "0.0.0.0"))


@pytest.mark.parametrize("url", [
    "https://api.eu2.bfl.ai/v1/get_result?id=abc", "https://api.us4.bfl.ai/v1/get_result?id=x",
    "https://api.bfl.ai/v1/get_result?id=1",
])
def test_polling_urls_accepted(url: str) -> None:
    HostPolicy("https://api.bfl.ai").check_polling_url(url)


@pytest.mark.parametrize("url", [
    "http://api.eu2.bfl.ai/v1/get_result?id=abc",   # http
    "https://evil.example.com/v1/get_result?id=1",  # foreign host
    "https://bfl.ai.evil.com/v1/get_result?id=1",   # looks like bfl.ai, is not
    "https://evilbfl.ai/v1/get_result",             # suffix without the dot
    "https://api.eu2.bfl.ai@evil.com/x",            # user info trick
    "http://127.0.0.1:9000/v1/get_result?id=1",     # loopback only in loopback mode
    "not a url",
])
def test_polling_urls_refused(url: str) -> None:
    with pytest.raises(HostPolicyError):
        HostPolicy("https://api.bfl.ai").check_polling_url(url)


def test_loopback_mode_accepts_any_loopback_polling_and_sample_host() -> None:
    policy = HostPolicy("http://127.0.0.1:8000")
    assert policy.loopback
    policy.check_polling_url("http://127.0.0.1:9001/v1/get_result?id=1")
    policy.check_polling_url("http://localhost:9001/v1/get_result?id=1")
    policy.check_sample_url("http://127.0.0.1:9002/results/a/sample.png?sig=1")
    with pytest.raises(HostPolicyError):
        policy.check_polling_url("http://192.168.1.5:9001/v1/get_result?id=1")
    with pytest.raises(HostPolicyError):
        policy.check_sample_url("http://delivery.example.com/sample.png")


def test_sample_urls() -> None:
    policy = HostPolicy("https://api.eu.bfl.ai")
    policy.check_sample_url("https://delivery-eu1.bfl.ai/results/x/sample.jpeg?se=2025&rsct=image/jpeg")
    policy.check_sample_url("https://bflblob.blob.core.windows.net/x/sample.png?sig=a/b")
    for bad in ("http://delivery-eu1.bfl.ai/sample.jpeg", "http://127.0.0.1:9/sample.png",
                "https://user:pw@delivery-eu1.bfl.ai/sample.jpeg", "file:///etc/passwd"):
        with pytest.raises(HostPolicyError):
            policy.check_sample_url(bad)


def test_key_goes_only_to_api_and_bfl_polling_hosts() -> None:
    policy = HostPolicy("https://api.bfl.ai")
    assert policy.may_send_key(httpx.URL("https://api.bfl.ai/v1/flux-2-pro"))
    assert policy.may_send_key(httpx.URL("https://api.eu4.bfl.ai/v1/get_result?id=1"))
    assert not policy.may_send_key(httpx.URL("http://api.eu4.bfl.ai/v1/get_result?id=1"))
    assert not policy.may_send_key(httpx.URL("https://bfl.ai.evil.com/v1/get_result"))
    assert not policy.may_send_key(httpx.URL("https://delivery.example.net/sample.jpeg"))
    assert not policy.may_send_key(httpx.URL("http://127.0.0.1:80/"))


def _refusing_transport() -> tuple[httpx.MockTransport, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    return httpx.MockTransport(handler), sent


@pytest.mark.parametrize("polling_url", [
    "http://api.bfl.ai/v1/get_result?id=1",
    "https://evil.example.com/v1/get_result?id=1",
    "https://bfl.ai.evil.com/v1/get_result?id=1",
])
def test_client_refuses_polling_hosts_before_sending(polling_url: str) -> None:
    transport, sent = _refusing_transport()

    async def main() -> None:
        async with BflClient("https://api.bfl.ai", KEY, transport=transport) as client:
            with pytest.raises(HostPolicyError):
                await client.poll(polling_url)
            with pytest.raises(HostPolicyError):
                await client.wait(polling_url, deadline=1)

    asyncio.run(main())
    assert sent == []


def test_client_refuses_plain_http_sample_and_bad_base_before_sending() -> None:
    transport, sent = _refusing_transport()
    with pytest.raises(HostPolicyError):
        BflClient("http://api.bfl.ai", KEY, transport=transport)

    async def main() -> None:
        async with BflClient("https://api.bfl.ai", KEY, transport=transport) as client:
            with pytest.raises(HostPolicyError):
                await client.download("http://delivery-eu1.bfl.ai/results/1/sample.jpeg")

    asyncio.run(main())
    assert sent == []


def test_key_is_hidden_from_repr_and_refusals() -> None:
    client = BflClient("https://api.bfl.ai", KEY)
    assert KEY not in repr(client) and KEY not in str(vars(client))
    with pytest.raises(ValueError) as info:
        BflClient("https://api.bfl.ai", "bfl_bad\nInjected: 1")
    assert "bfl_bad" not in str(info.value)
    asyncio.run(client.aclose())
