"""Every word a person reads, in their language: English, Persian or Arabic.

One gettext catalogue serves the window, the command line and its help, CSV headings, the charts, the
PDF report and the CAB agenda. ``console/`` never imports Qt, so Qt's own ``tr()`` could serve only the
views; gettext serves both layers, its catalogues are plain text a translator edits with any PO editor,
and its plural rules are the language's own (Arabic has six forms, Persian two, English two). Qt's
shipped translations (``qtbase_fa.qm``, ``qtbase_ar.qm``) cover its standard dialogs and buttons.

In code a string is marked where it is written:

- ``_("Assign to me")``: translated now, in the language chosen;
- ``n_("{n} ticket", "{n} tickets", n)``: a count, in the language's plural form (format it after);
- ``p_("ticket status", "New")``: one English word with more than one meaning;
- ``N_("Critical")``: only marked, for a table built when the module is imported, before any language
  is chosen; the code that shows it passes it through ``_()``.

The catalogues live in ``console/locale/<language>/LC_MESSAGES/support_console.po``; ``make`` compiles
them to ``.mo`` on install. A catalogue whose ``.mo`` is missing or older than its ``.po`` (a working copy
being translated) is compiled in memory instead, so a fresh clone always shows what its ``.po`` says.
The words the translations use for the domain (ticket, SLA, change advisory board…) are kept in
``console/locale/GLOSSARY.md``.
"""

from __future__ import annotations

import gettext
import io
import os
from pathlib import Path

DOMAIN = "support_console"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("en", "fa", "ar")  # English is the source: it needs no catalogue
NAMES = {"en": "English", "fa": "فارسی", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"fa", "ar"})
AUTO = "auto"

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def _(text: str) -> str:
    """The text in the person's language."""
    return _translations.gettext(text)


def n_(singular: str, plural: str, n: int) -> str:
    """The text for ``n`` things, in the plural form the person's language uses for ``n``."""
    return _translations.ngettext(singular, plural, n)


def p_(context: str, text: str) -> str:
    """The text as meant in ``context`` (a word with two meanings in English has two translations)."""
    return _translations.pgettext(context, text)


def N_(text: str) -> str:
    """Mark a text for the catalogue without translating it yet (translated where it is shown)."""
    return text


def language() -> str:
    """The language in use: ``en``, ``fa`` or ``ar``."""
    return _language


def right_to_left() -> bool:
    return _language in RIGHT_TO_LEFT


def system_language() -> str:
    """The language of the person's session (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``): the first of
    ours it names, English otherwise."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        for part in value.split(":"):
            code = part.split(".")[0].split("_")[0].split("-")[0].lower()
            if code in LANGUAGES:
                return code
        if value and variable != "LANGUAGE":
            break  # the first of LC_ALL, LC_MESSAGES, LANG that is set decides (as in POSIX)
    return "en"


def resolve(setting: str) -> str:
    """The language a setting means: ``auto`` (or empty) is the session's."""
    setting = (setting or AUTO).strip().lower()
    if setting == AUTO:
        return system_language()
    if setting not in LANGUAGES:
        raise ValueError(setting)
    return setting


def choose(setting: str) -> str:
    """Use the language of a setting (``en``, ``fa``, ``ar`` or ``auto``) from now on; the language chosen."""
    global _translations, _language
    code = resolve(setting)
    _translations = catalogue(code)
    _language = code
    return code


def catalogue(code: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (none for English)."""
    if code == "en":
        return gettext.NullTranslations()
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if not po.exists():
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(compile_po(po)))


def compile_po(po: Path) -> bytes:
    """A ``.po`` file compiled to ``.mo`` bytes (Babel), fuzzy entries left out."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()
