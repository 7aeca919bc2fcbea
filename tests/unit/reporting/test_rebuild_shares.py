from aiokafka import TopicPartition

from services.reporting.tools.rebuild import _shares


def test_every_partition_with_records_goes_to_one_share_and_the_loads_balance() -> None:
    sizes = {TopicPartition("dossier.events.v1", p): size
             for p, size in enumerate([900, 500, 400, 300, 0, 100])}  # fmt: skip
    starts = {tp: 10 for tp in sizes}
    ends = {tp: 10 + size for tp, size in sizes.items()}
    shares = _shares(starts, ends, 2)
    assigned = [tp for share in shares for tp, _, _ in share]
    assert sorted(assigned) == sorted(tp for tp, size in sizes.items() if size)
    assert all((start, end) == (starts[tp], ends[tp]) for s in shares for tp, start, end in s)
    loads = sorted(sum(end - start for _, start, end in share) for share in shares)
    assert loads == [1000, 1200]  # 500+400+100 against 900+300
    assert _shares(starts, starts, 3) == []  # nothing to replay: no process at all
    assert len(_shares(starts, ends, 1)) == 1
