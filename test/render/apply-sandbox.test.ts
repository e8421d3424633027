/**
 * The seed's apply.sh, run for real in a throw-away mount namespace: /etc and /dev are overlays,
 * /var/lib and the NUMA sysfs tree are tmpfs, /proc/cmdline is the seed's, and the commands that
 * would change this machine (nmcli, virsh, systemctl, grub2-mkconfig, sysctl, modprobe, mount...)
 * are recording fakes. It must run from top to bottom under `set -euo pipefail`, in the guide's
 * order, leave the files the guide edits as the guide leaves them, and run a second time cleanly.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeArtifacts } from "../../src/render/index.js";
import { run } from "../../src/util/exec.js";
import { renderSeed } from "./seed.js";

const SEED_CMDLINE =
  "BOOT_IMAGE=/vmlinuz-3.10.0-1127.el7.x86_64 root=/dev/mapper/centos-root ro crashkernel=auto spectre_v2=retpoline rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt isolcpus=1-8,37-44 LANG=en_US.UTF-8";

const RECORD = 'echo "$(basename "$0") $*" >>"$SB/calls"';
const FAKES: Record<string, string> = {
  nmcli: `${RECORD}
case "$1 $2" in
  "connection show") [ -e "$SB/state/nm-$3" ] ;;
  "connection add") touch "$SB/state/nm-$4" ;;
esac`,
  virsh: `${RECORD}
S="$SB/state"
case "$1" in
  net-info) [ -e "$S/net-$2" ] || { echo "error: network not found: $2" >&2; exit 1; }; printf 'Name: %s\\nActive: %s\\n' "$2" "$(cat "$S/net-$2")" ;;
  net-define) n=$(basename "$2" .xml); [ -e "$S/net-$n" ] || echo no >"$S/net-$n" ;;
  net-start) echo yes >"$S/net-$2" ;;
  net-dumpxml) echo "<network><name>$3</name></network>" ;;
  dominfo) [ -e "$S/dom-$2" ] ;;
  define) n=$(basename "$2" .xml); [ -e "$S/dom-$n" ] || echo "shut off" >"$S/dom-$n" ;;
  domstate) cat "$S/dom-$2" ;;
  start) echo running >"$S/dom-$2" ;;
  dumpxml) echo "<domain><name>$4</name></domain>" ;;
esac`,
  getenforce: "echo Enforcing",
};
for (const name of [
  "systemctl",
  "grub2-mkconfig",
  "sysctl",
  "modprobe",
  "mount",
  "setenforce",
  "udevadm",
  "ping",
  "ip",
]) {
  FAKES[name] = RECORD;
}
FAKES.mountpoint = `${RECORD}\nexit 1`;

let sb: string;
let out: string;

beforeAll(async () => {
  sb = await mkdtemp(join(tmpdir(), "nfvhost-render-apply-"));
  out = join(sb, "out");
  await writeArtifacts((await renderSeed()).files, out);
  for (const d of ["bin", "state", "etc-upper", "etc-work", "dev-upper", "dev-work", "result"])
    await mkdir(join(sb, d));
  for (const [name, body] of Object.entries(FAKES)) {
    await writeFile(join(sb, "bin", name), `#!/bin/bash\n${body}\n`);
    await chmod(join(sb, "bin", name), 0o755);
  }
  await writeFile(join(sb, "cmdline"), `${SEED_CMDLINE}\n`);
});

afterAll(async () => {
  await rm(sb, { recursive: true, force: true });
});

/** Runs apply.sh `times` times in one private mount namespace; returns each run's exit code and output. */
async function applyInSandbox(times: number): Promise<{ code: number; stdout: string; stderr: string }> {
  const node = "/sys/devices/system/node";
  const hp = (n: number) => `${node}/node${n}/hugepages/hugepages-1048576kB/nr_hugepages`;
  const setup = [
    "set -euo pipefail",
    // This machine's own hugetlbfs mounts (other suites make some) vanish from the namespace's view.
    "awk '$3 == \"hugetlbfs\" { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l",
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${sb}/etc-upper,workdir=${sb}/etc-work /etc`,
    `mount -t overlay overlay -o lowerdir=/dev,upperdir=${sb}/dev-upper,workdir=${sb}/dev-work /dev`,
    "mount -t tmpfs tmpfs /var/lib",
    `mount -t tmpfs tmpfs ${node}`,
    ...[0, 1].map((n) => `mkdir -p ${hp(n).replace(/\/nr_hugepages$/, "")} && echo 4 >${hp(n)}`),
    `mount --bind ${sb}/cmdline /proc/cmdline`,
    "mkdir -p /etc/default /etc/selinux",
    `printf '%s\\n' 'GRUB_TIMEOUT=5' 'GRUB_CMDLINE_LINUX="crashkernel=auto rhgb quiet"' >/etc/default/grub`,
    "printf 'SELINUX=enforcing\\nSELINUXTYPE=targeted\\n' >/etc/selinux/config",
    `export SB=${sb} PATH=${sb}/bin:$PATH`,
    ...Array.from({ length: times }, (_, i) => `echo "=== run ${i + 1}" >>${sb}/calls; bash ${out}/apply.sh`),
    `cat ${hp(0)} ${hp(1)} >${sb}/result/hugepages`,
    `ls -R /var/lib/nfvhost >${sb}/result/var-lib-nfvhost`,
  ].join("\n");
  return run("unshare", ["--mount", "--propagation", "private", "bash", "-c", setup]);
}

describe("apply.sh in a sandbox", () => {
  it("runs every step in the guide's order, twice, and leaves the guide's files", async () => {
    const r = await applyInSandbox(2);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/==> done/g)).toHaveLength(2);

    const [first, second] = (await readFile(join(sb, "calls"), "utf8")).split(/=== run \d\n/).slice(1) as [
      string,
      string,
    ];
    const order = [
      "setenforce 0",
      "systemctl stop firewalld",
      "modprobe br_netfilter",
      "sysctl --system",
      "grub2-mkconfig -o /boot/grub2/grub.cfg",
      "mount -t hugetlbfs -o pagesize=1G hugetlbfs /dev/hugepages1G",
      "nmcli connection add con-name br1 type bridge",
      "nmcli connection modify eno2 sriov.total-vfs 4",
      "nmcli connection up eno2",
      "nmcli connection up eno1",
      "systemctl stop network",
      "virsh net-define libvirt/networks/eno2_sriov_pool.xml",
      "virsh net-start eno2_sriov_pool",
      "virsh define libvirt/domains/csr1kv-1.xml",
      "virsh autostart csr1kv-1",
      "virsh start csr1kv-1",
    ];
    let at = -1;
    for (const call of order) {
      const i = first.indexOf(call);
      expect(i, `${call} after position ${at}`).toBeGreaterThan(at);
      at = i;
    }
    // Second run: profiles and libvirt objects exist, the VM runs: nothing is added or started again.
    expect(second).not.toContain("nmcli connection add");
    expect(second).not.toContain("virsh net-start");
    expect(second).not.toContain("virsh start");
    expect(second).toContain("nmcli connection modify eno1 ipv4.method manual");

    const upper = (p: string) => readFile(join(sb, "etc-upper", p), "utf8");
    expect(await upper("selinux/config")).toBe("SELINUX=disabled\nSELINUXTYPE=targeted\n");
    expect(await upper("default/grub")).toBe(
      'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="crashkernel=auto rhgb quiet hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt isolcpus=1-8,37-44"\n',
    );
    expect(await upper("sysctl.d/90-nfvhost.conf")).toContain("net.ipv4.ip_forward = 1\n");
    expect(await upper("modules-load.d/br_netfilter.conf")).toContain("\nbr_netfilter\n");
    expect(
      (await upper("fstab")).match(/^hugetlbfs \/dev\/hugepages1G hugetlbfs pagesize=1G 0 0$/gm),
    ).toHaveLength(1);
    expect(await readFile(join(sb, "result/hugepages"), "utf8")).toBe("16\n16\n");
    const saved = await readFile(join(sb, "result/var-lib-nfvhost"), "utf8");
    expect(saved).toContain("csr1kv-1-day0.iso");
    expect(saved).toMatch(/domain-csr1kv-1\.\d{14}\.xml/);
    expect(saved).toMatch(/network-eno2_sriov_pool\.\d{14}\.xml/);
  });
});
