"""GNU ld's link map (-Map), read by scripts/hot_sections.py and scripts/size_breakdown.sh."""
import re


def lines(path):
    with open(path, errors="replace") as f:
        yield from f


def input_sections(path):
    """(start, size, output section, input section, file) of every placed input section."""
    sections, output, pending, started = [], None, None, False
    for line in lines(path):
        line = line.rstrip("\n")
        if line.startswith("Linker script and memory map"):
            started = True
            continue
        if not started:
            continue
        m = re.match(r"^(\.\S+)", line)
        if m:
            output, pending = m.group(1), None
            continue
        m = re.match(r"^ (\.\S+|COMMON)(?:\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S.*))?$", line)
        if m:
            if m.group(2):
                sections.append((int(m.group(2), 16), int(m.group(3), 16), output, m.group(1), m.group(4)))
            else:
                pending = m.group(1)
            continue
        m = re.match(r"^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S.*)$", line)
        if m and pending:
            sections.append((int(m.group(1), 16), int(m.group(2), 16), output, pending, m.group(3)))
            pending = None
    return sorted(s for s in sections if s[0] > 0 and s[1] > 0)
