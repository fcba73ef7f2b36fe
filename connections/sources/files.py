"""``files``: a folder on the server. Text, Markdown, HTML, PDF and DOCX files become entities.

Only folders under ``settings.WEFT_FILES_ROOTS`` may be read. ``check_config`` refuses (422) a
path with ``..``, a path outside the roots, and a path whose symbolic links lead out of them;
during a run, symlinked files that point outside the roots are skipped and symlinked folders
are not followed (that also rules out loops). Hidden entries (names starting with ``.``) are
skipped. A relative ``path`` is taken relative to the first root.

Incremental runs and deletions
------------------------------
A run always walks the folder (``os.scandir``: names and ``stat`` only, no reading). What it can
skip is the expensive part, reading and parsing files. The cursor keeps a compact listing of
the previous run, ``{relative path: [mtime_ns, size]}``, and an incremental run reads only the
files that are new or whose modification time or size differ; every path of the old listing
that the walk does not meet again is yielded as an ``EntityDeletion``.

Why a listing rather than a single "newest mtime" high-water mark: a high-water mark misses
files copied or moved in with their old modification time kept (``cp -p``, ``rsync -a``,
unzip, a rename), and cannot see deletions at all. Comparing each path's own (mtime, size)
with what it was catches all of those; a change that keeps both the size and the mtime
(nanoseconds) is the one case it misses.

The listing costs about 60 bytes a file in the cursor, so it is kept only for folders of up to
``MAX_LISTED_FILES`` matching files. A bigger folder gets an empty cursor: every run of it is a
full run (everything read, the engine removes what was not seen). Changing ``path`` also starts
over with a full run; changing ``include``/``exclude`` needs no special case, because files that
stop matching are missing from the walk (deleted) and files that start matching are new.

A file that cannot be read or parsed is still yielded (name and metadata, no text) and its
reason recorded in ``entity_failures``: the engine counts it once, as failed, stores nothing of
it and keeps the version it stored before, if any. It is read again once its mtime or size
changes.
A folder that cannot be listed is recorded the same way and counts as empty.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from html.parser import HTMLParser
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings

from connections.exceptions import FieldInvalid
from connections.sources.base import (
    BaseSource,
    Breadcrumb,
    EntityDeletion,
    SourceEntity,
    SourceError,
    SourceField,
)
from connections.sources.registry import register

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_LISTED_FILES = 100_000
CURSOR_VERSION = 1

TEXT_EXTENSIONS = frozenset(
    """
    .txt .text .md .markdown .mdx .rst .adoc .org .tex .csv .tsv .json .jsonl .ndjson .yaml .yml
    .toml .ini .cfg .conf .log .xml .py .pyi .js .mjs .cjs .ts .tsx .jsx .java .kt .kts .scala
    .go .rs .rb .php .c .h .cc .cpp .cxx .hpp .hh .cs .swift .m .mm .sh .bash .zsh .ps1 .sql .r
    .lua .pl .pm .ex .exs .erl .hs .clj .dart .vue .svelte .css .scss .sass .less .graphql .proto
    .tf .hcl .gradle
    """.split()
)
TEXT_NAMES = frozenset({"Makefile", "Dockerfile", "README", "LICENSE", "CHANGELOG", "NOTICE"})
KIND_BY_EXTENSION = {
    **dict.fromkeys(TEXT_EXTENSIONS, "text"),
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
FALLBACK_MIME = {
    "text": "text/plain",
    "html": "text/html",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def allowed_roots() -> list[Path]:
    return [Path(root).resolve() for root in settings.WEFT_FILES_ROOTS]


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def resolve_folder(path: str) -> Path:
    """The real folder ``path`` names, or ValueError saying why it may not be read."""
    roots = allowed_roots()
    if not isinstance(path, str) or not path.strip():
        raise ValueError("This field is required.")
    if ".." in PurePath(path).parts:
        raise ValueError("Path may not contain '..'.")
    candidate = Path(path) if Path(path).is_absolute() else roots[0] / path
    try:
        resolved = candidate.resolve()
    except (OSError, ValueError):
        raise ValueError("Path is not a valid folder path.") from None
    if _inside(resolved, roots):
        return resolved
    plain = [Path(os.path.abspath(root)) for root in settings.WEFT_FILES_ROOTS]
    if _inside(Path(os.path.abspath(candidate)), plain):
        raise ValueError("Path leads outside the allowed folders through a symbolic link.")
    allowed = ", ".join(str(root) for root in roots)
    raise ValueError(f"Path must be inside an allowed folder ({allowed}).")


def file_kind(name: str) -> str | None:
    """ "text", "html", "pdf" or "docx" for a file this source reads; None for any other."""
    if name in TEXT_NAMES:
        return "text"
    return KIND_BY_EXTENSION.get(os.path.splitext(name)[1].lower())


def _matches(rel: str, patterns: list[str]) -> bool:
    """Globs match the relative path; a glob without ``/`` also matches the bare name."""
    name = rel.rsplit("/", 1)[-1]
    for pattern in patterns:
        if fnmatchcase(rel, pattern) or ("/" not in pattern and fnmatchcase(name, pattern)):
            return True
        if pattern.startswith("**/") and fnmatchcase(rel, pattern[3:]):
            return True
    return False


class _Unreadable(Exception):
    """This one file's content cannot be extracted; the reason is for the job's failures."""


class _HtmlText(HTMLParser):
    """Visible text of an HTML document, one line per block; scripts and styles dropped."""

    SKIPPED = frozenset({"script", "style", "noscript", "template", "head"})
    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "pre"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        return "\n".join(line for line in lines if line)


def _read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig", errors="replace")


def _read_html(path: Path) -> str:
    parser = _HtmlText()
    parser.feed(_read_text(path))
    parser.close()
    return parser.text()


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted and not reader.decrypt(""):
        raise _Unreadable("the PDF is encrypted")
    return "\n\n".join(page.extract_text() or "" for page in reader.pages).strip()


def _read_docx(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(line for line in lines if line.strip())


READERS = {"text": _read_text, "html": _read_html, "pdf": _read_pdf, "docx": _read_docx}


@register
class FilesSource(BaseSource):
    name = "Files"
    short_name = "files"
    description = "A folder on the server: text, Markdown, HTML, PDF and DOCX files."
    auth_methods = ("direct",)
    labels = ("File storage",)
    entity_types = ("file",)
    supports_continuous = True
    config_fields = (
        SourceField(
            "path",
            "Folder",
            "string",
            "The folder to read: absolute, or relative to the first allowed root.",
            required=True,
        ),
        SourceField(
            "include",
            "Include",
            "array",
            "Glob patterns of files to read (default: every supported file).",
            items_type="string",
        ),
        SourceField(
            "exclude",
            "Exclude",
            "array",
            "Glob patterns of files and folders to leave out.",
            items_type="string",
        ),
    )

    @classmethod
    def check_config(cls, config: Mapping[str, Any]) -> None:
        try:
            resolve_folder(config.get("path", ""))
        except ValueError as error:
            raise FieldInvalid.single(("config", "path"), str(error)) from None

    @property
    def is_incremental(self) -> bool:
        return (
            super().is_incremental
            and self.cursor.get("version") == CURSOR_VERSION
            and self.cursor.get("path") == self.config.get("path")
            and isinstance(self.cursor.get("files"), dict)
        )

    def validate(self) -> None:
        folder = self._folder()
        if not folder.exists():
            raise SourceError(f"Folder not found: {self.config['path']}")
        if not folder.is_dir():
            raise SourceError(f"Not a folder: {self.config['path']}")
        try:
            with os.scandir(folder) as entries:
                next(entries, None)
        except OSError:
            raise SourceError(f"Folder is not readable: {self.config['path']}") from None

    def generate_entities(self) -> Iterator[SourceEntity | EntityDeletion]:
        # A vanished folder must fail the run, not look empty (that would delete everything).
        self.validate()
        folder = self._folder()
        previous: dict[str, list[int]] | None = (
            dict(self.cursor["files"]) if self.is_incremental else None
        )
        listing: dict[str, list[int]] | None = {}
        for rel, path, stat in self._walk(folder, ""):
            signature = [stat.st_mtime_ns, stat.st_size]
            if listing is not None:
                listing[rel] = signature
                if len(listing) > MAX_LISTED_FILES:
                    listing = None
            if previous is not None and previous.pop(rel, None) == signature:
                continue
            yield self._entity(rel, path, stat)
        for rel in previous or ():
            yield EntityDeletion(entity_id=rel, entity_type="file")
        self.cursor = (
            {"version": CURSOR_VERSION, "path": self.config["path"], "files": listing}
            if listing is not None
            else {}
        )

    def _folder(self) -> Path:
        try:
            return resolve_folder(self.config.get("path", ""))
        except ValueError as error:
            raise SourceError(f"Folder not allowed: {error}") from None

    def _walk(self, folder: Path, rel_dir: str) -> Iterator[tuple[str, Path, os.stat_result]]:
        """Matching files under ``folder/rel_dir``, sorted: (relative path, path, stat)."""
        try:
            with os.scandir(folder / rel_dir) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            self.entity_failures.append((rel_dir or ".", f"cannot list folder: {error.strerror}"))
            return
        roots = allowed_roots()
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.name.startswith(".") or not self._encodable(rel):
                continue
            if entry.is_dir(follow_symlinks=False):
                if not _matches(rel, self.config.get("exclude") or []):
                    yield from self._walk(folder, rel)
                continue
            if entry.is_symlink() and not self._safe_link(Path(entry.path), roots):
                continue
            if entry.is_file() and file_kind(entry.name) and self._selected(rel):
                try:
                    yield rel, Path(entry.path), entry.stat()
                except OSError as error:
                    self.entity_failures.append((rel, f"cannot stat file: {error.strerror}"))

    def _safe_link(self, path: Path, roots: list[Path]) -> bool:
        """A symlinked file is read only if its target is a file inside the allowed roots."""
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return False
        return target.is_file() and _inside(target, roots)

    def _encodable(self, rel: str) -> bool:
        # Names that are not valid UTF-8 cannot be stored as entity ids or JSON.
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            shown = rel.encode("utf-8", "backslashreplace").decode()
            self.entity_failures.append((shown, "file name is not valid UTF-8"))
            return False
        return True

    def _selected(self, rel: str) -> bool:
        include = self.config.get("include") or []
        exclude = self.config.get("exclude") or []
        return (not include or _matches(rel, include)) and not _matches(rel, exclude)

    def _entity(self, rel: str, path: Path, stat: os.stat_result) -> SourceEntity:
        name = path.name
        kind = file_kind(name) or "text"
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        parts = rel.split("/")
        return SourceEntity(
            entity_id=rel,
            entity_type="file",
            name=name,
            text=self._content(rel, path, kind, stat.st_size),
            breadcrumbs=[
                Breadcrumb("/".join(parts[: i + 1]) + "/", part, "folder")
                for i, part in enumerate(parts[:-1])
            ],
            fields={
                "path": rel,
                "kind": kind,
                "size": stat.st_size,
                "mime_type": mimetypes.guess_type(name)[0] or FALLBACK_MIME[kind],
                "modified_at": modified.isoformat(),
            },
            updated_at=modified,
        )

    def _content(self, rel: str, path: Path, kind: str, size: int) -> str:
        try:
            if size > MAX_FILE_BYTES:
                raise _Unreadable(f"larger than {MAX_FILE_BYTES // 2**20} MB")
            # PostgreSQL text cannot hold NUL characters.
            return READERS[kind](path).replace("\x00", "")
        except _Unreadable as error:
            reason = str(error)
        except OSError as error:
            reason = f"cannot read file: {error.strerror}"
        except Exception as error:  # noqa: BLE001
            # Parsers raise many kinds of errors on malformed files; one must not stop the run.
            reason = f"cannot parse {kind}: {error.__class__.__name__}: {error}"[:300]
        self.entity_failures.append((rel, reason))
        return ""
