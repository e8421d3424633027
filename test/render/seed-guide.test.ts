/**
 * The seed deployment, rendered, compared with what the seed guide (docs/reference/seed-guide.zh.txt)
 * types or shows: its SD-WAN running-config, its nmcli commands, its GRUB_CMDLINE_LINUX, its
 * sysctl keys, its SELinux and firewalld steps. Independent of the golden files.
 */
import { mkdtemp, readFile, rm, writeFile, chmod, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RenderedFile } from "../../src/render/types.js";
import { run } from "../../src/util/exec.js";
import { fileOf, renderSeed } from "./seed.js";

/** `show sdwan running-config` from the guide, indentation as IOS-XE prints it; <HASH> for the secret. */
const SEED_SDWAN_CONFIG = `system
 system-ip 1.1.10.1
 site-id 101
 sp-organization-name CiscoBJ
 organization-name CiscoBJ
 vbond 10.75.58.51 port 12346
!
hostname CSR1000v-1
username admin privilege 15 secret 9 <HASH>
ip name-server 64.104.123.245
ip route 0.0.0.0 0.0.0.0 10.75.59.1
interface GigabitEthernet1
 no shutdown
 arp timeout 1200
 ip address 10.75.59.35 255.255.255.0
 no ip redirects
 ip mtu 1500
 mtu 1500
 negotiation auto
exit
interface Tunnel1
 no shutdown
 ip unnumbered GigabitEthernet1
 no ip redirects
 ipv6 unnumbered GigabitEthernet1
 no ipv6 redirects
 tunnel source GigabitEthernet1
 tunnel mode sdwan
exit
clock timezone CST 8 0
ntp server 10.75.58.1 version 4
sdwan
 interface GigabitEthernet1
  tunnel-interface
   encapsulation ipsec
   allow-service sshd`;

const SEED_GRUB_LINE =
  'GRUB_CMDLINE_LINUX="crashkernel=auto spectre_v2=retpoline rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt isolcpus=1-8,37-44"';

let files: RenderedFile[];
beforeAll(async () => {
  files = (await renderSeed()).files;
});

describe("seed guide fidelity", () => {
  it("boothook carries the guide's SD-WAN running-config line by line", () => {
    const cfg = fileOf(files, "day0/csr1kv-1/ciscosdwan_cloud_init.cfg").content;
    const boothook = cfg.split("#cloud-boothook\n")[1]!.split("\n--")[0]!;
    const lines = boothook
      .replace(/secret 9 \$9\$\S+/, "secret 9 <HASH>")
      .trimEnd()
      .split("\n");
    const seed = SEED_SDWAN_CONFIG.split("\n");
    // The guide's output is abridged after allow-service; IOS-XE closes both sdwan sub-modes.
    expect(lines).toEqual([...seed, "  exit", " exit"]);
    expect(cfg).toMatch(
      /^#cloud-config\nvinitparam:\n - vbond : 10\.75\.58\.51\n - org : CiscoBJ\n - rcc : true\n/m,
    );
    expect(cfg.startsWith('Content-Type: multipart/mixed; boundary="')).toBe(true);
  });

  it("uses the guide's nmcli commands", () => {
    const nm = fileOf(files, "network-manager/nmcli.sh").content;
    for (const line of [
      "nmcli connection add con-name eno1 type ethernet autoconnect yes ifname eno1 connection.uuid ",
      "nmcli connection modify eno1 ipv4.method manual ipv4.addresses 10.75.58.43/24 ipv4.gateway 10.75.58.1 ipv4.dns 64.104.123.245\n",
      "nmcli connection add con-name eno2 type ethernet autoconnect yes ifname eno2 connection.uuid ",
      "nmcli connection modify eno2 ethernet.mtu 9216 ipv4.method disabled",
      "nmcli connection modify eno2 sriov.total-vfs 4\n",
      "nmcli connection modify eno2 sriov.vfs '0 mac=8e:df:08:c1:d1:de spoof-check=true trust=true, 1 mac=5a:b9:2f:99:a6:ce spoof-check=true trust=true, 2 mac=46:78:69:e3:71:3d spoof-check=true trust=true, 3 mac=7e:a7:db:3b:1b:b3 spoof-check=true trust=true'\n",
      "nmcli connection modify enp59s16f1 ethernet.mtu 9216 ipv4.method disabled ipv6.method ignore ethernet.mac-address ''\n",
      "nmcli connection add con-name br1 type bridge autoconnect yes ifname br1 connection.uuid ",
      "nmcli connection modify br1 ethernet.mtu 9216 ipv4.method disabled",
      "nmcli connection modify eno5 ethernet.mtu 9216 connection.master br1 connection.slave-type bridge\n",
      "nmcli connection up eno1\n",
    ]) {
      expect(nm).toContain(line);
    }
    const kf = fileOf(files, "network-manager/system-connections/eno2.nmconnection").content;
    expect(kf).toContain("[sriov]\ntotal-vfs=4\nvf.0=mac=8e:df:08:c1:d1:de spoof-check=true trust=true\n");
  });

  it("sets the guide's four sysctl keys", () => {
    const conf = fileOf(files, "host/sysctl.d/90-nfvhost.conf").content;
    const keys = conf.split("\n").filter((l) => l && !l.startsWith("#"));
    expect(keys.sort()).toEqual(
      [
        "net.bridge.bridge-nf-call-arptables = 0",
        "net.bridge.bridge-nf-call-ip6tables = 0",
        "net.bridge.bridge-nf-call-iptables = 0",
        "net.ipv4.ip_forward = 1",
      ].sort(),
    );
    expect(fileOf(files, "host/sysctl.sh").content).toContain("\nsysctl --system\n");
  });

  it("disables SELinux and firewalld the guide's way, with its warning", () => {
    const s = fileOf(files, "host/selinux-firewalld.sh").content;
    expect(s).toContain("\nsed -i 's/SELINUX=enforcing/SELINUX=disabled/g' /etc/selinux/config\n");
    expect(s).toContain("  systemctl stop firewalld\n  systemctl disable firewalld\n");
    expect(s).toMatch(/in production.*switch.*egress firewall/s);
  });

  it("edits GRUB_CMDLINE_LINUX into the guide's line and runs both grub2-mkconfig commands (EL7)", async () => {
    const script = fileOf(files, "host/kernel-args.sh").content;
    expect(script).toContain("\ngrub2-mkconfig -o /boot/grub2/grub.cfg\n");
    expect(script).toContain("  grub2-mkconfig -o /boot/efi/EFI/centos/grub.cfg\n");
    const dir = await mkdtemp(join(tmpdir(), "nfvhost-render-grub-"));
    try {
      await mkdir(join(dir, "bin"));
      await writeFile(
        join(dir, "bin/grub2-mkconfig"),
        `#!/bin/sh\necho "grub2-mkconfig $*" >>"${dir}/calls"\n`,
      );
      await chmod(join(dir, "bin/grub2-mkconfig"), 0o755);
      // The seed's CentOS 7 line before the guide's edit, with stale values to replace.
      const before =
        'GRUB_CMDLINE_LINUX="crashkernel=auto spectre_v2=retpoline rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet isolcpus=2-3 hugepages=4"';
      await writeFile(join(dir, "grub"), `GRUB_TIMEOUT=5\n${before}\nGRUB_DISABLE_RECOVERY="true"\n`);
      await writeFile(join(dir, "kernel-args.sh"), script);
      const env = {
        ...process.env,
        GRUB_DEFAULTS: join(dir, "grub"),
        PATH: `${dir}/bin:${process.env.PATH}`,
      };
      for (let i = 0; i < 2; i++) {
        const r = await run("bash", [join(dir, "kernel-args.sh")], { env, cwd: dir });
        expect(r.code, r.stderr).toBe(0);
      }
      const grub = await readFile(join(dir, "grub"), "utf8");
      expect(grub).toBe(`GRUB_TIMEOUT=5\n${SEED_GRUB_LINE}\nGRUB_DISABLE_RECOVERY="true"\n`);
      expect(await readFile(join(dir, "calls"), "utf8")).toBe(
        "grub2-mkconfig -o /boot/grub2/grub.cfg\ngrub2-mkconfig -o /boot/grub2/grub.cfg\n",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
