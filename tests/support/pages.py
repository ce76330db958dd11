"""Real-looking fetched pages of a chosen size, for the HTML-to-text tests and
benchmarks/bench_html_text.py: a council's service page (a LocalGov Drupal template:
cookie banner, mega menu, breadcrumbs, Drupal settings JSON, footer), a provider's
WordPress page (Elementor's nested widgets, inline SVG icons, JSON-LD, entities and
curly quotes), a council's soft 404 (the same template around "Page not found") and a
parked domain's lander (a large script, a line of text). The markup follows the
templates these platforms print; the words are drawn from a fixed vocabulary with a
seed, so every run builds the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Callable

WORDS = (
    "children young people families short breaks support autism sensory play music swimming club parent carer "
    "forum holiday term school local offer referral booking volunteer safeguarding inclusive friendly staff "
    "garden timetable transport assessment eligibility respite overnight activities after-school weekend "
    "education health care plan EHCP SENCo wheelchair accessible changing places quiet room"
).split()


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def _drupal_head(title: str, rng: random.Random, settings_keys: int) -> str:
    settings = ",".join(f'"{_words(rng, 1)}_{i}":{{"path":"/node/{i}","enabled":true}}' for i in range(settings_keys))
    return (
        '<!DOCTYPE html>\n<html lang="en" dir="ltr" class="no-js">\n<head>\n<meta charset="utf-8" />\n'
        '<script async src="https://www.googletagmanager.com/gtag/js?id=G-4Q8ZK2L1"></script>\n'
        '<script>window.dataLayer = window.dataLayer || [];function gtag(){dataLayer.push(arguments)};'
        'gtag("js", new Date());gtag("set", "developer_id.dMDhkMT", true);gtag("config", "G-4Q8ZK2L1", '
        '{"groups":"default","page_placeholder":"PLACEHOLDER_page_location","allow_ad_personalization_signals":false});</script>\n'
        f'<meta name="description" content="{_words(rng, 18)}" />\n'
        '<link rel="canonical" href="https://www.example-council.gov.uk/children/short-breaks" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0" />\n'
        '<link rel="icon" href="/themes/custom/council/favicon.ico" type="image/vnd.microsoft.icon" />\n'
        f"<title>{title}</title>\n"
        '<link rel="stylesheet" media="all" href="/sites/default/files/css/css_Yx2.css?delta=0&amp;language=en&amp;theme=council" />\n'
        "<style>.visually-hidden{position:absolute!important;clip:rect(1px,1px,1px,1px);overflow:hidden;height:1px;width:1px}"
        ".lgd-header{background:#0b0c0c}@media (min-width:48em){.lgd-header__inner{display:flex}}</style>\n"
        f'<script type="application/json" data-drupal-selector="drupal-settings-json">{{"path":{{"baseUrl":"/"}},{settings}}}</script>\n'
        "</head>\n"
    )


def _cookie_banner() -> str:
    return (
        '<div id="sliding-popup" class="sliding-popup-bottom" role="banner" aria-label="Cookie consent">'
        '<div class="eu-cookie-compliance-banner"><div class="popup-content info eu-cookie-compliance-content">'
        '<div id="popup-text" class="eu-cookie-compliance-message"><h2>Cookies on our website</h2>'
        "<p>We use some essential cookies to make this website work. We&#8217;d like to set additional cookies "
        "to understand how you use the site.</p></div><div id=\"popup-buttons\" class=\"eu-cookie-compliance-buttons\">"
        '<button type="button" class="agree-button eu-cookie-compliance-default-button">Accept additional cookies</button>'
        '<button type="button" class="decline-button eu-cookie-compliance-default-button">Reject additional cookies</button>'
        "</div></div></div></div>\n"
    )


def _mega_menu(rng: random.Random, sections: int) -> str:
    items = []
    for section in range(sections):
        links = "".join(
            f'<li class="lgd-header__nav-item--level-2"><a href="/s{section}/{i}" class="lgd-header__nav-link">'
            f"{_words(rng, 3).capitalize()}</a></li>"
            for i in range(8)
        )
        items.append(
            f'<li class="lgd-header__nav-item"><button class="lgd-header__toggle" aria-expanded="false" '
            f'aria-controls="menu-{section}">{_words(rng, 2).capitalize()}</button>'
            f'<ul id="menu-{section}" class="lgd-header__nav-list--level-2">{links}</ul></li>'
        )
    return (
        '<a href="#main-content" class="visually-hidden focusable skip-link">Skip to main content</a>\n'
        '<header class="lgd-header" role="banner"><div class="lgd-header__inner lgd-container">'
        '<a href="/" class="lgd-header__logo" rel="home"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" '
        'aria-hidden="true" focusable="false"><title>Council logo</title><path d="M0 0h120v40H0z" fill="#fff"/></svg>'
        '<span class="visually-hidden">Example Council home page</span></a>'
        '<form action="/search" method="get" class="lgd-header__search"><label for="q" class="visually-hidden">Search</label>'
        '<input type="search" id="q" name="q" placeholder="Search"><button type="submit">Search</button></form>'
        f'<nav class="lgd-header__nav" aria-label="Main"><ul class="lgd-header__nav-list">{"".join(items)}</ul></nav>'
        "</div></header>\n"
        '<nav class="lgd-breadcrumbs" aria-label="Breadcrumb"><ol class="lgd-breadcrumbs__items">'
        '<li><a href="/">Home</a></li><li><a href="/children">Children and families</a></li>'
        "<li>Local offer</li></ol></nav>\n"
    )


def _footer(rng: random.Random) -> str:
    links = "".join(f'<li><a href="/f/{i}">{_words(rng, 2).capitalize()}</a></li>' for i in range(16))
    return (
        '<footer class="lgd-footer" role="contentinfo"><div class="lgd-container"><ul class="lgd-footer__links">'
        f"{links}</ul><p>&copy; Example Council 2026. Town Hall, Pinstone Street, Sheffield S1 2HH</p>"
        "</div></footer>\n"
        '<script src="/core/assets/vendor/jquery/jquery.min.js?v=3.7.1"></script>\n'
        '<script src="/core/misc/drupalSettingsLoader.js?v=10.3.6"></script>\n'
        "<script>(function(){var s=document.querySelectorAll('.lgd-header__toggle');for(var i=0;i<s.length;i++)"
        "{s[i].addEventListener('click',function(e){var t=e.currentTarget;t.setAttribute('aria-expanded',"
        "t.getAttribute('aria-expanded')==='true'?'false':'true');});}})();</script>\n"
        "</body></html>\n"
    )


def council_page(size: int, seed: int = 1) -> str:
    """A council's service page, about ``size`` characters."""
    rng = random.Random(seed)
    head = _drupal_head("Short breaks for disabled children | Example Council", rng, 20)
    top = '<body class="path-node page-node-type-localgov-services-page">\n' + _cookie_banner() + _mega_menu(rng, 2 if size < 30_000 else 6)
    foot = _footer(rng)
    main = ['<main id="main-content" class="lgd-main"><div class="lgd-container">'
            '<h1 class="lgd-page-title-block__title">Short breaks for disabled children</h1>'
            '<div class="lgd-prose"><!-- Services page body -->']
    used = len(head) + len(top) + len(foot) + len(main[0])
    section = 0
    while used < size - 600:
        block = (
            f"<h2>{_words(rng, 4).capitalize()}</h2><p>{_words(rng, 45).capitalize()}. "
            f'<a href="/children/short-breaks/{section}">{_words(rng, 3)}</a>.</p>'
            f"<ul><li>{_words(rng, 7)}</li><li>{_words(rng, 6)}</li><li>{_words(rng, 8)}</li></ul>"
            f'<table class="lgd-table"><tr><th scope="row">Ages</th><td>0&ndash;25</td></tr>'
            f"<tr><th scope=\"row\">Cost</th><td>&pound;{section + 5} a session</td></tr></table>"
        )
        if section % 4 == 3:
            block += (f'<div class="lgd-callout"><p><strong>Contact:</strong> phone 0114 273 {4500 + section:04d} '
                      f'or <a href="mailto:shortbreaks@example-council.gov.uk">email the team</a>.</p>'
                      "<address>Howden House, 1 Union Street, Sheffield S1 2SH</address></div>")
        main.append(block)
        used += len(block)
        section += 1
    main.append("</div></div></main>\n")
    return head + top + "".join(main) + foot


def provider_page(size: int, seed: int = 2) -> str:
    """A provider's WordPress (Elementor) page, about ``size`` characters."""
    rng = random.Random(seed)
    icon = ('<svg aria-hidden="true" class="e-font-icon-svg e-fas-phone" viewBox="0 0 512 512" '
            'xmlns="http://www.w3.org/2000/svg"><path d="M497.39 361.8l-112-48a24 24 0 0 0-28 6.9l-49.6 60.6A370.66 '
            '370.66 0 0 1 130.6 204.11l60.6-49.6a23.94 23.94 0 0 0 6.9-28l-48-112A24.16 24.16 0 0 0 122.6.61l-104 '
            '24A24 24 0 0 0 0 48c0 256.5 207.9 464 464 464a24 24 0 0 0 23.4-18.6l24-104a24.29 24.29 0 0 0-14.01-27.6z">'
            "</path></svg>")
    head = (
        '<!doctype html>\n<html lang="en-GB">\n<head>\n\t<meta charset="UTF-8">\n'
        '\t<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "\t<title>Little Acorns Play &amp; Learn &#8211; Inclusive play for every child</title>\n"
        "<meta name='robots' content='index, follow, max-image-preview:large' />\n"
        '<script type="application/ld+json" class="yoast-schema-graph">{"@context":"https://schema.org","@graph":'
        '[{"@type":"WebPage","@id":"https://littleacorns.org.uk/","name":"Little Acorns Play &amp; Learn",'
        '"isPartOf":{"@id":"https://littleacorns.org.uk/#website"},"datePublished":"2019-03-04T10:12:44+00:00"}]}</script>\n'
        "<style id='global-styles-inline-css'>:root{--wp--preset--color--black:#000;--wp--preset--color--white:#fff;"
        "--wp--preset--font-size--small:13px;--wp--preset--spacing--20:0.44rem}body{margin:0}</style>\n"
        "<script src='https://littleacorns.org.uk/wp-includes/js/jquery/jquery.min.js?ver=3.7.1' id='jquery-core-js'></script>\n"
        "</head>\n<body class=\"home page-template-default page page-id-7 elementor-default elementor-page\">\n"
        '<a class="skip-link screen-reader-text" href="#content">Skip to content</a>\n'
        '<header id="masthead" class="site-header"><div class="site-branding"><p class="site-title">'
        '<a href="https://littleacorns.org.uk/" rel="home">Little Acorns Play &amp; Learn</a></p></div>'
        '<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">'
        + "".join(f'<li class="menu-item menu-item-type-post_type"><a href="/p{i}/">{_words(rng, 2).capitalize()}</a></li>'
                  for i in range(9))
        + "</ul></nav></header>\n"
    )
    foot = (
        '<footer class="site-footer"><div class="site-info">Registered charity 1123456 &middot; '
        "Ofsted URN EY123456 &middot; Call 0114 496 0123 &middot; Acorn Centre, Ecclesall Road, S11 8AB</div></footer>\n"
        "<script>var elementorFrontendConfig = {\"environmentMode\":{\"edit\":false,\"wpPreview\":false},"
        "\"i18n\":{\"shareOnFacebook\":\"Share on Facebook\",\"pinIt\":\"Pin it\"},\"version\":\"3.24.7\"};</script>\n"
        "</body>\n</html>\n"
    )
    body = ['<div data-elementor-type="wp-page" data-elementor-id="7" class="elementor elementor-7">'
            "<h1 class=\"elementor-heading-title elementor-size-default\">Welcome to Little Acorns</h1>"]
    used = len(head) + len(foot) + len(body[0])
    widget = 0
    while used < size - 800:
        element = f"{rng.getrandbits(28):07x}"
        block = (
            f'<section class="elementor-section elementor-top-section elementor-element elementor-element-{element} '
            f'elementor-section-boxed" data-id="{element}" data-element_type="section"><div class="elementor-container '
            'elementor-column-gap-default"><div class="elementor-column elementor-col-50 elementor-top-column" '
            f'data-element_type="column"><div class="elementor-widget-wrap elementor-element-populated">'
            f'<div class="elementor-element elementor-widget elementor-widget-heading" data-widget_type="heading.default">'
            f'<div class="elementor-widget-container"><h2 class="elementor-heading-title">{_words(rng, 3).capitalize()}</h2>'
            "</div></div><div class=\"elementor-element elementor-widget elementor-widget-text-editor\" "
            'data-widget_type="text-editor.default"><div class="elementor-widget-container">'
            f"<p>{_words(rng, 30).capitalize()} &#8211; we&#8217;re here for {_words(rng, 4)}.&nbsp;"
            f"{_words(rng, 12)}.</p></div></div>"
            f'<div class="elementor-element elementor-widget elementor-widget-icon-list"><div class="elementor-widget-container">'
            f'<ul class="elementor-icon-list-items"><li class="elementor-icon-list-item"><span class="elementor-icon-list-icon">'
            f'{icon}</span><span class="elementor-icon-list-text">{_words(rng, 4)}</span></li></ul></div></div>'
            f'<img decoding="async" width="800" height="533" src="/wp-content/uploads/2024/05/play-{widget}.jpg" '
            f'alt="{_words(rng, 4)}" loading="lazy" />'
            "</div></div></div></section>"
        )
        body.append(block)
        used += len(block)
        widget += 1
    body.append("</div>\n")
    return head + "".join(body) + foot


def soft_404_page(size: int, seed: int = 3) -> str:
    """A council's "page not found" in its full template, about ``size`` characters
    (a bigger page has a bigger menu and settings JSON: the error text stays short)."""
    rng = random.Random(seed)
    sections = 2
    while True:
        head = _drupal_head("Page not found | Example Council", rng, 20 + sections * 10)
        top = '<body class="path-not-found">\n' + _cookie_banner() + _mega_menu(rng, sections)
        main = ('<main id="main-content"><div class="lgd-container"><h1>Page not found</h1>'
                "<p>Sorry, we can&rsquo;t find that page. It may have been moved or deleted.</p>"
                "<p>If you typed the web address, check it is correct. You can also "
                '<a href="/search">search the website</a> or go to the <a href="/">home page</a>.</p></div></main>\n')
        page = head + top + main + _footer(rng)
        if len(page) >= size or sections > 2000:
            return page
        sections = max(sections + 1, int(sections * size / len(page)))


def parked_page(size: int, seed: int = 4) -> str:
    """A parked domain's lander, about ``size`` characters: nearly all script."""
    rng = random.Random(seed)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    shell = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>sunnysideplaygroup.co.uk</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<script type="text/javascript" src="https://www.google.com/adsense/domains/caf.js"></script>'
        '<script>window.park = "{payload}";</script>'
        "<style>body{font-family:arial,sans-serif;background:#fff}.container{max-width:720px;margin:0 auto}</style>"
        '</head><body><div class="container"><div id="domain">sunnysideplaygroup.co.uk</div>'
        "<p>This domain may be for sale. <a href=\"https://www.sedo.com/search/details/?domain=sunnysideplaygroup.co.uk\">"
        "Make an offer</a>.</p><div id=\"relatedsearches\"></div><noscript><p>Please enable JavaScript.</p></noscript>"
        "</div><script src=\"/js/parking.2.113.3.js\"></script></body></html>"
    )
    payload = "".join(rng.choice(alphabet) for _ in range(max(0, size - len(shell))))
    return shell.replace("{payload}", payload)


KINDS: dict[str, Callable[[int], str]] = {
    "council": council_page,
    "provider": provider_page,
    "soft 404": soft_404_page,
    "parked": parked_page,
}
