"""Sum of squares of 0..N: sequentially, with threads, and with processes.

The gil lab feeds this script to `python3 -` on standard input, with N and the worker count
as arguments, and reads one line of JSON from standard output. Nothing is written to disk.

With a third argument, `timeline threads` or `timeline processes`, it runs that mode once more
and prints each worker's spans instead, one per line (see `timeline` below); the lab parses
them into a timeline (`gil::parse_timeline`).
"""

import ctypes
import json
import multiprocessing
import os
import resource
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


# The timeline: each worker records the stretches in which it ran Python code.
#
# A chunk's begin and end alone would not show the GIL: a thread that loses the GIL in the middle
# of a chunk waits, and its chunk would span the other thread's turn. So each worker reads the
# clock every STEP iterations, and a gap between two readings longer than PAUSE_NS means it did
# not run in between (it waited for the GIL, or the kernel ran something else): the span ends at
# the reading before the gap and the next begins at the reading after it. Every span therefore
# begins and ends at a reading the worker took while running, and holds no pause longer than
# PAUSE_NS. A chunk boundary ends a span too, so each of the CHUNKS chunks has at least one.
CHUNKS = 20
# About 30 microseconds of this loop on a current machine, a fraction of a percent of which goes
# on the two readings (clock and CPU).
STEP = 1024
# A tenth of the switch interval: a thread that hands the GIL over waits about a whole interval
# before it asks for it back (take_gil in CPython's Python/ceval_gil.c, ceval_gil.h up to 3.11,
# waits one interval at a time: "If we timed out and no switch occurred in the meantime, it is
# time to ask the GIL-holding thread to drop it"), far longer than STEP iterations take.
PAUSE_NS = int(sys.getswitchinterval() * 1e9) // 10


def cpu_reader():
    """sched_getcpu(3) through ctypes: `os` has no sched_getcpu.

    PyDLL, not CDLL: the ctypes docs say of CDLL's functions that "The Python global
    interpreter lock is released before calling any function exported by these libraries",
    and of PyDLL that "the Python GIL is not released during the function call". Reading the
    CPU through CDLL, or from /proc/thread-self/stat (proc(5), field 39, "CPU number last
    executed on"), which is I/O and releases the GIL too, would hand the GIL over at every
    reading and change the very switching this timeline shows. glibc answers sched_getcpu
    without a system call where it can (its sysdeps/unix/sysv/linux/sched_getcpu.c reads the
    CPU the kernel keeps in the thread's rseq area, from glibc 2.35 on, or calls the vDSO's
    getcpu where the architecture has one, as x86 does).
    """
    try:
        getcpu = ctypes.PyDLL(None).sched_getcpu
    except (OSError, AttributeError):
        return lambda: -1
    getcpu.restype = ctypes.c_int
    getcpu.argtypes = []
    return getcpu


def check_clock():
    # The lab subtracts its own CLOCK_MONOTONIC origin from these readings, so they must come
    # from that clock. On Linux they do: CPython's perf_counter is its monotonic clock
    # (Python/pytime.c, _PyTime_GetPerfCounterWithInfo, on every system but Windows; from 3.13
    # on, _PyTime_PerfCounterWithInfo, on Windows too), which calls
    # clock_gettime(CLOCK_MONOTONIC); the time module says which clock it read.
    clock = time.get_clock_info("perf_counter").implementation
    if clock != "clock_gettime(CLOCK_MONOTONIC)":
        sys.exit(f"perf_counter reads {clock}, not clock_gettime(CLOCK_MONOTONIC)")


# ANCHOR: traced_sum
def traced_sum(start, stop, who):
    """sum_squares(start, stop) in CHUNKS chunks, with the worker's spans and switch counts.

    `who` is resource.RUSAGE_THREAD for a thread (its own switches) or RUSAGE_SELF for a
    process (getrusage(2): ru_nvcsw, ru_nivcsw).
    """
    clock, getcpu, spans, total, readings = time.perf_counter_ns, cpu_reader(), [], 0, 0
    before = resource.getrusage(who)
    for chunk, (low, high) in enumerate(chunks(stop - start, CHUNKS)):
        low, high = start + low, start + high
        readings += 1 + len(range(low, high, STEP))
        cpu = cpu_begin = getcpu()
        begin = last = clock()
        for block in range(low, high, STEP):
            total += sum_squares(block, min(block + STEP, high))
            now, now_cpu = clock(), getcpu()
            if now - last > PAUSE_NS:
                spans.append((chunk, begin, last, cpu_begin, cpu))
                begin, cpu_begin = now, now_cpu
            last, cpu = now, now_cpu
        spans.append((chunk, begin, last, cpu_begin, cpu))
    after = resource.getrusage(who)
    switches = (after.ru_nvcsw - before.ru_nvcsw, after.ru_nivcsw - before.ru_nivcsw)
    return total, threading.get_native_id(), switches, spans, readings
# ANCHOR_END: traced_sum


def reading_cost_ns(count=20_000, rounds=5):
    """What one reading of traced_sum's inner loop costs, in nanoseconds: the clock, the CPU
    and the pause test, timed against the same loop without them, the cheapest of a few
    rounds (the one least disturbed by the rest of the machine)."""
    clock, getcpu, cheapest = time.perf_counter_ns, cpu_reader(), None
    for _ in range(rounds):
        began = clock()
        for _ in range(count):
            pass
        bare = clock() - began
        began = last = clock()
        for _ in range(count):
            now, now_cpu = clock(), getcpu()
            if now - last > PAUSE_NS:
                pass
            last = now
        cost = max(clock() - began - bare, 0) / count
        cheapest = cost if cheapest is None else min(cheapest, cost)
    return round(cheapest)


def timeline_threads(n, workers):
    results = [None] * workers

    def run(k, start, stop):
        results[k] = traced_sum(start, stop, resource.RUSAGE_THREAD)

    threads = [
        threading.Thread(target=run, args=(k, start, stop))
        for k, (start, stop) in enumerate(chunks(n, workers))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def timeline_processes(n, workers):
    # One process per worker (not a pool, which may hand one worker two shares), each sending
    # its result back through its own pipe; "fork" for the reason with_processes gives.
    context = multiprocessing.get_context("fork")
    parent = os.getpid()

    def run(conn, start, stop):
        die_with_parent(parent)
        conn.send(traced_sum(start, stop, resource.RUSAGE_SELF))
        conn.close()

    pipes, processes = [], []
    for start, stop in chunks(n, workers):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=run, args=(sender, start, stop))
        process.start()
        sender.close()
        pipes.append(receiver)
        processes.append(process)
    results = [receiver.recv() for receiver in pipes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            sys.exit(f"a timeline worker exited with status {process.exitcode}")
    return results


def timeline(n, workers, mode):
    """Prints, one per line (the lab parses them strictly):

        gil ENABLED                  1 or 0, as gil_enabled()
        sum TOTAL                    the sum of every worker's share
        lane K TID VOLUNTARY INVOLUNTARY
        span K CHUNK BEGIN_NS END_NS CPU_BEGIN CPU_END
        readings COUNT COST_NS       clock and CPU readings in all, and what one cost

    K is the worker (0-based), TID its thread id (threading.get_native_id(): a process's
    main thread's id is its pid), times are perf_counter_ns() readings, and a CPU that could
    not be read is -1. A worker's spans come in the order it ran them.
    """
    check_clock()
    run = {"threads": timeline_threads, "processes": timeline_processes}[mode]
    results = run(n, workers)
    lines = [f"gil {int(gil_enabled())}", f"sum {sum(r[0] for r in results)}"]
    for k, (_, tid, (voluntary, involuntary), spans, _) in enumerate(results):
        lines.append(f"lane {k} {tid} {voluntary} {involuntary}")
        lines.extend(f"span {k} {c} {b} {e} {cb} {ce}" for c, b, e, cb, ce in spans)
    # Measured after the workers, alone, so it disturbs no span.
    lines.append(f"readings {sum(r[4] for r in results)} {reading_cost_ns()}")
    print("\n".join(lines))


def main():
    n, workers = int(sys.argv[1]), int(sys.argv[2])
    if sys.argv[3:4] == ["timeline"]:
        timeline(n, workers, sys.argv[4])
        return
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
