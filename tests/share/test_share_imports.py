"""`brigtui share` and the local backend load neither Textual nor the Kubernetes client."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import brigtui.commands.share, brigtui.share.backends, brigtui.share.inspect_local
import brigtui.share.download, brigtui.share.exec_inspector, brigtui.share.inspect_kube
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("textual", "kubernetes"))
print(",".join(loaded))
"""


def test_share_command_imports_stay_light() -> None:
    completed = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == ""
