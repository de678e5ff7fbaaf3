"""Sizes and file contents as text for people: `1.5 MiB`, hex dumps, text detection."""

from __future__ import annotations


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def looks_binary(data: bytes) -> bool:
    """True for data with NUL bytes or that is not UTF-8 (a cut-off last character is fine)."""
    if b"\0" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start < len(data) - 3
    return False


def hex_dump(data: bytes, offset: int = 0, width: int = 16) -> str:
    """Format bytes as `offset  hex bytes  |ascii|` lines, as `hexdump -C` does."""
    lines = []
    for start in range(0, len(data), width):
        row = data[start : start + width]
        hex_part = " ".join(f"{byte:02x}" for byte in row).ljust(width * 3 - 1)
        text = "".join(chr(byte) if 0x20 <= byte < 0x7F else "." for byte in row)
        lines.append(f"{offset + start:08x}  {hex_part}  |{text}|")
    return "\n".join(lines)
