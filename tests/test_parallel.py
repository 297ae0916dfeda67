"""How ``--jobs`` splits a sweep between its worker processes: chunks small enough that one slow
chunk cannot leave the other workers idle, large enough to load the data once for several runs.
The workers themselves train in ``tests/test_zoo_site.py`` and stop in ``tests/test_bad_runs.py``."""

from __future__ import annotations

from battleground.train.parallel import CHUNK, SPREAD, chunk_size


def test_a_short_sweep_goes_in_chunks_every_worker_takes_several_of():
    # 16 runs on 2 workers: 8 chunks of 2, not 2 chunks of 8 (where one worker took every slow run)
    assert chunk_size(16, 2) == 2
    assert chunk_size(16, 2) * 2 * SPREAD <= 16
    assert chunk_size(3, 2) == 1 and chunk_size(1, 8) == 1


def test_a_long_sweep_loads_the_data_once_per_chunk_of_the_most():
    assert chunk_size(1_030, 2) == CHUNK
    assert chunk_size(1_030, 64) == 1_030 // (64 * SPREAD)
