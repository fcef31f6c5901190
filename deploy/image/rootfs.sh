#!/usr/bin/env bash
# The container image's base, made here from this machine's own JDK and C library (no registry, no
# Docker daemon): a Java runtime cut by jlink to /opt/java, the shared libraries it and licensor's
# native code (AWS-LC, BoringSSL, the embedded PostgreSQL) load, /bin/sh, CA certificates, a non-root user
# (licensor, 65532) and the data directory /data. Jib puts the application on top of it
# (mvn -Pimage package; docs/deployment.md). Writes target/image-root.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=target/image-root
rm -rf "$root"
mkdir -p "$root"/{opt,etc,tmp,data,dev,proc,sys,lib64,usr/lib/x86_64-linux-gnu,lib/x86_64-linux-gnu}
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
# the modules a server (PKCS#11 included) needs, not the compiler or the desktop
"$java_home/bin/jlink" --add-modules java.base,java.compiler,java.datatransfer,java.desktop,java.instrument,java.logging,java.management,java.management.rmi,java.naming,java.net.http,java.prefs,java.rmi,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.sql.rowset,java.transaction.xa,java.xml,java.xml.crypto,jdk.crypto.cryptoki,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.management.jfr,jdk.naming.dns,jdk.net,jdk.security.auth,jdk.unsupported,jdk.zipfs,jdk.jdwp.agent,jdk.localedata \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output "$root/opt/java"
# The shared libraries the runtime's own binaries and libraries load, and those licensor's native
# code and the embedded PostgreSQL need (named here: they are unpacked at run time).
libs() {
  # (not the desktop's AWT, sound and font libraries: java.desktop is here for java.beans, headless)
  find "$root/opt/java" -type f \( -name '*.so' -o -perm -u+x \) -print0 \
    | grep -zvE 'lib(awt|awt_xawt|awt_headless|fontmanager|jawt|lcms|javajpeg|splashscreen|jsound|mlib_image)\.so' \
    | xargs -0 ldd 2>/dev/null \
    | awk '/=> \//{print $3} /^\t\/lib64\//{print $1}'
  for extra in libz.so.1 libstdc++.so.6 libgcc_s.so.1 libdl.so.2 libpthread.so.0 librt.so.1 libm.so.6 libc.so.6 libnss_files.so.2 libnss_dns.so.2 libresolv.so.2; do
    ls /lib/x86_64-linux-gnu/$extra /usr/lib/x86_64-linux-gnu/$extra 2>/dev/null | head -1
  done
}
for lib in $(libs | grep -v -e "^$root" -e "^$(pwd)" -e '^/usr/lib/jvm/' | sort -u); do
  real="$(readlink -f "$lib")"
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$real" "$root$lib"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
# /bin/sh (Debian's dash, on the same C library): the embedded PostgreSQL's initdb starts its
# server through it. Nothing else of a shell or its tools is in the image.
mkdir -p "$root/bin" && cp -L /bin/dash "$root/bin/sh"
# CA certificates (the JDK's cacerts is in the runtime; these are for anything that asks the system)
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$root/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
fi
printf 'root:x:0:0:root:/root:/sbin/nologin\nlicensor:x:65532:65532:licensor:/data:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nlicensor:x:65532:\n' > "$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"
[ -f /etc/os-release ] && cp -L /etc/os-release "$root/etc/os-release"
echo "image base in $root: $(du -sh "$root" | cut -f1)"
