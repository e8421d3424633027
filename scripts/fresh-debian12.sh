#!/usr/bin/env bash
# Proves the README's test command on a fresh Debian 12: builds a minimal Debian 12 root
# (debootstrap --variant=minbase: no Node, no libvirt, no QEMU, nothing of the tests' needs), runs
# it as a container (its own mount, PID, UTS and IPC namespaces, pivot_root into the root; /dev,
# /sys and the network are the kernel's, as a VM sees its own, and as `docker run --privileged
# --network host` shares them), clones the repository into it and runs exactly README line 2:
#
#   bash scripts/install-test-deps.sh && npm ci && npm test
#
# Usage: bash scripts/fresh-debian12.sh [ROOTFS] [COMMIT]    (as root; ROOTFS default
# /var/tmp/nfvhost-fresh-debian12, removed first; COMMIT default HEAD). Exit status: the command's.
#
# The machine it runs on keeps its own daemons: the container starts its own libvirtd and
# virtlogd (own /run), and shares only the lab suites' lock directory with the host, so a test run
# on the host and one in the container take turns with test domains and hugepages.
# Takes ~20 min on 2 cores (debootstrap ~3 min, packages ~2 min, npm ci ~1 min, npm test).
set -euo pipefail
cd "$(dirname "$0")/.."

ROOTFS="${1:-/var/tmp/nfvhost-fresh-debian12}"
COMMIT="${2:-HEAD}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [ "$(id -u)" -ne 0 ]; then
  echo "fresh-debian12: run as root (debootstrap, namespaces, the tests' own needs)" >&2
  exit 1
fi
command -v debootstrap >/dev/null || {
  echo "fresh-debian12: needs debootstrap on this machine: apt-get install -y debootstrap" >&2
  exit 1
}
case "$ROOTFS" in
  /var/tmp/?* | /tmp/?* | /srv/?*) ;;
  *)
    echo "fresh-debian12: ROOTFS $ROOTFS is removed and rebuilt; expected a path under /var/tmp, /tmp or /srv" >&2
    exit 1
    ;;
esac

rm -rf --one-file-system "$ROOTFS"
mkdir -p "$ROOTFS"
echo "fresh-debian12: debootstrap bookworm into $ROOTFS"
debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >"$ROOTFS.debootstrap.log" 2>&1 || {
  tail -20 "$ROOTFS.debootstrap.log" >&2
  exit 1
}
# A Debian 12 image's sources: the release, its updates and security.
cat >"$ROOTFS/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
# The network's own settings, as any machine on this network has them: DNS, an apt archive
# snapshot's validity rule and the CA of a TLS-inspecting egress (none of them installs anything).
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
if [ -f /etc/apt/apt.conf.d/99artifact-registry ]; then
  cp /etc/apt/apt.conf.d/99artifact-registry "$ROOTFS/etc/apt/apt.conf.d/"
fi
extra_ca=""
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$ROOTFS/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/"
  cat /usr/local/share/ca-certificates/*.crt >"$ROOTFS/etc/nfvhost-network-ca.pem"
  extra_ca=/etc/nfvhost-network-ca.pem
fi

git clone -q --no-hardlinks . "$ROOTFS/root/nfvhost"
git -C "$ROOTFS/root/nfvhost" checkout -q "$(git rev-parse "$COMMIT")"

# The README's second set-up command: the second line of its first code block.
test_command="$(awk '/^```/{n++; next} n==1{c++; if (c==2) {print; exit}}' README.md)"
case "$test_command" in
  *"npm test"*) ;;
  *) echo "fresh-debian12: README's second command is not a test command: $test_command" >&2; exit 1 ;;
esac

mkdir -p /tmp/nfvt-apply-suite
set +e
# shellcheck disable=SC2016 # the script runs in the new namespaces and expands its own arguments
unshare --mount --pid --fork --uts --ipc -- bash -euo pipefail -c '
R="$1"; EXTRA_CA="$2"
mount --make-rprivate /
mount --bind "$R" "$R"
mount -t proc proc "$R/proc"
mount --rbind /sys "$R/sys"
mount --make-rslave "$R/sys"
# /dev as a VM has it: the kernel devtmpfs, where the /dev/tapN node of each macvtap link
# appears (the static /dev of a container runtime lacks them: libvirt could not open a macvtap NIC).
# pts, shm and the hugetlbfs mounts the tests make belong to this namespace alone.
mount -t devtmpfs devtmpfs "$R/dev"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
# The devtmpfs is the host one: a package that changes a node (qemu and libvirt give /dev/kvm to
# their kvm group, whose gid differs from the host kvm group) would change it on the host too, and
# the host libvirtd could no longer use KVM. The container gets its own node of each such device.
mkdir -p "$R/run/nfvhost-dev"
for d in kvm vhost-net vhost-vsock; do
  [ -c "/dev/$d" ] || continue
  mknod "$R/run/nfvhost-dev/$d" c "$((16#$(stat -c %t "/dev/$d")))" "$((16#$(stat -c %T "/dev/$d")))"
  chmod --reference="/dev/$d" "$R/run/nfvhost-dev/$d"
  chown --reference="/dev/$d" "$R/run/nfvhost-dev/$d"
  mount --bind "$R/run/nfvhost-dev/$d" "$R/dev/$d"
done
mkdir -p "$R/tmp/nfvt-apply-suite"
mount --bind /tmp/nfvt-apply-suite "$R/tmp/nfvt-apply-suite"
hostname nfvhost-fresh-debian12
cd "$R"; mkdir -p .oldroot; pivot_root . .oldroot; cd /
umount -l /.oldroot; rmdir /.oldroot
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root CI=true TEST_COMMAND="$3" \
  ${EXTRA_CA:+NODE_EXTRA_CA_CERTS=$EXTRA_CA} \
  bash -c "cd /root/nfvhost && echo \"\$ \$TEST_COMMAND\" && eval \"\$TEST_COMMAND\"" </dev/null
' fresh "$ROOTFS" "$extra_ca" "$test_command"
rc=$?
set -e
echo "fresh-debian12: README line 2 in a fresh Debian 12 container exited $rc"
exit "$rc"
