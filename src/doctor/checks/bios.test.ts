/**
 * The BIOS rows Linux can see, on host trees written as the kernel and firmware write them
 * (cpuinfo flags, intel_pstate/cpufreq boost, SMBIOS type 4, cpuidle): what each check says for
 * pass, warn and fail, read through discovery as doctor reads a real host.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir } from "../../../test/facts/tmp.js";
import { discoverHost } from "../../facts/discover.js";
import { AMD_EPYC_NPS4, SEED_C240M5, buildHostFacts, type HostShape } from "../../facts/shapes.js";
import type { HostFacts, ProcessorFact } from "../../facts/types.js";
import { type KernelLayout, writeSnapshotTree } from "../../facts/write-tree.js";
import type { DoctorCheck } from "../types.js";
import { biosChecks } from "./bios.js";

const tmp = scratchDir("nfvhost-bios-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const XEON_6140 = "Intel(R) Xeon(R) Gold 6140 CPU @ 2.30GHz";
const socketOf = (i: number, enabled = 18): ProcessorFact => ({
  socket: `CPU${i + 1}`,
  version: XEON_6140,
  populated: true,
  coreCount: 18,
  coreEnabled: enabled,
  threadCount: enabled * 2,
  evidence: "",
});

let n = 0;
/** Discovers a tree written from the seed's facts changed by `edit`. */
async function host(edit: (f: HostFacts) => void, shape: HostShape = SEED_C240M5, kernel: KernelLayout = {}) {
  const facts = buildHostFacts(shape);
  edit(facts);
  const dir = path.join(tmp, `h${n++}`);
  writeSnapshotTree(facts, dir, { kernel });
  const found = await discoverHost({ root: dir });
  expect(found.warnings.filter((w) => w.kind === "garbage")).toEqual([]);
  return found;
}

const bios = (f: HostFacts, id: string): DoctorCheck => {
  const c = biosChecks(f).find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
};

describe("bios.execute-disable (nx)", () => {
  it("passes when cpuinfo lists nx", async () => {
    const c = bios(await host(() => {}), "bios.execute-disable");
    expect(c).toMatchObject({
      status: "pass",
      evidence: "/proc/cpuinfo flags include nx",
      title: "Execute Disable = Enabled",
    });
  });

  it("fails when the BIOS hides nx, with the BIOS fix", async () => {
    const c = bios(
      await host((f) => {
        f.cpu.nx = false;
      }),
      "bios.execute-disable",
    );
    expect(c.status).toBe("fail");
    expect(c.evidence).toContain("/proc/cpuinfo flags lack nx");
    expect(c.fix).toContain("BIOS setup: Execute Disable = Enabled");
  });

  it("is not visible where cpuinfo has no x86 flags (s390x)", async () => {
    const c = bios(await host(() => {}, SEED_C240M5, { cpuinfo: "s390x" }), "bios.execute-disable");
    expect(c.status).toBe("info");
    expect(c.evidence).toMatch(/^not visible/);
  });
});

describe("bios.turbo-boost", () => {
  it("passes on intel_pstate no_turbo = 0", async () => {
    const f = await host((x) => {
      x.turbo = { enabled: true, source: "intel_pstate", evidence: "" };
    });
    expect(f.turbo).toMatchObject({ enabled: true, source: "intel_pstate" });
    expect(bios(f, "bios.turbo-boost")).toMatchObject({
      status: "pass",
      evidence: "/sys/devices/system/cpu/intel_pstate/no_turbo = 0",
    });
  });

  it("warns on no_turbo = 1 and says how to turn it on now and in the BIOS", async () => {
    const c = bios(
      await host((x) => {
        x.turbo = { enabled: false, source: "intel_pstate", evidence: "" };
      }),
      "bios.turbo-boost",
    );
    expect(c.status).toBe("warn");
    expect(c.evidence).toContain("no_turbo = 1");
    expect(c.fix).toBe(
      "echo 0 > /sys/devices/system/cpu/intel_pstate/no_turbo\n# if it will not change, the BIOS has it off: BIOS setup: Intel Turbo Boost Technology = Enabled",
    );
  });

  it("warns on an AMD host with cpufreq boost = 0, naming Core Performance Boost", async () => {
    const c = bios(
      await host((x) => {
        x.turbo = { enabled: false, source: "cpufreq", evidence: "" };
      }, AMD_EPYC_NPS4),
      "bios.turbo-boost",
    );
    expect(c.status).toBe("warn");
    expect(c.title).toBe("Core Performance Boost (Intel: Intel Turbo Boost Technology) = Enabled");
    expect(c.fix).toContain("echo 1 > /sys/devices/system/cpu/cpufreq/boost");
    expect(c.fix).toContain("BIOS setup: Core Performance Boost = Enabled");
  });

  it("reads amd-pstate's per-policy boost", async () => {
    const f = await host((x) => {
      x.turbo = { enabled: true, source: "cpufreq-policy", evidence: "" };
      x.governors = { performance: x.cpus.map((c) => c.id) };
    }, AMD_EPYC_NPS4);
    expect(bios(f, "bios.turbo-boost").status).toBe("pass");
    expect(f.turbo!.evidence).toBe("/sys/devices/system/cpu/cpuN/cpufreq/boost = 1 on all 128 CPUs");
  });

  it("is not visible without a cpufreq driver", async () => {
    expect(bios(await host(() => {}), "bios.turbo-boost").status).toBe("info");
  });
});

describe("bios.enabled-cores (SMBIOS type 4 against Linux)", () => {
  it("passes when every core of the model is enabled and online", async () => {
    const f = await host((x) => {
      x.processors = [socketOf(0), socketOf(1)];
    });
    expect(f.processors).toMatchObject([
      { socket: "CPU1", version: XEON_6140, coreCount: 18, coreEnabled: 18, populated: true },
      { socket: "CPU2" },
    ]);
    const c = bios(f, "bios.enabled-cores");
    expect(c.status).toBe("pass");
    expect(c.evidence).toBe(
      `SMBIOS type 4 (dmidecode -t 4) CPU1: 18 of 18 cores enabled; CPU2: 18 of 18 cores enabled (${XEON_6140}); Linux has 36 cores online`,
    );
  });

  it("warns when the BIOS disables cores", async () => {
    const c = bios(
      await host((x) => {
        x.processors = [socketOf(0, 16), socketOf(1, 16)];
        x.dmi = { vendor: "Cisco Systems Inc", product: "UCSC-C240-M5SX" };
      }),
      "bios.enabled-cores",
    );
    expect(c.status).toBe("warn");
    expect(c.evidence).toContain("the BIOS disables 4 cores the processors have");
    expect(c.fix).toBe("CIMC > Compute > BIOS > Configure BIOS: Number of Enabled Cores = ALL");
  });

  it("warns when Linux has fewer cores online than the BIOS enabled", async () => {
    const c = bios(
      await host((x) => {
        x.processors = [socketOf(0), socketOf(1)];
        for (const cpu of x.cpus.filter((y) => y.id === 35 || y.id === 71)) cpu.online = false;
        for (const cpu of x.cpus) cpu.siblings = cpu.siblings.filter((s) => s !== 35 && s !== 71);
      }),
      "bios.enabled-cores",
    );
    expect(c.status).toBe("warn");
    expect(c.evidence).toContain("but Linux has 35 of 36 cores online (CPU 35,71 offline)");
    expect(c.fix).toBe("for c in cpu35 cpu71; do echo 1 > /sys/devices/system/cpu/$c/online; done");
  });

  it("is not visible without the SMBIOS table (not root)", async () => {
    const c = bios(await host(() => {}), "bios.enabled-cores");
    expect(c.status).toBe("info");
    expect(c.fix).toContain("dmidecode -t 4");
  });
});

describe("bios.c6 and bios.c1e (the idle states the firmware offers)", () => {
  const offered = ["POLL", "C1", "C1E", "C6"];
  it("warn when cpuidle offers and uses C6 and C1E", async () => {
    const f = await host((x) => {
      x.cpuidle = { driver: "intel_idle", offered };
      x.cstates = [{ cpus: x.cpus.map((c) => c.id), states: offered }];
    });
    const c6 = bios(f, "bios.c6");
    expect(c6.status).toBe("warn");
    expect(c6.evidence).toBe(
      "cpuidle (intel_idle) offers POLL, C1, C1E, C6: C6 enabled on CPU 0-71; waking from it costs microseconds per packet burst",
    );
    expect(c6.fix).toContain("Processor Power State C6 = Disabled");
    expect(bios(f, "bios.c1e").status).toBe("warn");
  });

  it("pass when Linux disabled them on every CPU, saying the BIOS still offers them", async () => {
    const f = await host((x) => {
      x.cpuidle = { driver: "intel_idle", offered };
      x.cstates = [{ cpus: x.cpus.map((c) => c.id), states: ["POLL", "C1"] }];
    });
    const c6 = bios(f, "bios.c6");
    expect(c6.status).toBe("pass");
    expect(c6.evidence).toContain("disabled by Linux on every CPU");
  });

  it("pass when the firmware does not offer them", async () => {
    const f = await host((x) => {
      x.cpuidle = { driver: "intel_idle", offered: ["POLL", "C1"] };
      x.cstates = [{ cpus: x.cpus.map((c) => c.id), states: ["POLL", "C1"] }];
    });
    expect(bios(f, "bios.c6")).toMatchObject({
      status: "pass",
      evidence: "cpuidle (intel_idle) offers POLL, C1: no C6",
    });
    expect(bios(f, "bios.c1e").status).toBe("pass");
  });

  it("are not visible without cpuidle", async () => {
    expect(bios(await host(() => {}), "bios.c6").status).toBe("info");
  });
});

it("the rows Linux cannot see stay a manual checklist", async () => {
  const rows = biosChecks(await host(() => {}));
  const manual = rows.filter((c) => c.title.startsWith("[manual]"));
  expect(manual.map((c) => c.id)).not.toContain("bios.execute-disable");
  for (const c of manual) {
    expect(c.status).toBe("info");
    expect(c.evidence).toMatch(/^UNVERIFIABLE from Linux/);
  }
  expect(rows).toHaveLength(19);
  expect(manual).toHaveLength(14);
});
