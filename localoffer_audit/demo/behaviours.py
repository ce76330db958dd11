"""The closed list of link behaviours in the demo's outside web, and what each should get.

A behaviour is what a URL *does* when fetched; the expected verdict is what a careful
link checker should conclude (values of ``models.LinkVerdict``). ``tolerated`` lists
verdicts that are defensible too (scorers should not count them as errors).
"""

from __future__ import annotations

from dataclasses import dataclass

from localoffer_audit.models import LinkVerdict as V


@dataclass(frozen=True, slots=True)
class Behaviour:
    name: str
    verdict: str
    tolerated: tuple[str, ...] = ()
    # Host-level behaviours apply to every URL on the host; URL-level ones to one URL.
    host_level: bool = False
    description: str = ""


_ALL = [
    # URL-level, on hosts that otherwise work
    Behaviour("ok", V.OK, description="200 with a real page"),
    Behaviour("document", V.OK, description="200 application/pdf"),
    Behaviour("not_found", V.BROKEN, description="404"),
    Behaviour("gone", V.BROKEN, description="410"),
    Behaviour("server_error", V.SERVER_ERROR, description="500 on every request"),
    Behaviour("transient_503", V.OK, description="503 with Retry-After: 1 on the first request of the day, then 200"),
    Behaviour("rate_limited_429", V.OK, (V.BLOCKED,), description="429 with Retry-After: 1 on the first request of the day, then 200"),
    Behaviour("soft_404_page", V.SOFT_404, description="200 whose page says it was not found"),
    Behaviour("home_redirect", V.SOFT_404, (V.REDIRECTED,), description="deep link 301/302-redirected to the site's home page"),
    Behaviour("redirect_chain", V.REDIRECTED, description="301 -> 301 -> 200 on the same site"),
    Behaviour("temporary_redirect", V.OK, (V.REDIRECTED,), description="302 to a working page on the same site"),
    Behaviour("redirect_loop", V.BROKEN, description="301 between two URLs forever"),
    Behaviour("malformed", V.BROKEN, (V.UNSUPPORTED,), description="a URL that cannot be fetched as written"),
    # Hrefs as a provider mistyped them: no browser follows them as meant (the fix is known).
    Behaviour("mistyped_scheme", V.BROKEN, description="href with a mistyped scheme (htttp://, hhtps://, http//, http;//)"),
    Behaviour("no_scheme", V.BROKEN, description="href with no http(s):// (www.example.org/page): opened as a page of the directory"),
    # Host-level
    Behaviour("slow", V.OK, host_level=True, description="200 after 1-2 s (DemoWorld slow_ms)"),
    Behaviour("http_only", V.OK, host_level=True, description="http:// link to a site with no https"),
    Behaviour("head_405", V.OK, host_level=True, description="HEAD answers 405, GET 200"),
    Behaviour("head_404", V.OK, host_level=True, description="HEAD answers 404, GET 200"),
    Behaviour("bot_403", V.BLOCKED, host_level=True, description="403 bot-protection challenge page"),
    Behaviour("parked", V.PARKED, host_level=True, description="domain parking / for-sale page (200)"),
    Behaviour("parked_lander", V.PARKED, host_level=True, description="302 to /lander, a parking page"),
    Behaviour("unresolvable", V.BROKEN, host_level=True, description="name absent from the hosts file (NXDOMAIN)"),
    Behaviour("refused", V.BROKEN, host_level=True, description="resolves to a loopback address where nothing listens"),
    Behaviour("no_answer", V.TIMEOUT, host_level=True, description="accepts the connection, never answers"),
    Behaviour("self_signed", V.TLS_ERROR, host_level=True, description="https with a self-signed certificate"),
    Behaviour("tls_mismatch", V.TLS_ERROR, host_level=True, description="https certificate for another name"),
    Behaviour("tls_expired", V.TLS_ERROR, host_level=True, description="https certificate that expired months ago"),
    Behaviour("moved_offsite", V.MOVED_OFFSITE, host_level=True, description="301 to another organisation's site"),
    Behaviour("insecure", V.INSECURE, (V.OK,), host_level=True, description="http:// link; https works (http answers 200 too)"),
    Behaviour("insecure_redirect", V.INSECURE, (V.OK, V.REDIRECTED), host_level=True, description="http:// link answered by a 301 to the same page on https"),
    # Hostile hosts (robustness), linked from a handful of services
    Behaviour("trickle", V.TIMEOUT, (V.OK,), host_level=True, description="GET: headers then one byte a second; HEAD never answers"),
    Behaviour("endless_body", V.OK, (V.TIMEOUT, V.BROKEN), host_level=True, description="200 with a body that never ends (server stops at 50 MB)"),
    Behaviour("gzip_bomb", V.OK, (V.BROKEN,), host_level=True, description="200, Content-Encoding: gzip, 250 KB that inflates to 256 MB"),
    Behaviour("private_redirect", V.INTERNAL_ADDRESS, host_level=True, description="302 to a private/link-local address"),
    # Contact 'links'
    Behaviour("email_ok", V.OK, description="mailto: a well-formed address"),
    Behaviour("email_invalid", V.INVALID_EMAIL, description="mailto: an impossible address"),
    Behaviour("email_placeholder", V.INVALID_EMAIL, (V.OK,), description="a placeholder address at noemail.invalid (ORUK only)"),
    Behaviour("phone_ok", V.OK, description="tel: a valid UK number"),
    Behaviour("phone_invalid", V.INVALID_PHONE, description="tel: not a valid UK number"),
    Behaviour("directory_page", V.OK, description="the directory's own service page (content rule website_is_directory_page)"),
]

BEHAVIOURS: dict[str, Behaviour] = {b.name: b for b in _ALL}
HOST_BEHAVIOURS = frozenset(b.name for b in _ALL if b.host_level)
HOSTILE = ("trickle", "endless_body", "gzip_bomb", "private_redirect")
# Hosts on which URL-level behaviours are planted (the host itself answers normally).
WORKING_HOST_BEHAVIOURS = frozenset({"normal", "slow", "http_only", "head_405", "head_404"})
