"""An outbox entry survives its trip through Redis as written, whatever its text."""

import json

from hypothesis import given
from hypothesis import strategies as st

from shared.persistence.outbox import OutboxEntry

texts = st.text(alphabet=st.characters(codec="utf-8"))


@given(topic=texts, key=texts, event=texts)
def test_an_entry_reads_back_as_written(topic: str, key: str, event: str) -> None:
    entry = OutboxEntry(topic, key, event)
    assert OutboxEntry.loads(entry.dumps()) == entry


def test_an_entry_is_three_lines_unless_a_line_break_forces_json() -> None:
    entry = OutboxEntry("dossier.events.v1", "STP-261123-0001", '{"name": "Trần Văn A"}')
    assert entry.dumps() == 'dossier.events.v1\nSTP-261123-0001\n{"name": "Trần Văn A"}'
    broken = OutboxEntry("t", "line\nbreak", "")
    assert json.loads(broken.dumps()) == {"topic": "t", "key": "line\nbreak", "event": ""}
    braced = OutboxEntry("{t", "k", "")
    assert OutboxEntry.loads(braced.dumps()) == braced


def test_an_entry_written_as_json_before_the_lines_still_reads() -> None:
    legacy = json.dumps({"topic": "t", "key": "k", "event": '{"a": 1}'})
    assert OutboxEntry.loads(legacy) == OutboxEntry("t", "k", '{"a": 1}')
