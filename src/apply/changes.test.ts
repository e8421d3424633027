import { describe, expect, it } from "vitest";
import type { LiveDomain } from "../libvirt/deployed.js";
import { parseDomainXml } from "../libvirt/domain-xml.js";
import { markNetworkXml, networkOwner } from "../libvirt/network-owner.js";
import type { NetworkPlan, VnfPlan } from "../plan/types.js";
import { renderNetworkXml } from "../render/libvirt/index.js";
import { computeChanges, type Desired, type LiveState } from "./changes.js";

function xml(
  o: { name?: string; pin?: string; emu?: string; memKiB?: number; meta?: boolean; image?: string } = {},
): string {
  const meta =
    o.meta === false
      ? ""
      : `<metadata><nfvhost:vnf xmlns:nfvhost="https://nfvhost.dev/xmlns/1" topology="lab" vnf="${o.name ?? "r1"}"/></metadata>`;
  return `<domain type="qemu"><name>${o.name ?? "r1"}</name>${meta}<memory unit="KiB">${o.memKiB ?? 131072}</memory>
<memoryBacking><hugepages><page size="2048" unit="KiB"/></hugepages></memoryBacking><vcpu>1</vcpu>
<cputune><vcpupin vcpu="0" cpuset="${o.pin ?? "1"}"/><emulatorpin cpuset="${o.emu ?? "0"}"/></cputune>
<numatune><memory mode="strict" nodeset="0"/></numatune><os><type>hvm</type></os>
<devices><disk type="file" device="disk"><source file="${o.image ?? "/img/r1.qcow2"}"/><target dev="vda" bus="virtio"/></disk></devices></domain>`;
}

function desired(x: string, extra: Partial<Desired> = {}): Desired {
  return {
    sysfs: [],
    nm: [],
    isos: [],
    networks: [],
    domains: [{ vnf: { name: "r1" } as VnfPlan, name: "r1", xml: x, autostart: true }],
    ...extra,
  };
}

function live(
  domains: { config: string; live?: string; state: string; autostart?: boolean }[],
  extra: Partial<LiveState> = {},
): LiveState {
  const m = new Map<string, LiveDomain & { autostart: boolean }>();
  for (const d of domains) {
    const config = parseDomainXml(d.config);
    m.set(config.name, {
      name: config.name,
      state: d.state,
      config,
      configXml: d.config,
      summary: parseDomainXml(d.live ?? d.config),
      managed: config.metadata !== null,
      autostart: d.autostart ?? true,
    });
  }
  return {
    domains: m,
    networks: new Map(),
    sysfs: new Map(),
    files: new Map(),
    isoDigests: new Map(),
    ...extra,
  };
}

const opts = { yes: new Set<string>(), adopt: false, topologyName: "lab" };

describe("change set", () => {
  it("defines, starts and autostarts a new domain, showing its whole XML", () => {
    const set = computeChanges(desired(xml()), live([]), opts);
    expect(set.changes).toHaveLength(1);
    expect(set.changes[0]).toMatchObject({
      kind: "domain",
      define: true,
      start: true,
      autostart: true,
      beforeXml: null,
    });
    expect((set.changes[0] as { diff: string[] }).diff[0]).toBe(
      '+<domain type="qemu"><name>r1</name><metadata><nfvhost:vnf xmlns:nfvhost="https://nfvhost.dev/xmlns/1" topology="lab" vnf="r1"/></metadata><memory unit="KiB">131072</memory>',
    );
  });

  it("has nothing to do when the running domain matches", () => {
    const set = computeChanges(desired(xml()), live([{ config: xml(), state: "running" }]), opts);
    expect(set).toEqual({ changes: [], held: [], orphans: [], deferred: [] });
  });

  it("resumes a paused VNF (paused is drift, not converged), and nothing else", () => {
    const set = computeChanges(desired(xml()), live([{ config: xml(), state: "paused" }]), opts);
    expect(set.changes).toHaveLength(1);
    const c = set.changes[0]!;
    expect(c.kind === "domain" && [c.resume, c.start, c.define, c.restart]).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });

  it("re-pins a live-only drift without a restart", () => {
    const set = computeChanges(
      desired(xml()),
      live([{ config: xml(), live: xml({ pin: "0" }), state: "running" }]),
      opts,
    );
    expect(set.changes).toEqual([
      expect.objectContaining({
        kind: "domain",
        define: false,
        restart: false,
        start: false,
        repins: [{ vcpu: 0, cpuset: "1", live: "0", was: "0" }],
      }),
    ]);
  });

  it("re-pins a live vCPU that is not pinned at all; rollback gets every host CPU back, not a label", () => {
    const unpinned = xml().replace(/<cputune>.*<\/cputune>/, "");
    const set = computeChanges(
      desired(xml()),
      live([{ config: xml(), live: unpinned, state: "running" }]),
      opts,
    );
    expect(set.changes[0]).toMatchObject({
      repins: [
        { vcpu: 0, cpuset: "1", live: "(unpinned)", was: null },
        { vcpu: "emulator", cpuset: "0", live: "(unpinned)", was: null },
      ],
    });
  });

  it("fixes a pin-only config drift of a running domain live, and other drift only with --yes NAME", () => {
    const pinned = computeChanges(
      desired(xml()),
      live([{ config: xml({ emu: "1" }), live: xml({ emu: "1" }), state: "running" }]),
      opts,
    );
    expect(pinned.changes[0]).toMatchObject({
      define: false,
      repins: [{ vcpu: "emulator", cpuset: "0", live: "1", was: "1" }],
    });

    const mem = live([{ config: xml({ memKiB: 65536 }), live: xml(), state: "running" }]);
    const held = computeChanges(desired(xml()), mem, opts);
    expect(held.changes).toEqual([]);
    expect(held.held).toEqual([
      expect.objectContaining({
        what: "domain r1 (running): 2 setting(s) differ",
        fix: expect.stringContaining("--yes r1"),
      }),
    ]);

    const yes = computeChanges(desired(xml()), mem, { ...opts, yes: new Set(["r1"]) });
    expect(yes.changes[0]).toMatchObject({ define: true, restart: true, start: true });
    expect((yes.changes[0] as { diff: string[] }).diff).toEqual([
      "-/domain/memory = 65536 KiB",
      "-/domain/currentMemory = 65536 KiB",
      "+/domain/memory = 131072 KiB",
      "+/domain/currentMemory = 131072 KiB",
    ]);
  });

  it("redefines a shut-off domain without asking, and starts it", () => {
    const set = computeChanges(
      desired(xml()),
      live([{ config: xml({ image: "/img/old.qcow2" }), state: "shut off" }]),
      opts,
    );
    expect(set.changes[0]).toMatchObject({ define: true, restart: false, start: true, autostart: null });
  });

  it("never touches a domain nfvhost did not create without --adopt", () => {
    const foreign = live([{ config: xml({ meta: false }), state: "shut off" }]);
    const set = computeChanges(desired(xml()), foreign, opts);
    expect(set.changes).toEqual([]);
    expect(set.held[0]!.why).toContain("not created by nfvhost");
    const adopted = computeChanges(desired(xml()), foreign, { ...opts, adopt: true });
    expect(adopted.changes[0]).toMatchObject({ define: true, start: true });
  });

  it("a running domain nfvhost did not create, adopted without --yes NAME, is held whole: not re-pinned, autostart untouched", () => {
    // Someone else's VM: unpinned, autostart off, another memory size.
    const theirs = xml({ meta: false, memKiB: 32768 }).replace(/<cputune>.*<\/cputune>/s, "");
    const foreign = live([{ config: theirs, state: "running", autostart: false }]);
    const held = computeChanges(desired(xml()), foreign, opts);
    expect(held.changes).toEqual([]);
    expect(held.held[0]!.fix).toContain("--adopt --yes r1");
    const adoptOnly = computeChanges(desired(xml()), foreign, { ...opts, adopt: true });
    expect(adoptOnly.changes).toEqual([]);
    expect(adoptOnly.held[0]).toMatchObject({ domain: "r1", fix: expect.stringContaining("--yes r1") });
    const adoptYes = computeChanges(desired(xml()), foreign, { ...opts, adopt: true, yes: new Set(["r1"]) });
    expect(adoptYes.held).toEqual([]);
    expect(adoptYes.changes[0]).toMatchObject({ define: true, restart: true, start: true, autostart: true });
  });

  it("only ever raises hugepages; a non-zero VF count is changed only with --yes PF", () => {
    const d = desired(xml(), {
      domains: [],
      sysfs: [
        { path: "/sys/hp", value: 64, rule: "at-least", what: "hugepages" },
        { path: "/sys/hp2", value: 64, rule: "at-least", what: "hugepages" },
        { path: "/sys/vf", value: 4, rule: "exact", what: "VFs of eno2", owner: "eno2" },
      ],
    });
    const l = live([], {
      sysfs: new Map([
        ["/sys/hp", "128"],
        ["/sys/hp2", "10"],
        ["/sys/vf", "2"],
      ]),
    });
    const set = computeChanges(d, l, opts);
    expect(set.changes).toEqual([
      { kind: "sysfs", path: "/sys/hp2", from: "10", to: "64", what: "hugepages" },
    ]);
    expect(set.held[0]!.fix).toBe("re-run with --yes eno2");
    const zero = computeChanges(
      d,
      live([], {
        sysfs: new Map([
          ["/sys/hp", "64"],
          ["/sys/hp2", "64"],
          ["/sys/vf", "0"],
        ]),
      }),
      opts,
    );
    expect(zero.changes).toEqual([
      { kind: "sysfs", path: "/sys/vf", from: "0", to: "4", what: "VFs of eno2" },
    ]);
  });

  it("reports managed domains the topology no longer lists, without touching them", () => {
    const l = live([
      { config: xml(), state: "running" },
      { config: xml({ name: "old" }), state: "running" },
    ]);
    expect(computeChanges(desired(xml()), l, opts).orphans).toEqual(["old"]);
  });

  describe("libvirt networks nfvhost did not create", () => {
    const mine = (bridge = "br1") =>
      markNetworkXml(renderNetworkXml({ name: "net-br1", type: "bridge", bridge } as NetworkPlan), "lab");
    const bare = (bridge = "br1") =>
      renderNetworkXml({ name: "net-br1", type: "bridge", bridge } as NetworkPlan);
    const withNet = (x: string, active = true, autostart = true) =>
      live([], {
        networks: new Map([
          ["net-br1", { name: "net-br1", xml: x, active, autostart, managed: networkOwner(x) !== null }],
        ]),
      });
    const wantNet = (domains: Desired["domains"] = []) =>
      desired(xml(), { networks: [{ name: "net-br1", xml: mine() }], domains });

    it("refuses to redefine a foreign network, naming it, the reason and --adopt", () => {
      const set = computeChanges(wantNet(), withNet(bare("br9")), opts);
      expect(set.changes).toEqual([]);
      expect(set.held).toEqual([
        {
          what: "network net-br1",
          why: expect.stringMatching(/not created by nfvhost.*differs from the plan.*bridge\/@name = br9/),
          fix: expect.stringContaining("--adopt"),
        },
      ]);
    });

    it("refuses to start a foreign network, and holds back the domains that use it", () => {
      const r1 = xml().replace(
        "</devices>",
        '<interface type="network"><source network="net-br1"/><mac address="52:54:00:00:00:01"/></interface></devices>',
      );
      const set = computeChanges(
        wantNet([{ vnf: { name: "r1" } as VnfPlan, name: "r1", xml: r1, autostart: true }]),
        withNet(bare(), false),
        opts,
      );
      expect(set.changes).toEqual([]);
      expect(set.held.map((h) => h.what)).toEqual(["network net-br1", "domain r1"]);
      expect(set.held[0]!.why).toContain("is not active");
      expect(set.held[1]!.why).toContain("uses network net-br1");
    });

    it("leaves a foreign network that already says what the plan says as it is (autostart too)", () => {
      const set = computeChanges(wantNet([]), withNet(bare(), true, false), opts);
      expect(set).toEqual({ changes: [], held: [], orphans: [], deferred: [] });
    });

    it("takes a foreign network over with --adopt, writing nfvhost's mark even when it matches", () => {
      const set = computeChanges(wantNet([]), withNet(bare(), true, true), { ...opts, adopt: true });
      expect(set.changes).toEqual([
        expect.objectContaining({ kind: "network", define: true, start: false, autostart: false }),
      ]);
      expect(networkOwner((set.changes[0] as { xml: string }).xml)).toEqual({ topology: "lab" });
      // The redefinition keeps the UUID libvirt gave the network.
      const uuid = "a693e526-4c1c-406d-9db2-e9d799edf2d0";
      const withUuid = bare().replace("</name>", `</name><uuid>${uuid}</uuid>`);
      const again = computeChanges(wantNet([]), withNet(withUuid), { ...opts, adopt: true });
      expect((again.changes[0] as { xml: string }).xml).toContain(`<uuid>${uuid}</uuid>`);
    });

    it("redefines, starts and autostarts its own network without --adopt", () => {
      const set = computeChanges(wantNet([]), withNet(mine("br9"), false, false), opts);
      expect(set.held).toEqual([]);
      expect(set.changes).toEqual([
        expect.objectContaining({ kind: "network", define: true, start: true, autostart: true }),
      ]);
      expect(computeChanges(wantNet([]), withNet(mine()), opts).changes).toEqual([]);
    });
  });
});
