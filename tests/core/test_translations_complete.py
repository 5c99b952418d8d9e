"""Every message the code shows has a zh-Hans translation (issue 13, "translations complete").

The messages are read from the source the way ``makemessages`` reads them, without writing anything: the
``gettext`` family in ``src/tiercare/**/*.py`` (by the abstract syntax tree, so ``_``, ``gettext_lazy``,
``pgettext``, ``ngettext`` … whatever their import alias) and ``{% translate %}``, ``{% blocktranslate %}`` and
``_("…")`` in the templates (through Django's own ``templatize``, which is what ``makemessages`` hands to
xgettext). Each (context, message) must have a non-empty, non-fuzzy ``msgstr`` in the zh-Hans catalogue, and the
compiled ``.mo`` must carry the same translation (a ``.po`` edited but not recompiled shows English at run time).

The checker is a plain function, so the test of the test runs it on a made-up source tree and catalogue.
"""

from __future__ import annotations

import ast
import gettext as gettext_module
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils.translation.template import templatize

SRC = Path(__file__).resolve().parents[2] / "src" / "tiercare"
LOCALE = SRC / "locale" / "zh_Hans" / "LC_MESSAGES"

# name -> (position of the context argument or None, position of the message, position of the plural or None)
GETTEXT_FUNCTIONS: dict[str, tuple[int | None, int, int | None]] = {
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
TRANSLATION_MODULE = "django.utils.translation"


@dataclass(frozen=True)
class Message:
    context: str | None
    msgid: str
    plural: str | None = None

    def __str__(self) -> str:
        text = repr(self.msgid) + (f" / {self.plural!r}" if self.plural else "")
        return f"[{self.context}] {text}" if self.context else text


@dataclass
class Extracted:
    messages: dict[Message, list[str]] = field(default_factory=dict)
    # gettext called on a string built at run time (an f-string, "…" % x): never in any catalogue.
    not_literal: list[str] = field(default_factory=list)

    def add(self, message: Message, where: str) -> None:
        self.messages.setdefault(message, []).append(where)


def _aliases(imports: list[ast.ImportFrom]) -> dict[str, str]:
    """Local name -> gettext function, from ``from django.utils.translation import gettext as _`` and the like."""
    names: dict[str, str] = {}
    module_aliases: set[str] = set()
    for node in imports:
        if node.module == TRANSLATION_MODULE:
            names |= {a.asname or a.name: a.name for a in node.names if a.name in GETTEXT_FUNCTIONS}
        elif node.module == "django.utils":
            module_aliases |= {a.asname or a.name for a in node.names if a.name == "translation"}
    return names | {f"{m}.{f}": f for m in module_aliases for f in GETTEXT_FUNCTIONS}


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return None


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _built(node: ast.expr) -> bool:
    """A string put together at run time: an f-string, ``"…" % x``, ``"…" + x``, ``"…".format(x)``."""
    if isinstance(node, ast.JoinedStr | ast.BinOp):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def extract_python(path: Path, label: str, into: Extracted) -> None:
    text = path.read_text(encoding="utf-8")
    if "gettext" not in text:  # most modules: no need to parse them
        return
    imports: list[ast.ImportFrom] = []
    calls: list[ast.Call] = []
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.Call):
            calls.append(node)
        elif isinstance(node, ast.ImportFrom):
            imports.append(node)
    aliases = _aliases(imports)
    for node in calls:
        function = aliases.get(_called_name(node.func) or "")
        if function is None:
            continue
        where = f"{label}:{node.lineno}"
        context_at, msgid_at, plural_at = GETTEXT_FUNCTIONS[function]
        wanted = [i for i in (context_at, msgid_at, plural_at) if i is not None]
        if len(node.args) <= max(wanted):
            into.not_literal.append(f"{where}: {function}() without its message")
            continue
        values = {i: _literal(node.args[i]) for i in wanted}
        if any(v is None for v in values.values()):
            # A name or a lookup (``_(MESSAGES[code])``) translates strings marked elsewhere (gettext_noop); a
            # string built on the spot (f-string, %, +, .format) is never in any catalogue.
            if any(_built(node.args[i]) for i in wanted):
                into.not_literal.append(f"{where}: {function}({ast.unparse(node.args[msgid_at])})")
            continue
        context = values[context_at] if context_at is not None else None
        plural = values[plural_at] if plural_at is not None else None
        into.add(Message(context, values[msgid_at] or "", plural), where)


# What templatize writes for a translatable string: `gettext(u'…')`, `pgettext(u'ctx', u'…')`,
# `ngettext(u'…', u'…', count)`, `npgettext(u'ctx', u'…', u'…', count)`, and `_("…")` for the filter argument form.
_STRING = r"""u?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
TEMPLATE_CALL = re.compile(rf"(?<![\w.])(gettext|pgettext|ngettext|npgettext|_)\(\s*((?:{_STRING}\s*,?\s*)+)")
TEMPLATE_STRING = re.compile(_STRING)


def extract_template(path: Path, label: str, into: Extracted) -> None:
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    for line_number, line in enumerate(code.splitlines(), start=1):
        if line.lstrip().startswith("#"):  # a "Translators:" comment
            continue
        for call in TEMPLATE_CALL.finditer(line):
            function = "gettext" if call.group(1) == "_" else call.group(1)
            strings = [ast.literal_eval(s) for s in TEMPLATE_STRING.findall(call.group(2))]
            context = strings.pop(0) if function.startswith(("pgettext", "npgettext")) else None
            plural = strings[1] if function.startswith(("ngettext", "npgettext")) and len(strings) > 1 else None
            into.add(Message(context, strings[0], plural), f"{label}:{line_number}")


def extract(root: Path) -> Extracted:
    """The messages of every Python module and template under ``root``, with where each is used."""
    found = Extracted()
    for path in sorted(root.rglob("*.py")):
        if "migrations" not in path.parts:
            extract_python(path, str(path.relative_to(root)), found)
    for path in sorted(root.rglob("templates/**/*")):
        if path.is_file() and path.suffix in {".html", ".txt", ".ics", ".xml"}:
            extract_template(path, str(path.relative_to(root)), found)
    return found


@dataclass
class Entry:
    context: str | None = None
    msgid: str | None = None
    plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    fuzzy: bool = False

    @property
    def translated(self) -> bool:
        return not self.fuzzy and bool(self.msgstrs) and all(s.strip() for s in self.msgstrs)


def read_po(path: Path) -> dict[Message, Entry]:
    """The catalogue's entries by (context, msgid, plural); obsolete (``#~``) entries are left out."""
    entries: dict[Message, Entry] = {}
    current = Entry()
    target: str | None = None

    def finish() -> None:
        nonlocal current, target
        if current.msgid is not None:
            message = Message(current.context, current.msgid, current.plural)
            # Appended duplicates are deduped at merge; one translated copy is enough here.
            if message not in entries or current.translated:
                entries[message] = current
        current, target = Entry(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if current.msgid is not None and target is not None and target.startswith("msgstr"):
                finish()
            if line.startswith("#,"):
                current.fuzzy = "fuzzy" in {flag.strip() for flag in line[2:].split(",")}
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = target or "", line
        elif keyword in {"msgctxt", "msgid"} and target is not None and target.startswith("msgstr"):
            finish()
        text = ast.literal_eval(rest)
        if keyword == "msgctxt":
            current.context, target = (current.context or "") + text, "msgctxt"
        elif keyword == "msgid":
            current.msgid, target = (current.msgid or "") + text, "msgid"
        elif keyword == "msgid_plural":
            current.plural, target = (current.plural or "") + text, "msgid_plural"
        elif keyword.startswith("msgstr"):
            if keyword != target:
                current.msgstrs.append("")
            current.msgstrs[-1] += text
            target = keyword
    finish()
    return entries


def catalogues() -> list[Path]:
    """The project's catalogue, then each app's own (``<app>/locale/…``), in the order Django looks them up."""
    return [LOCALE / "django.po", *sorted(SRC.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))]


def untranslated(root: Path, po: Path | list[Path]) -> list[str]:
    """Each message used under ``root`` that no catalogue of ``po`` translates, with where it is used.

    Several catalogues are read as Django reads them: the first translated entry of a message wins."""
    catalogue: dict[Message, Entry] = {}
    for path in reversed(po if isinstance(po, list) else [po]):
        for message, entry in read_po(path).items():
            if entry.translated or message not in catalogue:
                catalogue[message] = entry
    problems = []
    found = extract(root)
    for message, where in sorted(found.messages.items(), key=lambda item: item[1][0]):
        entry = catalogue.get(message)
        if entry is None:
            problems.append(f"{where[0]}: no entry for {message}")
        elif entry.fuzzy:
            problems.append(f"{where[0]}: fuzzy entry for {message}")
        elif not entry.translated:
            problems.append(f"{where[0]}: empty translation of {message}")
    problems += [f"{w} is built at run time, so no catalogue can hold it" for w in found.not_literal]
    return problems


def stale_compiled(po: Path, mo: Path) -> list[str]:
    """Translated ``.po`` entries the compiled ``.mo`` lacks or translates differently."""
    with mo.open("rb") as handle:
        compiled = gettext_module.GNUTranslations(handle)
    stale = []
    for message, entry in read_po(po).items():
        if not message.msgid or not entry.translated:
            continue
        if message.plural and message.context:
            got = compiled.npgettext(message.context, message.msgid, message.plural, 1)
        elif message.plural:
            got = compiled.ngettext(message.msgid, message.plural, 1)
        elif message.context:
            got = compiled.pgettext(message.context, message.msgid)
        else:
            got = compiled.gettext(message.msgid)
        if got != entry.msgstrs[0]:
            stale.append(str(message))
    return stale


def test_every_message_the_code_uses_is_translated_into_chinese() -> None:
    problems = untranslated(SRC, catalogues())
    assert not problems, f"{len(problems)} messages without a zh-Hans translation:\n" + "\n".join(problems)


def test_the_compiled_catalogue_is_in_step_with_the_po_file() -> None:
    for po in catalogues():
        stale = stale_compiled(po, po.with_suffix(".mo"))
        assert not stale, f"recompile {po.with_suffix('.mo')} (msgfmt --check -o …):\n" + "\n".join(stale[:20])


# The test of the test: a made-up app with one message of each kind, against a made-up catalogue.
FAKE_VIEWS = """
from django.utils.translation import gettext as _, pgettext_lazy, ngettext
from django.utils import translation

TITLE = pgettext_lazy("referral", "Priority")

def view(n, status):
    _("Saved.")
    translation.gettext("Left in English.")
    ngettext("%(n)s bed", "%(n)s beds", n)
    _(f"Status: {status}")
    _(LABELS[status])  # strings marked elsewhere: not reported
"""
FAKE_TEMPLATE = """{% load i18n %}<h1>{% translate "Priority" context "task" %}</h1>
<p>{% blocktranslate trimmed with name=p.name %}
  Hello {{ name }}
{% endblocktranslate %}</p>{{ x|default:_("none yet") }}
"""
FAKE_PO = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"

msgctxt "referral"
msgid "Priority"
msgstr "紧急程度"

msgid "Saved."
msgstr "已保存。"

#, python-format
msgid "%(n)s bed"
msgid_plural "%(n)s beds"
msgstr[0] "%(n)s 张床位"

#, fuzzy
msgctxt "task"
msgid "Priority"
msgstr "优先级"

msgid "Hello %(name)s"
msgstr ""

msgid "Priority"
msgstr "优先级"
"""


def _fake_app(tmp_path: Path) -> tuple[Path, Path]:
    app = tmp_path / "src" / "clinic"
    (app / "templates" / "clinic").mkdir(parents=True)
    (app / "views.py").write_text(FAKE_VIEWS, encoding="utf-8")
    (app / "templates" / "clinic" / "page.html").write_text(FAKE_TEMPLATE, encoding="utf-8")
    po = tmp_path / "django.po"
    po.write_text(FAKE_PO, encoding="utf-8")
    return app, po


def test_the_check_fails_on_untranslated_fuzzy_empty_and_non_literal_messages(tmp_path: Path) -> None:
    app, po = _fake_app(tmp_path)

    problems = untranslated(app, po)

    assert len(problems) == 5, problems
    text = "\n".join(problems)
    assert "views.py:9: no entry for 'Left in English.'" in text  # translation.gettext is found too
    assert "page.html:1: fuzzy entry for [task] 'Priority'" in text  # context kept apart from "referral"
    assert "page.html:2: empty translation of 'Hello %(name)s'" in text  # blocktranslate as makemessages reads it
    assert "no entry for 'none yet'" in text  # the _() filter argument
    assert "views.py:11: gettext(f'Status: {status}') is built at run time" in text
    # Translated, and so not reported: the context message, the plain one, the plural.
    assert "[referral]" not in text and "Saved." not in text and "bed" not in text


def test_the_check_passes_once_the_messages_are_translated(tmp_path: Path) -> None:
    app, po = _fake_app(tmp_path)
    views = app / "views.py"
    views.write_text(views.read_text(encoding="utf-8").replace('    _(f"Status: {status}")\n', ""), encoding="utf-8")
    fixed = FAKE_PO.replace('#, fuzzy\nmsgctxt "task"', 'msgctxt "task"').replace(
        'msgid "Hello %(name)s"\nmsgstr ""', 'msgid "Hello %(name)s"\nmsgstr "%(name)s，您好"'
    )
    po.write_text(
        fixed + '\nmsgid "Left in English."\nmsgstr "不再是英文。"\n\nmsgid "none yet"\nmsgstr "暂无"\n',
        encoding="utf-8",
    )

    assert untranslated(app, po) == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs msgfmt (GNU gettext)")
def test_a_po_file_edited_but_not_recompiled_is_reported(tmp_path: Path) -> None:
    _app, po = _fake_app(tmp_path)
    mo = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)
    assert stale_compiled(po, mo) == []

    po.write_text(FAKE_PO.replace("已保存。", "保存成功。"), encoding="utf-8")

    assert stale_compiled(po, mo) == ["'Saved.'"]
