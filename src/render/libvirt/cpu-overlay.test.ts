import { describe, expect, it } from "vitest";
import { seedPlan } from "../../../test/fixtures/render/seed-plan-b.js";
import type { VnfPlan } from "../../plan/types.js";
import { renderDomainXml } from "./index.js";

const vnf: VnfPlan = structuredClone(seedPlan.vnfs[0]!);

describe("domain XML: cpu-mode and overlays", () => {
  it("renders host-passthrough by default, host-model and a named model when asked", () => {
    expect(renderDomainXml(vnf, { accel: "kvm", lockedMemory: true })).toContain(
      '<cpu mode="host-passthrough" check="none"/>',
    );
    expect(
      renderDomainXml({ ...vnf, cpu: { mode: "host-model" } }, { accel: "kvm", lockedMemory: true }),
    ).toContain('<cpu mode="host-model" check="none"/>');
    const custom = renderDomainXml(
      { ...vnf, cpu: { mode: "custom", model: "Skylake-Server-IBRS" } },
      { accel: "qemu", lockedMemory: false },
    );
    expect(custom).toMatch(
      /<cpu mode="custom" check="none" match="exact">\s*<model fallback="forbid">Skylake-Server-IBRS<\/model>/,
    );
  });
  it("boots the overlay, never the base, and refuses an overlay VNF without its path", () => {
    const o: VnfPlan = { ...vnf, image: "/var/lib/images/base.qcow2", overlay: "per-vnf" };
    const xml = renderDomainXml(o, {
      accel: "kvm",
      lockedMemory: true,
      diskPath: "/var/lib/nfvhost/overlays/r1.qcow2",
    });
    expect(xml).toContain('<source file="/var/lib/nfvhost/overlays/r1.qcow2"/>');
    expect(xml).not.toContain("base.qcow2");
    expect(() => renderDomainXml(o, { accel: "kvm", lockedMemory: true })).toThrow(
      /the base is never booted directly/,
    );
  });
});
