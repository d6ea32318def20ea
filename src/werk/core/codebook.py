"""The codebook: one source of truth for every variable of the analysis file.

The canonical analysis file has one row per respondent of the WERKonderzoek 2019
(CBS for the Ministry of the Interior). Every other module (loader, twin, models,
figures, ledger, output check) reads names, labels, codes and ranges from here.

Where the article is silent, the decision is recorded in :data:`ASSUMPTIONS`, which
the *Data and methods* appendix prints in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from werk.core.errors import WerkError

__all__ = [
    "term_label",
    "edition_name",
    "edition_slug",
    "Variable",
    "VARIABLES",
    "SECTORS",
    "AGE_GROUPS",
    "ASSUMPTIONS",
    "ASSUMPTIONS_NL",
    "SCALES",
    "Item",
    "ITEMS",
    "ITEM_LOW",
    "ITEM_HIGH",
    "TARGET_ALPHA",
    "scale_items",
    "reverse_items",
    "min_answered",
    "variable",
    "value_labels",
    "label",
    "sector_code",
    "age_group",
]


@dataclass(frozen=True)
class Variable:
    """One column of the canonical analysis file.

    Attributes
    ----------
    name : str
        Canonical column name.
    nl : str
        Dutch wording (survey question) or description.
    en : str
        English label, lowercase, as used on axes.
    kind : str
        ``"id"``, ``"weight"``, ``"category"``, ``"binary"``, ``"ordinal"``,
        ``"count"`` (whole numbers) or ``"scale"`` (a continuous score).
    codes : dict
        For coded variables: code -> (Dutch label, English label).
    low, high : float or None
        Valid range, inclusive.
    required : bool
        Column must be present in the file.
    nullable : bool
        Missing values allowed.
    """

    name: str
    nl: str
    en: str
    kind: str
    codes: dict = field(default_factory=dict)
    low: float | None = None
    high: float | None = None
    required: bool = True
    nullable: bool = True

    @property
    def coded(self) -> bool:
        return bool(self.codes)


_YES_NO = {0: ("nee", "no"), 1: ("ja", "yes")}

SECTORS: dict[int, tuple[str, str]] = {
    1: ("gemeente", "municipality"),
    2: ("rijksoverheid", "central government"),
    3: ("provincie", "province"),
    4: ("zelfstandig bestuursorgaan", "independent administrative body"),
    5: ("gemeentelijke regeling", "joint municipal arrangement"),
    6: ("waterschap", "water authority"),
    7: ("rechterlijke macht", "judiciary"),
}

THREAT_CODES = {
    1: ("helemaal niet", "not at all"),
    2: ("nauwelijks", "hardly"),
    3: ("in redelijke mate", "to a fair extent"),
    4: ("in grote mate", "to a large extent"),
    5: ("in zeer grote mate", "to a very large extent"),
}

KEEP_UP_CODES = {
    1: ("zeer slecht", "very poorly"),
    2: ("slecht", "poorly"),
    3: ("redelijk", "reasonably"),
    4: ("goed", "well"),
    5: ("zeer goed", "very well"),
}

THREAT_QUESTION = (
    "In hoeverre vormen technologische ontwikkelingen (zoals datagedreven werken en "
    "robotisering) een bedreiging voor het behoud van uw werk?"
)
THREAT_QUESTION_EN = (
    "To what extent do technological developments (such as data-driven working and "
    "robotisation) threaten keeping your job?"
)
KEEP_UP_QUESTION = "In hoeverre kunt u deze technologische veranderingen in uw werk bijbenen?"
KEEP_UP_QUESTION_EN = "To what extent can you keep up with these technological changes in your work?"

#: Scale scores: means of 1-5 Likert items, so they lie on a grid of 1/items.
SCALES: dict[str, tuple[str, str, int]] = {
    "employability": ("employability / inzetbaarheid", "employability", 4),
    "expertise": ("beroepsinhoudelijke expertise", "expertise", 4),
    "adaptability": ("aanpassingsvermogen aan veranderingen in het werk", "adaptability", 4),
    "continuous_improvement": ("continu verbeteren in het beroep", "continuous improvement", 4),
    "career_self_management": ("career self-management / loopbaansturing", "career self-management", 4),
    "development_motivation": ("motivatie om zich te blijven ontwikkelen", "development motivation", 4),
    "hrm_quality": ("beleefde kwaliteit van HRM-instrumenten", "HRM quality", 4),
    "leadership": ("beleefde kwaliteit van leiderschap", "leadership", 4),
}


#: The answers of every item: a five-point agreement scale.
ITEM_LOW, ITEM_HIGH = 1, 5


@dataclass(frozen=True)
class Item:
    """One survey question behind a scale score (the article prints none; see ASSUMPTIONS "items").

    Attributes
    ----------
    name : str
        Column name in the twin (and the default name the loader looks for): ``<scale>_<j>``.
    scale : str
        The scale it belongs to (a key of :data:`SCALES`).
    nl : str
        Dutch wording: what ``werk mapping draft`` matches an SPSS variable label against.
    reverse : bool
        Reverse-keyed: agreeing means a *lower* score; the loader uses ``6 - answer``.
    """

    name: str
    scale: str
    nl: str
    reverse: bool = False


# Four items per scale; one reverse-keyed item where such scales usually have one (attitudes and
# self-reports: adaptability, career self-management, development motivation), none in the ratings of HRM
# and leadership. The wording is ours (typical of such scales), not the survey's.
_ITEM_TEXT: dict[str, list[tuple[str, bool]]] = {
    "employability": [
        ("Ik kan gemakkelijk ander werk vinden binnen mijn organisatie", False),
        ("Ik kan gemakkelijk ander werk vinden buiten mijn organisatie", False),
        ("Mijn kennis en vaardigheden zijn breed inzetbaar", False),
        ("Ik ben ook over vijf jaar goed inzetbaar op de arbeidsmarkt", False),
    ],
    "expertise": [
        ("Ik beheers de kennis die mijn vak vraagt", False),
        ("Ik beheers de vaardigheden die mijn vak vraagt", False),
        ("Collega's vragen mij om advies over mijn vak", False),
        ("Ik ben op de hoogte van de ontwikkelingen in mijn vakgebied", False),
    ],
    "adaptability": [
        ("Ik pas me gemakkelijk aan veranderingen in mijn werk aan", False),
        ("Ik sta open voor nieuwe werkwijzen", False),
        ("Ik kan snel overschakelen naar andere taken", False),
        ("Ik vind het moeilijk om te wennen aan veranderingen in mijn werk", True),
    ],
    "continuous_improvement": [
        ("Ik zoek steeds naar manieren om mijn werk beter te doen", False),
        ("Ik doe voorstellen om werkprocessen te verbeteren", False),
        ("Ik leer van mijn fouten in mijn werk", False),
        ("Ik pas nieuwe inzichten toe in mijn werk", False),
    ],
    "career_self_management": [
        ("Ik heb een duidelijk beeld van mijn loopbaandoelen", False),
        ("Ik onderneem zelf stappen om mijn loopbaan vorm te geven", False),
        ("Ik bespreek mijn loopbaanwensen met mijn leidinggevende", False),
        ("Ik laat mijn loopbaan over aan de organisatie", True),
    ],
    "development_motivation": [
        ("Ik wil mij blijven ontwikkelen in mijn werk", False),
        ("Ik volg graag cursussen en opleidingen", False),
        ("Ik wil nieuwe dingen leren", False),
        ("Ik zie het nut niet van verdere ontwikkeling in mijn werk", True),
    ],
    "hrm_quality": [
        ("Het opleidingsbeleid van mijn organisatie is goed", False),
        ("De gesprekscyclus (functionerings- en ontwikkelgesprekken) is nuttig", False),
        ("Mijn organisatie biedt goede loopbaanmogelijkheden", False),
        ("Mijn organisatie ondersteunt mobiliteit naar ander werk", False),
    ],
    "leadership": [
        ("Mijn leidinggevende stimuleert mij om mij te ontwikkelen", False),
        ("Mijn leidinggevende geeft mij ruimte voor eigen initiatief", False),
        ("Mijn leidinggevende geeft mij bruikbare feedback", False),
        ("Mijn leidinggevende heeft aandacht voor mijn loopbaan", False),
    ],
}

#: Every item of every scale, by column name, in scale order.
ITEMS: dict[str, Item] = {
    f"{scale}_{j}": Item(f"{scale}_{j}", scale, text, reverse)
    for scale, texts in _ITEM_TEXT.items() for j, (text, reverse) in enumerate(texts, start=1)
}

#: The reliability the twin's items are drawn to (Cronbach's alpha), per scale: typical of published four-item
#: scales of these kinds (ratings of HRM and leadership higher, self-reports with a reverse item lower).
TARGET_ALPHA: dict[str, float] = {
    "employability": 0.82, "expertise": 0.80, "adaptability": 0.78, "continuous_improvement": 0.81,
    "career_self_management": 0.76, "development_motivation": 0.83, "hrm_quality": 0.86, "leadership": 0.89,
}


def scale_items(scale: str) -> list[str]:
    """The column names of a scale's items, in order."""
    return [name for name, item in ITEMS.items() if item.scale == scale]


def reverse_items(scale: str) -> list[str]:
    """The column names of a scale's reverse-keyed items."""
    return [name for name, item in ITEMS.items() if item.scale == scale and item.reverse]


def min_answered(n_items: int) -> int:
    """How many of a scale's ``n_items`` must be answered for a score, when a mapping does not say:
    all but one, and at least two."""
    return max(2, n_items - 1)

_VARS = [
    Variable(
        "respondent_id", "respondentnummer", "respondent id", "id", required=True, nullable=False, low=0
    ),
    Variable("weight", "weegfactor", "survey weight", "weight", required=False, low=0),
    Variable("sector", "overheidsorgaan", "sector", "category", SECTORS, 1, 7, nullable=False),
    Variable("age", "leeftijd in jaren", "age (years)", "count", low=15, high=75),
    Variable("gender", "geslacht", "gender", "category", {1: ("man", "man"), 2: ("vrouw", "woman")}, 1, 2),
    Variable(
        "education", "opleidingsniveau", "education", "ordinal",
        {1: ("laag", "low"), 2: ("middelbaar", "intermediate"), 3: ("hoog", "high")}, 1, 3,
    ),
    Variable(
        "income", "inkomensklasse", "income class", "ordinal",
        {i: (f"klasse {i}", f"class {i}") for i in range(1, 6)}, 1, 5,
    ),
    Variable("permanent_contract", "vast dienstverband", "permanent contract", "binary", _YES_NO, 0, 1),
    Variable("manager", "leidinggevende functie", "manager", "binary", _YES_NO, 0, 1),
    Variable("multiple_jobs", "twee of meer banen", "two or more jobs", "binary", _YES_NO, 0, 1),
    Variable(
        "contract_hours", "aanstelling in uren per week", "contract hours per week", "scale", low=0, high=80
    ),
    Variable(
        "years_in_government", "jaren in dienst bij de overheid", "years in government", "scale",
        low=0, high=60,
    ),
    Variable(
        "years_in_function", "jaren in de huidige functie", "years in function", "scale", low=0, high=60
    ),
    Variable(
        "threat", THREAT_QUESTION, "technology as a threat to keeping one's job", "ordinal", THREAT_CODES,
        1, 5,
    ),
    Variable(
        "keep_up", KEEP_UP_QUESTION, "keeping up with technological change", "ordinal", KEEP_UP_CODES, 1, 5
    ),
] + [Variable(name, nl, en, "scale", low=1, high=5) for name, (nl, en, _) in SCALES.items()]

VARIABLES: dict[str, Variable] = {v.name: v for v in _VARS}

#: Age groups of the article's Table 1 (plus the youngest, absent from the article).
AGE_GROUPS: list[tuple[str, int, int, str, str]] = [
    ("<25", 15, 24, "jonger dan 25 jaar", "under 25"),
    ("25-34", 25, 34, "25 – 34 jaar", "25–34"),
    ("35-44", 35, 44, "35 – 44 jaar", "35–44"),
    ("45-54", 45, 54, "45 – 54 jaar", "45–54"),
    ("55-64", 55, 64, "55 – 64 jaar", "55–64"),
    ("65+", 65, 200, "65 jaar en ouder", "65 and over"),
]

#: Decisions taken where the article is silent; printed in the Data and methods appendix.
ASSUMPTIONS: dict[str, str] = {
    "keep_up_labels": (
        "The article names only the keep-up answers 'slecht', 'redelijk', 'goed' and 'zeer goed'. "
        "We assume a symmetric five-point scale whose lowest answer is 'zeer slecht' (code 1)."
    ),
    "threat_labels": (
        "The article names 'helemaal niet', 'nauwelijks' and 'in redelijke, grote of zeer grote mate'; "
        "we code them 1 to 5 in that order."
    ),
    "scales": (
        "The article does not print its scales' items. We treat each scale score as the mean of four "
        "1–5 items, so scores lie on a grid of quarter points from 1 to 5."
    ),
    "items": (
        "Each scale has four items answered on a five-point agreement scale (1–5); the wording in the "
        "codebook is ours, typical of such scales, not the survey's. One item is reverse-keyed where such "
        "scales usually have one: adaptability, career self-management and development motivation (their "
        "fourth item); the ratings of HRM quality and leadership have none. A score is the mean of the "
        "answered items after reverse-keying (6 − answer), given when all but one item (at least two) are "
        "answered; a mapping may set its own items, reverse-keyed items and minimum (`scales:`)."
    ),
    "item_reliability": (
        "The twin's items are drawn to Cronbach's alphas typical of published four-item scales: employability"
        " .82, expertise .80, adaptability .78, continuous improvement .81, career self-management .76, "
        "development motivation .83, HRM quality .86, leadership .89 (within .75–.90). Their means equal the"
        " twin's scale scores exactly, so every scale-level number is unchanged by the items. McDonald's "
        "omega is from a one-factor maximum-likelihood model of the item covariances; item statistics use "
        "the respondents who answered every item of the scale (listwise)."
    ),
    "hrm_leadership": (
        "The article reports one correlation for 'HRM en leiderschap'. We take the mean of the HRM-quality "
        "and leadership scores as that combined score."
    ),
    "gender_coding": "Gender is coded 1 man, 2 woman, so a negative beta means women score lower.",
    "standardized_betas": (
        "The article prints standardized betas without the model. We fit OLS with every variable "
        "z-scored on the model's complete cases (listwise deletion), unweighted, with the predictors "
        "the article discusses and sector dummies (municipality as reference)."
    ),
    "ordinal_as_interval": (
        "Like the article, the models treat the five-point answers as interval scores; the robustness "
        "appendix checks this with ordered logit."
    ),
    "age_groups": (
        "Table 1 starts at 25 years. Respondents under 25 (none in the twin) form their own group."
    ),
    "upper_threat_split": (
        "The article gives only the combined share of the three highest threat answers ('bijna 20%'). "
        "The twin splits it 14.5, 3.9 and 1.0 percent; that split is not published."
    ),
    "lower_keep_up_split": (
        "For keep-up the article gives 'goed' (50.7%) and 'zeer goed' (22%) only. The twin splits the "
        "remaining 27.3 percent as 1.0 (zeer slecht), 3.3 (slecht) and 23.0 (redelijk); not published."
    ),
    "contract_hours": (
        "The article prints a mean of 35 contract hours with a standard deviation of 20. A working week "
        "bounded at 40 hours cannot have that spread (at most about 13 hours around a mean of 35). The "
        "twin does not bend its data to it: hours are drawn from the usual weeks (36 hours, the full-time"
        " week of most of government, 48%; 40 hours 24%; 32 hours 12%; 28 and 24 hours 4% each; 38, 20 "
        "and 16 hours) and a spread of other part-time weeks from 8 to 39 hours. Its mean comes out near "
        "35 and its SD near 5.5; the ledger shows the SD as a deviation and the audit appendix says why. "
        "The shares are our assumption, not published."
    ),
    "tenure_and_age": (
        "Years in government count from age 16 at the earliest, and years in the current function never "
        "exceed them. Tenure follows age as in personnel files: the twin's population gives a correlation"
        " of about .6 between age and years in government and about .5 between the two tenures. These are"
        " our assumptions (the article prints only the means and SDs); at this collinearity the article's"
        " tenure betas and their p-values can still all hold, and the audit appendix shows the VIF each "
        "allows."
    ),
    "age_range": (
        "Table 1's top group is open-ended ('65 jaar en ouder'). The state pension age was 66 in 2019, so"
        " the twin's oldest respondents are 67, and each year past 65 has half the respondents of the "
        "year before."
    ),
    "weights": (
        "The article does not describe its weights. CBS calibrates survey weights to population totals; "
        "the twin's weights are raked to assumed population margins of sector (municipalities 42%, "
        "central government 38%, independent bodies 8%, provinces 4%, joint arrangements 4%, water "
        "authorities 3%, judiciary 1%), age group (25–34 16%, 35–44 22%, 45–54 27%, 55–64 33%, 65+ 2%) "
        "and gender (half women), trimmed to 0.2–5 times the mean. The margins are ours, rounded, and not"
        " published; they make the sample's over-representation of small sectors, older staff and women "
        "visible in the weights."
    ),
    "twin_calibration": (
        "The twin is one draw from a population whose parameters are in data/twin_params.yml. Only what "
        "the article prints is then met on the drawn sample: shares by exact counts, printed correlations"
        " and betas by moving the population value by (target - achieved) until the sample shows it. "
        "Everything else (null effects among them) keeps its population value and the sample shows it "
        "with its own noise. Where the article claims no effect, a draw in which the effect is "
        "significant is drawn again (at most 20 times): a sample conditioned on the article's claims, not"
        " a fit. No answers are swapped."
    ),
    "twin_plausibility": (
        "What a believable staff file shows is our judgement, checked on every twin (werk synth --report, "
        "the methods appendix): contract weeks of at most 40 hours with 36 the most common; nobody in "
        "government before 16 and under 3% before 18; under 5% of those aged 25-29 with 10 or more years "
        "in government; r(age, years in government) between .50 and .75; no pair of related variables "
        "uncorrelated; weights that differ by sector and age; null-effect p-values spread as one sample's."
    ),
    "significance": (
        "Where the article says a factor plays 'geen rol', we read a claim of no effect at the 5% level."
    ),
    "equivalence": (
        "Not significant is not the same as negligible. Each 'geen rol' claim also gets an equivalence test "
        "(two one-sided t tests at the 5% level each): negligible when the standardized beta lies within "
        "±.05, that is when its 90% interval does. We chose .05, half of Cohen's 'small' correlation of .10: "
        "small by any convention, and at the article's N (a beta's standard error about .015 to .02) the "
        "test "
        "calls a true zero negligible in most samples, so 'not shown negligible' says something about the "
        "data. A bound at the article's smallest reported effect (.03) would leave a true zero 'not shown "
        "negligible' in most samples. The article itself reports betas of .03 and .04 as effects; a beta "
        "shown to be below .05 "
        "may still be that large. For sector (six dummies) the bound is what one unrelated predictor with "
        "β = .05 adds to R² (.0025), tested with the noncentral F distribution of the sector block's F test."
    ),
    "holm": (
        "The article adjusts none of its tests for multiplicity. The ledger adds Holm-adjusted p-values over "
        "the article's tests: every claim with a printed p-threshold and every claim of no effect. The "
        "adjustment is shown, not used for a status."
    ),
    "binary_differences": (
        "The article gives standardized betas for every predictor. For a predictor with two values (gender, "
        "manager, permanent contract, multiple jobs, a sector dummy) a per-SD effect has no meaning to a "
        "reader, so the model tables also give the unstandardized coefficient: the difference between the "
        "two groups in answer points, the other predictors held fixed, and that difference in SDs of the "
        "outcome. The standardized beta stays where the article prints one."
    ),
    "proportional_odds": (
        "The ordered logit of the robustness appendix assumes proportional odds: one slope per predictor for "
        "every threshold of the answer scale. We test it with Brant's Wald test: a binary logit per "
        "threshold (answer above it or not), the slopes compared across thresholds with their joint "
        "covariance."
    ),
}


#: The decisions of :data:`ASSUMPTIONS` in Dutch, for the Dutch book: key -> (heading, text). Every key of
#: :data:`ASSUMPTIONS` has one (a test holds them together); numbers in Dutch style.
ASSUMPTIONS_NL: dict[str, tuple[str, str]] = {
    "keep_up_labels": ("Antwoorden bij bijbenen", (
        "Het artikel noemt bij bijbenen alleen de antwoorden 'slecht', 'redelijk', 'goed' en 'zeer goed'. "
        "Wij nemen een symmetrische vijfpuntsschaal aan met als laagste antwoord 'zeer slecht' (code 1)."
    )),
    "threat_labels": ("Antwoorden bij bedreiging", (
        "Het artikel noemt 'helemaal niet', 'nauwelijks' en 'in redelijke, grote of zeer grote mate'; "
        "wij coderen ze in die volgorde van 1 tot 5."
    )),
    "scales": ("Schalen", (
        "Het artikel drukt de items van zijn schalen niet af. Wij behandelen elke schaalscore als het "
        "gemiddelde van vier items van 1 tot 5, zodat de scores op een raster van kwarten tussen 1 en 5 "
        "liggen."
    )),
    "items": ("Items", (
        "Elke schaal heeft vier items met een vijfpunts instemmingsschaal (1–5); de formulering in het "
        "codeboek is van ons, gangbaar voor zulke schalen, niet die van de enquête. Eén item is negatief "
        "geformuleerd waar zulke schalen er gewoonlijk een hebben: aanpassingsvermogen, loopbaanzelfsturing "
        "en ontwikkelmotivatie (telkens het vierde item); de oordelen over de kwaliteit van HRM en van "
        "leiderschap hebben er geen. Een score is het gemiddelde van de beantwoorde items na ompolen "
        "(6 − antwoord), mits op hooguit één na alle items (en minstens twee) zijn beantwoord; een mapping "
        "kan eigen items, omgepoolde items en een eigen minimum opgeven (`scales:`)."
    )),
    "item_reliability": ("Betrouwbaarheid van de items", (
        "De items van de tweeling zijn getrokken naar de Cronbachs alfa's die gepubliceerde schalen van vier "
        "items gewoonlijk halen: inzetbaarheid 0,82, beroepsinhoudelijke expertise 0,80, aanpassingsvermogen "
        "0,78, continu verbeteren 0,81, loopbaanzelfsturing 0,76, ontwikkelmotivatie 0,83, kwaliteit van HRM "
        "0,86 en leiderschap 0,89 (alle tussen 0,75 en 0,90). Hun gemiddelden zijn precies de schaalscores "
        "van de tweeling, zodat de items geen enkel getal op schaalniveau veranderen. McDonalds omega komt "
        "uit een eenfactormodel (maximum likelihood) van de covarianties van de items; de itemstatistieken "
        "gebruiken de respondenten die elk item van de schaal hebben beantwoord (listwise)."
    )),
    "hrm_leadership": ("HRM en leiderschap", (
        "Het artikel geeft één correlatie voor 'HRM en leiderschap'. Als die gecombineerde score nemen wij "
        "het gemiddelde van de scores voor de kwaliteit van HRM en van leiderschap."
    )),
    "gender_coding": ("Codering van geslacht", (
        "Geslacht is gecodeerd als 1 man, 2 vrouw; een negatieve bèta betekent dus dat vrouwen lager scoren."
    )),
    "standardized_betas": ("Gestandaardiseerde bèta's", (
        "Het artikel drukt gestandaardiseerde bèta's zonder het model. Wij schatten OLS met elke variabele "
        "gestandaardiseerd (z-scores) op de volledige waarnemingen van het model (listwise deletion), "
        "ongewogen, met de voorspellers die het artikel bespreekt en dummy's voor de sector (gemeente als "
        "referentie)."
    )),
    "ordinal_as_interval": ("Ordinale antwoorden als intervalscores", (
        "Net als het artikel behandelen de modellen de antwoorden op een vijfpuntsschaal als intervalscores; "
        "de bijlage over robuustheid toetst dat met een ordinale logit."
    )),
    "age_groups": ("Leeftijdscategorieën", (
        "Tabel 1 begint bij 25 jaar. Respondenten jonger dan 25 (de tweeling heeft er geen) vormen een eigen "
        "groep."
    )),
    "upper_threat_split": ("Verdeling van de hoogste antwoorden bij bedreiging", (
        "Het artikel geeft voor de drie hoogste antwoorden bij bedreiging alleen het samengenomen aandeel "
        "('bijna 20%'). De tweeling verdeelt dat als 14,5; 3,9 en 1,0 procent; die verdeling is niet "
        "gepubliceerd."
    )),
    "lower_keep_up_split": ("Verdeling van de laagste antwoorden bij bijbenen", (
        "Bij bijbenen geeft het artikel alleen 'goed' (50,7%) en 'zeer goed' (22%). De tweeling verdeelt de "
        "overige 27,3 procent als 1,0 (zeer slecht), 3,3 (slecht) en 23,0 (redelijk); niet gepubliceerd."
    )),
    "contract_hours": ("Contracturen", (
        "Het artikel drukt een gemiddelde van 35 contracturen met een standaardafwijking van 20. Een "
        "werkweek van hooguit 40 uur kan zo'n spreiding niet hebben (rond een gemiddelde van 35 hooguit "
        "ongeveer 13 uur). De tweeling buigt haar data daar niet naar: de uren zijn getrokken uit de "
        "gebruikelijke weken (36 uur, de voltijdweek van het grootste deel van de overheid, 48%; 40 uur 24%; "
        "32 uur 12%; 28 en 24 uur elk 4%; 38, 20 en 16 uur) en een spreiding van andere deeltijdweken van 8 "
        "tot 39 uur. Het gemiddelde komt uit rond 35 en de standaardafwijking rond 5,5; het claimregister "
        "toont de standaardafwijking als afwijking en de auditbijlage legt uit waarom. De aandelen zijn "
        "onze aanname, niet gepubliceerd."
    )),
    "tenure_and_age": ("Diensttijd en leeftijd", (
        "Jaren bij de overheid tellen op zijn vroegst vanaf 16 jaar, en jaren in de huidige functie zijn "
        "nooit meer dan jaren bij de overheid. De diensttijd volgt de leeftijd zoals in personeelsbestanden: "
        "de populatie van de tweeling geeft een correlatie van ongeveer 0,6 tussen leeftijd en jaren bij de "
        "overheid en van ongeveer 0,5 tussen de twee diensttijden. Dat zijn onze aannames (het artikel drukt "
        "alleen de gemiddelden en standaardafwijkingen); bij deze collineariteit kunnen de bèta's van het "
        "artikel voor de diensttijd en hun p-waarden nog allemaal kloppen, en de auditbijlage toont de VIF "
        "die elk ervan toelaat."
    )),
    "age_range": ("Leeftijdsbereik", (
        "De oudste groep van Tabel 1 is open ('65 jaar en ouder'). De AOW-leeftijd was in 2019 66 jaar; de "
        "oudste respondenten van de tweeling zijn daarom 67, en elk jaar boven de 65 telt half zoveel "
        "respondenten als het jaar ervoor."
    )),
    "weights": ("Gewichten", (
        "Het artikel beschrijft zijn weging niet. Het CBS kalibreert de gewichten van enquêtes op "
        "populatietotalen; de gewichten van de tweeling zijn geraked naar aangenomen populatiemarges van "
        "sector (gemeenten 42%, rijksoverheid 38%, zelfstandige bestuursorganen 8%, provincies 4%, "
        "gemeentelijke regelingen 4%, waterschappen 3%, rechterlijke macht 1%), leeftijdscategorie (25–34 "
        "16%, 35–44 22%, 45–54 27%, 55–64 33%, 65+ 2%) en geslacht (de helft vrouw), afgekapt op 0,2 tot 5 "
        "maal het gemiddelde. De marges zijn van ons, afgerond en niet gepubliceerd; ze maken in de "
        "gewichten zichtbaar dat kleine sectoren, ouder personeel en vrouwen in de steekproef "
        "oververtegenwoordigd zijn."
    )),
    "twin_calibration": ("IJking van de tweeling", (
        "De tweeling is één trekking uit een populatie waarvan de parameters in `data/twin_params.yml` "
        "staan. Alleen wat het artikel drukt, wordt daarna in de getrokken steekproef gehaald: aandelen "
        "met exacte aantallen, gedrukte correlaties en bèta's door de populatiewaarde met (doel − bereikt) "
        "te verschuiven tot de steekproef ze laat zien. Al het andere (ook de nuleffecten) houdt zijn "
        "populatiewaarde, en de steekproef toont die met haar eigen ruis. Waar het artikel zegt dat er geen "
        "effect is, wordt een trekking waarin het effect significant is opnieuw getrokken (hooguit 20 keer): "
        "een steekproef onder voorwaarde van de beweringen van het artikel, geen fit. Er worden geen "
        "antwoorden verwisseld."
    )),
    "twin_plausibility": ("Geloofwaardigheid van de tweeling", (
        "Wat een geloofwaardig personeelsbestand laat zien, is ons oordeel; het wordt bij elke tweeling "
        "gecontroleerd (`werk synth --report`, de bijlage Data en methoden): contractweken van hooguit 40 "
        "uur, met 36 uur als de meest voorkomende; niemand vóór 16 jaar bij de overheid en minder dan 3% "
        "vóór 18 jaar; minder dan 5% van de 25- tot 29-jarigen met 10 of meer jaren bij de overheid; "
        "r(leeftijd, jaren bij de overheid) tussen 0,50 en 0,75; geen paar samenhangende variabelen zonder "
        "correlatie; gewichten die verschillen per sector en leeftijd; p-waarden van nuleffecten gespreid "
        "zoals die van één steekproef."
    )),
    "significance": ("Significantie", (
        "Waar het artikel zegt dat een factor 'geen rol' speelt, lezen wij de bewering dat er geen effect is "
        "op het niveau van 5%."
    )),
    "equivalence": ("Equivalentie", (
        "Niet significant is niet hetzelfde als verwaarloosbaar. Elke bewering 'geen rol' krijgt daarom ook "
        "een equivalentietoets (twee eenzijdige t-toetsen, elk op het niveau van 5%): verwaarloosbaar als "
        "de gestandaardiseerde bèta binnen ±0,05 ligt, dat wil zeggen als het 90%-betrouwbaarheidsinterval "
        "daarbinnen valt. Wij kozen 0,05, de helft van Cohens 'kleine' correlatie van 0,10: klein naar elke "
        "maatstaf, en bij de N van het artikel (een standaardfout van een bèta van ongeveer 0,015 tot 0,02) "
        "noemt de toets een werkelijke nul in de meeste steekproeven verwaarloosbaar, zodat 'niet "
        "verwaarloosbaar gebleken' iets over de data zegt. Een grens bij het kleinste effect dat het artikel "
        "rapporteert (0,03) zou een werkelijke nul in de meeste steekproeven 'niet verwaarloosbaar gebleken' "
        "laten. Het artikel rapporteert zelf bèta's van 0,03 en 0,04 als effecten; een bèta die kleiner dan "
        "0,05 is gebleken, kan nog zo groot zijn. Voor de sector (zes dummy's) is de grens wat één "
        "ongerelateerde voorspeller met β = 0,05 aan R² toevoegt (0,0025), getoetst met de niet-centrale "
        "F-verdeling van de F-toets van het sectorblok."
    )),
    "holm": ("Holm-correctie", (
        "Het artikel corrigeert geen van zijn toetsen voor meervoudig toetsen. Het claimregister voegt "
        "Holm-gecorrigeerde p-waarden toe over de toetsen van het artikel: elke bewering met een gedrukte "
        "p-grens en elke bewering dat er geen effect is. De correctie wordt getoond, maar bepaalt geen "
        "status."
    )),
    "binary_differences": ("Verschillen bij voorspellers met twee waarden", (
        "Het artikel geeft voor elke voorspeller een gestandaardiseerde bèta. Bij een voorspeller met twee "
        "waarden (geslacht, leidinggevende functie, vast dienstverband, twee of meer banen, een "
        "sectordummy) zegt een effect per standaardafwijking een lezer niets; de modeltabellen geven daarom "
        "ook de ongestandaardiseerde coëfficiënt: het verschil tussen de twee groepen in antwoordpunten, "
        "met de andere voorspellers gelijk gehouden, en dat verschil in standaardafwijkingen van de "
        "uitkomst. De gestandaardiseerde bèta blijft staan waar het artikel er een drukt."
    )),
    "proportional_odds": ("Proportionele odds", (
        "De ordinale logit van de bijlage over robuustheid neemt proportionele odds aan: één helling per "
        "voorspeller voor elke drempel van de antwoordschaal. Wij toetsen dat met de Wald-toets van Brant: "
        "een binaire logit per drempel (antwoord erboven of niet), waarvan de hellingen over de drempels "
        "worden vergeleken met hun gezamenlijke covariantie."
    )),
}


def variable(name: str) -> Variable:
    """Return the codebook entry for ``name``; raise KeyError with the known names."""
    try:
        return VARIABLES[name]
    except KeyError:
        raise KeyError(f"{name!r} is not in the codebook; known: {', '.join(VARIABLES)}") from None


def value_labels(name: str, lang: str = "en") -> dict[int, str]:
    """Code -> label for a coded variable, in ``lang`` ("en" or "nl")."""
    i = _lang_index(lang)
    return {code: labels[i] for code, labels in variable(name).codes.items()}


#: Short Dutch labels of the two survey questions, whose Dutch wording is the whole question (as the
#: article's figure captions name them).
SHORT_NL = {
    "threat": "technologie als bedreiging voor behoud van werk",
    "keep_up": "bijbenen van technologische veranderingen",
}


def label(name: str, lang: str = "en") -> str:
    """Axis/column label of a variable (English label, or the Dutch description)."""
    v = variable(name)
    if lang == "nl":
        return v.nl if len(v.nl) < 60 else SHORT_NL.get(name, v.name.replace("_", " "))
    return v.en


def sector_code(name: str) -> int:
    """Sector code for a Dutch or English sector name (case-insensitive)."""
    key = name.strip().lower()
    for code, (nl, en) in SECTORS.items():
        if key in (nl, en, nl.replace(" ", "-"), en.replace(" ", "-")):
            return code
    known = ", ".join(nl for nl, _ in SECTORS.values())
    raise ValueError(f"unknown sector {name!r}; choose one of: {known}")


def age_group(age):
    """Table 1 age group key ("25-34", ...) for an age or a pandas Series of ages."""
    import pandas as pd

    bins = [g[1] - 0.5 for g in AGE_GROUPS] + [AGE_GROUPS[-1][2] + 0.5]
    keys = [g[0] for g in AGE_GROUPS]
    return pd.cut(pd.Series(age, dtype="float"), bins=bins, labels=keys)


def _lang_index(lang: str) -> int:
    if lang not in ("en", "nl"):
        raise ValueError(f"lang must be 'en' or 'nl', not {lang!r}")
    return 0 if lang == "nl" else 1


def edition_name(edition: str | None) -> str:
    """The canonical name of an edition (``all`` or a sector's Dutch name), from a Dutch or English name.

    Raises :class:`werk.core.errors.WerkError` (exit 2) naming the valid editions when ``edition`` is none.
    """
    if edition is None or str(edition).strip().lower() in ("all", ""):
        return "all"
    try:
        return SECTORS[sector_code(str(edition))][0]
    except ValueError:
        valid = "; ".join(f"'{nl}' ({en})" for nl, en in SECTORS.values())
        raise WerkError(f"unknown edition {edition!r}; choose 'all' or a sector, by its Dutch or English "
                        f"name (dashes for spaces are fine): {valid}") from None


def edition_slug(edition: str) -> str:
    """Folder name of an edition: ``all`` or the sector's Dutch name with dashes."""
    return edition_name(edition).replace(" ", "-")


def term_label(term: str, lang: str = "en") -> str:
    """Readable label of a model term (a variable or a ``sector=k`` dummy)."""
    if term.startswith("sector="):
        return value_labels("sector", lang)[int(term.split("=")[1])]
    if term == "hrm_leadership":
        return "HRM en leiderschap" if lang == "nl" else "HRM and leadership"
    if term not in VARIABLES:
        return term.replace("_", " ")
    return label(term, lang)
