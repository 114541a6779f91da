"""The node tier's CPU ledger (conformance.Ledger) on simulated services, without a cluster: every
schedule ends (no set of scale checks waits on each other), no scale check grows without room
for its new pod unless its service runs alone, and the requests of the running services never
exceed the budget once more than one runs. Run by scripts/node-tier before it builds anything;
`python tests/node/test_ledger.py` alone takes about a second."""

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import conformance as c  # noqa: E402


def simulate(services, budget, width, lanes, slowdown, scale_seconds=60, order=None):
    """Runs `services` ({name: (base, scaled, new_pod)}) through the tier's admission loop on a
    simulated clock, in `order` (default: the longest lane first); each lasts its lane times its
    slowdown, the scale check (if it adds pods) being its last `scale_seconds`. Returns the
    simulated seconds it took."""
    clock = [0]
    ledger = c.Ledger(budget, lanes, clock=lambda: clock[0])
    pending = [n for n in order if n in services] if order else sorted(services, key=lambda n: -lanes.get(n, 0))
    running = {}  # name -> [seconds run, phase]
    limit = 10 * sum(int(lanes[n] * slowdown[n]) + scale_seconds for n in services) + 10
    while pending or running:
        for n in ledger.start_next(pending, width, lambda n: (services[n][0], services[n][2])):  # as conformance.main
            pending.remove(n)
            running[n] = [0, "run"]
        if len(running) > 1:
            assert sum(ledger.held.values()) <= budget + 1e-9, (clock[0], ledger.held)
        for n, state in list(running.items()):
            base, scaled, growth = services[n]
            length = int(lanes[n] * slowdown[n]) + 1
            if state[1] == "run":
                state[0] += 1
                if growth and state[0] >= length - scale_seconds:
                    state[1] = "wait"
                elif state[0] >= length:
                    state[1] = "done"
            if state[1] == "wait" and ledger.ready(n):  # as Ledger.grow, one step at a time
                assert len(ledger.held) == 1 or ledger.fits(sum(ledger.held.values()), growth), (n, ledger.held)
                ledger.grower, ledger.held[n], state[1] = n, scaled, "grow"
            elif state[1] == "grow":
                state[0] += 1
                if state[0] >= length:
                    state[1] = "done"
            if state[1] == "done":
                del running[n]
                ledger.free(n)
        clock[0] += 1
        assert clock[0] < limit, f"no progress: {running}, waiting {ledger.waiting}, grower {ledger.grower}"
    return clock[0]


def main():
    rng = random.Random(7)
    for trial in range(400):
        names = [f"s{i}" for i in range(rng.randint(1, 12))]
        services = {}
        for n in names:
            base = round(rng.uniform(0.1, 3.0), 2)
            growth = 0.0 if rng.random() < 0.3 else round(rng.uniform(0.05, 1.0), 2)
            services[n] = (base, base + growth * rng.randint(1, 2), growth)
        lanes = {n: rng.randint(60, 1500) for n in names}
        slowdown = {n: rng.uniform(0.5, 2.0) for n in names}
        simulate(services, rng.uniform(2.0, 8.0), rng.randint(1, 4), lanes, slowdown)
    # the catalog as measured on 2026-12-05 (requests as the tier builds them, MinIO's with its
    # largest drill), in the tier's order: MinIO and ZooKeeper run beside Cassandra, and the
    # whole ends sooner than with Cassandra alone first
    cpu = {"cassandra": (2.9, 3.8, 0.9), "kafka": (1.9, 1.9, 0), "minio": (1.55, 1.55, 0), "rabbitmq": (1.0, 1.6, .3),
           "valkey": (1.45, 2.35, .45), "nats": (.85, 1.35, .25), "galera": (1.15, 1.85, .35),
           "zookeeper": (.7, .7, 0), "postgres": (1.15, 1.5, .35), "etcd": (.8, 1.0, .2),
           "memcached": (.3, .45, .15), "function": (.2, .3, .1)}
    import services as catalog
    same = {n: 1.0 for n in cpu}
    total = simulate(cpu, 5.46, 3, catalog.LANES, same, scale_seconds=120, order=catalog.ORDER)
    alone = catalog.LANES["cassandra"] + simulate({n: v for n, v in cpu.items() if n != "cassandra"}, 5.46, 3,
                                                  catalog.LANES, same, scale_seconds=120, order=catalog.ORDER)
    assert total < alone, (total, alone)
    print(f"ok      ledger: 400 random schedules end; the catalog's simulated {total} s (Cassandra alone first: {alone} s)")


if __name__ == "__main__":
    main()
