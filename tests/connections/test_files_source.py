"""The ``files`` source against real folders under a temporary allowed root."""

from __future__ import annotations

import os
from pathlib import Path

import docx
import pytest

from connections.exceptions import FieldInvalid
from connections.sources import files as files_module
from connections.sources.base import EntityDeletion, SourceEntity, SourceError
from connections.sources.files import FilesSource
from connections.sources.registry import get_source


@pytest.fixture
def root(tmp_path, settings) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    settings.WEFT_FILES_ROOTS = [root]
    return root


@pytest.fixture
def folder(root) -> Path:
    folder = root / "handbook"
    (folder / "guides" / "deep").mkdir(parents=True)
    (folder / "readme.md").write_text("# Handbook\nWelcome aboard.")
    (folder / "guides" / "setup.txt").write_text("Install the thing.")
    (folder / "guides" / "deep" / "page.html").write_text(
        "<html><head><title>T</title><style>p{}</style></head>"
        "<body><h1>Deploys</h1><script>alert(1)</script><p>Ship &amp; test.</p></body></html>"
    )
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n")
    (folder / ".hidden.md").write_text("secret notes")
    return folder


def _run(config: dict, cursor: dict | None = None) -> tuple[FilesSource, list]:
    source = FilesSource(config=config, cursor=cursor)
    return source, list(source.generate_entities())


def _by_id(items) -> dict[str, SourceEntity]:
    return {item.entity_id: item for item in items if isinstance(item, SourceEntity)}


def _minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` in Helvetica, with a correct xref table."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_is_registered_without_credentials():
    cls = get_source("files")
    assert cls is FilesSource
    assert not cls.needs_credentials()
    assert cls.supports_continuous


def test_full_run_yields_supported_files_with_breadcrumbs_and_fields(folder):
    source, items = _run({"path": str(folder)})
    entities = _by_id(items)
    assert sorted(entities) == ["guides/deep/page.html", "guides/setup.txt", "readme.md"]
    page = entities["guides/deep/page.html"]
    assert page.entity_type == "file" and page.name == "page.html"
    assert [b.name for b in page.breadcrumbs] == ["guides", "deep"]
    assert page.breadcrumbs[1].entity_id == "guides/deep/"
    assert page.fields["path"] == "guides/deep/page.html"
    assert page.fields["mime_type"] == "text/html" and page.fields["kind"] == "html"
    assert page.fields["size"] == (folder / "guides/deep/page.html").stat().st_size
    assert page.updated_at.tzinfo is not None
    assert source.entity_failures == []


def test_html_is_reduced_to_visible_text(folder):
    _, items = _run({"path": str(folder)})
    assert _by_id(items)["guides/deep/page.html"].text == "Deploys\nShip & test."


def test_pdf_and_docx_text_is_extracted(root):
    (root / "docs").mkdir()
    (root / "docs" / "report.pdf").write_bytes(_minimal_pdf("Quarterly numbers"))
    document = docx.Document()
    document.add_paragraph("Meeting notes")
    document.add_table(rows=1, cols=2).rows[0].cells[0].text = "Owner"
    document.save(root / "docs" / "notes.docx")
    source, items = _run({"path": "docs"})
    entities = _by_id(items)
    assert "Quarterly numbers" in entities["report.pdf"].text
    assert entities["notes.docx"].text.startswith("Meeting notes\nOwner")
    assert source.entity_failures == []


def test_unparseable_pdf_is_yielded_without_text_and_recorded_as_failure(root):
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (root / "ok.txt").write_text("fine")
    source, items = _run({"path": str(root)})
    entities = _by_id(items)
    assert entities["broken.pdf"].text == "" and entities["broken.pdf"].fields["size"] > 0
    assert entities["ok.txt"].text == "fine"
    assert [entity_id for entity_id, _ in source.entity_failures] == ["broken.pdf"]
    assert "pdf" in source.entity_failures[0][1]


def test_file_over_size_limit_is_recorded_as_failure(root, monkeypatch):
    monkeypatch.setattr(files_module, "MAX_FILE_BYTES", 10)
    (root / "big.txt").write_text("x" * 100)
    source, items = _run({"path": str(root)})
    assert _by_id(items)["big.txt"].text == ""
    assert source.entity_failures == [("big.txt", "larger than 0 MB")]


def test_nul_characters_are_removed_from_text(root):
    (root / "nul.txt").write_bytes(b"a\x00b")
    _, items = _run({"path": str(root)})
    assert _by_id(items)["nul.txt"].text == "ab"


def test_include_and_exclude_globs(folder):
    _, items = _run({"path": str(folder), "include": ["*.md", "*.txt"]})
    assert sorted(_by_id(items)) == ["guides/setup.txt", "readme.md"]
    _, items = _run({"path": str(folder), "exclude": ["deep", "readme.md"]})
    assert sorted(_by_id(items)) == ["guides/setup.txt"]
    _, items = _run({"path": str(folder), "include": ["guides/*"], "exclude": ["**/*.html"]})
    assert sorted(_by_id(items)) == ["guides/setup.txt"]


def test_symlinked_file_outside_roots_is_skipped(root, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not yours")
    (root / "inside.txt").write_text("yours")
    (root / "escape.txt").symlink_to(outside)
    (root / "alias.txt").symlink_to(root / "inside.txt")
    (root / "linked_dir").symlink_to(tmp_path, target_is_directory=True)
    _, items = _run({"path": str(root)})
    entities = _by_id(items)
    assert sorted(entities) == ["alias.txt", "inside.txt"]
    assert entities["alias.txt"].text == "yours"


def test_check_config_accepts_folders_inside_roots(folder):
    FilesSource.check_config({"path": str(folder)})
    FilesSource.check_config({"path": "handbook"})


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/etc", "must be inside an allowed folder"),
        ("handbook/../../", "may not contain '..'"),
        ("", "required"),
    ],
)
def test_check_config_refuses_paths_outside_roots(folder, path, message):
    with pytest.raises(FieldInvalid) as caught:
        FilesSource.check_config({"path": path})
    assert list(caught.value.errors) == [("config", "path")]
    assert message in caught.value.errors[("config", "path")]
    assert caught.value.status_code == 422


def test_check_config_refuses_symlink_escaping_roots(root, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (root / "sneaky").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(FieldInvalid, match="through a symbolic link"):
        FilesSource.check_config({"path": str(root / "sneaky")})


def test_validate_missing_folder_or_file_is_source_error(root):
    with pytest.raises(SourceError, match="Folder not found"):
        FilesSource(config={"path": "nope"}).validate()
    (root / "a.txt").write_text("x")
    with pytest.raises(SourceError, match="Not a folder"):
        FilesSource(config={"path": "a.txt"}).validate()


def test_run_on_a_vanished_folder_fails_instead_of_yielding_nothing(root):
    with pytest.raises(SourceError):
        _run({"path": "gone"})


def _touch(path: Path, text: str, mtime: float) -> None:
    path.write_text(text)
    os.utime(path, (mtime, mtime))


def test_incremental_run_yields_only_changes_and_deletions(folder):
    config = {"path": str(folder)}
    first, _ = _run(config)
    assert first.cursor["files"].keys() == {
        "readme.md",
        "guides/setup.txt",
        "guides/deep/page.html",
    }
    _touch(folder / "guides" / "setup.txt", "Install the other thing.", 2_000_000_000)
    (folder / "readme.md").unlink()
    (folder / "new.md").write_text("New page")

    second = FilesSource(config=config, cursor=first.cursor)
    assert second.is_incremental
    items = list(second.generate_entities())
    assert sorted(_by_id(items)) == ["guides/setup.txt", "new.md"]
    assert _by_id(items)["guides/setup.txt"].text == "Install the other thing."
    assert [(d.entity_id, d.entity_type) for d in items if isinstance(d, EntityDeletion)] == [
        ("readme.md", "file")
    ]
    assert "readme.md" not in second.cursor["files"] and "new.md" in second.cursor["files"]


def test_unchanged_folder_yields_nothing_incrementally(folder):
    first, _ = _run({"path": str(folder)})
    second, items = _run({"path": str(folder)}, first.cursor)
    assert items == []
    assert second.cursor == first.cursor


def test_file_moved_in_with_an_old_mtime_is_still_picked_up(folder):
    first, _ = _run({"path": str(folder)})
    _touch(folder / "archive.txt", "old content", 1_000_000)  # mtime from 1970
    _, items = _run({"path": str(folder)}, first.cursor)
    assert list(_by_id(items)) == ["archive.txt"]


def test_files_leaving_the_include_globs_are_deleted_incrementally(folder):
    first, _ = _run({"path": str(folder)})
    _, items = _run({"path": str(folder), "exclude": ["*.html"]}, first.cursor)
    assert [d.entity_id for d in items if isinstance(d, EntityDeletion)] == [
        "guides/deep/page.html"
    ]


def test_changed_path_means_a_full_run(folder, root):
    first, _ = _run({"path": str(folder)})
    source = FilesSource(config={"path": "handbook"}, cursor=first.cursor)
    assert not source.is_incremental


def test_folder_over_listing_limit_gets_empty_cursor(folder, monkeypatch):
    monkeypatch.setattr(files_module, "MAX_LISTED_FILES", 2)
    source, items = _run({"path": str(folder)})
    assert len(_by_id(items)) == 3
    assert source.cursor == {}
    assert not FilesSource(config={"path": str(folder)}, cursor=source.cursor).is_incremental


def test_file_name_that_is_not_utf8_is_recorded_and_skipped(root):
    with open(os.path.join(os.fsencode(root), b"bad-\xff.txt"), "w") as handle:
        handle.write("x")
    source, items = _run({"path": str(root)})
    assert items == []
    assert source.entity_failures == [("bad-\\udcff.txt", "file name is not valid UTF-8")]


def test_syncs_through_the_engine_with_incremental_counts(org_a, root):
    from connections import services
    from syncs.engine import run_sync_job
    from syncs.models import Entity
    from syncs.services import sync_job_run_manual

    (root / "a.md").write_text("alpha")
    (root / "b.md").write_text("beta")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    source_connection = services.source_connection_create(
        organization=org_a.organization,
        data={
            "short_name": "files",
            "readable_collection_id": org_a.collection.readable_id,
            "config": {"path": str(root)},
        },
    )
    first = source_connection.sync.last_job
    assert run_sync_job(first.pk) == "completed"
    first.refresh_from_db()
    # The unreadable PDF counts once, as failed, and is not stored without its text.
    assert (first.entities_inserted, first.entities_failed) == (2, 1)

    _touch(root / "a.md", "alpha two", 2_000_000_000)
    (root / "b.md").unlink()
    (root / "c.md").write_text("gamma")
    second = sync_job_run_manual(sync=source_connection.sync)
    assert run_sync_job(second.pk) == "completed"
    second.refresh_from_db()
    assert second.sync_type == "incremental"
    counts = (second.entities_inserted, second.entities_updated, second.entities_deleted)
    assert counts == (1, 1, 1)
    names = Entity.objects.filter(source_connection=source_connection).values_list("name")
    assert sorted(name for (name,) in names) == ["a.md", "c.md"]
