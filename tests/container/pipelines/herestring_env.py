"""Pass job one's output to job two through an environment variable, like a UNIX pipe."""

from brigtui import Job, events


@events.on("exec")
async def exec_handler(event, project):
    one = Job("one", "alpine:3.19", ["cat animals.txt"])
    two = Job("two", "alpine:3.19", ['grep "rhino" <<< $DATA'])
    data = await one.run()
    two.env = {"DATA": data}
    matches = await two.run()
    print(matches)
