"""Sum of squares of 0..N: sequentially, with threads, and with processes.

The gil lab feeds this script to `python3 -` on standard input, with N and the worker count
as arguments, and reads one line of JSON from standard output. Nothing is written to disk.
"""

import ctypes
import json
import multiprocessing
import os
import signal
import sys
import sysconfig
import threading
import time


# ANCHOR: sum_squares
def sum_squares(start, stop):
    """Pure-Python CPU work: the interpreter runs every step."""
    total = 0
    for i in range(start, stop):
        total += i * i
    return total
# ANCHOR_END: sum_squares


def chunks(n, workers):
    """Split 0..n into `workers` contiguous ranges, the same way the Rust side does."""
    size, extra = divmod(n, workers)
    start = 0
    for k in range(workers):
        stop = start + size + (1 if k < extra else 0)
        yield start, stop
        start = stop


# ANCHOR: threads
def with_threads(n, workers):
    results = [0] * workers

    def run(k, start, stop):
        results[k] = sum_squares(start, stop)

    threads = [
        threading.Thread(target=run, args=(k, start, stop))
        for k, (start, stop) in enumerate(chunks(n, workers))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(results)
# ANCHOR_END: threads


def die_with_parent(parent):
    # A pool worker is this interpreter's child, not the lab's: if the interpreter dies by
    # SIGKILL (which the lab's own PR_SET_PDEATHSIG sends it when the lab dies), nothing would
    # stop the worker. PR_SET_PDEATHSIG (prctl(2), option 1) asks the kernel to send the worker
    # SIGKILL when its parent thread exits; checking the parent afterwards closes the window
    # in which the parent died first (the worker then has a new parent already).
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


# ANCHOR: processes
def with_processes(n, workers):
    # "fork", not the default of newer Pythons ("forkserver" or "spawn"): those start each
    # worker by importing the main script from its file, and a script read from stdin has none.
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, die_with_parent, (os.getpid(),)) as pool:
        return sum(pool.starmap(sum_squares, chunks(n, workers)))
# ANCHOR_END: processes


def timed(run):
    start = time.perf_counter()
    total = run()
    return {"sum": str(total), "seconds": time.perf_counter() - start}


# ANCHOR: gil_check
def gil_enabled():
    # sys._is_gil_enabled() exists from Python 3.13 on; before that the GIL is always on.
    check = getattr(sys, "_is_gil_enabled", None)
    return check() if check is not None else True
# ANCHOR_END: gil_check


def main():
    n, workers = int(sys.argv[1]), int(sys.argv[2])
    report = {
        "version": sys.version.split()[0],
        "implementation": sys.implementation.name,
        "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": gil_enabled(),
        "sequential": timed(lambda: sum_squares(0, n)),
        "threads": timed(lambda: with_threads(n, workers)),
        "processes": timed(lambda: with_processes(n, workers)),
    }
    print(json.dumps(report))


# Under "spawn" or "forkserver" every worker imports the main module, and the guard keeps it
# from running main() again ("Safe importing of main module" in the multiprocessing docs).
# Under "fork" the workers never re-import it; the guard is still the documented habit.
if __name__ == "__main__":
    main()
