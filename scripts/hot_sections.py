"""Writes and refines layer/hot-sections.ld for scripts/hot_sections.sh (which says why and how).

  hot_sections.py trace MAP LD REVISION TRACE... [-- TRACE...]...
                                                   the input sections the traces touched, a
                                                   group after another
  hot_sections.py faults MAP LD FAULTS...          adds those holding the addresses of page faults
                                                   outside the hot parts; exit 3 when none
MAP is a GNU ld link map of the build the addresses come from. A TRACE is callgrind's output
(--dump-instr=yes --compress-pos=no) or a list of 16-byte blocks (hex without the last digit); a
FAULTS file has one hex address per line (perf script -F addr).
"""
import bisect
import re
import sys

from link_map import input_sections, lines

ORDERED = (".text", ".rodata", ".data.rel.ro")  # the output sections this script orders
# Where the hot part goes. Before .rodata, ld would put it in the code's segment (the page
# alignment that starts the read-only segment belongs to .rodata's statement), so after it.
WHERE = {".text": "BEFORE", ".rodata": "AFTER", ".data.rel.ro": "BEFORE"}
HOT = {o: o + ".ltf_hot" for o in ORDERED}

# A section name that says nothing about what it holds (the whole .text of a file compiled
# without -ffunction-sections, merged string literals) can be named only with its file; an LTO
# partition's file name is a temporary one, so such a section of ours cannot be placed.
GENERIC = re.compile(r"^\.(text|rodata|data\.rel\.ro(\.local)?)(\.(str|cst)[0-9.]+)?$")
ARCHIVE_MEMBER = re.compile(r"^(?:.*/)?([^/(]+)\(([^)]+)\)$")


def libc_member(path):
    """The member's name when `path` is one of glibc's archive, else None."""
    m = ARCHIVE_MEMBER.match(path)
    return m.group(2) if m and m.group(1) == "libc.a" else None


# GCC names a function's clones and LTO's local copies with suffixes (.lto_priv.0, .constprop.0,
# .isra.0, .part.0) that come and go as unrelated code changes what LTO inlines or how it
# partitions. A literal's section adds .str1.1 or .cst8 after them.
CLONE_SUFFIXES = re.compile(r"(\.(lto_priv|constprop|isra|part)\.[0-9]+)+$")
LITERAL_TAIL = re.compile(r"\.(str[0-9.]+|cst[0-9]+)$")


def own_pattern(name):
    """One of our sections, named by its function or object alone: the name itself and every
    section of its clones and literals, so that a script written some commits ago still places
    a function whose suffix changed since (the layout is only as good as its names)."""
    literal = LITERAL_TAIL.search(name)
    stem = CLONE_SUFFIXES.sub("", name[:literal.start()] if literal else name)
    return f"*({stem} {stem}.*)"


def pattern(name, path):
    m = ARCHIVE_MEMBER.match(path)
    if m:
        return f"*{m.group(1)}:{m.group(2)}({name})"
    if ".ltrans" in path or path.endswith(".o") and "/CMakeFiles/" in path:
        return None if GENERIC.match(name) else own_pattern(name)
    return f"*{path.rsplit('/', 1)[-1]}({name})"


def output_of(output):
    """The output section a section of `output` (or of its hot part) belongs to."""
    for o in ORDERED:
        if output in (o, HOT[o]):
            return o
    return None


class Layout:
    def __init__(self, map_path):
        self.sections = [s for s in input_sections(map_path) if output_of(s[2])]
        self.starts = [s[0] for s in self.sections]

    def at(self, address):
        i = bisect.bisect_right(self.starts, address) - 1
        if i >= 0 and address < self.sections[i][0] + self.sections[i][1]:
            return self.sections[i]
        return None

    def literals(self, section):
        """The string literals and constants of a piece of code touched: where the linker keeps one
        copy of equal strings, an address does not say whose literal was read, so a function's
        (or, without -ffunction-sections, a file's) literals are hot when its code is."""
        if output_of(section[2]) != ".text":
            return []
        name, path = section[3], section[4]
        if name.startswith(".text."):
            prefix = ".rodata." + name[len(".text."):] + "."
            return [s for s in self.sections if s[3].startswith(prefix) and s[4] == path]
        return [s for s in self.sections if s[4] == path and output_of(s[2]) == ".rodata" and
                re.match(r"^\.rodata\.(str|cst)", s[3])]

    def cpu_variants(self, section):
        """glibc picks a string function's variant by the CPU (sse2, avx2, evex, ...): valgrind's
        CPU is not the one the extension runs on, so all variants of a family it touched are hot."""
        member = libc_member(section[4])
        if not member or "-" not in member:
            return []
        family = member.split("-", 1)[0] + "-"
        return [s for s in self.sections
                if s[2] == section[2] and (libc_member(s[4]) or "").startswith(family)]


def read_script(path):
    placed = {o: [] for o in ORDERED}
    current = None
    for line in lines(path):
        m = re.match(r"^  (\.\S+)\.ltf_hot :", line)
        if m:
            current = m.group(1)
        elif line.startswith("    *") and current and line.strip() != "*(.rodata.cst*)":
            placed[current].append(line.strip())
    return placed


def write_script(path, placed, revision):
    with open(path, "w") as f:
        f.write("/* Written by scripts/hot_sections.sh at %s; do not edit. The input sections a steady\n"
                "   and a burst run of the layer's binary touched, placed together beside the rest of\n"
                "   their output section so that they share pages. */\n" % revision)
        for output in ORDERED:
            f.write("SECTIONS\n{\n  %s :\n  {\n" % HOT[output])
            if output == ".rodata":
                # Every file's constants (a few KB in all): the linker keeps one copy of equal ones,
                # so the one a run reads may belong to any file, or to an LTO partition's.
                f.write("    *(.rodata.cst*)\n")
            for p in placed[output]:
                f.write(f"    {p}\n")
            f.write("  }\n}\nINSERT %s %s;\n" % (WHERE[output], output))


def add(placed, section, counts):
    p = pattern(section[3], section[4])
    output = output_of(section[2])
    if p is None:
        counts["unnamed"] += section[1]
    elif p not in placed[output]:
        placed[output].append(p)
        counts["added"] += 1
        counts[output] += section[1]


def trace(map_path, script_path, revision, traces):
    """Traces in groups separated by "--": each group's sections come after the earlier groups',
    so that a run like the first group's touches none of the later groups' pages."""
    placed = {o: [] for o in ORDERED}
    counts = {"added": 0, "unnamed": 0, **{o: 0 for o in ORDERED}}
    layout = Layout(map_path)
    groups = [[]]
    for path in traces:
        if path == "--":
            groups.append([])
        else:
            groups[-1].append(path)
    for group in groups:
        for section in sorted(touched_sections(layout, group)):
            add(placed, section, counts)
    write_script(script_path, placed, revision)
    for o in ORDERED:
        total = sum(s[1] for s in layout.sections if output_of(s[2]) == o)
        print(f"{o}: {len(placed[o])} input sections, {counts[o]:,} of {total:,} bytes touched")
    print(f"touched but not nameable (merged literals of LTO partitions): {counts['unnamed']:,} bytes")


def touched_sections(layout, traces):
    touched = set()
    for path in traces:
        if path.endswith(".lackey"):
            for line in lines(path):
                touched.add(layout.at(int(line.strip() + "0", 16)))
            continue
        object_file = None  # callgrind: "ob=" names the file of the "0x<address> ..." lines after it
        for line in lines(path):
            if line.startswith("ob="):
                object_file = line[3:].strip()
            elif line.startswith("0x") and object_file and object_file.endswith("/telemetry-forwarder"):
                touched.add(layout.at(int(line.split(None, 1)[0], 16)))
    touched.discard(None)
    for section in list(touched):
        touched.update(layout.cpu_variants(section))
    for section in list(touched):
        touched.update(layout.literals(section))
    return touched


def faults(map_path, script_path, fault_files):
    layout = Layout(map_path)
    placed = read_script(script_path)
    revision = re.search(r"at (\S+);", "".join(lines(script_path))).group(1)
    counts = {"added": 0, "unnamed": 0, **{o: 0 for o in ORDERED}}
    for path in fault_files:
        for line in lines(path):
            line = line.strip()
            if not line:
                continue
            section = layout.at(int(line, 16))
            if section and not section[2].endswith(".ltf_hot"):
                for s in [section] + layout.literals(section):
                    add(placed, s, counts)
    write_script(script_path, placed, revision)
    print(f"faults outside the hot parts: {counts['added']} input sections added "
          f"({', '.join(f'{o} {counts[o]:,} B' for o in ORDERED)}), {counts['unnamed']:,} B not nameable")
    return 0 if counts["added"] else 3


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "trace":
        trace(args[0], args[1], args[2], args[3:])
    elif command == "faults":
        sys.exit(faults(args[0], args[1], args[2:]))
    else:
        sys.exit(__doc__)
