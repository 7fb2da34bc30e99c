#!/usr/bin/python3
"""Helpers for tests/lib/ostree-image.sh's layers in ostree-ext's tar format v0, independent of
berth and of GLib (stdlib only):

  ostree-v0.py xattrs PATH   writes PATH's xattrs (not followed if a symlink) to stdout as
                             libostree keeps them: a GVariant a(ayay), sorted by name (libglnx
                             sorts with strcmp), each name NUL-terminated (a bytestring), each
                             value as it is; nothing at all when PATH has none (an empty array
                             is zero bytes)
  ostree-v0.py modes         copies an uncompressed GNU tar from stdin to stdout, putting the
                             S_IFMT bits into the mode of the entries ostree-ext's v0 writes
                             them on: the .file objects (0100644, 0120777), the tree's
                             directories (040755, the root `./` too) and hardlinks to a .file
                             (the object's type); the repo's own entries keep bare 0644/0755
"""
import os
import stat
import sys

# ---- GVariant serialisation (GLib's gvariant-serialiser.c, the "GVariant Serialisation" spec):
# a variable-size member of a tuple that is not the last, and every element of an array of
# variable-size elements, gets its end offset appended, little-endian, in the smallest size
# (1, 2, 4 or 8 bytes) that can address the whole container including those offsets.


def _offset_size(body_len, n_offsets):
    for size in (1, 2, 4):
        if body_len + size * n_offsets <= (1 << (8 * size)) - 1:
            return size
    return 8


def _frame(body, offsets):
    if not body and not offsets:
        return b""
    size = _offset_size(len(body), len(offsets))
    return body + b"".join(o.to_bytes(size, "little") for o in offsets)


def _tuple_ayay(a, b):
    # alignment 1 throughout: no padding; only the first member's end is stored
    return _frame(a + b, [len(a)])


def _array_of_variable(elements):
    body, ends = b"", []
    for e in elements:
        body += e
        ends.append(len(body))
    return _frame(body, ends)


def xattrs_blob(pairs):
    return _array_of_variable(_tuple_ayay(name + b"\0", value) for name, value in pairs)


def xattrs_variant(path):
    names = sorted(n.encode() for n in os.listxattr(path, follow_symlinks=False))
    return xattrs_blob((n, os.getxattr(path, n, follow_symlinks=False)) for n in names)


# ---- tar headers (GNU format: 512-byte blocks, 'L'/'K' records carry long names) ------------


def _field(buf, start, length):
    return bytes(buf[start : start + length]).split(b"\0")[0].decode()


def patch_modes(data):
    pos, long_name, long_link, object_types = 0, None, None, {}
    while pos + 512 <= len(data):
        header = data[pos : pos + 512]
        if not any(header):
            break
        flag = chr(header[156])
        size = int(_field(header, 124, 12).strip() or "0", 8)
        blocks = (size + 511) // 512
        if flag in "LK":
            value = _field(data, pos + 512, size)
            long_name, long_link = (value, long_link) if flag == "L" else (long_name, value)
            pos += 512 * (1 + blocks)
            continue
        name = long_name or _field(header, 0, 100)
        link = long_link or _field(header, 157, 100)
        long_name = long_link = None
        path = name[2:] if name.startswith("./") else name
        bits = 0
        if path.startswith("sysroot/"):
            if path.endswith(".file") and flag in "02":
                bits = stat.S_IFLNK if flag == "2" else stat.S_IFREG
                object_types[path] = bits
        elif flag == "5":
            bits = stat.S_IFDIR
        elif flag == "1":
            bits = object_types.get(link, 0)
        if bits:
            mode = int(_field(header, 100, 8).strip(), 8) | bits
            data[pos + 100 : pos + 108] = b"%07o\0" % mode
            data[pos + 148 : pos + 156] = b" " * 8
            data[pos + 148 : pos + 156] = b"%06o\0 " % sum(data[pos : pos + 512])
        pos += 512 * (1 + blocks)
    return data


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "xattrs":
        sys.stdout.buffer.write(xattrs_variant(sys.argv[2]))
    elif len(sys.argv) == 2 and sys.argv[1] == "modes":
        sys.stdout.buffer.write(patch_modes(bytearray(sys.stdin.buffer.read())))
    else:
        sys.exit("usage: ostree-v0.py xattrs PATH | modes")


if __name__ == "__main__":
    main()
