"""Pure classifiers for what a fetched page *says*: not found, parked, bot challenge.

No I/O here: each function takes text (and headers) and returns the evidence it found,
or None. Each is tuned on real-world (British) wording and tested with tables of pages
and traps (tests/test_classify.py): precision first, because a false "broken" costs a
content manager's time and trust, so a signal must be specific, not merely suggestive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

from localoffer_audit.parsing.html_text import collapse_space, page_parts

# --- page text -------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9']+")


# Typographic apostrophes and quotes ("can’t") read as plain ones (no-break spaces are
# spaces already: collapse_space splits at them).
_QUOTES = (("\u2019", "'"), ("\u2018", "'"), ("\u02bc", "'"), ("\u201c", '"'), ("\u201d", '"'))


def _clean(fragment: str) -> str:
    # str.replace per character, not str.translate: translate with a table costs about
    # 80 ns a character (3 ms on a 60 KB page's text), a replace scan a fraction of that.
    for curly, plain in _QUOTES:
        if curly in fragment:
            fragment = fragment.replace(curly, plain)
    return collapse_space(fragment)


@dataclass(frozen=True, slots=True)
class PageText:
    """The parts of an HTML page the classifiers read, lower-cased."""

    title: str
    headings: str
    text: str
    markup: str

    @property
    def words(self) -> list[str]:
        return _WORD.findall(self.text)


def page_text(markup: str) -> PageText:
    """Title, h1/h2 headings and visible text of a (possibly truncated) HTML page, from
    the one HTML-to-text extractor (parsing/html_text.py); the markup itself too, for
    the searches that read attributes and scripts (parking and challenge markers)."""
    parts = page_parts(markup)
    return PageText(
        title=_clean(parts.title).lower(),
        headings=" | ".join(_clean(heading) for heading in parts.headings).lower(),
        text=_clean(parts.text).lower(),
        markup=markup.lower(),
    )


# --- soft 404 --------------------------------------------------------------------------

# In a title or main heading these say "this is an error page" wherever they appear.
# "Lost property", "missing persons" or "Not found what you need?" do not match.
_NOT_FOUND_PHRASE = re.compile(
    r"\b(?:"
    r"page (?:was )?not found|"
    r"page (?:cannot|can ?not|can't|could not|couldn't) be found|"
    r"page (?:does not|doesn't|no longer) exists?|"
    r"(?:can't|cannot|couldn't|could not) find (?:that|the|this|your) page|"
    r"sorry,? (?:we|we're|we are) (?:can't|cannot|couldn't|could not|unable to) find (?:that|the|this|it)|"
    r"error 404|404 error|404 page|404 not found|http 404"
    r")\b",
    re.I,
)
# These count only as a whole title segment or heading ("404", "Not Found", "Oops! Page
# not found"), never as part of a longer sentence.
_NOT_FOUND_SEGMENT = re.compile(
    r"(?:error )?404|(?:oops|sorry|whoops)?[!,.]? ?(?:page |file |content |resource |document )?not found[!.]?|"
    r"(?:this )?page (?:is )?(?:no longer available|unavailable|missing)",
    re.I,
)
_SEGMENT_SPLIT = re.compile(r"\s+[|\-–—:•·]\s+|\s*\|\s*")


def _heading_signal(text: str) -> str | None:
    match = _NOT_FOUND_PHRASE.search(text)
    if match:
        return match.group(0)
    for segment in _SEGMENT_SPLIT.split(text):
        segment = segment.strip(" .!-")
        if segment and _NOT_FOUND_SEGMENT.fullmatch(segment):
            return segment
    return None


# In body text only full sentences count: a page that merely mentions "not found"
# ("not found what you are looking for? call us") must not be called dead.
_NOT_FOUND_SENTENCE = re.compile(
    r"(?:"
    r"the page you (?:were|are|have been) (?:looking for|trying to (?:reach|view|access)|requested) "
    r"(?:could not|couldn't|cannot|can't|can ?not) be found|"
    r"the page you (?:were|are) looking for (?:does not|doesn't|no longer) exists?|"
    r"the page you requested (?:does not|doesn't|no longer) exists?|"
    r"the page you (?:were|are) looking for (?:has been|may have been|might have been) (?:moved|removed|deleted)|"
    r"sorry,? (?:we|we're|we are) (?:can't|cannot|couldn't|could not|unable to) find (?:that|the|this|your) page|"
    r"(?:this|that) page (?:no longer exists|does not exist|doesn't exist|could not be found|cannot be found|"
    r"can't be found|has been removed)|"
    r"(?:can't|cannot|couldn't|could not|unable to) (?:seem to )?find the page you(?:'re| are| were) looking for|"
    r"the requested url (?:\S+ )?was not found on this server|"
    r"(?:it looks like )?nothing was found at this location|"
    r"the page you(?:'re| are) looking for (?:isn't|is not) here|"
    r"(?:this|that) page (?:is )?no longer available|"
    r"\berror(?: code)?:? 404\b|\b404 error\b|\b404 (?:-|–|:|\|) ?page not found|\bhttp 404\b|\bpage not found\b"
    r")",
    re.I,
)


_NOT_FOUND_WORDS = ("found", "exist", "404", "moved", "removed", "deleted", "find", "looking for", "no longer")


def soft_404_signal(page: PageText) -> str | None:
    """The wording that says an answered page is really "not found", or None."""
    for place, text in (("title", page.title), ("heading", page.headings)):
        found = _heading_signal(text)
        if found:
            return f"{place} says {found.strip()!r}"
    # Short pages only: a long article that quotes an error message is not an error page.
    # The substring test first is only for speed (every sentence holds one of them).
    if len(page.text) <= 6000 and any(word in page.text for word in _NOT_FOUND_WORDS):
        match = _NOT_FOUND_SENTENCE.search(page.text)
        if match:
            return f"page says {match.group(0).strip()!r}"
    return None


def _shingles(words: list[str], size: int = 3) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}


@dataclass(frozen=True, slots=True)
class PageFingerprint:
    """What the soft-404 probe compares: where a page ended up and what it says."""

    final_url: str
    title: str
    shingles: frozenset[tuple[str, ...]]
    word_count: int


def fingerprint(final_url: str, page: PageText) -> PageFingerprint:
    words = page.words[:3000]
    return PageFingerprint(final_url, page.title, frozenset(_shingles(words)), len(words))


_LOGIN_PATH = re.compile(r"(?:^|/)(?:log-?in|log-?on|sign-?in|signin|auth|sso|saml|oauth2?|users?/sign_in|account/login)\b")

# Below this many words a page is too thin to compare (a single-page app's shell, a
# redirect stub): every page of such a site looks alike, so "alike" proves nothing.
MIN_WORDS_TO_COMPARE = 25


def same_as_probe(page: PageFingerprint, probe: PageFingerprint, threshold: float = 0.9) -> str | None:
    """Evidence that a linked page is what the site answers for a made-up path, or None."""
    if page.final_url == probe.final_url:
        if _LOGIN_PATH.search(urlsplit(page.final_url).path.lower()):
            return None  # every page of a members-only site redirects to its login page
        return f"lands on the same page as a made-up path ({probe.final_url})"
    if page.word_count < MIN_WORDS_TO_COMPARE or probe.word_count < MIN_WORDS_TO_COMPARE:
        return None
    union = page.shingles | probe.shingles
    similarity = len(page.shingles & probe.shingles) / len(union) if union else 0.0
    if similarity >= threshold and page.title == probe.title:
        return f"same content as the answer to a made-up path (similarity {similarity:.2f})"
    return None


_HOME_PATHS = {"", "/", "/index.html", "/index.htm", "/index.php", "/default.aspx", "/home", "/home/", "/en", "/en/"}


def is_site_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path.lower() in _HOME_PATHS and not parts.query


def lands_on_home_page(original_url: str, final_url: str) -> bool:
    """A deep link that redirected to the same site's home page (a classic soft 404)."""
    if is_site_root(original_url) or not is_site_root(final_url):
        return False
    return registrable_domain(urlsplit(original_url).hostname or "") == registrable_domain(
        urlsplit(final_url).hostname or ""
    )


# --- sites and domains -----------------------------------------------------------------

# The bundled public-suffix snapshot: no network fetch at run time.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """example.org.uk for www.example.org.uk; the host itself for IPs and odd names."""
    host = host.lower().rstrip(".")
    parts = _EXTRACT(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    return host


# --- parked domains --------------------------------------------------------------------

# Domain marketplaces and parking services: a link redirected to one of these is parked.
MARKETPLACE_DOMAINS = frozenset(
    {
        "sedo.com",
        "dan.com",
        "afternic.com",
        "hugedomains.com",
        "buydomains.com",
        "undeveloped.com",
        "atom.com",
        "squadhelp.com",
        "brandbucket.com",
        "domainmarket.com",
        "sav.com",
        "bodis.com",
        "parkingcrew.net",
        "above.com",
        "uniregistry.com",
        "domainlore.uk",
        "perfectdomain.com",
        "namecheap.com",
        "godaddy.com",
        "sedoparking.com",
    }
)

# Markup left by parking services: unambiguous, whatever the visible wording.
_PARKING_MARKUP = re.compile(
    r"sedoparking\.com|parkingcrew\.net|/caf\.js|adsense/domains|bodis\.com|parklogic|"
    r"window\.park\s*=|data-adblockkey|domain-parking|parked-domain|afternic\.com/forsale|"
    r"dan\.com/buy-domain|hugedomains\.com/domain_profile|img\.sedoparking|"
    r"parking-lander|above\.com/marketplace"
)

# Wording of parking and for-sale pages. Every pattern is about the *domain*, so a
# charity's "support us", "donate" or "shop sale" page does not match.
_PARKING_WORDING = re.compile(
    r"(?:"
    r"(?:this|the) domain(?: name)? (?:[\w.-]+ )?(?:may be|is|could be|might be) (?:for sale|available for (?:purchase|sale))|"
    r"(?:this|the) domain(?: name)? has (?:recently )?been registered (?:with|at|by|through)|get this domain|"
    r"buy this domain|make an offer (?:on|for) this domain|inquire about (?:this|the) domain|"
    r"enquire about (?:this|the) domain|(?:this|the) domain (?:name )?is parked|"
    r"(?:this|the) domain (?:name )?has expired|domain (?:name )?(?:has )?expired and is pending renewal|"
    r"parked (?:free|domain)|is parked free|courtesy of godaddy|"
    r"this web ?page is parked|this domain is registered,? but may still be available|"
    r"(?:the owner of )?this domain (?:has not|hasn't) (?:yet )?(?:been )?(?:set up|configured|uploaded)|"
    r"domain (?:name )?for sale|[\w-]+\.(?:com|co\.uk|org\.uk|org|uk|net|info) is for sale"
    r")",
    re.I,
)


_PARKING_WORDS = ("domain", "parked", "for sale", "godaddy", "web page is parked", "webpage is parked")


def is_marketplace_host(host: str) -> bool:
    return registrable_domain(host) in MARKETPLACE_DOMAINS


def parking_signal(page: PageText | None, final_url: str | None = None) -> str | None:
    """Evidence that a page is a parked / for-sale / expired domain, or None."""
    if final_url:
        host = urlsplit(final_url).hostname or ""
        if host and is_marketplace_host(host):
            return f"ends at domain marketplace {registrable_domain(host)}"
    if page is None:
        return None
    match = _PARKING_MARKUP.search(page.markup)
    if match:
        return f"parking-service markup {match.group(0)!r}"
    for text in (page.title, page.headings, page.text[:20000]):
        if not any(word in text for word in _PARKING_WORDS):
            continue  # speed only: every wording pattern holds one of these
        match = _PARKING_WORDING.search(text)
        if match:
            return f"says {match.group(0).strip()!r}"
    return None


# --- bot protection --------------------------------------------------------------------

# Markup and wording of challenge / block pages of the common bot-protection services.
# Any one of these is a challenge on its own.
_CHALLENGE_MARKERS = (
    "/cdn-cgi/challenge-platform", "cf-browser-verification", "cf_chl_opt", "cf-chl-",
    "_incapsula_resource", "incapsula incident id", "request unsuccessful. incapsula",
    "captcha-delivery.com", "datadome",
    "px-captcha", "perimeterx", "_pxappid",
    "pardon our interruption", "distil_r_captcha",
    "sucuri website firewall", "sucuri_cloudproxy",
    "awswaf", "aws-waf-token",
    "checking your browser before accessing",
    "enable javascript and cookies to continue",
    "are you a robot?",
)
_HUMAN_CHECK = re.compile(r"verify(?:ing)? you are (?:a )?human")


def _challenge_marker(markup: str) -> str | None:
    for marker in _CHALLENGE_MARKERS:
        if marker in markup:
            return marker
    if "human" in markup:
        match = _HUMAN_CHECK.search(markup)
        if match:
            return match.group(0)
    return None


_CHALLENGE_TITLES = re.compile(
    r"^(?:just a moment\.*|attention required!? \| cloudflare|access denied \| .* used cloudflare.*|"
    r"please wait\.*|security check|ddos-guard|one more step|human verification)$"
)
# Generic block wording: a challenge only together with a protection service's header.
_GENERIC_BLOCK = re.compile(
    r"access denied|you don't have permission to access|request blocked|"
    r"the request could not be satisfied|reference #\d|sorry, you have been blocked|captcha"
)
_VENDOR_HEADERS = ("cf-ray", "x-iinfo", "x-cdn", "x-datadome", "x-sucuri-id", "x-amz-cf-id", "akamai-grn", "x-akamai-transformed")
_VENDOR_SERVERS = re.compile(r"cloudflare|akamai|incapsula|imperva|sucuri|ddos-guard|cloudfront|awselb", re.I)


def _vendor(headers: Mapping[str, str]) -> str | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in _VENDOR_HEADERS:
        if name in lowered:
            return name
    server = lowered.get("server", "")
    if _VENDOR_SERVERS.search(server):
        return f"server: {server}"
    return None


def bot_challenge_signal(status: int, headers: Mapping[str, str], page: PageText | None) -> str | None:
    """Evidence that an answer is a bot-protection challenge or block, or None.

    Never from a vendor header alone: sites behind Cloudflare answer real 404s and
    normal pages with the same headers. A challenge needs challenge markup, the
    ``cf-mitigated: challenge`` header, status 999, or a vendor header *with* block
    wording on a refusal status.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    if status == 999:
        return "status 999 (a site refusing automated requests)"
    if lowered.get("cf-mitigated", "").strip().lower() == "challenge":
        return "cf-mitigated: challenge"
    if page is None:
        return None
    marker = _challenge_marker(page.markup)
    if marker:
        return f"challenge markup {marker!r}"
    if status >= 400 and _CHALLENGE_TITLES.match(page.title):
        return f"challenge page titled {page.title!r}"
    vendor = _vendor(headers)
    if status in (401, 403, 429, 503) and vendor:
        match = _GENERIC_BLOCK.search(page.title + " " + page.text[:5000])
        if match:
            return f"{vendor} with block wording {match.group(0)!r}"
    return None
