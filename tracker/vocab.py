"""The fixed vocabularies: every word tracker stores or accepts from a closed list, defined once.

Each vocabulary is a `Literal` type (for annotations and mypy) and a tuple of its words in the
order messages list them (for click choices, validation and messages), the tuple made from the
type so the two cannot drift apart. Where the store enforces a vocabulary with a CHECK
constraint (``sql/migrations/``), ``tests/test_vocab.py`` reads the constraint from a migrated
store and holds the two equal; where an SQL macro produces or accepts the words (``change_kind``,
``transformed``, ``aggregated``), the test asks the macro.

Also here: the cell texts each family of formats reads as "published as missing", and the
limits several modules share. Imports nothing, so the CLI pays nothing for it at start-up.
"""

from __future__ import annotations

from typing import Literal, get_args

# Catalogue (CHECK constraints on series) ------------------------------------------------------

#: What a series' numbers are; decides which transforms make sense (``transform_refusal``).
UnitKind = Literal["level", "index", "rate", "growth_yoy", "growth_pop", "share"]
UNIT_KINDS: tuple[UnitKind, ...] = get_args(UnitKind)

#: How often a series has a period: annual, half-yearly, quarterly, monthly, weekly, daily, or
#: at irregular dates (policy changes).
Frequency = Literal["A", "S", "Q", "M", "W", "D", "irregular"]
FREQUENCIES: tuple[Frequency, ...] = get_args(Frequency)
#: Each frequency as messages name it ("a monthly period").
FREQUENCY_NAMES: dict[str, str] = {
    "A": "annual",
    "S": "half-yearly",
    "Q": "quarterly",
    "M": "monthly",
    "W": "weekly",
    "D": "daily",
    "irregular": "irregular",
}

#: actual; forecast (the period is the target period, each release a vintage); policy (a level
#: in force from its date until the next change).
Kind = Literal["actual", "forecast", "policy"]
KINDS: tuple[Kind, ...] = get_args(Kind)

# Observations (CHECK constraint on observations.status) ---------------------------------------

#: An observation's status; ``deleted`` is a tombstone (a withdrawn value), never a DELETE.
Status = Literal["actual", "estimate", "provisional", "forecast", "deleted"]
STATUSES: tuple[Status, ...] = get_args(Status)

#: What a version changes against the version before it: the words of the SQL macro
#: ``change_kind``, the one definition of a revision.
ChangeKind = Literal["new", "revised", "restated", "deleted", "unchanged"]
CHANGE_KINDS: tuple[ChangeKind, ...] = get_args(ChangeKind)

# Subscriptions (CHECK constraint on subscriptions.last_status) --------------------------------

#: How the last pull of a subscription went.
PullStatus = Literal["ok", "failed"]
PULL_STATUSES: tuple[PullStatus, ...] = get_args(PullStatus)

# Users of a shared dashboard (CHECK constraint on users.role) --------------------------------

#: What a login may do: viewer (the pages), analyst (+ SQL console and downloads), editor
#: (+ uploads, retractions, pulls). Each role may do what the roles before it may.
Role = Literal["viewer", "analyst", "editor"]
ROLES: tuple[Role, ...] = get_args(Role)

# Analytics (the words the SQL macros accept) --------------------------------------------------

#: FRED's units transforms, in FRED's order (the macro ``transformed``).
TransformCode = Literal["lin", "chg", "ch1", "pch", "pc1", "pca", "cch", "cca", "log"]
TRANSFORM_CODES: tuple[TransformCode, ...] = get_args(TransformCode)

#: How ``aggregated`` turns sub-periods into one: mean, total, end of period.
AggregationMethod = Literal["avg", "sum", "eop"]
AGGREGATION_METHODS: tuple[AggregationMethod, ...] = get_args(AggregationMethod)
#: The frequencies ``aggregated`` can aggregate to.
AggregationTarget = Literal["S", "Q", "A"]
AGGREGATION_TARGETS: tuple[AggregationTarget, ...] = get_args(AggregationTarget)

# Formats ---------------------------------------------------------------------------------------

#: The two output types of ALFRED's vintage-wide download (``--alfred-output``): All
#: Observations, and New and Revised Observations Only.
AlfredOutput = Literal["all", "changes"]
ALFRED_OUTPUTS: tuple[AlfredOutput, ...] = get_args(AlfredOutput)

#: Cells that mean "published as missing", per family of formats. Canonical files and the seed:
#: an empty cell only.
MISSING_CANONICAL = ("",)
#: FRED, ALFRED and wide CSV: empty, or FRED's ``.``.
MISSING_CSV = ("", ".")
#: SDMX-CSV and SDMX-ML ``OBS_VALUE``.
MISSING_SDMX = ("", "NaN", "nan", "NA", "#N/A")
#: DBnomics' JSON values.
MISSING_DBNOMICS = ("NA", "")
#: World Bank WDI: cells without data (dropped, not stored as missing: see `tracker.formats.wdi`).
EMPTY_WDI = ("", "..")

# Limits ----------------------------------------------------------------------------------------

#: At most this many problem lines per check of a file; a summary line counts the rest.
MAX_PROBLEMS = 50
#: Bytes of a file's head that format sniffers see.
HEAD_BYTES = 65536
