import gc

from shared.runtime.gc_tuning import YOUNGEST, tune_for_batches


def test_what_was_loaded_is_frozen_once_and_batches_collect_rarely() -> None:
    tune_for_batches()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    assert gc.get_threshold()[0] == YOUNGEST
    garbage = [object() for _ in range(10)]
    tune_for_batches()  # a second app in the same process: nothing more is frozen
    assert gc.get_freeze_count() == frozen
    del garbage
