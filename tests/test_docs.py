"""The README a newcomer reads in five minutes, and the docs/ pages it links: short, and every link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "models" / "README.md", REPO / "data" / "README.md"]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
README_LINES = 200


def test_the_readme_is_short_and_says_what_a_newcomer_needs():
    text = (REPO / "README.md").read_text()
    assert len(text.splitlines()) <= README_LINES, f"README.md has {len(text.splitlines())} lines; move details to docs/"
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    for needed in ("Two commands", "Classify your own music", "The notebooks", "The data"):
        assert needed in headings, needed
    assert "figures/09_seed_comparison.png" in text  # the headline figure: the seeds' numbers beside ours


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"^(https?:|mailto:|#)", target):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        if not path.exists():
            broken.append(target)
    assert not broken, f"{page.relative_to(REPO)} links to missing files: {broken}"


def test_every_docs_page_is_linked_from_the_readme():
    text = (REPO / "README.md").read_text()
    for page in (REPO / "docs").glob("*.md"):
        assert f"docs/{page.name}" in text, f"README.md does not link docs/{page.name}"
