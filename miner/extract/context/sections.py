"""The section an offset lies in: structured-abstract labels ("RESULTS:") and markdown headings of full texts, so a
finding says whether it comes from the results or the background."""

from __future__ import annotations

import re

_SECTION = re.compile(
    r"(?m)(?:^|(?<=[.!?]\s))(?P<label>[A-Z][A-Z /&-]{2,40}):\s|^#{1,6}\s+(?P<heading>[^\n]{1,120})$"
)


class SectionIndex:
    """Structured-abstract labels ("RESULTS:") and markdown headings, looked up by offset."""

    def __init__(self, text: str) -> None:
        self.marks: list[tuple[int, str]] = []
        for m in _SECTION.finditer(text):
            label = (m.group("label") or m.group("heading") or "").strip().strip("*#").strip()
            if label:
                self.marks.append((m.start(), label.lower() if m.group("label") else label))

    def at(self, offset: int) -> str:
        found = ""
        for pos, label in self.marks:
            if pos > offset:
                break
            found = label
        return found
