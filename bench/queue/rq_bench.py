"""RQ side of bench/queue/compare: python3 rq_bench.py PORT N  ->  "rq: X jobs/s".

N no-op jobs are enqueued first (enqueue_many, one pipeline: not timed), then two SimpleWorkers
(forked processes, as `rq worker --burst -w rq.SimpleWorker` twice, without the interpreter start)
drain the queue; the figure is N / (time from the workers' start until both have exited). RQ makes
about 40 Redis calls per job, so keep N small (a few thousand) to bound the run.
"""
import logging
import multiprocessing
import os
import sys
import time

from redis import Redis
from rq import Queue, SimpleWorker

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def noop(i):
    return i


def work(port, name):
    logging.disable(logging.WARNING)  # RQ logs a line per job otherwise
    conn = Redis(host="127.0.0.1", port=port)
    SimpleWorker([Queue(name, connection=conn)], connection=conn).work(burst=True,
                                                                        logging_level="WARNING")


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    import rq_bench  # the worker resolves "rq_bench.noop", not "__main__.noop"

    conn = Redis(host="127.0.0.1", port=port)
    name = "bench%d" % os.getpid()
    q = Queue(name, connection=conn)
    q.enqueue_many([Queue.prepare_data(rq_bench.noop, (i,), result_ttl=0) for i in range(n)])
    t0 = time.monotonic()
    procs = [multiprocessing.Process(target=work, args=(port, name)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    dt = time.monotonic() - t0
    left = q.count
    q.delete(delete_jobs=True)
    if left:
        print("rq: %d of %d jobs not run" % (left, n), file=sys.stderr)
        sys.exit(1)
    print("rq: %.0f jobs/s" % (n / dt))


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    main()
