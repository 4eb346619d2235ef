"""Which hosts FluxDesk talks to, and which of them may see the API key.

Every URL is checked here *before* a byte is sent. The API base must be one of BFL's API hosts over
https; a polling URL must be https on ``*.bfl.ai``; a sample URL must be https (any host: it is a
signed link that needs no credentials). Loopback mode — an ``http`` API base on 127.0.0.0/8,
``localhost`` or ``::1`` — exists for the simulator and the tests, and there any loopback address is
accepted too.
"""

from __future__ import annotations

import httpx

from fluxdesk.api.errors import HostPolicyError
from fluxdesk.core.network import is_loopback

REGIONS: dict[str, str] = {
    "global": "https://api.bfl.ai",
    "eu": "https://api.eu.bfl.ai",
    "us": "https://api.us.bfl.ai",
}
DEFAULT_REGION = "global"

LEGACY_HOSTS = ("api.eu1.bfl.ai", "api.us1.bfl.ai", "api.bfl.ml")
"""Single-cluster hosts: the only ones where ``/v1/get_result?id=`` may be built locally."""

API_HOSTS = frozenset({"api.bfl.ai", "api.eu.bfl.ai", "api.us.bfl.ai", *LEGACY_HOSTS})
POLLING_DOMAIN = ".bfl.ai"


def region_base(region: str) -> str:
    try:
        return REGIONS[region]
    except KeyError:
        raise ValueError(f"unknown region {region!r}; choose one of {', '.join(REGIONS)}") from None


def _parse(url: str | httpx.URL, what: str) -> httpx.URL:
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise HostPolicyError(f"Refused to contact the {what}: {_short(url)} is not a valid address.") from None
    if not parsed.scheme or not parsed.host:
        raise HostPolicyError(f"Refused to contact the {what}: {_short(url)} is not a full web address.")
    if parsed.userinfo:
        raise HostPolicyError(f"Refused to contact the {what}: its address carries a user name or password.")
    return parsed


def _short(url: object) -> str:
    text = str(url)
    return text if len(text) <= 120 else text[:117] + "…"


def host_of(url: httpx.URL) -> str:
    """The ASCII (IDNA-encoded) host, lowercase: what TLS and DNS will actually see."""
    return url.raw_host.decode("ascii").lower()


class HostPolicy:
    """The allowed hosts for one API base; raises ``HostPolicyError`` for anything else."""

    def __init__(self, api_base: str) -> None:
        url = _parse(api_base, "BFL API")
        host = host_of(url)
        self.loopback = url.scheme in ("http", "https") and is_loopback(host)
        if not self.loopback:
            if url.scheme != "https":
                raise HostPolicyError(
                    f"Refused the API address {_short(api_base)}: the BFL API is only reached over https "
                    "(plain http is allowed for the local simulator on 127.0.0.1 only).")
            if host not in API_HOSTS:
                raise HostPolicyError(
                    f"Refused the API address {_short(api_base)}: {host} is not a BFL API host "
                    f"(use one of {', '.join(sorted(API_HOSTS))}).")
            if url.port not in (None, 443):
                raise HostPolicyError(f"Refused the API address {_short(api_base)}: BFL listens on port 443.")
        if url.path not in ("", "/") or url.query or url.fragment:
            raise HostPolicyError(f"Refused the API address {_short(api_base)}: give the host only, "
                                  "such as https://api.bfl.ai.")
        self.api_base = str(url.copy_with(path="/")).rstrip("/")
        self._api_origin = (url.scheme, host, url.port)

    @property
    def legacy_single_cluster(self) -> bool:
        return self._api_origin[1] in LEGACY_HOSTS

    def _loopback_ok(self, url: httpx.URL) -> bool:
        return self.loopback and url.scheme in ("http", "https") and is_loopback(host_of(url))

    def _is_bfl_host(self, url: httpx.URL) -> bool:
        """A BFL polling host: https on *.bfl.ai. Where polling may go is where the key may go."""
        return url.scheme == "https" and host_of(url).endswith(POLLING_DOMAIN)

    def is_api_origin(self, url: httpx.URL) -> bool:
        return (url.scheme, host_of(url), url.port) == self._api_origin

    def check_api_url(self, url: str | httpx.URL) -> httpx.URL:
        parsed = _parse(url, "BFL API")
        if not self.is_api_origin(parsed):
            raise HostPolicyError(f"Refused to contact {_short(url)}: it is not the configured BFL API.")
        return parsed

    def check_polling_url(self, url: str | httpx.URL) -> httpx.URL:
        parsed = _parse(url, "polling address")
        if self._loopback_ok(parsed) or self.is_api_origin(parsed):
            return parsed
        if self._is_bfl_host(parsed):
            return parsed
        if parsed.scheme != "https":
            raise HostPolicyError(f"Refused to poll {_short(url)}: BFL's polling addresses use https.")
        raise HostPolicyError(f"Refused to poll {_short(url)}: {host_of(parsed)} is not a BFL host (*.bfl.ai), "
                              "so FluxDesk will not send it your API key.")

    def check_sample_url(self, url: str | httpx.URL) -> httpx.URL:
        parsed = _parse(url, "image download")
        if self._loopback_ok(parsed) or parsed.scheme == "https":
            return parsed
        raise HostPolicyError(f"Refused to download {_short(url)}: images are only fetched over https.")

    def may_send_key(self, url: httpx.URL) -> bool:
        """The key goes to the API origin and to BFL polling hosts (any loopback host in loopback mode)."""
        if self.is_api_origin(url) or self._loopback_ok(url):
            return True
        return self._is_bfl_host(url) and not url.userinfo
