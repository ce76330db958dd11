"""The FSD-style HTML directory (Open Objects / Idox "kb5" shape) rendered from views.

Pages: home.page, localoffer.page, results.page (offset-paged by ``sr``, 10 a page,
plain numbered links), service.page?id=..., advice.page?id=..., plus /robots.txt and
/sitemap.xml. The portal banner is the first <h1>; the record's <h1> is in #hit-header.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from urllib.parse import quote_plus

from aiohttp import web

from localoffer_audit.demo import vocab
from localoffer_audit.demo.views import ServiceView, build_view
from localoffer_audit.demo.world import DemoWorld, stable_random

PAGE_SIZE = 10
CHROME_PATHS = ("/", "/contact-us", "/accessibility", "/privacy-notice", "/cookies", "/send", "/childcare", "/a-z")
e = html.escape


def cf_encode(email: str, key: int) -> str:
    """Cloudflare's email obfuscation: a key byte, then each byte XOR key, as hex."""
    return f"{key:02x}" + "".join(f"{ord(c) ^ key:02x}" for c in email)


def chrome_top(world: DemoWorld, title: str, crumbs: list[tuple[str, str | None]], back: bool = False, charset: str = "utf-8") -> str:
    council = f"https://{vocab.COUNCIL_HOST}"
    crumb_html = "".join(
        f'<li class="breadcrumb-item"><a href="{e(href)}">{e(text)}</a></li>' if href else f'<li class="breadcrumb-item active">{e(text)}</li>'
        for text, href in crumbs
    )
    back_html = f'<a class="back-link" href="results.page?qt=&amp;term=&amp;{world.channel}=0">&laquo; Back to results</a>' if back else ""
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="application-name" content="{e(vocab.PORTAL_NAME)}">
<title>{e(title)} | {e(vocab.PORTAL_NAME)}</title>
<link rel="stylesheet" href="/kb5/{world.council}/{world.directory}/css/site.css">
</head>
<body class="kb5">
<a class="skip-link" href="#content">Skip to main content</a>
<header class="site-header">
  <a class="council-logo" href="{council}/"><img src="/kb5/{world.council}/{world.directory}/images/logo.png" alt="{e(vocab.COUNCIL_NAME)}"></a>
  <h1 class="portal-title"><a href="home.page">{e(vocab.PORTAL_NAME)}</a></h1>
  <nav class="main-nav" aria-label="Main">
    <ul>
      <li><a href="home.page">Home</a></li>
      <li><a href="localoffer.page?{world.channel}=0">Local Offer</a></li>
      <li><a href="{council}/childcare">Childcare</a></li>
      <li><a href="{council}/send">SEND on the council website</a></li>
      <li><a href="{council}/contact-us">Contact the council</a></li>
    </ul>
  </nav>
  <form class="search" action="results.page" method="get"><input type="hidden" name="{world.channel}" value="0"><input name="qt" aria-label="Search"><button>Search</button></form>
</header>
<ol class="breadcrumb">{crumb_html}</ol>
{back_html}
<main id="content">
"""


def chrome_bottom(world: DemoWorld) -> str:
    council = f"https://{vocab.COUNCIL_HOST}"
    return f"""</main>
<footer class="site-footer">
  <ul>
    <li><a href="{council}/accessibility">Accessibility statement</a></li>
    <li><a href="{council}/privacy-notice">Privacy notice</a></li>
    <li><a href="{council}/cookies">Cookies</a></li>
    <li><a href="{council}/a-z">Council services A to Z</a></li>
    <li><a href="mailto:{vocab.FIS_EMAIL}">Email the Family Information Service</a></li>
  </ul>
  <p>&copy; {e(vocab.COUNCIL_NAME)}. Telephone {vocab.SWITCHBOARD}.</p>
</footer>
</body>
</html>
"""


def _dl(rows: list[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{e(label)}</dt><dd>{value}</dd>" for label, value in rows) + "</dl>"


def render_service(world: DemoWorld, view: ServiceView) -> str:
    rng = stable_random(world.seed, "labels", view.sid)
    colon = rng.choice(["", ":"])
    lab = {
        "name": rng.choice(["Contact Name", "Name", "contact name"]) + colon,
        "position": rng.choice(["Contact Position", "Position"]) + colon,
        "phone": rng.choice(["Telephone", "Telephone", "Phone", "telephone"]) + colon,
        "email": rng.choice(["E-mail", "Email", "email"]) + colon,
        "website": rng.choice(["Website", "Website", "Web"]) + colon,
        "age": rng.choice(["Age range", "Age Groups", "Age Range"]) + colon,
        "cost": rng.choice(["Cost", "Fees", "cost Details"]) + colon,
    }
    parts = [chrome_top(world, view.name, [("Home", "home.page"), ("Local Offer", f"localoffer.page?{world.channel}=0"), (view.name, None)], back=True,
                        charset="windows-1252" if "windows_1252" in view.quirks else "utf-8")]
    parts.append(f'<div id="hit-header" class="hit-header"><h1>{e(view.name)}</h1><p class="org-name">{e(view.organisation)}</p></div>')
    parts.append('<div class="service-description">' + "".join(f"<p>{p}</p>" for p in view.paragraphs) + "</div>")
    # Who to contact
    rows: list[tuple[str, str]] = []
    if view.contact_name:
        rows.append((lab["name"], e(view.contact_name)))
    if view.contact_position:
        rows.append((lab["position"], e(view.contact_position)))
    for phone in view.phones:
        shown = phone + phone if "doubled_phone" in view.quirks and phone == view.phones[0] else phone
        rows.append((lab["phone"], e(shown)))
    for email in view.emails:
        # Cloudflare hides only what looks like an address; "name at example.com" stays text.
        if "cf_email" in view.quirks and "@" in email:
            code = cf_encode(email, rng.randint(16, 250))
            rows.append((lab["email"], f'<a href="/cdn-cgi/l/email-protection#{code}"><span class="__cf_email__" data-cfemail="{code}">[email&#160;protected]</span></a>'))
        else:
            rows.append((lab["email"], f'<a href="mailto:{e(email)}">{e(email)}</a>'))
    if view.website:
        rows.append((lab["website"], f'<a href="{e(view.website)}" target="_blank">{e(view.website_text or view.website)}</a>'))
    if rows:
        parts.append('<section class="field_section contact_details"><h2>Who to contact</h2>' + _dl(rows) + "</section>")
    # Where to go
    if view.venue_name or view.postcode:
        spans = "<br>".join(f"<span>{e(line)}</span>" for line in view.address_lines[1:])
        postcode = e(view.postcode or "")
        if "glued_postcode" in view.quirks:
            postcode += f'<a class="map-link" href="https://maps.example/?q={e(view.postcode or "")}">Get directions</a>'
        rows = [("Name", e(view.venue_name or "")), ("Address", spans), ("Postcode", postcode)]
        parts.append('<address class="field_section service_venue"><h2>Where to go</h2>' + _dl(rows) + "</address>")
    # When
    rows = []
    if view.opening_times:
        rows.append(("Opening Times", e(view.opening_times)))
    if view.session_info:
        rows.append(("Session Information", e(view.session_info)))
    if rows:
        parts.append('<section class="field_section when"><h2>When is it on</h2>' + _dl(rows) + "</section>")
    # Other details (dates sit here on some sites)
    rows = []
    if view.cost:
        rows.append((lab["cost"], e(view.cost)))
    rows.append((lab["age"], e(view.age_text)))
    rows.append(("Area served", e(view.area_served)))
    if view.notes:
        rows.append(("Notes", e(view.notes)))
    if view.date_in_list:
        rows += [(label, e(text)) for label, text, _ in view.dates]
    parts.append('<section class="field_section other_details"><h2>Other Details</h2>' + _dl(rows) + "</section>")
    if view.documents:
        items = "".join(f'<li><a href="{e(d.url)}">{e(d.text)}</a></li>' for d in view.documents)
        parts.append(f'<section class="field_section documents"><h2>Documents</h2><ul>{items}</ul></section>')
    if view.local_offer:
        lo = view.local_offer
        rows = [("Local Offer Description", e(lo["details"])), ("SEN Provision Type", e(lo["provision"])), ("Needs Level", e(lo["needs_level"])), ("Age Bands", e(lo["age_bands"]))]
        if lo.get("link"):
            rows.append(("Local Offer Link", f'<a href="{e(lo["link"])}">{e(lo["link_text"])}</a>'))
        parts.append('<section class="field_section localoffer"><h2>Local Offer</h2>' + _dl(rows) + "</section>")
    if view.related:
        items = "".join(f'<li><a href="{e(r.url)}">{e(r.text)}</a></li>' for r in view.related)
        parts.append(f'<section class="field_section related_links"><h2>Related links</h2><ul>{items}</ul></section>')
    cats = "".join(f'<li><a href="results.page?qt={quote_plus(c)}&amp;{world.channel}=0">{e(c)}</a></li>' for c in view.categories)
    parts.append(f'<section class="field_section categories"><h2>Categories</h2><ul>{cats}</ul></section>')
    if not view.date_in_list:
        parts += [f'<p class="last-updated">{e(label)} {e(text)}</p>' for label, text, _ in view.dates]
    parts.append('<p class="record-actions"><a href="javascript:window.print()">Print</a> <a href="' + f'https://{vocab.COUNCIL_HOST}/contact-us' + '">Report a problem with this record</a></p>')
    parts.append(chrome_bottom(world))
    return "".join(parts)


def render_results(world: DemoWorld, sr: int, directory_base: str) -> str:
    entries = world.state.entries
    total = len(entries)
    sr = max(0, min(sr, max(0, (total - 1) // PAGE_SIZE * PAGE_SIZE)))
    page = entries[sr:sr + PAGE_SIZE]
    parts = [chrome_top(world, "Search results", [("Home", "home.page"), ("Local Offer", f"localoffer.page?{world.channel}=0"), ("Search results", None)])]
    parts.append(f'<div class="results-header"><h2>Search results</h2><p class="results-count">Showing {sr + 1} - {sr + len(page)} of {total} results</p></div>')
    parts.append('<ul class="results list-unstyled">')
    for kind, index, channel in page:
        if kind == "advice":
            aid, title = world.advice[index]
            parts.append(f'<li class="result-item advice"><div class="d-flex"><a class="flex-grow-1" href="advice.page?id={aid}&amp;{channel}">{e(title)}</a><span class="badge">Advice</span></div><p>Guidance from the Local Offer team.</p></li>')
            continue
        record = world.records[index]
        view = build_view(world, record, world.day, directory_base)
        snippet = view.description_text[:160] + ("..." if len(view.description_text) > 160 else "")
        badge = "Local Offer" if channel.startswith(world.channel) else "Family Services"
        parts.append(
            f'<li class="result-item"><div class="d-flex"><a class="flex-grow-1" href="service.page?id={record.sid}&amp;{channel.replace("&", "&amp;")}">{e(record.name)}</a>'
            f'<span class="badge">{badge}</span></div><p class="snippet">{e(snippet)}</p>'
            + (f'<p class="postcode">{e(view.postcode)}</p>' if view.postcode else "") + "</li>"
        )
    parts.append("</ul>")
    # Plain numbered links, a window around the current page; no rel=next.
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    current = sr // PAGE_SIZE
    links = []
    for p in range(max(0, current - 4), min(pages, current + 6)):
        if p == current:
            links.append(f'<li class="page-item active"><span>{p + 1}</span></li>')
        else:
            links.append(f'<li class="page-item"><a href="results.page?qt=&amp;term=&amp;{world.channel}=0&amp;sr={p * PAGE_SIZE}">{p + 1}</a></li>')
    if current + 1 < pages:
        links.append(f'<li class="page-item"><a href="results.page?qt=&amp;term=&amp;{world.channel}=0&amp;sr={(current + 1) * PAGE_SIZE}">Next</a></li>')
    parts.append('<nav class="pagination-nav" aria-label="Results pages"><ul class="pagination">' + "".join(links) + "</ul></nav>")
    parts.append(chrome_bottom(world))
    return "".join(parts)


def render_simple(world: DemoWorld, title: str, body: str, crumbs: list[tuple[str, str | None]]) -> str:
    return chrome_top(world, title, crumbs) + body + chrome_bottom(world)


def render_home(world: DemoWorld) -> str:
    cats = "".join(f'<li><a href="results.page?qt={quote_plus(c)}&amp;{world.channel}=0">{e(c)}</a></li>' for c in vocab.CATEGORIES)
    body = (
        '<div id="hit-header"><h1>Welcome</h1></div>'
        f'<p>Find services, activities and support for children, young people and families in Northmoor.</p>'
        f'<p><a class="btn" href="localoffer.page?{world.channel}=0">SEND Local Offer</a> '
        f'<a class="btn" href="results.page?qt=&amp;term=&amp;{world.channel}=0">Browse all Local Offer services</a></p>'
        f"<h2>Categories</h2><ul>{cats}</ul>"
    )
    return render_simple(world, "Home", body, [("Home", None)])


def render_localoffer(world: DemoWorld) -> str:
    advice = "".join(f'<li><a href="advice.page?id={aid}&amp;{world.channel}=0">{e(t)}</a></li>' for aid, t in world.advice[:6])
    body = (
        '<div id="hit-header"><h1>SEND Local Offer</h1></div>'
        "<p>The Local Offer tells you about services for children and young people aged 0 to 25 with special educational needs and disabilities.</p>"
        f'<p><a href="results.page?qt=&amp;term=&amp;{world.channel}=0">See all Local Offer services</a></p>'
        f"<h2>Advice and guidance</h2><ul>{advice}</ul>"
    )
    return render_simple(world, "SEND Local Offer", body, [("Home", "home.page"), ("Local Offer", None)])


def render_advice(world: DemoWorld, index: int) -> str:
    aid, title = world.advice[index]
    body = (
        f'<div id="hit-header"><h1>{e(title)}</h1></div>'
        f"<p>This page explains {e(title.lower().rstrip('?'))} for families in Northmoor. It is guidance from the Local Offer team, not a service.</p>"
        + "".join(f'<p>Read more in <a href="{e(url)}">{e(text)}</a>.</p>' for url, _, text in world.advice_links(index))
    )
    return render_simple(world, title, body, [("Home", "home.page"), ("Local Offer", f"localoffer.page?{world.channel}=0"), (title, None)])


def render_not_found(world: DemoWorld) -> str:
    body = '<div id="hit-header"><h1>Record not found</h1></div><p>Sorry, the record you are looking for is not available. It may have been removed.</p>'
    return render_simple(world, "Record not found", body, [("Home", "home.page"), ("Not found", None)])


def robots_txt(world: DemoWorld, origin: str) -> str:
    base = f"/kb5/{world.council}/{world.directory}/"
    return f"User-agent: *\nDisallow: {base}print.page\nDisallow: {base}basket.page\nDisallow: /cdn-cgi/\n\nSitemap: {origin}/sitemap.xml\n"


def sitemap_lines(world: DemoWorld, origin: str) -> Iterator[str]:
    base = f"{origin}/kb5/{world.council}/{world.directory}/"
    yield '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    yield f"<url><loc>{base}home.page</loc></url>\n<url><loc>{base}localoffer.page?{world.channel}=0</loc></url>\n"
    for index in world.state.listed:
        record = world.records[index]
        updated = world.updated_on(record, world.day)
        lastmod = f"<lastmod>{updated.isoformat()}</lastmod>" if updated else ""
        yield f"<url><loc>{base}service.page?id={record.sid}</loc>{lastmod}</url>\n"
    for aid, _ in world.advice:
        yield f"<url><loc>{base}advice.page?id={aid}</loc></url>\n"
    yield "</urlset>\n"


def encode_page(text: str, windows_1252: bool) -> tuple[bytes, str]:
    if windows_1252:
        return text.encode("cp1252", errors="xmlcharrefreplace"), "windows-1252"
    return text.encode("utf-8"), "utf-8"


def add_routes(app: web.Application, world: DemoWorld) -> None:
    base = f"/kb5/{world.council}/{world.directory}/"

    def origin(request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    def page(text: str, status: int = 200, windows_1252: bool = False) -> web.Response:
        body, charset = encode_page(text, windows_1252)
        return web.Response(body=body, status=status, content_type="text/html", charset=charset)

    async def kb5(request: web.Request) -> web.StreamResponse:
        name = request.match_info["page"]
        query = request.query
        directory_base = origin(request) + base
        if name in {"home.page", ""}:
            return page(render_home(world))
        if name == "localoffer.page":
            return page(render_localoffer(world))
        if name == "results.page":
            try:
                sr = int(query.get("sr", "0") or 0)
            except ValueError:
                sr = 0
            return page(render_results(world, sr, directory_base))
        if name == "service.page":
            record = world.record_for(query.get("id", ""))
            if record is None or not record.live_on(world.day) or record.fault_active("page_missing", world.day):
                return page(render_not_found(world), status=404)
            view = build_view(world, record, world.day, directory_base)
            return page(render_service(world, view), windows_1252="windows_1252" in view.quirks)
        if name == "edit.page":
            # What `[directory] edit_url_template` points at: a council's CMS edit form.
            record = world.record_for(query.get("id", ""))
            if record is None:
                return page(render_not_found(world), status=404)
            return page(f"<!doctype html><html lang=en><title>Edit {e(record.name)}</title><h1>Edit {e(record.name)}</h1>"
                        "<p>This is where the council's content system would open the entry for editing "
                        "(the demo has no editor).</p></html>")
        if name == "advice.page":
            for index, (aid, _) in enumerate(world.advice):
                if aid == query.get("id"):
                    return page(render_advice(world, index))
            return page(render_not_found(world), status=404)
        return page(render_not_found(world), status=404)

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text=robots_txt(world, origin(request)), content_type="text/plain")

    async def sitemap(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/xml; charset=utf-8"})
        await response.prepare(request)
        chunk: list[str] = []
        for line in sitemap_lines(world, origin(request)):
            chunk.append(line)
            if len(chunk) >= 500:
                await response.write("".join(chunk).encode())
                chunk = []
        await response.write("".join(chunk).encode())
        await response.write_eof()
        return response

    async def root(request: web.Request) -> web.Response:
        raise web.HTTPFound(base + "home.page")

    app.router.add_get(base + "{page}", kb5)
    app.router.add_get(base.rstrip("/"), root)
    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/sitemap.xml", sitemap)
    app.router.add_get("/", root)
