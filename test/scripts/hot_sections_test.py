"""scripts/hot_sections.py: reading GNU ld's link map, naming input sections, and the linker
script it writes from traces and from page faults. The map below has the shapes ld 2.40 writes
(one-line and two-line input sections, symbols, fill, patterns, sections of size 0)."""
import os
import re
import tempfile
import unittest

import hot_sections

LIBC = "/usr/lib/x86_64-linux-gnu/libc.a"
MAP = f"""Archive member included to satisfy reference by file (symbol)

{LIBC}(memmove-evex-unaligned-erms.o)
                              {LIBC}(mempcpy.o) (__mempcpy_evex_unaligned)

Linker script and memory map

 .text          0x0000000000000000        0x0 {LIBC}(memmove-ssse3.o)

.text           0x0000000000401000     0x2000
 *(.text.unlikely .text.*_unlikely .text.unlikely.*)
 .text._ZN3ltf3hotEv
                0x0000000000401000      0x100 /tmp/ccAbc.ltrans0.ltrans.o
                0x0000000000401000                ltf::hot()
 *fill*         0x0000000000401100       0x10
 .text._ZN3ltf4coldEv
                0x0000000000401110      0x100 /tmp/ccAbc.ltrans1.ltrans.o
 .text          0x0000000000401210       0x40 /tmp/ccAbc.ltrans2.ltrans.o
 .text.evex     0x0000000000401300      0x200 {LIBC}(memmove-evex-unaligned-erms.o)
 .text          0x0000000000401500      0x200 {LIBC}(memmove-sse2-unaligned-erms.o)
 .text          0x0000000000401700      0x100 {LIBC}(strlen-sse2.o)
 .text          0x0000000000401800      0x100 /usr/lib/x86_64-linux-gnu/crt1.o
 .text.tls      0x0000000000401900      0x100 /usr/lib/x86_64-linux-gnu/libssl.a(libssl-lib-ssl_lib.o)

.rodata         0x0000000000500000      0x400
 .rodata._ZN3ltf3hotEv.str1.1
                0x0000000000500000       0x20 /tmp/ccAbc.ltrans0.ltrans.o
 .rodata._ZN3ltf4coldEv.str1.1
                0x0000000000500020       0x20 /tmp/ccAbc.ltrans1.ltrans.o
 .rodata.str1.1 0x0000000000500040       0x40 /tmp/ccAbc.ltrans2.ltrans.o
 .rodata        0x0000000000500100      0x100 /usr/lib/x86_64-linux-gnu/libcrypto.a(libcrypto-lib-sha256.o)

.data.rel.ro    0x0000000000600000      0x100
 .data.rel.ro   0x0000000000600000      0x100 /usr/lib/x86_64-linux-gnu/libcrypto.a(libcrypto-lib-err.o)

.data           0x0000000000700000       0x10
 .data          0x0000000000700000       0x10 {LIBC}(malloc.o)
"""


def callgrind(addresses):
    return "ob=/build/src/telemetry-forwarder\nfn=x\n" + "".join(f"0x{a:x} 1\n" for a in addresses)


class HotSectionsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.map = self.file("telemetry-forwarder.map", MAP)
        self.script = os.path.join(self.dir.name, "hot.ld")

    def tearDown(self):
        self.dir.cleanup()

    def file(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def placed(self):
        return hot_sections.read_script(self.script)

    def test_reads_every_placed_input_section_of_the_map_and_no_other(self):
        sections = hot_sections.input_sections(self.map)
        by_start = {s[0]: s for s in sections}
        self.assertEqual(by_start[0x401000][1:], (0x100, ".text", ".text._ZN3ltf3hotEv",
                                                  "/tmp/ccAbc.ltrans0.ltrans.o"))
        self.assertEqual(by_start[0x401300][1:4], (0x200, ".text", ".text.evex"))
        self.assertEqual(by_start[0x500000][2:4], (".rodata", ".rodata._ZN3ltf3hotEv.str1.1"))
        self.assertEqual(by_start[0x700000][2], ".data")
        # The size-0 section before the memory map's sections, fill and symbols are not sections.
        self.assertEqual(len(sections), 16 - 2)
        self.assertNotIn(0x401100, by_start)

    def test_names_a_section_by_its_own_name_or_by_its_archive_member(self):
        p = hot_sections.pattern
        self.assertEqual(p(".text._ZN3ltf3hotEv", "/tmp/ccAbc.ltrans0.ltrans.o"),
                         "*(.text._ZN3ltf3hotEv .text._ZN3ltf3hotEv.*)")
        self.assertEqual(p(".text.evex", f"{LIBC}(memmove-evex-unaligned-erms.o)"),
                         "*libc.a:memmove-evex-unaligned-erms.o(.text.evex)")
        self.assertEqual(p(".text", "/usr/lib/x86_64-linux-gnu/crt1.o"), "*crt1.o(.text)")
        # An LTO partition's file name is temporary: its generic sections cannot be named.
        self.assertIsNone(p(".text", "/tmp/ccAbc.ltrans2.ltrans.o"))
        self.assertIsNone(p(".rodata.str1.1", "/tmp/ccAbc.ltrans2.ltrans.o"))

    def test_one_of_our_sections_is_named_by_its_function_whatever_its_clone_suffixes(self):
        # LTO's suffixes change with unrelated code: the function named without them, with any.
        p = hot_sections.pattern
        ours = "/tmp/ccAbc.ltrans0.ltrans.o"
        both = "*(.text._ZN3ltf4takeEv .text._ZN3ltf4takeEv.*)"
        self.assertEqual(p(".text._ZN3ltf4takeEv", ours), both)
        self.assertEqual(p(".text._ZN3ltf4takeEv.lto_priv.0", ours), both)
        self.assertEqual(p(".text._ZN3ltf4takeEv.part.0.constprop.0.isra.0", ours), both)
        self.assertEqual(p(".rodata._ZN3ltf4takeEv.lto_priv.0.str1.1", ours),
                         "*(.rodata._ZN3ltf4takeEv .rodata._ZN3ltf4takeEv.*)")
        # Names that only look like a suffix are kept whole; archive members keep their own names.
        self.assertEqual(p(".text.startup._sub_I_65535_0.0", ours),
                         "*(.text.startup._sub_I_65535_0.0 .text.startup._sub_I_65535_0.0.*)")
        self.assertEqual(p(".text.x.lto_priv.0", f"{LIBC}(a.o)"), "*libc.a:a.o(.text.x.lto_priv.0)")

    def test_places_what_the_traces_touched_with_literals_and_every_cpu_variant(self):
        code = self.file("steady.callgrind", callgrind([0x401004, 0x401500, 0x401210]))
        data = self.file("steady-data.lackey", "50010\n")  # 16-byte blocks: 0x500100
        hot_sections.trace(self.map, self.script, "abc1234", [code, data])
        placed = self.placed()
        self.assertEqual(placed[".text"], [
            "*(.text._ZN3ltf3hotEv .text._ZN3ltf3hotEv.*)",
            # glibc chose the sse2 memmove under valgrind; the evex one is hot as well
            "*libc.a:memmove-evex-unaligned-erms.o(.text.evex)",
            "*libc.a:memmove-sse2-unaligned-erms.o(.text)"])
        self.assertEqual(placed[".rodata"], ["*(.rodata._ZN3ltf3hotEv .rodata._ZN3ltf3hotEv.*)",
                                             "*libcrypto.a:libcrypto-lib-sha256.o(.rodata)"])
        self.assertEqual(placed[".data.rel.ro"], [])
        text = "".join(hot_sections.lines(self.script))
        self.assertIn("abc1234", text)
        self.assertIn("    *(.rodata.cst*)\n", text)
        self.assertEqual(re.findall(r"INSERT (\w+) (\S+);", text),
                         [("BEFORE", ".text"), ("AFTER", ".rodata"), ("BEFORE", ".data.rel.ro")])

    def test_a_later_group_comes_after_the_earlier_ones(self):
        http = self.file("steady.callgrind", callgrind([0x401800]))
        https = self.file("https.callgrind", callgrind([0x401900, 0x401000]))
        hot_sections.trace(self.map, self.script, "abc1234", [http, "--", https])
        self.assertEqual(self.placed()[".text"], [
            "*crt1.o(.text)", "*(.text._ZN3ltf3hotEv .text._ZN3ltf3hotEv.*)",
            "*libssl.a:libssl-lib-ssl_lib.o(.text.tls)"])

    def test_a_fault_outside_the_hot_parts_adds_its_section_and_none_says_so(self):
        hot_sections.trace(self.map, self.script, "abc1234",
                           [self.file("steady.callgrind", callgrind([0x401004]))])
        faults = self.file("faults", "401120\n600010\n700000\n")  # cold code, a table, .data
        self.assertEqual(hot_sections.faults(self.map, self.script, [faults]), 0)
        placed = self.placed()
        self.assertIn("*(.text._ZN3ltf4coldEv .text._ZN3ltf4coldEv.*)", placed[".text"])
        self.assertIn("*(.rodata._ZN3ltf4coldEv .rodata._ZN3ltf4coldEv.*)", placed[".rodata"])
        self.assertEqual(placed[".data.rel.ro"], ["*libcrypto.a:libcrypto-lib-err.o(.data.rel.ro)"])
        self.assertIn("abc1234", "".join(hot_sections.lines(self.script)))
        # The same faults again: nothing new.
        self.assertEqual(hot_sections.faults(self.map, self.script, [faults]), 3)


if __name__ == "__main__":
    unittest.main()
