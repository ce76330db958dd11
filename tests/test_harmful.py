"""The harmful-content signal (links/harmful.py) on real-world wording.

Every page below is a short excerpt, lightly shortened, of a public page found while
building the marker table; the URL it came from is beside it. The demo world draws none
of them (its planted pages live in localoffer_audit/demo/ and are scored separately in
tests/test_safeguarding_demo.py), so these are a held-out table.
"""

from __future__ import annotations

import pytest

from localoffer_audit.links.classify import page_text
from localoffer_audit.links.harmful import CATEGORIES, MARKERS, harmful_signal


def _html(title: str, body: str, head: str = "") -> str:
    return f"<html lang='en-GB'><head><title>{title}</title>{head}</head><body><h1>{title}</h1>{body}</body></html>"


HARMFUL_PAGES = [
    # (category, source, html)
    ("gambling", "https://nursingmanagementconsultancy.co.uk/?p=3981", _html(
        "Free Spins Risks and GamStop Compliance",
        "<p>hi88 789bet 1xbet plinko</p><h2>Most Popular UK Non-GamStop Casinos 2025</h2>"
        "<div>BassWin 5/5 Up to €3000 + 375 Free Spins <a>Play Today</a> Review</div>"
        "<div>LuckyMister Casino 100% + 100FS in Big Bass Bonanza <a>Play Now</a></div>"
        "<div>GoldenMister 525% bonus up to £3,000 <a>Play Today</a></div>"
        "<p>Compare required plays, maximum cashouts, time limits and wagering requirements.</p>")),
    ("gambling", "https://np.gov.lk/betway-casino-bonus", _html(
        "Betway casino bonus",
        "<p>The online casino industry has become highly competitive, so casinos are constantly finding new ways "
        "of attracting players through bonuses and promotional offers, starting with welcome offers.</p>"
        "<h2>Top 5 Sites with the Best Casino Bonuses in the UK</h2><p>I want plenty of slot games and live dealer "
        "tables, and the welcome bonus matters most. Always check the wagering requirements, validity periods "
        "and game contributions. Free spins and a deposit bonus of 100% up to £300 are common.</p>")),
    ("gambling", "https://www.vandrewdentistry.com/memahami-fenomena-situs-slot-gacor-antara-mitos-dan-realita", _html(
        "Memahami fenomena situs slot gacor",
        "<p>Dalam beberapa tahun terakhir, istilah slot gacor telah menjadi perbincangan hangat di kalangan para "
        "pemain judi online, khususnya di Indonesia. Kata gacor merupakan singkatan dari gampang bocor.</p>")),
    ("gambling", "https://oceanfeed.uk/?p=10600", _html(
        "How to use bonuses at non GamStop UK casinos",
        "<p>If you have been exploring online gaming beyond the usual UK-licensed options, you have likely met "
        "casinos not on GamStop. Here is how to claim and use bonuses, free spins and no deposit offers.</p>")),
    ("loans", "http://paydayloans.money.co.uk/bad-credit-loans-instant-decision.htm", _html(
        "Bad credit loans - instant decision",
        "<p>Warning: Late repayment can cause you serious money problems. For help, go to moneyhelper.org.uk.</p>"
        "<p>If you need a bad credit loan instant decisions from lenders can get the money to you quicker.</p>")),
    ("loans", "http://loans.org/payday and https://www.finder.com/uk/payday-loans", _html(
        "Payday Loans - Instant Decision",
        "<p>Payday loans, sometimes called cash advances, instant loans and short-term loans, provide quick cash "
        "to those with bad credit. Bad credit loans with guaranteed approval and same day payout.</p>"
        "<p>Borrow £100 to £1,000. Apply now for an instant decision. Representative APR 1294%.</p>")),
    ("pharmacy", "https://cheaponlinemeds.store/proof-of-delivery and https://alttaqs.com/vb/showpost.php?p=1068770", _html(
        "Cheap Online Meds",
        "<p>Get 25% Discount on All Medicines | Coupon: CHEAP25</p><p>A trusted online pharmacy delivering "
        "medications for pain management, anxiety, ADHD, insomnia, narcolepsy, and weight loss.</p>"
        "<p>Buy tramadol online. Order Xanax without prescription. Generic viagra online, discreet packaging.</p>")),
    ("adult", "https://sexnomad.com/rta-compliance/", _html(
        "Sexnomad", "<p>Every page includes the standard label.</p>",
        head="<meta name='RATING' content='RTA-5042-1996-1400-1577-RTA' />")),
    ("adult", "https://help.mymember.site/en/articles/8703826-age-verification", _html(
        "Members", "<p>Welcome.</p>", head="<meta name=\"rating\" content=\"adult\">")),
    ("adult", "https://cz.models.chatrotic.com/usc2257 and https://camgirlpal.com/ratings", _html(
        "Live sex cams - chat with models",
        "<p>Free live sex cams with thousands of cam models online now. XXX shows, camgirls and nude videos.</p>"
        "<p>18 U.S.C. 2257 record-keeping requirements compliance statement.</p>")),
    ("crypto_scam", "https://cryptoleek.com/id/registry/automated-trading/ and https://legalaudit.ch/en/truffe/sw-crypto-drainer-bco", _html(
        "Automated crypto trading bot",
        "<p>Our crypto trading bot earns guaranteed daily returns of 5% per day. Invest now with a minimum deposit "
        "of £250 and withdraw your profits at any time.</p><p>Connect your wallet to claim your airdrop.</p>")),
    ("malware", "https://www.enigmasoftware.com/makeklickbiz-removal/ (the scam page's own wording)", _html(
        "Please wait", "<p>Click ALLOW to confirm that you are not a robot!</p>")),
    ("malware", "https://www.pcmatic.com/blog/2016/12/05/websites-hosting-fake-flash-player-updater-with-locky/", _html(
        "Video player update", "<p>Your video player is out of date. Your download will start automatically.</p>",
        head="<meta http-equiv='refresh' content='3;url=/files/FlashPlayer.exe'>")),
]


@pytest.mark.parametrize("category, source, markup", HARMFUL_PAGES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(HARMFUL_PAGES)])
def test_harmful_pages_are_found(category: str, source: str, markup: str) -> None:
    found = harmful_signal(page_text(markup))
    assert found is not None, f"missed {category} page from {source}"
    assert found.category == category
    assert found.markers


# Pages a children's directory links to that talk about the same topics and must stay quiet.
TRAP_PAGES = [
    ("benefits advice: payday lenders", "https://svcu.org.uk/news/financial-help-for-universal-credit-claimants/", _html(
        "Financial Help for Universal Credit Claimants",
        "<p>Those claiming Universal Credit for the first time wait six weeks or more for their first payment. "
        "You can ask your work coach for a Universal Credit Advance, or a Budgeting Advance after six months.</p>"
        "<p>Most people will turn to a short-term loan and may fall prey to expensive payday lenders for loans "
        "with hefty interest rates. Our credit union's interest rates are much lower than payday loans or "
        "doorstep lenders. Apply now for a credit union loan.</p>")),
    ("benefits advice: advances", "https://www.moneyadviceservice.org.uk/en/articles/benefit-payment-advances-and-budgeting-loans", _html(
        "Benefit payment advances and Budgeting Loans",
        "<p>If you're waiting for your first benefit payment you might be able to apply for a short-term benefit "
        "advance. Budgeting Loans help when you're already claiming benefits. Avoid payday loans: they are "
        "expensive. Universal Credit helpline: 0345 600 0723.</p>")),
    ("benefits advice: instant decision loans explained", "https://finder.com/uk/payday-loans/how-to-get-a-universal-credit-budgeting-advance", _html(
        "How to get a universal credit budgeting advance",
        "<p>A universal credit budgeting advance is an interest-free loan. You should receive a decision on the "
        "same day. Compare payday loans, short-term loans and bad credit loans before you borrow, and talk to "
        "StepChange or Citizens Advice if you are in debt.</p>")),
    ("National Lottery funding", "https://tnlcommunityfund.org.uk/news/press-releases/2022-10-03/charities-and-community-groups-celebrate-65-million-national-lottery-boost-over-the-summer", _html(
        "Charities and Community Groups celebrate £65 million National Lottery boost",
        "<p>More than £65 million of vital National Lottery funding has gone to communities in England, thanks to "
        "National Lottery players. Grants range from £500 to £1.7 million, including inclusive activities for "
        "people with disabilities and a Bolton group using computer games to help children with autism.</p>")),
    ("lottery funding on a SEND charity", "https://tnlcommunityfund.org.uk/welsh/news/press-releases/2019-03-12/more-than-2-250-community-led-projects-in-england-celebrate-65-million-national-lottery-funding-win", _html(
        "Our holiday club",
        "<p>Our holiday club for disabled children is funded by The National Lottery Community Fund. This "
        "lottery funding means places are free. Play now in our sensory room! Join now for the summer.</p>")),
    ("NHS sexual health service", "https://nhft.nhs.uk/sexual-health/venue/northampton-general-hospital-integrated-sexual-health-service-263", _html(
        "Integrated Sexual Health Service",
        "<p>Testing for sexually transmitted infections, all methods of contraception. Get a free chlamydia and "
        "gonorrhoea testing kit. You can get chlamydia through unprotected vaginal, anal or oral sex, or sharing "
        "sex toys that are not washed or covered with a new condom. Sexual health for under 25s.</p>")),
    ("council C-card page", "https://www.rbkc.gov.uk/subsites/kccentral/sportshealthandlifestyle/sexualhealthandrelationship/safesex.aspx", _html(
        "Safe sex",
        "<p>Your best protection is to use a condom every time you have sex. The C-CARD gives young people aged "
        "13 to 19 free condoms. If you are sexually active, or want to get tested, find your local GUM clinic.</p>")),
    ("NSPCC advice on porn", "https://londonmumsmagazine.com/mums-tips/parenting-skills/nspcc-advice-on-talking-to-your-children-about-pornography/", _html(
        "NSPCC advice on talking to your children about pornography",
        "<p>Children are exposed to sexual images and adult content younger than ever. Childline delivered 876 "
        "counselling sessions with children worried about online porn, and age verification for online porn was "
        "delayed. Some young people stumble across porn online by accident. Explain that sex in porn is often "
        "different to real life. Sharing nude images puts young people at risk.</p>")),
    ("NHS gambling addiction service", "https://www.england.nhs.uk/2019/06/nhs-to-launch-young-peoples-gambling-addiction-service/", _html(
        "NHS to launch young people's gambling addiction service",
        "<p>The first NHS gambling clinic for children will open this year. Problem gambling is being fuelled by "
        "online gaming sites and targeted adverts: free bets, free spins and welcome bonus offers on online "
        "casino and slot games. The National Problem Gambling Clinic will help young people aged 13 to 25.</p>")),
    ("young people's gambling study", "https://viewer.joomag.com/drink-and-drugs-news-ddn-december-2019/0471902001576493050?page=5", _html(
        "Almost 70 per cent of 20-year-olds gamble",
        "<p>Buying scratchcards, playing the lottery and placing private bets with friends were the most common "
        "gambling. Online betting rose sharply. GambleAware and the National Gambling Helpline give support.</p>")),
    ("young people's substance misuse referral", "https://cchp.nhs.uk/cchp/clinicians/substance-misuse-treatment-referral", _html(
        "Substance Misuse Treatment Referral",
        "<p>Referrals are through targeted young people services, GPs and the Youth Offending Teams. Problematic "
        "misuse of alcohol and drugs, dependent cannabis use, poly substance misuse, misuse of tramadol or "
        "diazepam bought online without a prescription.</p>")),
    ("buying Viagra Connect at a pharmacy", "https://feeds.bbci.co.uk/news/health-43539523", _html(
        "Buying Viagra: What you should know",
        "<p>Men can now buy the impotence pill Viagra Connect without a prescription at some UK pharmacies. Like "
        "any medication it can cause side effects. You will need to ask the pharmacist, who checks it is safe.</p>")),
    ("sildenafil medicine leaflet", "https://em-doctors.com/medicines/sildenafil-viagra", _html(
        "Sildenafil (Viagra)",
        "<p>Sildenafil is a medicine used to treat erectile dysfunction. It is available on prescription and can "
        "also be bought from most pharmacies. The most common side effects are headaches. Ask your doctor or "
        "pharmacist.</p>")),
    ("crypto scam warning", "https://www.gate.tv/post/status/17453581", _html(
        "Trading Robots: How to identify which ones are trustworthy and which are scams",
        "<p>Scammers create fake trading robots promising guaranteed returns and passive earnings. Key signs that "
        "reveal a fraudulent bot: impossible promises. No crypto trading bot can guarantee profits. Never connect "
        "your wallet to a site you do not trust. Report it to Action Fraud.</p>")),
    ("fake CAPTCHA advice", "https://truetraceshorts.pages.dev/redflags/fake-captcha/", _html(
        "Fake CAPTCHA pages",
        "<p>A request to click Allow can feel like part of the process. A CAPTCHA should not need notification "
        "permission. Click Block, close the tab and do not install anything from the page.</p>")),
    ("scam removal guide quoting the scam", "https://www.enigmasoftware.com/makeklickbiz-removal/", _html(
        "Makeklick.biz removal",
        "<p>A dubious website that employs shady tactics. The messages could be a variation of: 'Click ALLOW to "
        "confirm that you are not a robot!', 'Click Allow to watch the video', 'Download is ready.' How to remove "
        "it: revoke the permissions in your browser. This is a scam.</p>")),
    ("charity merger news", "https://charitytimes.com/ct/Childrens-charities-announce-merger.php", _html(
        "Children's charities announce merger",
        "<p>Home for Good and Safe Families are to merge. Both aim to support children in care or at risk of "
        "being taken into care.</p>")),
]


@pytest.mark.parametrize("name, source, markup", TRAP_PAGES, ids=[name for name, _, _ in TRAP_PAGES])
def test_help_and_advice_pages_stay_quiet(name: str, source: str, markup: str) -> None:
    assert harmful_signal(page_text(markup)) is None, f"false alarm on {name} ({source})"


def test_every_marker_says_where_its_wording_was_seen() -> None:
    assert {m.category for m in MARKERS} == set(CATEGORIES)
    for marker in MARKERS:
        assert marker.seen_at.startswith("http"), marker.pattern.pattern


def test_one_marker_alone_is_not_enough() -> None:
    # "Free spins" once on an otherwise ordinary page (a leisure centre's slot machine
    # arcade notice) is not a casino page.
    page = page_text(_html("Arcade", "<p>Free spins on the tuppenny falls every Saturday at the pier.</p>"))
    assert harmful_signal(page) is None


def test_the_fca_risk_warning_alone_marks_a_lender() -> None:
    # The warning itself points to MoneyHelper: that must not read as an advice page.
    page = page_text(_html("Loans", "<p>Warning: Late repayment can cause you serious money problems. "
                                    "For help, go to moneyhelper.org.uk.</p>"))
    found = harmful_signal(page)
    assert found is not None and found.category == "loans"
