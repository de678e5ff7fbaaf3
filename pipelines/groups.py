"""Run jobs all at once with Group.run_all, then one after another with Group.run_each."""

from brigtui import Group, Job, events

SPECIES = ["rhino", "bear", "fox"]


@events.on("exec")
async def exec_handler(event, project):
    # Count three kinds of animal in parallel.
    counters = Group(
        Job(f"count-{name}", "alpine:3.19", [f'grep -c "{name}" animals.txt'])
        for name in SPECIES
    )
    counts = await counters.run_all()
    for name, count in zip(SPECIES, counts):
        print(f"{name}: {count}")

    # Then sort the list and keep the first lines, one step after the other.
    steps = Group()
    steps.add(Job("sort", "alpine:3.19", ["sort -r animals.txt > /mnt/brigade/share/sorted.txt"],
                  storage=True))
    steps.add(Job("head", "alpine:3.19", ["head -3 /mnt/brigade/share/sorted.txt"], storage=True))
    results = await steps.run_each()
    print(results[-1])


@events.on("after")
async def after_handler(event, project):
    print(f"build {event.build_id} finished: {event.cause.reason}")
