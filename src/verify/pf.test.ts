import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Plan, VfPlan } from "../plan/types.js";
import { verifyPfs, type Check } from "./index.js";

const ipJson = readFileSync(new URL("../../test/fixtures/apply/ip-link-eno2.json", import.meta.url), "utf8");

function vf(index: number, mac: string, trust: boolean, spoofchk: boolean): VfPlan {
  return {
    pf: "eno2",
    pfPci: "0000:3b:00.1",
    index,
    pci: `0000:3b:10.${index * 2 + 1}`,
    name: null,
    mac,
    trust,
    spoofchk,
  };
}

function plan(vfs: VfPlan[], mtu = 9216): Plan {
  return {
    host: {
      sriov: [
        {
          pf: "eno2",
          pci: "0000:3b:00.1",
          driver: "ixgbe",
          node: 0,
          numVfs: 4,
          totalVfs: 63,
          mtu,
          vfs,
          vlanLimit: 64,
          vlansUsed: 0,
        },
      ],
    },
  } as unknown as Plan;
}

async function run(p: Plan): Promise<Check[]> {
  const out: Check[] = [];
  await verifyPfs(
    p,
    {
      topologyFile: "seed.yaml",
      connect: "qemu:///system",
      stateDir: "/x",
      root: "/",
      env: {},
      ipLink: async () => ipJson,
    },
    out,
  );
  return out;
}

describe("PF and VF evidence from ip -d -j link (the seed's eno2)", () => {
  it("passes when MTU, VF count and every VF's MAC/trust/spoofchk are as planned", async () => {
    const checks = await run(
      plan([
        vf(0, "8E:DF:08:C1:D1:DE", true, true),
        vf(1, "5a:b9:2f:99:a6:ce", true, true),
        vf(3, "7e:a7:db:3b:1b:b3", false, true),
      ]),
    );
    expect(checks.map((c) => [c.check, c.status])).toEqual([
      ["PF MTU", "pass"],
      ["VF count", "pass"],
      ["VF 0 mac/trust/spoofchk", "pass"],
      ["VF 1 mac/trust/spoofchk", "pass"],
      ["VF 3 mac/trust/spoofchk", "pass"],
    ]);
  });

  it("names the drift and the ip command that fixes it", async () => {
    const checks = await run(plan([vf(2, "46:78:69:e3:71:3d", true, true)], 1500));
    const mtu = checks.find((c) => c.check === "PF MTU")!;
    expect(mtu).toMatchObject({ status: "fail", want: "1500", have: "9216" });
    const v2 = checks.find((c) => c.check === "VF 2 mac/trust/spoofchk")!;
    expect(v2).toMatchObject({ status: "fail", have: "mac 46:78:69:e3:71:3d trust on spoofchk off" });
    expect(v2.fix).toBe("ip link set dev eno2 vf 2 mac 46:78:69:e3:71:3d trust on spoofchk on");
  });
});
