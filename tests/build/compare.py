#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# compare.py DOCKER.tar CELL.tar [--list]: are two images (docker-archive
# tars, as `docker save` and `cell save` write them) the same build result?
#
# Each image's layers are applied in order into one tree (a whiteout
# `.wh.NAME` removes NAME and everything below it, an opaque marker
# `.wh..wh..opq` empties its directory of what lower layers put there), and
# every path is listed with its type, mode, owner, size, the sha256 of its
# content and its link target. The config fields a Dockerfile sets are
# compared too. Differences are printed one a line; the exit status is 1 when
# there is any, 0 when none. --list prints both listings.
#
# Timestamps are not compared (BuildKit and cell both stamp build time).

import hashlib
import json
import sys
import tarfile

CONFIG_FIELDS = ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Labels", "Volumes",
                 "StopSignal", "Healthcheck", "Shell", "OnBuild"]


def norm(name):
    while name.startswith("./") or name.startswith("/"):
        name = name[1:] if name.startswith("/") else name[2:]
    if name == ".":
        return ""
    return name.rstrip("/")


def kind(m):
    if m.isreg():
        return "file"
    if m.isdir():
        return "dir"
    if m.issym():
        return "symlink"
    if m.islnk():
        return "hardlink"
    if m.ischr():
        return "char"
    if m.isblk():
        return "block"
    if m.isfifo():
        return "fifo"
    return "other"


def remove_tree(tree, path):
    tree.pop(path, None)
    prefix = path + "/"
    for p in [p for p in tree if p.startswith(prefix)]:
        del tree[p]


def apply_layer(tree, tf):
    members = tf.getmembers()
    # Opaque markers first: they hide what lower layers had in the
    # directory, not what this layer puts there.
    for m in members:
        n = norm(m.name)
        base = n.rsplit("/", 1)[-1]
        if base == ".wh..wh..opq":
            d = n.rsplit("/", 1)[0] if "/" in n else ""
            prefix = d + "/" if d else ""
            for p in [p for p in tree if p.startswith(prefix) and p != d]:
                del tree[p]
    for m in members:
        n = norm(m.name)
        if n == "":
            continue  # the root directory itself
        parent, _, base = n.rpartition("/")
        if base == ".wh..wh..opq":
            continue
        if base.startswith(".wh."):
            remove_tree(tree, (parent + "/" if parent else "") + base[4:])
            continue
        k = kind(m)
        e = {"type": k, "mode": "%04o" % (m.mode & 0o7777), "uid": m.uid, "gid": m.gid, "size": 0,
             "sha256": "", "link": ""}
        if k == "file":
            data = tf.extractfile(m).read()
            e["size"] = len(data)
            e["sha256"] = hashlib.sha256(data).hexdigest()
        elif k == "symlink":
            e["link"] = m.linkname
        elif k == "hardlink":
            # A hard link is its target's content under another name; how
            # the two engines pair names is theirs to choose.
            t = tree.get(norm(m.linkname))
            if t:
                e.update({k2: t[k2] for k2 in ("type", "size", "sha256")})
                e["mode"], e["uid"], e["gid"] = t["mode"], t["uid"], t["gid"]
        elif k in ("char", "block"):
            e["link"] = "%d,%d" % (m.devmajor, m.devminor)
        if k != "dir" and n in tree and tree[n]["type"] == "dir":
            remove_tree(tree, n)
        tree[n] = e


def load(path):
    with tarfile.open(path) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))[0]
        config = json.load(outer.extractfile(manifest["Config"]))
        tree = {}
        for layer in manifest["Layers"]:
            f = outer.extractfile(layer)
            with tarfile.open(fileobj=f, mode="r:*") as tf:
                apply_layer(tree, tf)
    return tree, config


# Masks: only where docker's side depends on its runtime, not on the
# Dockerfile. None is needed with docker 20.10 here: BuildKit bind-mounts
# /etc/hosts, /etc/resolv.conf and /etc/hostname into a RUN but leaves no
# trace of them in the layer (cell removes the ones its runtime makes, see
# lib/build/builder.c), so they are compared like any other file.
def masked(path, e):
    return False


def fmt(e):
    return "%s %s %d:%d size=%d %s%s" % (e["type"], e["mode"], e["uid"], e["gid"], e["size"],
                                         e["sha256"][:16], (" -> " + e["link"]) if e["link"] else "")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print("usage: compare.py DOCKER.tar CELL.tar [--list]", file=sys.stderr)
        return 2
    (dtree, dconf), (ctree, cconf) = load(args[0]), load(args[1])
    if "--list" in sys.argv:
        for name, t in (("docker", dtree), ("cell", ctree)):
            print("== %s" % name)
            for p in sorted(t):
                print("  /%s %s" % (p, fmt(t[p])))
    diffs = []
    for p in sorted(set(dtree) | set(ctree)):
        d, c = dtree.get(p), ctree.get(p)
        if d is not None and masked(p, d) and (c is None or masked(p, c)):
            continue
        if d is None:
            diffs.append("only in cell:   /%s %s" % (p, fmt(c)))
        elif c is None:
            diffs.append("only in docker: /%s %s" % (p, fmt(d)))
        elif d != c:
            diffs.append("differs:        /%s docker: %s | cell: %s" % (p, fmt(d), fmt(c)))
    dc, cc = dconf.get("config") or {}, cconf.get("config") or {}
    for f in CONFIG_FIELDS:
        dv, cv = dc.get(f), cc.get(f)
        # An empty list or map and an absent one mean the same to both.
        if dv in ([], {}, ""):
            dv = None
        if cv in ([], {}, ""):
            cv = None
        if dv != cv:
            diffs.append("config %s: docker %s | cell %s" % (f, json.dumps(dv, sort_keys=True),
                                                              json.dumps(cv, sort_keys=True)))
    for line in diffs:
        print(line)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
