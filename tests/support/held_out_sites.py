"""Directory layouts the demo never serves, on loopback, for the crawl tests (no tests here).

Their markup follows real software, not the demo:

- ``DrupalDirectory``: a LocalGov Drupal directory channel. Listing rows are the
  ``search_result`` view mode of localgov_base (``<article class="search-result node
  node--type-localgov-directories-venue">`` with ``<h2 class="search-result__title"><a
  rel="bookmark">``), the Views result summary "Displaying 1 - 10 of N", facet links
  (``?facets[0]=...``) and Drupal's pager (``<nav class="pager">``, ``pager__item--next``
  with ``rel="next"``, 0-based ``?page=``). Record pages have the page-title block
  (``<h1 class="lgd-page-title-block__title">``) and Drupal fields (``field
  field--name-localgov-directory-email`` with ``field__label`` / ``field__item``).
- ``FsdPageNumbered``: an Open Objects FSD whose results pages are numbered
  ``results.page?qt=&term=&familychannel=2&page=N`` (from 1, 20 per page: the shape a
  public scraper of Suffolk's InfoLink walks), title links ``a.flex-grow-1``, a results
  count "Showing 1 to 20 of N results", record pages with ``field_section`` blocks.

Knobs make them misbehave the ways the issue saw: a site ignoring ``page=``, a pager
that stops early while the count says more, malformed hrefs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from aiohttp import web

DRUPAL_CHANNEL = "/send-local-offer"
FSD_PATH = "/kb5/northshire/infolink/"


def drupal_slug(n: int) -> str:
    return f"{DRUPAL_CHANNEL}/provider-{n:03d}-support"


def fsd_id(n: int) -> str:
    return f"Nx{n:04d}_a-Qz"


_CHROME = """<header role="banner"><a href="/">Northshire Council</a><nav><a href="/bins">Bins</a>
<a href="{channel}/about">About the Local Offer</a><a href="/contact">Contact us</a></nav></header>"""
_FOOTER = """<footer><a href="/privacy">Privacy</a><a href="/accessibility">Accessibility</a>
<a href="https://www.facebook.com/northshirecouncil">Facebook</a></footer>"""


@dataclass
class DrupalDirectory:
    services: int = 23
    per_page: int = 10
    # The pager stops after this page (0-based) while the summary still counts them all.
    pager_stops_after: int | None = None
    # Record numbers whose pages carry malformed hrefs.
    bad_hrefs: set[int] = field(default_factory=set)
    # The Views result summary ("Displaying 1 - 10 of N") is shown; a sitemap.xml is served.
    summary: bool = True
    sitemap: bool = False
    # /sitemap.xml as a sitemap index instead (Drupal simple_sitemap's paged
    # ``/sitemap.xml?page=N`` and a gzipped ``.xml.gz``), with hostile knobs below.
    sitemap_index: bool = False
    # The index also lists this many further sitemaps that answer 404.
    sitemap_extra_children: int = 0
    # The index also lists itself and an index listing it back (a loop), and an index
    # nested three deep.
    sitemap_loops: bool = False
    # One gzipped child unpacks to this many bytes of nothing (a gzip bomb); 0: none.
    sitemap_bomb_bytes: int = 0
    # The council's guidance mixed in (LocalGov Drupal guide and service pages): two
    # guidance rows among the first page's results, and an "Information and advice" block
    # on the channel page linking two more (one of them a directory entry, not guidance).
    guidance: bool = False
    # Where the guidance pages link outside the site (a test serves it to check the links).
    outside: str = "https://www.northshire-sendiass.org.uk"
    requests: list[str] = field(default_factory=list)

    def sitemap_urls(self, base: str) -> list[str]:
        return [f"{base}/", f"{base}{DRUPAL_CHANNEL}", f"{base}/bins"] + [f"{base}{drupal_slug(n)}" for n in range(1, self.services + 1)]

    def sitemap_xml(self, base: str, urls: list[str] | None = None) -> str:
        locs = "".join(f"<url><loc>{u}</loc><changefreq>weekly</changefreq></url>" for u in (urls if urls is not None else self.sitemap_urls(base)))
        return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'

    def sitemap_index_xml(self, base: str, children: list[str]) -> str:
        entries = "".join(f"<sitemap><loc>{escape(c)}</loc><lastmod>2026-11-30</lastmod></sitemap>" for c in children)
        return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'

    def sitemap_response(self, request: web.Request) -> web.Response:
        """The sitemap index and its children: records split over two pages and a .gz file."""
        import gzip

        base = f"{request.scheme}://{request.host}"
        urls = self.sitemap_urls(base)
        third = len(urls) // 3
        xml = "application/xml"
        if request.path == "/sitemap.xml" and not request.query:
            children = [f"{base}/sitemap.xml?page=1", f"{base}/sitemap.xml?page=2&lang=en", f"{base}/sitemaps/more.xml.gz",
                        "https://cdn.other.example/sitemap.xml"]
            if self.sitemap_loops:
                children += [f"{base}/sitemap.xml", f"{base}/sitemaps/back.xml", f"{base}/sitemaps/deep-1.xml"]
            if self.sitemap_bomb_bytes:
                children.append(f"{base}/sitemaps/bomb.xml.gz")
            children += [f"{base}/sitemaps/empty-{n}.xml" for n in range(self.sitemap_extra_children)]
            return web.Response(text=self.sitemap_index_xml(base, children), content_type=xml)
        if request.path == "/sitemap.xml" and request.query.get("page") == "1":
            return web.Response(text=self.sitemap_xml(base, urls[:third]), content_type=xml)
        if request.path == "/sitemap.xml" and request.query.get("page") == "2" and request.query.get("lang") == "en":
            return web.Response(text=self.sitemap_xml(base, urls[third : 2 * third]), content_type=xml)
        if request.path == "/sitemaps/more.xml.gz":
            body = gzip.compress(self.sitemap_xml(base, urls[2 * third :]).encode())
            return web.Response(body=body, content_type="application/x-gzip")
        if request.path == "/sitemaps/back.xml" and self.sitemap_loops:
            return web.Response(text=self.sitemap_index_xml(base, [f"{base}/sitemap.xml"]), content_type=xml)
        if request.path.startswith("/sitemaps/deep-") and self.sitemap_loops:
            level = int(request.path.rsplit("-", 1)[1].split(".")[0])
            return web.Response(text=self.sitemap_index_xml(base, [f"{base}/sitemaps/deep-{level + 1}.xml"]), content_type=xml)
        if request.path == "/sitemaps/bomb.xml.gz" and self.sitemap_bomb_bytes:
            return web.Response(body=gzip.compress(b" " * self.sitemap_bomb_bytes, compresslevel=9), content_type="application/x-gzip")
        return web.Response(status=404, text="Not found")

    def listing(self, page: int) -> str:
        first = page * self.per_page
        numbers = range(first + 1, min(first + self.per_page, self.services) + 1)
        rows = "".join(
            f"""<div class="views-row"><article class="search-result node node--type-localgov-directories-venue node--view-mode-search-result">
<h2 class="search-result__title"><a href="{drupal_slug(n)}" rel="bookmark">Provider {n} support</a></h2>
<div class="search-result__content node__content"><div class="field field--name-localgov-directory-facets-select field--type-entity-reference field--label-hidden field__items">
<div class="field__item">Early years</div></div></div></article></div>"""
            for n in numbers
        )
        if self.guidance and page == 0:
            rows = _guidance_row(GUIDES[0]) + rows[: len(rows) // 2] + _guidance_row(GUIDES[1]) + rows[len(rows) // 2 :]
        channel_body = _INFORMATION_BLOCK if self.guidance else ""
        last_page = -(-self.services // self.per_page) - 1
        stop = last_page if self.pager_stops_after is None else min(last_page, self.pager_stops_after)
        items = []
        if page > 0:
            items.append(f'<li class="pager__item pager__item--previous"><a href="?page={page - 1}" title="Go to previous page" rel="prev"><span class="visually-hidden">Previous page</span><span aria-hidden="true">‹‹</span></a></li>')
        items.append(f'<li class="pager__item is-active">Page {page + 1}</li>')
        if page < stop:
            items.append(f'<li class="pager__item pager__item--next"><a href="?page={page + 1}" title="Go to next page" rel="next"><span class="visually-hidden">Next page</span><span aria-hidden="true">››</span></a></li>')
        summary = f"Displaying {first + 1} - {first + len(numbers)} of {self.services}" if self.summary else ""
        return f"""<!DOCTYPE html><html lang="en"><head><title>SEND Local Offer | Northshire Council</title></head>
<body>{_CHROME.format(channel=DRUPAL_CHANNEL)}<main id="main-content">
<div class="lgd-page-title-block"><h1 class="lgd-page-title-block__title">SEND Local Offer</h1></div>
<aside class="localgov-directories-facets"><ul>
<li><a href="{DRUPAL_CHANNEL}?facets%5B0%5D=early_years">Early years (12)</a></li>
<li><a href="{DRUPAL_CHANNEL}?facets%5B0%5D=health">Health (8)</a></li></ul></aside>
{channel_body}<div class="view view-localgov-directory-channel view-id-localgov_directory_channel">
<div class="view-header">{summary}</div><div class="view-content">{rows}</div>
<nav class="pager" role="navigation" aria-labelledby="pagination-heading"><h4 id="pagination-heading" class="visually-hidden">Pagination</h4>
<ul class="pager__items js-pager__items">{''.join(items)}</ul></nav></div></main>{_FOOTER}</body></html>"""

    def record(self, n: int) -> str:
        email = f"info@provider{n}.example.org"
        website = f"https://www.provider{n}.example.org/"
        if n in self.bad_hrefs:
            email = f"admin@@provider{n}.example.org"
            website = f"htttp://www.provider{n}.example.org/"
        return f"""<!DOCTYPE html><html lang="en"><head><title>Provider {n} support | Northshire Council</title></head>
<body>{_CHROME.format(channel=DRUPAL_CHANNEL)}<main id="main-content">
<nav aria-label="breadcrumb" class="breadcrumb"><a href="/">Home</a><a href="{DRUPAL_CHANNEL}">SEND Local Offer</a></nav>
<div class="lgd-page-title-block"><h1 class="lgd-page-title-block__title">Provider {n} support</h1></div>
<article class="localgov-directories-venue node node--type-localgov-directories-venue node--view-mode-full">
<div class="lgd-container padding-horizontal"><div class="localgov-directories-venue__content node__content">
<div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item">
<p>Play sessions and short breaks for disabled children aged 5 to 11, run by Provider {n}. See our <a href="https://www.provider{n}.example.org/short-breaks">short breaks page</a>.</p></div>
<div class="field field--name-localgov-directory-phone field--type-telephone field--label-above"><div class="field__label">Phone</div><div class="field__item"><a href="tel:01632960{n:03d}">01632 960{n:03d}</a></div></div>
<div class="field field--name-localgov-directory-email field--type-email field--label-above"><div class="field__label">Email</div><div class="field__item"><a href="mailto:{email}">{email}</a></div></div>
<div class="field field--name-localgov-directory-website field--type-link field--label-above"><div class="field__label">Website</div><div class="field__item"><a href="{website}">{website}</a></div></div>
<div class="field field--name-localgov-location field--type-entity-reference field--label-above"><div class="field__label">Address</div><div class="field__item"><p class="address" translate="no"><span class="address-line1">{n} Mill Lane</span><br><span class="locality">Northford</span><br><span class="postal-code">NF1 {n % 9}AB</span></p></div></div>
<div class="field field--name-localgov-directory-notes field--type-string field--label-above"><div class="field__label">Age range</div><div class="field__item">5 to 11 years</div></div>
</div></div></article>
<div class="page-tools"><a href="https://www.facebook.com/sharer/sharer.php?u=x">Share on Facebook</a></div>
</main>{_FOOTER}</body></html>"""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(str(request.rel_url))
        if request.path == "/robots.txt":
            return web.Response(text="User-agent: *\nDisallow: /admin/\n")
        if request.path == "/sitemap.xml" and self.sitemap:
            return web.Response(text=self.sitemap_xml(f"{request.scheme}://{request.host}"), content_type="application/xml")
        if self.sitemap_index and (request.path == "/sitemap.xml" or request.path.startswith("/sitemaps/")):
            return self.sitemap_response(request)
        if request.path == DRUPAL_CHANNEL:
            page = int(request.query.get("page", "0"))
            return web.Response(text=self.listing(page), content_type="text/html")
        guide = next((g for g in GUIDES if request.path == g.path), None)
        if guide is not None and self.guidance:
            return web.Response(text=guide.page(self.outside), content_type="text/html")
        if request.path.startswith(f"{DRUPAL_CHANNEL}/provider-"):
            n = int(request.path.rsplit("/", 1)[1].split("-")[1])
            if 1 <= n <= self.services:
                return web.Response(text=self.record(n), content_type="text/html")
        return web.Response(status=404, text="<html><body><h1>Page not found</h1></body></html>", content_type="text/html")


@dataclass(frozen=True)
class Guide:
    """A LocalGov Drupal guidance page: its path, node type, title and one outside link."""

    path: str
    node_type: str  # as Drupal prints it in classes: localgov-guides-page
    title: str
    link_path: str

    def page(self, outside: str) -> str:
        # A guide has the guide navigation (links to its other pages) above its body; a
        # service page has "Related Links" below it (localgov_base / localgov_services).
        nav = (f'<nav class="lgd-guide-nav" aria-label="Guide"><ol class="lgd-guide-nav__list">'
               f'<li class="lgd-guide-nav__list-item lgd-guide-nav__list-item--active" aria-current="page">Overview</li>'
               f'<li class="lgd-guide-nav__list-item"><a href="{self.path}/next-steps">Next steps</a></li></ol></nav>'
               if "guides" in self.node_type else "")
        related = ('<div class="section"><h2>Related Links</h2><ul class="list-unstyled">'
                   f'<li><a href="{DRUPAL_CHANNEL}">SEND Local Offer</a></li></ul></div>' if "services" in self.node_type else "")
        return f"""<!DOCTYPE html><html lang="en"><head><title>{self.title} | Northshire Council</title></head>
<body class="path-node page-node-type-{self.node_type}">{_CHROME.format(channel=DRUPAL_CHANNEL)}<main id="main-content">
<div class="lgd-page-title-block"><h1 class="lgd-page-title-block__title">{self.title}</h1></div>{nav}
<article class="{self.node_type} node node--type-{self.node_type} node--view-mode-full"><div class="lgd-container padding-horizontal">
<div class="{self.node_type}__content node__content"><div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item">
<p>Guidance from the Local Offer team. Read <a href="https://www.gov.uk/children-with-special-educational-needs">the GOV.UK guide</a>
or talk to Northshire SENDIASS on <a href="tel:01632960999">01632 960999</a>, <a href="mailto:sendiass@northshire.example.org">sendiass@northshire.example.org</a>.
Our <a href="{outside}{self.link_path}">form and leaflet</a> explain more.</p></div>
<div class="paragraph paragraph--type--localgov-contact"><h3>Contact SENDIASS</h3>
<div class="field field--name-localgov-contact-email field--type-email field--label-inline"><div class="field__label">Email</div>
<div class="field__item"><a href="mailto:sendiass@northshire.example.org">sendiass@northshire.example.org</a></div></div></div>
</div></div></article>{related}
</main>{_FOOTER}</body></html>"""


GUIDES = [
    Guide(f"{DRUPAL_CHANNEL}/ehcp-guide", "localgov-guides-page", "Education, health and care plans", "/ehcp-form"),
    Guide(f"{DRUPAL_CHANNEL}/short-breaks-explained", "localgov-services-page", "Short breaks explained", "/short-breaks"),
    Guide(f"{DRUPAL_CHANNEL}/information-and-advice/preparing-for-adulthood", "localgov-services-page",
          "Preparing for adulthood", "/adulthood"),
]


def _guidance_row(guide: Guide) -> str:
    return f"""<div class="views-row"><article class="search-result node node--type-{guide.node_type} node--view-mode-search-result">
<h2 class="search-result__title"><a href="{guide.path}" rel="bookmark">{guide.title}</a></h2>
<div class="search-result__content node__content"><p>Guidance for families.</p></div></article></div>"""


# The channel node's body (above the directory's view): guidance links, one of them a
# directory entry the block points to as well.
_INFORMATION_BLOCK = f"""<article class="localgov-directory node node--type-localgov-directory node--view-mode-full">
<div class="localgov-directory__content node__content"><div class="field field--name-body field--label-hidden field__item">
<h2>Information and advice</h2><ul><li><a href="{GUIDES[2].path}">Preparing for adulthood</a></li>
<li><a href="{drupal_slug(15)}">Northshire SENDIASS</a></li></ul></div></div></article>"""


@dataclass
class FsdPageNumbered:
    services: int = 45
    per_page: int = 20
    # The site ignores page= and serves the first page every time.
    ignores_page: bool = False
    # Page 2 (and later) also lists the last record of the page before (unstable sort).
    overlap: bool = False
    bad_hrefs: set[int] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)

    def results(self, page: int) -> str:
        first = (page - 1) * self.per_page
        start = first if not (self.overlap and page > 1) else first - 1
        numbers = range(start + 1, min(first + self.per_page, self.services) + 1)
        hits = "".join(
            f"""<div class="list-group-item"><div class="d-flex"><a class="flex-grow-1" href="service.page?id={fsd_id(n)}&amp;familychannel=2">{escape(f"Provider {n} holiday club")}</a></div>
<p>Holiday club for children with SEND.</p></div>"""
            for n in numbers
        )
        pages = -(-self.services // self.per_page)
        links = "".join(
            f'<li class="page-item"><a class="page-link" href="results.page?qt=&amp;term=&amp;familychannel=2&amp;page={p}">{p}</a></li>'
            for p in range(1, pages + 1) if p != page
        )
        if page < pages:
            links += f'<li class="page-item"><a class="page-link" href="results.page?qt=&amp;term=&amp;familychannel=2&amp;page={page + 1}">Next</a></li>'
        count = f"Showing {first + 1} to {min(first + self.per_page, self.services)} of {self.services} results"
        return f"""<!DOCTYPE html><html><head><title>Results | Northshire Family Information</title></head><body>
<header><nav><a href="home.page">Home</a><a href="advice.page?id=AdvLocOff01">What is the Local Offer?</a></nav></header>
<main><h1>Holiday clubs</h1><p class="results-count">{count}</p>
<p>New to the Local Offer? Read <a href="advice.page?id=AdvEhcp0001">EHCPs explained</a>.</p>{hits}
<ul class="pagination">{links}</ul></main><footer><a href="https://www.northshire.gov.uk/privacy">Privacy</a></footer></body></html>"""

    def record(self, n: int) -> str:
        website = f"https://provider{n}.example.org/"
        email = f"clubs@provider{n}.example.org"
        if n in self.bad_hrefs:
            website = f"htttp://provider{n}.example.org/"
            email = f"hello@provider{n}"
        return f"""<!DOCTYPE html><html><head><title>Provider {n} holiday club | Northshire Family Information</title></head>
<body><header><h1>Northshire Family Information</h1></header><main>
<div id="hit-header"><h1>Provider {n} holiday club</h1></div>
<div class="service-description"><p>Holiday club for children with SEND aged 5 to 14, run by Provider {n}.</p></div>
<section class="field_section"><h2>Who to contact</h2><dl><dt>Telephone</dt><dd>01632 961{n:03d}</dd>
<dt>E-mail</dt><dd><a href="mailto:{email}">{email}</a></dd><dt>Website</dt><dd><a href="{website}">{website}</a></dd></dl></section>
</main></body></html>"""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(str(request.rel_url))
        if request.path == "/robots.txt":
            return web.Response(text="User-agent: *\nDisallow:\n")
        if request.path == FSD_PATH + "results.page":
            page = 1 if self.ignores_page else max(int(request.query.get("page", "1")), 1)
            return web.Response(text=self.results(page), content_type="text/html")
        if request.path == FSD_PATH + "advice.page" and request.query.get("id") == "AdvEhcp0001":
            return web.Response(text=ADVICE_PAGE, content_type="text/html")
        if request.path == FSD_PATH + "service.page":
            rid = request.query.get("id", "")
            n = int(rid[2:6]) if rid.startswith("Nx") else -1
            if 1 <= n <= self.services:
                return web.Response(text=self.record(n), content_type="text/html")
        return web.Response(status=404, text="Not found")


ADVICE_PAGE = """<!DOCTYPE html><html><head><title>EHCPs explained | Northshire Family Information</title></head>
<body><header><h1>Northshire Family Information</h1><nav><a href="home.page">Home</a></nav></header><main>
<h1>EHCPs explained</h1><p>An education, health and care plan sets out the support a child needs.
Read <a href="https://www.gov.uk/children-with-special-educational-needs/extra-SEN-help">the GOV.UK guide</a>
or ask <a href="htttp://www.northshire-sendiass.org.uk/">Northshire SENDIASS</a>.</p></main></body></html>"""


def fsd_numbered_start(base: str) -> str:
    return f"{base}{FSD_PATH}results.page?qt=&term=&familychannel=2"


GENERIC_PATH = "/sendlocaloffer/"


@dataclass
class GenericDirectory:
    """A bespoke council directory (no Drupal, no FSD): records ``record.aspx?id=N``,
    guidance ``page.aspx?id=...``. Guidance is listed among the results with an "Advice"
    badge on a row of its own class, and a "Help and advice" sidebar links more of it."""

    services: int = 12
    per_page: int = 6
    outside: str = "https://www.northshire-sendiass.org.uk"
    requests: list[str] = field(default_factory=list)

    def listing(self, page: int) -> str:
        first = (page - 1) * self.per_page
        rows = [
            f'<div class="search-result"><h3 class="search-result__title"><a href="record.aspx?id={n}">Provider {n} youth club</a></h3>'
            f"<p>Youth club for young people with SEND.</p></div>"
            for n in range(first + 1, min(first + self.per_page, self.services) + 1)
        ]
        if page == 1:
            rows.insert(2, '<div class="search-result search-result--advice"><h3 class="search-result__title">'
                           '<a href="record.aspx?id=A7">Getting to school: travel help</a></h3><span class="badge">Advice</span>'
                           "<p>Guidance from the Local Offer team.</p></div>")
        pages = -(-self.services // self.per_page)
        pager = f'<a rel="next" href="results.aspx?page={page + 1}">Next</a>' if page < pages else ""
        return f"""<!DOCTYPE html><html><head><title>Find a service | Northshire Local Offer</title></head><body>
<div id="header"><a href="/">Northshire Local Offer</a></div><div id="content"><h1>Find a service</h1>
<p>{self.services} results found</p>{''.join(rows)}<div class="pager">{pager}</div>
<aside class="sidebar"><h2>Help and advice</h2><ul><li><a href="page.aspx?id=what-is-send">What is SEND?</a></li>
<li><a href="page.aspx?id=ehcp">EHC plans</a></li><li><a href="page.aspx?id=leaflet">Our leaflet</a></li></ul></aside></div>
<div id="footer"><a href="page.aspx?id=privacy">Privacy</a></div></body></html>"""

    def record(self, n: int) -> str:
        return f"""<!DOCTYPE html><html><head><title>Provider {n} youth club | Northshire Local Offer</title></head><body>
<div id="header"><a href="/">Northshire Local Offer</a></div><div id="content"><h1>Provider {n} youth club</h1>
<p>Weekly youth club for young people with SEND aged 11 to 18, run by Provider {n}.</p>
<table><tr><th>Telephone</th><td>01632 962{n:03d}</td></tr><tr><th>Email</th><td><a href="mailto:club@provider{n}.example.org">club@provider{n}.example.org</a></td></tr>
<tr><th>Website</th><td><a href="https://provider{n}.example.org/">provider{n}.example.org</a></td></tr></table></div></body></html>"""

    def guidance(self, title: str, link_path: str) -> str:
        return f"""<!DOCTYPE html><html><head><title>{title} | Northshire Local Offer</title></head><body>
<div id="header"><a href="/">Northshire Local Offer</a></div><div id="content"><h1>{title}</h1>
<p>Guidance for families. Email <a href="mailto:localoffer@northshire.example.org">the Local Offer team</a> or read
<a href="{self.outside}{link_path}">our leaflet</a>.</p></div></body></html>"""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(str(request.rel_url))
        if request.path == "/robots.txt":
            return web.Response(text="User-agent: *\nDisallow:\n")
        if request.path == GENERIC_PATH + "results.aspx":
            return web.Response(text=self.listing(max(int(request.query.get("page", "1")), 1)), content_type="text/html")
        if request.path == GENERIC_PATH + "record.aspx":
            rid = request.query.get("id", "")
            if rid == "A7":
                return web.Response(text=self.guidance("Getting to school: travel help", "/travel"), content_type="text/html")
            if rid.isdigit() and 1 <= int(rid) <= self.services:
                return web.Response(text=self.record(int(rid)), content_type="text/html")
        if request.path == GENERIC_PATH + "page.aspx" and request.query.get("id") == "leaflet":
            # A document behind a page-like URL: not a page to read.
            return web.Response(body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", content_type="application/pdf")
        if request.path == GENERIC_PATH + "page.aspx":
            titles = {"what-is-send": ("What is SEND?", "/send"), "ehcp": ("EHC plans", "/ehcp")}
            if request.query.get("id") in titles:
                return web.Response(text=self.guidance(*titles[request.query["id"]]), content_type="text/html")
        return web.Response(status=404, text="Not found")


def generic_start(base: str) -> str:
    return f"{base}{GENERIC_PATH}results.aspx"
