"""Word pools for the demo world: invented places, organisations and British wording.

Everything here is invented for the demo (no real organisation's domain on purpose).
Fault and trap sentences come in several real-world phrasings each, so a content rule
tuned to one sentence does not score well here; docs/demo.md says how they are used.
"""

from __future__ import annotations

COUNCIL_SLUG = "northmoor"
COUNCIL_NAME = "Northmoor Council"
COUNCIL_HOST = "www.northmoor.gov.uk"
PORTAL_NAME = "Northmoor Family Information Directory"
FIS_EMAIL = "fis@northmoor.gov.uk"
SWITCHBOARD = "0300 123 7400"

TOWNS = [
    "Ashby Cross", "Brindle", "Carrow Heath", "Dunmore", "Eastwick", "Fallowfield Green", "Garside",
    "Holmebridge", "Ivel Bank", "Kettleby", "Longmire", "Marsden Vale", "Netherby", "Oakhurst",
    "Pelham Moor", "Quarry Hill", "Redbrook", "Saltley End", "Thornbury Fold", "Upperwood",
    "Westerhope", "Yewdale",
]
STREETS = [
    "Church Street", "Mill Lane", "Station Road", "High Street", "Victoria Road", "Park Avenue",
    "Moor Lane", "Chapel Street", "Albert Road", "Queens Drive", "Beck Side", "Grange Road",
    "Northgate", "Market Place", "Fold Lane", "Brook Street", "Hollin Lane", "Whitley Road",
]
POSTCODE_AREAS = ["BD", "LS", "HX", "HD", "WF"]
POSTCODE_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

FIRST_NAMES = [
    "Sarah", "James", "Aisha", "Tom", "Priya", "Gemma", "Mohammed", "Helen", "Daniel", "Zara",
    "Kate", "Imran", "Lucy", "Owen", "Fatima", "Rachel", "Chris", "Niamh", "Paul", "Yasmin",
]
SURNAMES = [
    "Hartley", "Khan", "Lister", "Ahmed", "Brook", "Sutcliffe", "Patel", "Greenwood", "Hussain",
    "Firth", "Walsh", "Holroyd", "Begum", "Crowther", "Metcalfe", "Ashworth", "Riley", "Noble",
]
POSITIONS = [
    "Manager", "Service Manager", "Coordinator", "Family Support Worker", "SENCO", "Administrator",
    "Centre Manager", "Project Lead", "Volunteer Coordinator", "Team Leader", "Practice Manager",
]

CATEGORIES = [
    "Education", "Health", "Social care", "Short breaks", "Early years and childcare",
    "Leisure and activities", "Preparing for adulthood", "Advice and support", "Transport",
    "SEND support groups",
]

# (kind, categories it fits, name patterns, description openers, age range)
SERVICE_KINDS: dict[str, dict] = {
    "playgroup": {
        "cats": ["Early years and childcare", "Leisure and activities"],
        "names": ["{a} Playgroup", "{a} Pre-school", "{a} Toddler Group", "{a} Stay and Play"],
        "ages": (0, 5),
        "about": [
            "A friendly parent and toddler group for children under five and their carers.",
            "We offer a welcoming, inclusive play session with messy play, songs and a healthy snack.",
            "Our Ofsted-registered pre-school takes children from two years old, including funded places.",
            "We follow the Early Years Foundation Stage and every child has a key person.",
        ],
    },
    "club": {
        "cats": ["Leisure and activities", "Short breaks"],
        "names": ["{a} Youth Club", "{a} Inclusive Sports Club", "{a} Saturday Club", "{a} Swimming Club"],
        "ages": (8, 19),
        "about": [
            "An inclusive youth club for young people with additional needs, run by trained staff and volunteers.",
            "Weekly sessions of football, multi-sports and games adapted so that everyone can join in.",
            "We run small-group activities after school and in the holidays for disabled children and young people.",
        ],
    },
    "support_group": {
        "cats": ["SEND support groups", "Advice and support"],
        "names": ["{a} Parent Carer Forum", "{a} Autism Support Group", "{a} ADHD Parents Group", "{a} Family Support Group"],
        "ages": (0, 25),
        "about": [
            "A peer support group run by parents, for parents and carers of children with SEND.",
            "We meet monthly for coffee and a chat, with guest speakers on topics such as EHCPs and benefits.",
            "Information, advice and a listening ear for families of children with autism or social communication needs.",
        ],
    },
    "health": {
        "cats": ["Health"],
        "names": ["{a} Children's Therapy Service", "{a} Speech and Language Therapy", "Community Paediatrics ({t})", "{a} Occupational Therapy"],
        "ages": (0, 18),
        "about": [
            "The service assesses and supports children who have difficulties with speech, language or swallowing.",
            "Our therapists work with children, families and schools to help children take part in everyday activities.",
            "Referrals are accepted from health visitors, GPs, schools and parents.",
        ],
    },
    "school": {
        "cats": ["Education"],
        "names": ["{a} Primary School", "{a} Academy", "{a} Specialist Inclusive Learning Centre", "{a} High School"],
        "ages": (4, 16),
        "about": [
            "Our SEN information report sets out how we identify and support pupils with special educational needs.",
            "The school has a resourced provision for pupils with communication and interaction needs.",
            "Our SENCO works closely with parents and outside agencies to plan support for each child.",
        ],
    },
    "council": {
        "cats": ["Advice and support", "Social care", "Education", "Transport"],
        "names": ["SEND Information, Advice and Support ({t})", "Home to School Transport", "Short Breaks Team", "Educational Psychology Service", "Children with Disabilities Team", "Portage Service"],
        "ages": (0, 25),
        "about": [
            "The team provides impartial information, advice and support about SEND to children, young people and parents.",
            "We help eligible children and young people with SEND get to school or college safely.",
            "Short breaks give disabled children a chance to have fun and give parent carers a break from caring.",
        ],
    },
    "adulthood": {
        "cats": ["Preparing for adulthood", "Education"],
        "names": ["{a} Supported Internships", "{a} College Foundation Learning", "{a} Independent Living Skills", "{a} Transitions Service"],
        "ages": (14, 25),
        "about": [
            "Supported internships help young people aged 16 to 24 with an EHC plan get ready for paid work.",
            "Courses in independent living, travel training and work skills for young people with learning difficulties.",
            "We support young people with SEND to plan their move into adult life, including housing and employment.",
        ],
    },
    "childcare": {
        "cats": ["Early years and childcare"],
        "names": ["{a} Day Nursery", "{a} Childminding", "{a} Out of School Club", "{a} Holiday Club"],
        "ages": (0, 11),
        "about": [
            "A family-run day nursery offering full and part-time places, including 15 and 30 hours funded childcare.",
            "Breakfast and after school club with collection from local schools and an inclusive approach.",
            "Holiday playscheme with trips, crafts and sports; one-to-one support can be arranged for children with SEND.",
        ],
    },
}

ORG_WORDS_A = [
    "Sunny Days", "Little Acorns", "Rainbow", "Bright Stars", "Busy Bees", "Kingfisher", "Oak Tree",
    "Hilltop", "Riverside", "Meadow View", "Willow", "Tiny Steps", "Jigsaw", "Lighthouse", "Horizon",
    "Phoenix", "Sycamore", "Puddleducks", "Treetops", "Open Door", "Together", "Kaleidoscope",
    "Springfield", "Beacon", "Stepping Stones", "Chestnut", "Harmony", "Bluebell", "Cornerstone",
    "Skylark", "Ladybird", "Evergreen", "Compass", "Foxglove", "Millstone", "Heather", "Wren",
]
DOMAIN_SUFFIXES = [".org.uk", ".org.uk", ".co.uk", ".co.uk", ".com", ".org", ".uk"]

# Organisations that run many services: (name, host, kind)
BIG_ORGS = [
    ("Northmoor Council", COUNCIL_HOST, "council"),
    ("Northmoor and Calder NHS Foundation Trust", "www.northmoorcalder.nhs.uk", "health"),
    ("Calderbrook Community Health Trust", "www.calderbrookhealth.nhs.uk", "health"),
    ("Brightpath Families", "www.brightpathfamilies.org.uk", "support_group"),
    ("Spectrum Together", "www.spectrumtogether.org.uk", "support_group"),
    ("Kidsactive Northmoor", "kidsactive.co.uk", "club"),
    ("Northmoor College", "www.northmoor-college.ac.uk", "adulthood"),
    ("Moorland Learning Trust", "www.moorlandlearningtrust.org.uk", "school"),
]

PATHS_PAGES = [
    "/about-us", "/about", "/contact", "/contact-us", "/our-services", "/what-we-do", "/send",
    "/send-support", "/sessions", "/timetable", "/book-a-place", "/get-involved", "/families",
    "/services/short-breaks", "/services/family-support", "/our-team", "/fees", "/how-to-refer",
    "/holiday-club", "/young-people", "/parents-and-carers", "/accessibility", "/find-us",
]
PATHS_DOCS = [
    "/wp-content/uploads/{y}/0{m}/SEN-Information-Report.pdf",
    "/documents/accessibility-plan-{y}.pdf",
    "/media/{n}/referral-form.pdf",
    "/downloads/Local-Offer-{y}.pdf",
    "/files/timetable-{y}.pdf",
    "/assets/uploads/welcome-pack.pdf",
]
PATHS_OLD = [
    "/news/{y}/summer-programme", "/events/easter-{y}", "/covid-19-update", "/page/{n}",
    "/index.php?option=com_content&view=article&id={n}", "/old-site/contact.html",
    "/2019/services.htm", "/site/pages/our-offer.aspx", "/newsletter-{y}.pdf",
]
ANCHORS_WEBSITE = ["Visit website", "Website", "{host}", "More information", "{short}"]
ANCHORS_INLINE = ["our website", "find out more", "here", "referral form", "timetable", "booking page", "click here"]

# ---- fault wording (several phrasings each; {y} a past year, {m} a month) ----
COVID_NOTICES = [
    "Due to the coronavirus outbreak all face-to-face sessions are suspended until further notice.",
    "Following government guidance on COVID-19, the group is currently closed. We will update this page when we reopen.",
    "Please note: during the Covid-19 pandemic our support is being delivered by phone and video call only.",
    "In line with lockdown restrictions we have temporarily stopped our drop-in sessions.",
    "**Covid update** Sessions are paused while restrictions are in place - please ring before travelling.",
    "Because of social distancing rules, numbers are limited to six families per session and booking is essential.",
]
CLOSURE_NOTICES = [
    "This service has now closed.",
    "Sadly the group closed in {month} {y} and is no longer running.",
    "Please note this provision is no longer operating.",
    "The project ended in {y} due to lack of funding and we are no longer taking referrals.",
    "Service discontinued - please contact the SEND team for alternatives.",
    "PLEASE NOTE: THIS CLUB HAS CLOSED PERMANENTLY.",
    "We have ceased trading. Thank you to all the families who have supported us.",
]
PAST_EVENTS = [
    "Easter {y} holiday club: 6 to 17 April, 10am to 3pm.",
    "Sessions run every Tuesday until July {y}.",
    "Book now for our summer {y} programme of trips and activities.",
    "Our next open morning is on Saturday 12 March {y}.",
    "Applications for September {y} places close on 31 January {y}.",
    "New for autumn term {y}: a sensory room at our Longmire site.",
    "Christmas {y} party for families - tickets from the office.",
]
PLACEHOLDERS_DESC = [
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.",
    "[Insert description of the service here - what it offers, who it is for and how to access it.]",
    "Description to follow. Please contact the provider for further details about this service and how to access it.",
    "TBC - provider to supply a description of the service, eligibility and how families can get in touch.",
    "Enter a short summary of your service here. Include who it is for, where it runs and how to refer.",
]
PLACEHOLDER_FIELDS = ["TBC", "TBA", "tbc", "To be confirmed", "xxx", "Insert opening times"]
SHORT_DESCRIPTIONS = [
    "Playgroup for under 5s.", "See website.", "Youth club.", "Support for parents.", "Weekly group.",
    "Speech therapy.", "Holiday club for children.", "Drop in.",
]

# Titles several providers give the same kind of service, followed by their own name in
# brackets ("Specialist Nursery Places (Larkspur Family Trust)"): world._plant_provider_titles.
PROVIDER_TITLES: dict[str, str] = {
    "playgroup": "Specialist Nursery Places",
    "childcare": "Funded Childcare for Two-Year-Olds",
    "club": "Inclusive Holiday Activities",
    "support_group": "Parent Carer Drop-in",
    "health": "Sensory Processing Support",
    "school": "SEN Support and Inclusion",
}

# ---- plain rewrites: how a provider words an entry after the Local Offer team asks for
# plain English (short sentences, everyday words, "you" and "we"). world.CLEANED_UP_ORG's
# entries read like this from the night it tidies up; keyed by that organisation's kind.
PLAIN_OPENERS = [
    "{name} is for young people aged {lo} to {hi} with SEND.",
    "{name} helps young people with SEND get ready for adult life.",
    "{name} is run by {org}. We are based in {town}.",
    "Welcome to {name}. We work with young people aged {lo} to {hi}.",
]
PLAIN_ABOUT: dict[str, list[str]] = {
    "adulthood": [
        "We help you find work and learn the skills you need for a job.",
        "You can learn to cook, shop, get the bus and look after your money.",
        "We help you plan what to do after school: a job, a course or a home of your own.",
        "You spend most of the week at work, with a job coach to help you.",
    ],
}
PLAIN_SENTENCES = [
    "You can visit us before you start.",
    "Ring us or send us an email if you have a question.",
    "You can get in touch yourself. You do not need a referral.",
    "A parent or carer can come with you.",
    "The building has a lift and a quiet room.",
    "Our staff use Makaton and sign language.",
    "We meet in {town} on {day} mornings.",
    "We will talk with you about the help you need.",
    "Tell us if you need this page in another format.",
    "We can help you plan how to travel to us.",
]

# ---- traps on clean entries: wording that fools naive rules ----
TRAPS: dict[str, list[str]] = {
    "covid_vaccination": [
        "We also run a COVID vaccination clinic for children aged 5 to 11 who are clinically at risk.",
        "Flu and COVID-19 vaccinations are offered to eligible children at our Tuesday clinic.",
    ],
    "long_covid": [
        "The team also supports children and young people recovering from long COVID, with a referral from their GP.",
    ],
    "founded_year": [
        "The group was founded in 2019 by a small team of local parents.",
        "Established in 2012, we have supported over 500 local families.",
        "Since 2020 we have been a registered charity.",
    ],
    "lost_property": [
        "Lost property is kept at reception for two weeks.",
        "Please label clothing; lost property can be collected from the hall office.",
    ],
    "freephone_0800": ["Freephone helpline: 0800 028 0{n:03d} (free from mobiles and landlines)."],
    "nongeo_0300": ["Call our advice line on 0300 123 7{n:03d}, charged at local rates."],
    "open_mon_fri": [
        "The office is open Monday to Friday, 9am to 5pm.",
        "We are open Monday to Friday during term time and closed on bank holidays.",
    ],
    "closed_bank_holidays": [
        "Please note we are closed on bank holidays and between Christmas and New Year.",
        "Closed for the school summer holidays in August; sessions restart in September.",
    ],
    "future_event": [
        "Booking is now open for our summer {fy} holiday club.",
        "Taster sessions for September {fy} are available on request.",
    ],
    "closure_advice": [
        "We can advise families about school exclusions and what to do if a setting closes at short notice.",
    ],
    "old_added_recent_update": [],  # planted in the dates, not in the text
    "doubled_phone": [],  # planted in the contact block (a quirk, not a fault)
}

NOT_FOUND_PAGES = [
    ("Page not found", "Sorry, the page you are looking for could not be found. It may have been moved or deleted."),
    ("Oops!", "We can't seem to find the page you're looking for. Error code: 404"),
    ("Nothing here", "This page doesn't exist any more. Try our home page or use the search box above."),
    ("Page Not Found - {name}", "The requested URL was not found on this server."),
]
PARKED_PAGES = [
    ("{host} is for sale", "This domain may be for sale! Buy this domain today. Make an offer."),
    ("{host}", "This domain has expired. If you are the registrant, renew it now with your registrar."),
    ("Welcome to {host}", "This web page is parked FREE, courtesy of a domain registrar. Related searches: Childcare, Nursery Fees, Holiday Clubs"),
    ("{host} - coming soon", "The owner of this domain has not yet uploaded their website. Domain parking by a hosting company."),
]

ADVICE_TOPICS = [
    "What is the Local Offer?", "Education, Health and Care plans (EHCPs)", "Personal budgets",
    "Preparing for adulthood", "SEN support in schools", "Short breaks statement",
    "Disability Living Allowance", "Travel training", "Mediation and tribunals", "Co-production",
]
