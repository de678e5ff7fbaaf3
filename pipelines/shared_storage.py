"""Share files between the jobs of one build through /mnt/brigade/share."""

from brigtui import Job, events


@events.on("exec")
async def exec_handler(event, project):
    one = Job("one", "alpine:3.19", ["cp animals.txt /mnt/brigade/share/animals.txt"])
    two = Job("two", "alpine:3.19", ['grep "rhino" /mnt/brigade/share/animals.txt'])

    # Request the build's shared storage for both jobs.
    one.storage.enabled = True
    two.storage.enabled = True

    await one.run()
    matches = await two.run()
    print(matches)
