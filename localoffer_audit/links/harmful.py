"""Pure classifier: does a fetched page carry gambling, adult, loan, pharmacy, crypto-scam
or malware-download content? (the ``harmful_content`` signal, docs/verdicts.md).

A children's directory whose provider let a domain lapse is linked, days later, to
whatever the new owner puts there: drop-caught domains of small charities and
clinics are re-used for casino-affiliate pages ("casinos not on GamStop"), Indonesian
slot sites ("slot gacor"), payday-loan brokers, rogue pharmacies, crypto "trading bot"
funnels and fake "click Allow" pages. Every marker below was seen in such pages; the
``seen_at`` of each says where (public pages found while building this table).

Precision first. A UK council, NHS or charity page can mention every one of these
topics: benefits advice warns against payday loans, projects say "funded by the
National Lottery", sexual-health and addiction services talk about sex, drugs and
gambling, money advice explains crypto scams. So:

- one marker is never enough: a category needs several *different* markers and a
  weight of evidence (repeats count, up to three times each), or one *decisive* marker
  (markup or wording no help page uses: the RTA adult label, the FCA's high-cost credit
  risk warning, "casinos not on GamStop", "slot gacor");
- help and warning context ("problem gambling", "StepChange", "sexual health clinic",
  "how to spot a scam"...) doubles the weight needed, so a help page that quotes the
  wording of a harmful one stays quiet unless it is dominated by it;
- nothing here knows any directory or demo: markers are the wording of the trade.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from localoffer_audit.links.classify import PageText

CATEGORIES = ("gambling", "adult", "loans", "pharmacy", "crypto_scam", "malware")

# What each category is called in a fix list.
CATEGORY_LABELS = {
    "gambling": "gambling / casino",
    "adult": "adult (sexual) content",
    "loans": "payday or high-cost loans",
    "pharmacy": "online pharmacy selling prescription drugs",
    "crypto_scam": "crypto investment scheme",
    "malware": "fake download or 'click Allow' scam",
}


@dataclass(frozen=True, slots=True)
class Marker:
    category: str
    pattern: re.Pattern[str]
    # 1: supporting, 2: strong, DECISIVE: enough on its own.
    weight: int
    # Where this wording or markup was seen (a public page), so the table can be checked.
    seen_at: str
    # Read from the raw markup (tags and attributes) rather than the visible text.
    in_markup: bool = False
    # Literal pieces one of which any match contains: the pattern is tried only when one
    # is on the page (a substring test is far cheaper than the regex; speed only).
    needles: tuple[str, ...] = ()

    def may_match(self, haystack: str) -> bool:
        return not self.needles or any(needle in haystack for needle in self.needles)

    def may_match_found(self, found: frozenset[str] | set[str]) -> bool:
        """``may_match`` from the set of needles already found on the page (``needles_on``)."""
        return not self.needles or any(needle in found for needle in self.needles)


DECISIVE = 100
# Weight of evidence a category needs, and how many different markers.
THRESHOLD = 8
MIN_DISTINCT = 2
# A marker counts at most this many times (a long page repeating one word is not more evidence).
MAX_REPEATS = 3


def _m(category: str, regex: str, weight: int, seen_at: str, *, markup: bool = False) -> Marker:
    # No re.I: page_text lower-cases title, text and markup already, and a case-blind
    # pattern is several times slower in Python's re.
    return Marker(category, re.compile(regex), weight, seen_at, markup)


_DRUGS = (
    r"(?:viagra|cialis|levitra|kamagra|sildenafil|tadalafil|vardenafil|tramadol|xanax|alprazolam|valium|"
    r"diazepam|oxycodone|oxycontin|hydrocodone|modafinil|armodafinil|adderall|ambien|zolpidem|codeine|"
    r"phentermine|clonazepam|lorazepam|carisoprodol)"
)

DRUG_NEEDLES = ("viagra", "cialis", "levitra", "kamagra", "sildenafil", "tadalafil", "vardenafil", "tramadol", "xanax", "alprazolam", "valium", "diazepam", "oxycodone", "oxycontin", "hydrocodone", "modafinil", "adderall", "ambien", "zolpidem", "codeine", "phentermine", "clonazepam", "lorazepam", "carisoprodol")

_MARKERS: tuple[Marker, ...] = (
    # --- gambling: casino-affiliate pages on drop-caught UK domains ------------------------
    _m("gambling", r"\b(?:casinos?|sites?|bookmakers?|betting sites?) not (?:on|with|registered with|covered by) gam ?stop\b", DECISIVE,
       "https://oceanfeed.uk/?p=10600 ('casinos not on GamStop'); https://viralmagazinenews.com/online-casino-terms-conditions/"),
    _m("gambling", r"\bnon[- ]gam ?stop\b", DECISIVE,
       "https://nursingmanagementconsultancy.co.uk/?p=3981 ('Most Popular UK Non-GamStop Casinos'); https://rentry.co/8o77cxt8"),
    _m("gambling", r"\bfree spins?\b", 2,
       "https://nursingmanagementconsultancy.co.uk/?p=3981 ('Up to €3000 + 375 Free Spins'); https://kerus.social/non-gamstop-free-spins-guide/page/2"),
    _m("gambling", r"\bno[- ]deposit (?:bonus|free spins|casino)", 2,
       "https://popo.com.my/2025/01 ('Free Spins No Deposit Guide')"),
    _m("gambling", r"\bwagering requirements?\b|\bplay-?through\b|\bwager(?:ed)? (?:the bonus|\d+x)", 2,
       "https://viralmagazinenews.com/online-casino-terms-conditions/ ('Bonus Wagering Requirements at Non GamStop Casinos')"),
    _m("gambling", r"\bwelcome (?:bonus|offer|package)\b|\b\d{2,3}% (?:bonus )?up to [£$€]\s?\d", 2,
       "https://www.betting.co.uk/news/is-it-really-necessary-to-read-the-bonus-terms-conditions/ ('100% up to £300'); https://slotpal.co.uk/?p=167"),
    _m("gambling", r"\bdeposit bonus\b|\bbonus (?:code|money|funds|cash)\b|\bcashback bonus\b", 2,
       "https://thedailyblog.co.nz/2024/01/09/bonuses-promotions-at-non-gamstop-casinos"),
    _m("gambling", r"\b(?:online|live|new|best|uk|mobile|crypto) casinos?\b|\bcasino (?:sites?|bonus(?:es)?|games|reviews?)\b", 2,
       "https://np.gov.lk/betway-casino-bonus (a government domain serving 'Top 5 Sites with the Best Casino Bonuses in the UK')"),
    _m("gambling", r"\b(?:slot games|online slots|jackpot slots|slot machines?|megaways|sportsbook|live dealer)\b", 1,
       "https://www.dpfremovalnottingham.com/2025/05/08/how-on-line-casino-bonuses-work-and-methods-to-maximize-them"),
    _m("gambling", r"\b(?:play now|play today|claim (?:your )?bonus|bet now|join now)\b", 1,
       "https://nursingmanagementconsultancy.co.uk/?p=3981 ('Play Today', 'Play Now', 'Join Now' on casino cards)"),
    _m("gambling", r"\brtp\b|\breturn to player\b|\bmax(?:imum)? cash ?out\b", 1,
       "https://od76.vip/mengenal-istilah-istilah-penting-dalam-dunia-slot-online"),
    # Indonesian slot sites, the commonest re-use of expired .org/.org.uk/.ac.uk domains.
    _m("gambling", r"\bslot ?gacor\b|\bsitus (?:slot|judi|togel)\b|\bjudi (?:online|slot|bola)\b", DECISIVE,
       "https://www.vandrewdentistry.com/memahami-fenomena-situs-slot-gacor-antara-mitos-dan-realita (a dentistry domain); https://frienlyjokerpoker.com/gacor-apa-itu-judi-slot-dan-bagaimana-cara-bermainnya/"),
    _m("gambling", r"\b(?:maxwin|togel|slot88|gampang menang|link alternatif|daftar sekarang|bandar (?:slot|judi|togel))\b", 2,
       "https://nothing-matters.org/realitas-di-balik-istilah-gacor-dan-cara-kerja-sistem-slot-maxwin; https://kuantumku.id/?p=686"),
    # --- adult ------------------------------------------------------------------------
    _m("adult", r"rta-5042-1996-1400-1577-rta", DECISIVE,
       "https://sexnomad.com/rta-compliance/ and https://noctias.tv/de/blog/adult-content-ratings-explained (the RTA 'Restricted To Adults' meta tag)",
       markup=True),
    _m("adult", r"<meta[^>]+name=[\"']?(?:rating|content-rating)[\"']?[^>]+content=[\"']?(?:adult|mature|rta)", DECISIVE,
       "https://help.mymember.site/en/articles/8703826-age-verification ('<meta name=\"rating\" content=\"adult\">')", markup=True),
    _m("adult", r"\b(?:porn|porno|pornstars?|xxx|hardcore|milfs?|camgirls?|nsfw)\b", 2,
       "https://avn.com/business/articles/technology/RTA-Label-Gains-Acceptance-24608.html; https://camgirlpal.com/ratings"),
    _m("adult", r"\b(?:live sex|sex cams?|live cams?|adult cams?|cam models?|sex chat|nude (?:videos|pics|photos|models))\b", 2,
       "https://cz.models.chatrotic.com/usc2257; https://wiki.myfreecams.com/index.php?title=Online_Safety_and_Age_Verification"),
    _m("adult", r"\b(?:escorts? (?:in|near)|hot singles|adult dating|hook ?ups? (?:near|tonight|in your area)|sugar daddy)\b", 2,
       "https://www.xbiz.com/features/98286/keeping-the-kids-out (adult industry's own description of such sites)"),
    _m("adult", r"\b(?:18 u\.?s\.?c\.? (?:§ ?)?2257|2257 (?:record|compliance|statement))\b", 2,
       "https://cz.models.chatrotic.com/usc2257 (the US record-keeping statement every adult site carries)"),
    _m("adult", r"\bthis (?:site|website) contains (?:adult|sexually explicit)|\byou must be (?:18|21)(?: years)?(?: or older| or over|\+)? to enter\b|\bi am (?:18|21) or older\b",
       2, "https://www.archyde.com/?p=8565218 (an adults-only age gate: 'Leave' / 'Enter', under 18 cannot enter)"),
    # --- payday / high-cost loans -----------------------------------------------------
    # The FCA requires this risk warning on every high-cost short-term credit promotion:
    # a benefits-advice page does not carry it, a payday lender or broker always does.
    _m("loans", r"late repayment can cause you serious money problems", DECISIVE,
       "http://paydayloans.money.co.uk/bad-credit-loans-instant-decision.htm ('Warning: Late repayment can cause you serious money problems')"),
    _m("loans", r"\b(?:bad credit|no credit check|guaranteed|same[- ]day|instant|fast cash|emergency cash|short[- ]term) loans?\b|\bloans? for bad credit\b", 2,
       "http://loans.org/payday ('quick cash to those with bad credit'); https://thecozyoakhive.com/blog/instant-payday-loans-get-cash-1763138324691"),
    _m("loans", r"\binstant (?:decision|approval|payout)\b|\bguaranteed approval\b|\bsame day (?:payout|funding|deposit)\b|\bcash in (?:your account )?(?:minutes|an hour|\d+ minutes)\b", 2,
       "http://paydayloans.money.co.uk/bad-credit-loans-instant-decision.htm ('bad credit loan instant decisions')"),
    _m("loans", r"\brepresentative (?:apr|example)\b|\b\d{3,4}(?:\.\d+)?% (?:representative )?apr\b", 2,
       "https://www.finder.com/uk/payday-loans; https://eatsip365.com/qualifying-for-an-online-payday-loan-for-bad-credit ('Typical APR from 391% to 782%')"),
    _m("loans", r"\b(?:apply now|get (?:your )?(?:cash|money|loan) (?:now|today|fast)|check (?:your )?eligibility|borrow (?:from |up to )?[£$]\s?\d)", 1,
       "http://loans.org/payday ('To apply for one, fill out the form to the left')"),
    _m("loans", r"\bdirect (?:payday )?lenders?\b|\bpayday (?:loans?|lenders?)\b|\bcash advances?\b", 1,
       "https://visualfoodie.com/how-to-get-a-payday-loan-with-bad-credit; http://loans.org/payday"),
    # --- counterfeit / rogue pharmacy ------------------------------------------------
    _m("pharmacy", rf"\b(?:buy|order|purchase|cheap|discount|generic)\s+(?:\w+\s+){{0,2}}{_DRUGS}\b", 2,
       "https://alttaqs.com/vb/showpost.php?p=1068770&postcount=86217 ('viagra online canada generic viagra')"),
    _m("pharmacy", rf"\b{_DRUGS}\s+(?:\w+\s+){{0,3}}(?:online|without (?:a |any )?(?:prescription|rx|doctor)|no (?:prescription|rx)|overnight|next[- ]day delivery)\b", 2,
       "http://www.syracuse.com/news/index.ssf/2013/05/shy_guys_can_now_buy_viagra_on.html (rogue pharmacies offering brand-name drugs 'with no prescription needed')"),
    _m("pharmacy", r"\b(?:no prescription (?:needed|required)|without (?:a )?prescription|prescription not required)\b", 1,
       "https://www.pharmacycheckerblog.com/pfizer-viagra-without-prescription"),
    _m("pharmacy", r"\b(?:online pharmacy|online drugstore|discount on all medicines|pills? (?:online|for sale)|discreet (?:packaging|shipping|delivery)|coupon:\s*\w+)\b", 1,
       "https://cheaponlinemeds.store/proof-of-delivery ('Get 25% Discount on All Medicines | Coupon: CHEAP25')"),
    # "for " first, its "\b" checked behind it: a literal start lets the engine skip to
    # each "for " (SEND pages pass this marker's needles: "anxiety", "adhd").
    _m("pharmacy", r"for (?<=\bfor )(?:pain management|anxiety|adhd|insomnia|narcolepsy|weight loss)(?:, (?:pain management|anxiety|adhd|insomnia|narcolepsy|weight loss))+", 2,
       "https://cheaponlinemeds.store/proof-of-delivery ('medications for pain management, anxiety, ADHD, Insomnia, Narcolepsy, and weight loss')"),
    # --- crypto investment scams and wallet drainers ------------------------------------
    _m("crypto_scam", r"\bguaranteed (?:daily|weekly|monthly|fixed)? ?(?:returns?|profits?|income|yield)\b|\b\d+(?:\.\d+)?% (?:daily|per day|a day|every day)\b", 2,
       "https://cryptoleek.com/id/registry/automated-trading/ ('Guaranteed daily / weekly returns', '5% per day')"),
    _m("crypto_scam", r"\bconnect (?:your )?wallet\b|\bwallet ?connect\b|\bweb3modal\b", 2,
       "https://legalaudit.ch/en/truffe/sw-crypto-drainer-bco ('Any site asking you to connect your wallet')"),
    _m("crypto_scam", r"\bclaim (?:your |free )?(?:airdrop|tokens?|rewards?|nft)\b|\bairdrop (?:is live|rewards?|claim)\b", 2,
       "https://legalaudit.ch/en/truffe/sw-crypto-drainer-fakeairdrop; https://www.dextools.io/tutorials/fake-airdrop-claim-site-scam"),
    _m("crypto_scam", r"\b(?:crypto|bitcoin|forex|ai) trading (?:bot|robot|platform|software)\b|\bbitcoin (?:era|code|revolution|profit|trader|prime)\b|\bquantum ai\b|\bimmediate (?:edge|connect|momentum)\b", 2,
       "https://www.gate.tv/post/status/17453581 (trading robots 'promising guaranteed returns and passive earnings'); http://autocryptobots.com/btc-fees/"),
    _m("crypto_scam", r"\b(?:passive income|double your (?:bitcoin|crypto|money|investment)|withdraw (?:your )?profits?|start earning|invest now|minimum deposit)\b", 1,
       "https://cdn.rivitmedia.com/cyberthreats/online-scams/token-coin-airdrop-scam"),
    _m("crypto_scam", r"\b(?:seed phrase|recovery phrase|private key)\b", 1,
       "https://m0n3y.com/library/fake-airdrop-scam ('pushes you toward exporting your seed phrase')"),
    # --- fake downloads, push-notification and tech-support scams ---------------------
    _m("malware", r"\b(?:click|press|tap) (?:\"|')?allow(?:\"|')? (?:to|if|button to) (?:confirm|verify|prove|watch|download|continue|play|access|start)", DECISIVE,
       "https://www.enigmasoftware.com/makeklickbiz-removal/ ('Click ALLOW to confirm that you are not a robot!', 'Click Allow to watch the video')"),
    _m("malware", r"\byour (?:computer|pc|device|phone|iphone|mac|system|browser) (?:is|has been|may be|might be) (?:infected|compromised|damaged|blocked|at risk)\b|\b\d+ (?:viruses|threats) (?:found|detected)\b",
       2, "https://www.pcsafelock.com/post/stop-falling-for-browser-push-notification-scams-and-protect-your-data ('claiming your computer is infected')"),
    _m("malware", r"\b(?:flash player|your browser|chrome|video player|media player|codec) (?:is out of date|needs (?:to be )?updat(?:e|ed|ing)|update required)\b|\bupdate (?:your )?(?:flash player|browser|video player) (?:now|to continue|to watch)\b",
       2, "http://blog.runonfriday.com/2010/07/your-flash-player-is-out-of-date/; https://thecyberuniverse.com/how-to-detect-and-remove-fake-adobe-flash-updates-that-are-malware/"),
    _m("malware", r"\byour download (?:is ready|will (?:start|begin)|has started)\b|\bdownload (?:is ready|will start automatically|starts? (?:automatically|in \d+))\b", 2,
       "https://www.enigmasoftware.com/makeklickbiz-removal/ ('Download is ready.')"),
    _m("malware", r"\b(?:call|contact) (?:microsoft|windows|apple) (?:support|technicians?|helpdesk)\b|\bwindows defender (?:alert|security warning)\b", 2,
       "https://faq.du.se/kb/malicious-desktop-notifications?culture=en (fake alerts urging a call)"),
    # Markup that starts a program download with no click: never a provider's page.
    _m("malware", r"http-equiv=[\"']?refresh[\"']?[^>]*url=[^\"'>]*\.(?:exe|apk|msi|scr|dmg|bat|vbs)\b|(?:window\.)?location(?:\.href)?\s*=\s*[\"'][^\"']*\.(?:exe|apk|msi|scr|bat|vbs)[\"']",
       DECISIVE, "https://www.pcmatic.com/blog/2016/12/05/websites-hosting-fake-flash-player-updater-with-locky/ ('the malicious FlashPlayer.exe downloads onto your machine')",
       markup=True),
    _m("malware", r"href=[\"'][^\"']*(?:flash_?player|setup|install(?:er)?|update|codec)[^\"']*\.(?:exe|apk|msi|scr)[\"']", 2,
       "https://www.pcmatic.com/blog/2016/12/05/websites-hosting-fake-flash-player-updater-with-locky/", markup=True),
)

_NEEDLES: tuple[tuple[str, ...], ...] = (
    ("gamstop", "gam stop"),
    ("gamstop", "gam stop"),
    ("free spin",),
    ("deposit",),
    ("wager", "play-through", "playthrough"),
    ("welcome", "% up to", "% bonus up to"),
    ("bonus",),
    ("casino",),
    ("slot", "megaways", "sportsbook", "live dealer"),
    ("play now", "play today", "claim", "bet now", "join now"),
    ("rtp", "return to player", "cash out", "cashout"),
    ("gacor", "situs ", "judi "),
    ("maxwin", "togel", "slot88", "gampang", "link alternatif", "daftar sekarang", "bandar "),
    ("rta-5042",),
    ("rating",),
    ("porn", "xxx", "hardcore", "milf", "camgirl", "nsfw"),
    ("sex ", "cams", "cam model", "sex chat", "nude "),
    ("escort", "singles", "adult dating", "hook", "sugar daddy"),
    ("2257",),
    ("contains adult", "contains sexually", "to enter", "or older"),
    ("late repayment",),
    ("loan",),
    ("instant ", "guaranteed approval", "same day", "cash in "),
    ("representative", "apr"),
    ("apply now", "get your", "get cash", "get money", "get loan", "eligibility", "borrow"),
    ("lender", "payday", "cash advance"),
    DRUG_NEEDLES,
    DRUG_NEEDLES,
    ("prescription",),
    ("pharmacy", "drugstore", "medicines", "pill", "discreet", "coupon"),
    ("pain management", "anxiety", "adhd", "insomnia", "narcolepsy", "weight loss"),
    ("guaranteed", "% daily", "% per day", "% a day", "% every day"),
    ("wallet", "web3modal"),
    ("claim", "airdrop"),
    ("trading", "bitcoin", "quantum ai", "immediate "),
    ("passive income", "double your", "withdraw", "start earning", "invest now", "minimum deposit"),
    ("phrase", "private key"),
    ("allow",),
    ("infected", "compromised", "damaged", "blocked", "at risk", "viruses", "threats"),
    ("out of date", "needs updat", "needs to be updat", "update required", "update your", "update flash", "update browser", "update video"),
    ("download",),
    ("microsoft", "windows", "apple"),
    ("refresh", "location"),
    (".exe", ".apk", ".msi", ".scr"),
)
MARKERS: tuple[Marker, ...] = tuple(
    Marker(m.category, m.pattern, m.weight, m.seen_at, m.in_markup, needles) for m, needles in zip(_MARKERS, _NEEDLES, strict=True)
)



def _trie_pattern(needles: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of ``needles``, built as a trie so that each position of the
    page costs one branch per character instead of one test per needle; greedy, so at a
    position it matches the longest needle there."""
    trie: dict[str, dict] = {}
    for needle in needles:
        node = trie
        for char in needle:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return re.compile(build(trie))


_RUN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class NeedleSet:
    """All the needles of some markers, found on a page at once (``found_on``)."""

    needles: tuple[str, ...]
    # Each needle's letter-and-digit runs ("free spin" -> "free", "spin").
    runs: dict[str, tuple[str, ...]]
    # One trie regex over every run, and for each run the runs that are prefixes of it.
    pattern: re.Pattern[str]
    prefixes: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, needles: Iterable[str]) -> NeedleSet:
        unique = tuple(sorted(set(needles)))
        runs = {n: tuple(_RUN.findall(n)) for n in unique}
        every = sorted({r for rs in runs.values() for r in rs})
        pattern = _trie_pattern(every) if every else re.compile(r"(?!)")
        return cls(unique, runs, pattern, {r: tuple(q for q in every if r.startswith(q)) for r in every})

    def found_on(self, haystack: str, words: Iterable[str] | None = None) -> set[str]:
        """The needles occurring in ``haystack``: exactly ``{n for n in needles if n in haystack}``.

        ``words``: the distinct words of the haystack, or any words that contain each of its
        letter-and-digit runs as a substring (the fingerprint's words, already computed).
        A needle's runs each lie inside one run of the haystack, so a needle whose runs
        are not all in some word cannot be there; the words (a few thousand characters
        once joined, against up to 30,000 of text) are searched in one trie pass, and only
        the needles that pass are looked for in the haystack itself.
        """
        if words is None:
            # Without the words, splitting them out would cost more than a few substring
            # scans (the markup markers have eight needles, over up to 200,000 characters).
            return {n for n in self.needles if n in haystack}
        joined = "\n".join(words)
        runs: set[str] = set()
        search, prefixes = self.pattern.search, self.prefixes
        match = search(joined)
        while match is not None:
            # The longest run starting here; the other runs starting here are its prefixes.
            longest = match.group()
            if longest not in runs:
                runs.update(prefixes[longest])
            match = search(joined, match.start() + 1)
        return {n for n in self.needles if all(r in runs for r in self.runs[n]) and n in haystack}


TEXT_NEEDLES = NeedleSet.of(n for m in MARKERS if not m.in_markup for n in m.needles)
MARKUP_NEEDLES = NeedleSet.of(n for m in MARKERS if m.in_markup for n in m.needles)

# Wording of help, advice and warnings: where it is present, a category needs twice the
# weight. Seen on the pages that must stay quiet (tests/test_harmful.py lists them).
HELP_CONTEXT: dict[str, re.Pattern[str]] = {
    "gambling": re.compile(
        r"problem gambling|gambling (?:addiction|harms?|disorder|problems?|support|treatment|clinic|helpline|service)|"
        r"gamcare|gamblers anonymous|gambleaware|national gambling (?:helpline|treatment service)|gam-?anon|self[- ]exclusion|"
        r"national lottery (?:community fund|heritage fund|players|funding|grant)|lottery funding|lottery[- ]funded|"
        r"thanks to (?:national lottery )?players"),
    "adult": re.compile(
        r"sexual health|contraception|condoms?|c-card|sti test|chlamydia|gum clinic|nspcc|childline|ceop|"
        r"safeguarding|online safety|relationships (?:and|&) sex education|talk(?:ing)? to your child|sexual abuse|"
        r"sexual assault|sarc|brook"),
    "loans": re.compile(
        # Not "MoneyHelper" / "Money Advice Service": the FCA's risk warning on every
        # lender's page names them, so they are no sign of an advice page.
        r"universal credit|budgeting (?:advance|loan)|credit unions?|stepchange|citizens advice|"
        r"national debtline|debt advice|debt help|loan sharks?|avoid (?:payday|high-cost)|"
        r"illegal money lending|food bank|benefits? advice|cost of living"),
    "pharmacy": re.compile(
        r"\bnhs\b|your gp\b|talk to (?:a |your )?(?:doctor|pharmacist)|side effects|prescribed by|drug (?:and|&) alcohol|"
        r"substance (?:misuse|use)|addiction|recovery service|harm reduction|needle exchange|counterfeit|mhra|fake medicines?"),
    "crypto_scam": re.compile(
        r"\bscams?\b|fraud|action fraud|how to spot|warning signs|red flags?|report (?:it|a scam)|fca warning|"
        r"financial conduct authority|too good to be true|protect yourself"),
    "malware": re.compile(
        r"\bscams?\b|how to remove|removal (?:guide|instructions)|\bfake\b|beware|warning signs|phishing|"
        r"protect yourself|antivirus|anti-virus|cyber ?security advice|block notifications"),
}


@dataclass(frozen=True, slots=True)
class HarmfulEvidence:
    """What was found: the category, its weight, and the marker wording as seen."""

    category: str
    score: int
    markers: tuple[str, ...]
    help_context: bool = False
    decisive: str | None = None

    @property
    def label(self) -> str:
        return CATEGORY_LABELS.get(self.category, self.category)

    def describe(self) -> str:
        shown = ", ".join(f"'{m}'" for m in self.markers[:4])
        return f"{self.label} wording ({shown})"


# Long pages are read up to here: the markers of a repurposed page are on its first screens.
MAX_TEXT = 30_000
MAX_MARKUP = 200_000


@dataclass(slots=True)
class _Tally:
    score: int = 0
    shown: list[str] = field(default_factory=list)
    decisive: str | None = None


def _tallies(page: PageText, words: Iterable[str] | None) -> dict[str, _Tally]:
    text = " ".join((page.title, page.headings, page.text[:MAX_TEXT]))
    markup = page.markup[:MAX_MARKUP]
    tallies: dict[str, _Tally] = {}
    # One pass over each haystack for every marker's needles (not one scan per needle).
    in_text = TEXT_NEEDLES.found_on(text, words)
    in_markup = MARKUP_NEEDLES.found_on(markup)
    for marker in MARKERS:
        haystack = markup if marker.in_markup else text
        if not marker.may_match_found(in_markup if marker.in_markup else in_text):
            continue
        first = marker.pattern.search(haystack)
        if first is None:
            continue
        tally = tallies.setdefault(marker.category, _Tally())
        wording = first.group(0).strip()[:60]
        tally.shown.append(wording)
        if marker.weight == DECISIVE:
            tally.decisive = tally.decisive or wording
        else:
            repeats = sum(1 for _ in zip(range(MAX_REPEATS), marker.pattern.finditer(haystack), strict=False))
            tally.score += marker.weight * repeats
    return tallies


def harmful_signal(page: PageText, *, words: Iterable[str] | None = None) -> HarmfulEvidence | None:
    """The strongest harmful-content evidence on a page, or None (precision first).

    A decisive marker is enough alone, except on a page with help or warning wording
    (a scam-removal guide quotes "Click Allow to confirm..."), where the other markers
    must reach the ordinary weight too. Without a decisive marker a category needs
    ``THRESHOLD`` weight from ``MIN_DISTINCT`` different markers, doubled (and one
    marker more) on a help page.

    ``words``: the page's distinct words if already known (title, headings and text; see
    ``NeedleSet.found_on``), so they are not split out twice; the result is the same.
    """
    best: HarmfulEvidence | None = None
    context_text = " ".join((page.title, page.headings, page.text[:MAX_TEXT]))
    for category, tally in _tallies(page, words).items():
        helped = bool(HELP_CONTEXT[category].search(context_text))
        distinct = len(tally.shown) - (1 if tally.decisive else 0)
        if tally.decisive is not None:
            enough = not helped or (tally.score >= THRESHOLD and distinct >= MIN_DISTINCT)
        else:
            needed = THRESHOLD * (2 if helped else 1)
            enough = tally.score >= needed and distinct >= MIN_DISTINCT + (1 if helped else 0)
        if not enough:
            continue
        score = tally.score + (DECISIVE if tally.decisive else 0)
        evidence = HarmfulEvidence(category, score, tuple(tally.shown), helped, tally.decisive)
        if best is None or evidence.score > best.score:
            best = evidence
    return best
