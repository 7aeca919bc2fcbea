"""README's Layout matches the tree: every path it names exists (a file or a folder named with
its folder, or under the service it is listed with), and every package of services/ and
shared/ is named there."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "deadline", "survey", "reporting", "exchange")


def layout() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Layout") :]
    return section[section.index("```") + 3 : section.index("```", section.index("```") + 3)]


def named_paths() -> list[tuple[str, str]]:
    """(the entry it is listed under, a path it names)."""
    found = []
    entry = ""
    for line in layout().splitlines():
        head = line.split()[0] if line.strip() and not line.startswith(" ") else None
        if head and "/" in head:
            entry = head
            found.append((entry, head))
        for token in re.findall(r"[\w./<>-]+\.(?:py|toml|sh|xml|in)\b|[\w-]+/(?:[\w-]+/)*", line):
            if token != head:
                found.append((entry, token))
    return found


def exists(entry: str, token: str) -> bool:
    """`token` is a path from the root, or from the entry's folder, or (a file's name) found
    anywhere under it; under `services/<name>/`, under some service."""
    if "<name>" in entry:
        return any(exists(entry.replace("<name>", s), token) for s in SERVICES)
    if "<" in token:
        return True
    folder = ROOT / entry
    if (ROOT / token).exists() or (folder / token).exists():
        return True
    return any(path.as_posix().endswith(token.rstrip("/")) for path in folder.rglob("*"))


def test_every_path_the_layout_names_exists() -> None:
    missing = [f"{entry} {token}" for entry, token in named_paths() if not exists(entry, token)]
    assert missing == []


def test_every_package_of_services_and_shared_is_in_the_layout() -> None:
    text = layout()
    packages = [
        path.parent.relative_to(ROOT).as_posix()
        for top in ("shared",)
        for path in (ROOT / top).glob("*/__init__.py")
    ] + [f"services/{name}" for name in SERVICES]
    assert [package for package in packages if f"{package}/" not in text] == []
