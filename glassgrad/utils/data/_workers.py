"""DataLoader worker processes: start them, send them index batches, read their batches back.

The protocol between the main process and a pool of ``num_workers`` worker processes (the shape of
PyTorch's ``_MultiProcessingDataLoaderIter``):

* Each worker has its own task queue (a ``multiprocessing.Queue``, so sending never blocks) and
  its own result pipe (the write end of a one-way ``Pipe``, held by that worker alone).
* The main process numbers the batches of an epoch 0, 1, 2, ... and sends ``(key, index)`` with
  ``key = (epoch, number)`` to worker ``number % num_workers``: round-robin, at most ``prefetch``
  batches ahead of the one it is waiting for.
* A worker fetches and collates the batch and sends ``(key, batch)`` back, or ``(key, error)``
  with a ``_WorkerError`` (the exception's type and traceback) if the dataset, the collate
  function or pickling the batch raised.
* While it waits, the main process listens to every result pipe *and* every worker's
  ``sentinel`` (``multiprocessing.connection.wait``): a batch wakes it, and so does the death of
  a worker (``os._exit``, a segfault, the out-of-memory killer). A death is reported at once as
  a RuntimeError naming the pid and the exit code or signal, after every worker is shut down.
* Results are filed by epoch and handed out by number, so batches come out in sampler order and
  a late batch of an abandoned epoch (a ``break``) is dropped.
* Shutdown sets a flag in shared memory (lock-free, so a killed worker cannot leave it locked)
  and sends ``None`` on every task queue; a worker stops at either, leaving queued tasks undone.
  Shutdown then waits a little, reading whatever the workers still send (so none stays blocked
  writing a large batch), terminates, and at last kills; every worker is joined, so none is
  left running or as a zombie. A worker whose parent has died exits by itself.
"""

import multiprocessing.connection
import os
import pickle
import queue
import signal
import time
import traceback
import weakref
from collections import namedtuple
from itertools import count

from ...random import manual_seed

__all__ = ["WorkerInfo", "get_worker_info", "WorkerPool", "WorkerIterator"]

_IDLE_CHECK = 0.1  # seconds an idle worker waits for a task before checking whether to stop
_EXIT_GRACE = 1.0  # seconds shutdown waits for workers to finish their batch and exit
_REAP_WAIT = 1.0  # seconds to wait for a finished or terminated process's exit status
_EXHAUSTED = object()  # the sampler has no more batches

_worker_info = None


class WorkerInfo:
    """What a worker process knows about itself: ``id``, ``num_workers``, ``seed``, ``dataset``."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info():
    """The ``WorkerInfo`` of the current worker process, or None in the main process."""
    return _worker_info


class _KeyErrorMessage(str):
    """A KeyError shows ``repr`` of its message; this keeps a multi-line message readable."""

    def __repr__(self):
        return self


class _WorkerError:
    """An exception caught in a worker, carried to the main process and raised there again.

    Raised as the same type (RuntimeError if that type cannot be pickled or built from one
    message), with the message ``Caught ValueError in DataLoader worker process 0.`` followed by
    the worker's traceback, as PyTorch does.
    """

    def __init__(self, worker_id, exc):
        self.exc_type = type(exc) if _picklable(type(exc)) else RuntimeError
        self.message = (f"Caught {type(exc).__name__} in DataLoader worker process {worker_id}.\n"
                        "Original " + "".join(traceback.format_exception(exc)))

    def reraise(self):
        message = self.message
        if self.exc_type is KeyError:
            message = _KeyErrorMessage(message)
        try:
            exc = self.exc_type(message)
        except Exception:  # a type that needs other arguments (UnicodeDecodeError, ...)
            exc = RuntimeError(message)
        try:
            raise exc
        finally:
            del exc  # no cycle exc -> traceback -> this frame -> exc: frames free promptly


def _picklable(obj):
    try:
        pickle.dumps(obj)
    except Exception:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# The worker side


def _worker_loop(worker_id, num_workers, fetcher, seed, worker_init_fn, tasks, results, stopping,
                 parent_pid):
    """The life of one worker process: set up, then answer tasks until told to stop."""
    try:
        fetch = _set_up_worker(worker_id, num_workers, fetcher, seed, worker_init_fn)
        for key, index in _tasks(tasks, stopping, parent_pid):
            _send(results, worker_id, key, _fetch(fetch, worker_id, index))
    except (KeyboardInterrupt, BrokenPipeError):
        pass  # Ctrl-C reaches the main process too, which shuts the workers down; or it is gone


def _set_up_worker(worker_id, num_workers, fetcher, seed, worker_init_fn):
    """Seed the global generator, publish the WorkerInfo, run worker_init_fn; return the fetch.

    If worker_init_fn raises, every batch this worker is asked for answers with that error."""
    global _worker_info
    manual_seed(seed)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                              dataset=fetcher.dataset)
    if worker_init_fn is not None:
        try:
            worker_init_fn(worker_id)
        except Exception as exc:
            error = _WorkerError(worker_id, exc)
            return lambda index: error
    return fetcher


def _tasks(tasks, stopping, parent_pid):
    """Yield ``(key, index)`` tasks until shutdown begins or the parent process has died.

    Shutdown sends ``None`` and sets ``stopping``, read after every task and every
    ``_IDLE_CHECK`` seconds while idle (in case the ``None`` is slow to come)."""
    while not stopping.value and os.getppid() == parent_pid:  # else stopped, or orphaned
        try:
            task = tasks.get(timeout=_IDLE_CHECK)
        except queue.Empty:
            continue
        if task is None or stopping.value:
            return
        yield task


def _fetch(fetch, worker_id, index):
    """The batch for ``index``, or a _WorkerError if fetching or collating it raised."""
    try:
        return fetch(index)
    except Exception as exc:
        return _WorkerError(worker_id, exc)


def _send(results, worker_id, key, result):
    """Send ``(key, result)``; a result that cannot be pickled is answered with that error."""
    try:
        results.send((key, result))
    except OSError:
        raise  # the pipe itself failed: the main process is gone
    except Exception as exc:  # pickling failed, before anything was written
        results.send((key, _WorkerError(worker_id, exc)))


# ---------------------------------------------------------------------------------------------
# The main-process side

_Worker = namedtuple("_Worker", "id process tasks results")


class WorkerPool:
    """``num_workers`` worker processes, their channels, and the results not yet handed out.

    One pool serves one epoch, or every epoch of a loader with ``persistent_workers``; iterators
    over several epochs may share it (each reads only its own epoch's results). It shuts down
    when a worker dies, when its owner says so, when it is garbage-collected, or at exit.
    """

    def __init__(self, ctx, fetcher, num_workers, base_seed, worker_init_fn):
        self._workers = []
        self._stopping = ctx.RawValue("b", 0)  # lock-free: a killed worker cannot hold it
        self._inboxes = {}  # epoch -> {batch number: batch or _WorkerError}
        self._epochs = count()
        self._failure = None  # the message of the death that closed the pool
        # A finalizer, not __del__: it runs before the channels' own finalizers even when the
        # pool is part of a garbage cycle, and at interpreter exit, at most once.
        self._shut_down = weakref.finalize(self, _shut_down, self._workers, self._stopping,
                                           os.getpid())
        try:
            for worker_id in range(num_workers):
                self._workers.append(_start_worker(ctx, worker_id, num_workers, fetcher,
                                                   base_seed + worker_id, worker_init_fn,
                                                   self._stopping))
        except BaseException:  # e.g. 'spawn' and a dataset that cannot be pickled
            self.shutdown()
            raise

    @property
    def closed(self):
        return not self._shut_down.alive

    def shutdown(self):
        """Stop every worker and join it: ask, wait a little, terminate, kill. Idempotent."""
        self._inboxes.clear()
        self._shut_down()

    def open_epoch(self):
        """A new epoch number, whose results this pool keeps until ``close_epoch``."""
        self._check_open()
        epoch = next(self._epochs)
        self._inboxes[epoch] = {}
        return epoch

    def close_epoch(self, epoch):
        """Forget ``epoch``: its results, and any that still arrive, are dropped."""
        self._inboxes.pop(epoch, None)

    def send(self, epoch, number, index):
        """Ask for batch ``number`` of ``epoch``, the samples at ``index``, round-robin."""
        self._check_open()
        worker = self._workers[number % len(self._workers)]
        worker.tasks.put(((epoch, number), index))

    def take(self, epoch, number, timeout=None):
        """Batch ``number`` of ``epoch`` (a batch or a _WorkerError), once it has arrived.

        Waits at most ``timeout`` seconds (None: as long as the workers live); raises
        RuntimeError when the time is up or at once when a worker dies.
        """
        self._check_open()
        inbox = self._inboxes[epoch]
        deadline = None if timeout is None else time.monotonic() + timeout
        while number not in inbox:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds")
            self._receive(remaining)
        return inbox.pop(number)

    def _receive(self, timeout):
        """Wait until some worker has sent a result or has died; file the results."""
        pipes = [worker.results for worker in self._workers]
        sentinels = [worker.process.sentinel for worker in self._workers]
        ready = set(multiprocessing.connection.wait(pipes + sentinels, timeout))
        dead = [worker for worker in self._workers if worker.process.sentinel in ready]
        if dead:
            raise self._died(dead)
        for worker in self._workers:
            if worker.results in ready:
                self._read(worker)

    def _read(self, worker):
        try:
            (epoch, number), result = worker.results.recv()
        except EOFError:  # the worker closed its pipe by dying
            raise self._died([worker]) from None
        inbox = self._inboxes.get(epoch)
        if inbox is not None:
            inbox[number] = result

    def _died(self, dead):
        """Shut the pool down; the RuntimeError that names the workers that died."""
        for worker in dead:
            worker.process.join(_REAP_WAIT)  # its exit status, as soon as the kernel has it
        dead = [worker for worker in self._workers if worker.process.exitcode is not None] or dead
        self._failure = _death_message(dead)
        self.shutdown()
        return RuntimeError(self._failure)

    def _check_open(self):
        if self.closed:
            raise RuntimeError(self._failure or "the DataLoader's worker processes are shut down")


def _start_worker(ctx, worker_id, num_workers, fetcher, seed, worker_init_fn, stopping):
    """Start one worker process with its task queue and result pipe."""
    tasks = ctx.Queue()
    results, results_end = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_worker_loop, name=f"DataLoaderWorker-{worker_id}", daemon=True,
        args=(worker_id, num_workers, fetcher, seed, worker_init_fn, tasks, results_end,
              stopping, os.getpid()))
    process.start()
    results_end.close()  # the worker holds the only write end now
    return _Worker(worker_id, process, tasks, results)


def _shut_down(workers, stopping, owner_pid):
    """Stop every worker and join it: ask, wait a little, terminate, kill; close the channels."""
    if os.getpid() != owner_pid:
        return  # a forked copy of the pool owns no processes
    stopping.value = 1
    for worker in workers:
        worker.tasks.put(None)
    _drain_until_exit(workers, _EXIT_GRACE)
    for worker in workers:
        if worker.process.is_alive():
            worker.process.terminate()
    for worker in workers:
        worker.process.join(_REAP_WAIT)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
    for worker in workers:
        worker.tasks.cancel_join_thread()  # a dead worker never reads what is left
        worker.tasks.close()
        worker.results.close()


def _drain_until_exit(workers, seconds):
    """Read and drop results until every worker has exited or ``seconds`` have passed.

    A worker writing a batch larger than the pipe's buffer waits for it to be read; reading lets
    it finish, see the stop request and exit."""
    deadline = time.monotonic() + seconds
    finished = set()  # pipes at end-of-file
    while True:
        alive = [worker for worker in workers if worker.process.is_alive()]
        remaining = deadline - time.monotonic()
        if not alive or remaining <= 0:
            return
        pipes = {worker.results for worker in alive} - finished
        sentinels = [worker.process.sentinel for worker in alive]
        for ready in multiprocessing.connection.wait(list(pipes) + sentinels, remaining):
            if ready in pipes:
                try:
                    ready.recv()
                except (EOFError, OSError):
                    finished.add(ready)


def _death_message(dead):
    """``DataLoader worker (pid(s) 4242) exited unexpectedly: worker 0 (pid 4242) is killed by
    signal: Segmentation fault (SIGSEGV).`` (PyTorch's two phrasings, in one message)."""
    pids = ", ".join(str(worker.process.pid) for worker in dead)
    causes = "; ".join(_exit_cause(worker) for worker in dead)
    return f"DataLoader worker (pid(s) {pids}) exited unexpectedly: {causes}."


def _exit_cause(worker):
    who = f"worker {worker.id} (pid {worker.process.pid})"
    code = worker.process.exitcode
    if code is None:
        return f"{who} closed its result pipe"
    if code >= 0:
        return f"{who} exited with code {code}"
    cause = f"{who} is killed by signal: {_signal_name(-code)}"
    if -code == signal.SIGKILL:
        cause += "; SIGKILL often comes from the out-of-memory killer"
    return cause


def _signal_name(signum):
    """``Segmentation fault (SIGSEGV)``."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    return f"{signal.strsignal(signum) or name} ({name})"


class WorkerIterator:
    """One epoch of batches from a WorkerPool, in sampler order.

    Keeps ``prefetch`` batches requested ahead of the one it returns. Closing it (at the end, on
    an error, or when it is garbage-collected after a ``break``) closes its epoch and, if it
    owns the pool (workers that do not persist), shuts the workers down.
    """

    _closed = True  # until __init__ has opened the epoch

    def __init__(self, pool, index_batches, prefetch, timeout, owns_pool):
        self._pool = pool
        self._owns_pool = owns_pool
        self._indices = iter(index_batches)
        self._timeout = timeout or None
        self._sent = 0  # batches requested so far
        self._taken = 0  # batches handed out so far
        self._epoch = pool.open_epoch()
        self._closed = False
        try:
            for _ in range(max(1, prefetch)):
                self._request_next()
        except BaseException:
            self.close()
            raise

    def __iter__(self):
        return self

    def __next__(self):
        if self._closed or self._taken == self._sent:  # nothing more was or will be requested
            self.close()
            raise StopIteration
        try:
            result = self._pool.take(self._epoch, self._taken, self._timeout)
        except BaseException:  # a dead worker, the timeout, Ctrl-C: this epoch is over
            self.close()
            raise
        self._taken += 1
        self._request_next()
        if isinstance(result, _WorkerError):
            result.reraise()
        return result

    def _request_next(self):
        index = next(self._indices, _EXHAUSTED)
        if index is _EXHAUSTED:
            self._indices = iter(())
            return
        self._pool.send(self._epoch, self._sent, index)
        self._sent += 1

    def close(self):
        """End the epoch; shut the workers down if this iterator owns them. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._pool.close_epoch(self._epoch)
        if self._owns_pool:
            self._pool.shutdown()

    def __del__(self):
        self.close()
