"""dispatch.run_chunks: every chunk runs once, on several threads, errors propagate."""

import threading
import time

import pytest

from symtensor.backends.numba import dispatch
from symtensor.config import config


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("n_items, n_chunks", [(10, 4), (3, 8), (1, 1), (100, 7)])
def test_every_chunk_runs_once_and_covers_the_range(threads, n_items, n_chunks, monkeypatch):
    monkeypatch.setattr(config, "numba_threads", threads)
    seen, lock = [], threading.Lock()

    def task(lo, hi, i):
        with lock:
            seen.append((i, lo, hi))
    dispatch.run_chunks(n_items, task, n_chunks)
    seen.sort()
    assert [i for i, _, _ in seen] == list(range(min(n_chunks, n_items)))
    covered = [k for _, lo, hi in seen for k in range(lo, hi)]
    assert covered == list(range(n_items))


def test_chunks_run_on_more_than_one_thread(monkeypatch):
    monkeypatch.setattr(config, "numba_threads", 2)
    names = set()

    def task(lo, hi, i):
        names.add(threading.current_thread().name)
        time.sleep(0.02)  # long enough that the worker takes a chunk
    dispatch.run_chunks(8, task, 8)
    assert len(names) == 2


def test_an_error_propagates_after_every_thread_stopped(monkeypatch):
    monkeypatch.setattr(config, "numba_threads", 2)
    done = []

    def task(lo, hi, i):
        if i == 0:
            raise ValueError("chunk 0 failed")
        time.sleep(0.01)
        done.append(i)
    with pytest.raises(ValueError, match="chunk 0 failed"):
        dispatch.run_chunks(6, task, 6)
    finished = list(done)
    time.sleep(0.05)
    assert done == finished  # nothing still running once the error surfaced


def test_chunk_count_keeps_small_work_on_the_calling_thread():
    assert dispatch.chunk_count(500, 10) == 1
    assert dispatch.chunk_count(500, 1 << 20) == dispatch.CHUNKS_PER_THREAD * dispatch.n_threads()
    assert dispatch.chunk_count(3, 1 << 20) <= 3


def test_a_forked_child_gets_its_own_pool(monkeypatch):
    import multiprocessing as mp
    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork on this platform")
    monkeypatch.setattr(config, "numba_threads", 2)
    dispatch.run_chunks(4, lambda lo, hi, i: time.sleep(0.01), 4)  # the parent's pool exists
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child_runs_chunks, args=(queue,))
    proc.start()
    proc.join(timeout=30)
    if proc.is_alive():
        proc.kill()
        pytest.fail("run_chunks hung in a forked child")
    assert queue.get(timeout=5) == list(range(8))


def _child_runs_chunks(queue):
    seen = []
    lock = threading.Lock()

    def task(lo, hi, i):
        time.sleep(0.01)
        with lock:
            seen.extend(range(lo, hi))
    dispatch.run_chunks(8, task, 4)
    queue.put(sorted(seen))
