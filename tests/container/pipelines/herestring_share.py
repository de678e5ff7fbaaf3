"""Pass a file from job one to job two through the build's shared storage."""

from brigtui import Job, events


@events.on("exec")
async def exec_handler(event, project):
    one = Job("one", "alpine:3.19", ["cat animals.txt > /mnt/brigade/share/animals.txt"])
    one.storage.enabled = True
    two = Job("two", "alpine:3.19", ['grep "rhino" <<< "$(cat /mnt/brigade/share/animals.txt)"'])
    two.storage.enabled = True
    await one.run()
    matches = await two.run()
    print(matches)
