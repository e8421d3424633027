import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { seedPlan } from "../../../test/fixtures/render/seed-plan-b.js";
import type { HostFacts, OsFact } from "../../facts/types.js";
import type { Plan } from "../../plan/types.js";
import { run } from "../../util/exec.js";
import { stepScript } from "../script.js";
import { bootLoaderFor } from "./boot.js";
import { hugepagesStep, thpStep } from "./hugepages.js";
import { kernelArgsStep } from "./kernel-args.js";
import { localRepo } from "./local-repo.js";
import { securityStep } from "./security.js";
import { bootArgs, grubDropIn } from "./settings.js";

/** The command-line variables update-grub ends up with: /etc/default/grub, then the drop-in. */
async function grubSees(defaults: string, dropIn: string): Promise<string> {
  const r = await run("sh", [
    "-c",
    '. "$1"; . "$2"; printf \'LINUX=%s|DEFAULT=%s\' "$GRUB_CMDLINE_LINUX" "$GRUB_CMDLINE_LINUX_DEFAULT"',
    "sh",
    defaults,
    dropIn,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

const os = (id: string, version: string, like: string[] = []): OsFact => ({
  id,
  version,
  pretty: `${id} ${version}`,
  like,
});

function facts(over: Partial<HostFacts> = {}): HostFacts {
  return {
    os: os("centos", "7", ["rhel", "fedora"]),
    selinux: { configured: "enforcing", current: "enforcing" },
    firewalld: { installed: true, enabled: true, active: true, evidence: "unit" },
    thp: { enabled: "always", defrag: null },
    hugetlbfsMounts: [],
    sysctl: {},
    ...over,
  } as HostFacts;
}

function plan(edit: (h: Plan["host"]) => void = () => {}): Plan {
  const p = structuredClone(seedPlan);
  edit(p.host);
  return p;
}

describe("boot loader per OS", () => {
  it("picks grubby on EL8+/Fedora, grub2-mkconfig on EL7, update-grub on Debian/Ubuntu", () => {
    expect(bootLoaderFor(os("rocky", "9.3", ["rhel", "centos", "fedora"]))).toEqual({ kind: "grubby" });
    expect(bootLoaderFor(os("almalinux", "8.9", ["rhel"]))).toEqual({ kind: "grubby" });
    expect(bootLoaderFor(os("fedora", "40"))).toEqual({ kind: "grubby" });
    expect(bootLoaderFor(os("centos", "7", ["rhel", "fedora"]))).toEqual({
      kind: "grub2-mkconfig",
      efiDir: "centos",
    });
    expect(bootLoaderFor(os("rhel", "7.9", ["fedora"]))).toEqual({
      kind: "grub2-mkconfig",
      efiDir: "redhat",
    });
    expect(bootLoaderFor(os("ubuntu", "22.04", ["debian"]))).toEqual({ kind: "update-grub" });
    expect(bootLoaderFor(os("debian", "12"))).toEqual({ kind: "update-grub" });
    expect(bootLoaderFor(os("arch", "rolling"))).toMatchObject({ kind: "unknown" });
  });
});

describe("kernel arguments", () => {
  it("uses grubby with the whole line on EL8+", () => {
    const lines = kernelArgsStep(seedPlan, facts({ os: os("rocky", "9") })).lines;
    expect(lines).toContain(
      'grubby --update-kernel=ALL --args="hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt isolcpus=1-8,37-44"',
    );
  });

  it("writes /etc/default/grub.d/nfvhost.cfg and runs update-grub on Debian, idempotently", async () => {
    const step = kernelArgsStep(seedPlan, facts({ os: os("debian", "12") }));
    const dir = await mkdtemp(join(tmpdir(), "nfvhost-render-deb-"));
    try {
      await mkdir(join(dir, "bin"));
      await writeFile(join(dir, "bin/update-grub"), `#!/bin/sh\necho update-grub >>"${dir}/calls"\n`);
      await chmod(join(dir, "bin/update-grub"), 0o755);
      await writeFile(join(dir, "grub"), 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n');
      await mkdir(join(dir, "host/grub.d"), { recursive: true });
      const { set, remove } = bootArgs(seedPlan);
      await writeFile(join(dir, "host/grub.d/nfvhost.cfg"), grubDropIn("t", set, remove));
      const script = stepScript("kernel-args.sh", step, "t").content;
      await writeFile(join(dir, "kernel-args.sh"), script);
      const env = {
        ...process.env,
        GRUB_DROPIN: join(dir, "grub.d/nfvhost.cfg"),
        PATH: `${dir}/bin:${process.env.PATH}`,
      };
      for (let i = 0; i < 2; i++)
        expect((await run("bash", [join(dir, "kernel-args.sh")], { env })).code).toBe(0);
      expect(await grubSees(join(dir, "grub"), join(dir, "grub.d/nfvhost.cfg"))).toBe(
        "LINUX=hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt isolcpus=1-8,37-44|DEFAULT=quiet",
      );
      expect(await readFile(join(dir, "calls"), "utf8")).toBe("update-grub\nupdate-grub\n");
      const sc = await run("shellcheck", [join(dir, "kernel-args.sh")]);
      expect(sc.code, sc.stdout).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("removes isolation the plan no longer wants (grubby and grub.d/nfvhost.cfg), replacing, never appending", async () => {
    const p = plan((h) => {
      h.kernelArgs.args = h.kernelArgs.args.filter((a) => a.key !== "isolcpus");
      h.kernelArgs.changes = [
        { key: "isolcpus", want: null, have: "1-8,37-44" },
        { key: "nohz_full", want: null, have: "1-8" },
      ];
    });
    expect(kernelArgsStep(p, facts({ os: os("rocky", "9") })).lines).toContain(
      'grubby --update-kernel=ALL --remove-args="isolcpus nohz_full rcu_nocbs"',
    );
    const dir = await mkdtemp(join(tmpdir(), "nfvhost-render-rm-"));
    try {
      await writeFile(
        join(dir, "grub"),
        'GRUB_CMDLINE_LINUX="quiet isolcpus=1-8,37-44 nohz_full=1-8 iommu=pt hugepages=4"\nGRUB_CMDLINE_LINUX_DEFAULT="rcu_nocbs=1 splash"\n',
      );
      const { set, remove } = bootArgs(p);
      await writeFile(join(dir, "nfvhost.cfg"), grubDropIn("t", set, remove));
      expect(await grubSees(join(dir, "grub"), join(dir, "nfvhost.cfg"))).toBe(
        "LINUX=quiet hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt|DEFAULT=splash",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses an argument value that would break out of the sed expression", () => {
    const bad = plan((h) => {
      h.kernelArgs.args.push({ key: "isolcpus", value: '1"/;reboot' });
    });
    expect(() => kernelArgsStep(bad, facts())).toThrow(/value of kernel argument isolcpus/);
  });

  it("stops with the arguments to add by hand on an OS it does not know", () => {
    const lines = kernelArgsStep(seedPlan, facts({ os: os("arch", "rolling") })).lines.join("\n");
    expect(lines).toMatch(/does not know how arch rolling sets kernel arguments.*\nexit 1/s);
  });
});

describe("hugepages and THP", () => {
  it("mounts hugetlbfs for the VNFs' page size unless discovery saw one", () => {
    expect(hugepagesStep(seedPlan, facts()).lines.join("\n")).toContain(
      "mount -t hugetlbfs -o pagesize=1G hugetlbfs /dev/hugepages1G",
    );
    const seen = hugepagesStep(
      seedPlan,
      facts({ hugetlbfsMounts: [{ path: "/dev/hugepages", pageSizeKiB: 1048576 }] }),
    );
    expect(seen.lines.join("\n")).not.toContain("mount -t hugetlbfs");
    expect(seen.lines.join("\n")).toContain("mounted at /dev/hugepages already");
  });

  it("sets THP now and at boot only when asked", () => {
    expect(thpStep(seedPlan, facts())).toBeNull();
    const r = thpStep(
      plan((h) => void (h.thp = "never")),
      facts(),
    )!;
    expect(r.tmpfiles).toContain("w /sys/kernel/mm/transparent_hugepage/enabled - - - - never");
    expect(r.step.lines).toContain("echo never >/sys/kernel/mm/transparent_hugepage/enabled");
    expect(r.step.changes).toEqual(["transparent hugepages: always -> never"]);
  });
});

describe("SELinux, firewalld, local repository", () => {
  it("keeps what the topology keeps", () => {
    expect(
      securityStep(
        plan((h) => ((h.selinux = "keep"), (h.firewalld = "keep"))),
        facts(),
      ),
    ).toBeNull();
    const permissive = securityStep(
      plan((h) => ((h.selinux = "permissive"), (h.firewalld = "keep"))),
      facts(),
    )!;
    expect(permissive.lines).toContain("sed -i 's/^SELINUX=[a-z]*$/SELINUX=permissive/' /etc/selinux/config");
    expect(permissive.lines.join("\n")).not.toContain("firewalld");
  });

  it("leaves SELinux alone where it is not installed (Debian), as apply does", () => {
    const deb = facts({
      os: os("debian", "12"),
      selinux: { configured: null, current: null },
      firewalld: { installed: false, enabled: null, active: null, evidence: "no unit" },
    });
    const step = securityStep(plan(), deb)!;
    expect(step.lines.join("\n")).not.toContain("/etc/selinux/config");
    expect(step.reboot).toBeUndefined();
  });

  it("renders the seed's local.repo and fstab line", () => {
    const r = localRepo(
      plan(
        (h) =>
          void (h.localRepo = {
            iso: "/opt/CentOS-7-x86_64-Everything-2009.iso",
            mountpoint: "/media/cdrom",
          }),
      ),
    )!;
    const byPath = Object.fromEntries(r.files.map((f) => [f.path, f.content]));
    expect(byPath["host/local-repo/local.repo"]).toBe(
      "[local]\nname=local\nbaseurl=file:///media/cdrom\ngpgcheck=0\nenabled=1\n",
    );
    expect(byPath["host/local-repo/fstab.line"]).toBe(
      "/opt/CentOS-7-x86_64-Everything-2009.iso /media/cdrom iso9660 loop 0 0\n",
    );
    expect(r.step.lines).toContain(
      "mountpoint -q /media/cdrom || mount -t iso9660 -o loop /opt/CentOS-7-x86_64-Everything-2009.iso /media/cdrom",
    );
    expect(() =>
      localRepo(plan((h) => void (h.localRepo = { iso: "/opt/my iso.iso", mountpoint: "/media/cdrom" }))),
    ).toThrow(/without spaces/);
  });
});
