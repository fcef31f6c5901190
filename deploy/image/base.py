#!/usr/bin/env python3
"""The image's base as a Docker archive (what `docker save` writes), made from target/image-root
(deploy/image/rootfs.sh) with no daemon and no registry: one layer, every file root's and not
writable by others, but /data (the data directory, the volume: licensor's, 0700) and /tmp (1777).
Jib builds the application's layers on top of it (from.image tar://target/image-base.tar)."""
import hashlib, io, json, os, sys, tarfile

root = sys.argv[1] if len(sys.argv) > 1 else "target/image-root"
out = sys.argv[2] if len(sys.argv) > 2 else "target/image-base.tar"
UID = GID = 65532

def entries():
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            full = os.path.join(dirpath, name)
            yield full, "./" + os.path.relpath(full, root)

layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
    for full, arc in entries():
        info = t.gettarinfo(full, arc)
        info.mtime = 0
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        if info.isdir():
            info.mode = 0o755
        elif info.isfile():
            info.mode = 0o755 if os.access(full, os.X_OK) else 0o644
        if arc == "./data":
            info.uid, info.gid, info.uname, info.gname, info.mode = UID, GID, "licensor", "licensor", 0o700
        if arc == "./tmp":
            info.mode = 0o1777
        if info.isfile():
            with open(full, "rb") as f:
                t.addfile(info, f)
        else:
            t.addfile(info)
data = layer.getvalue()
digest = hashlib.sha256(data).hexdigest()
config = {
    "architecture": "amd64", "os": "linux",
    "config": {"Env": ["PATH=/opt/java/bin"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + digest]},
    "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "deploy/image/base.py"}],
}
config_bytes = json.dumps(config, sort_keys=True).encode()
config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
manifest = json.dumps([{"Config": config_name, "RepoTags": ["licensor-base:local"], "Layers": [digest + "/layer.tar"]}]).encode()
with tarfile.open(out, "w") as t:
    for name, blob in ((digest + "/layer.tar", data), (config_name, config_bytes), ("manifest.json", manifest)):
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(blob), 0, 0o644
        t.addfile(info, io.BytesIO(blob))
print(f"base image {out}: one layer, {len(data) >> 20} MiB, sha256:{digest[:12]}")
