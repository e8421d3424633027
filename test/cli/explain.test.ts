import { describe, expect, it } from "vitest";
import { PAGES } from "../../src/cli/commands/explain.js";
import { runCli } from "../support/cli.js";

describe("nfvhost explain", () => {
  it("lists the six topics", async () => {
    const r = await runCli(["explain"]);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(["cpu-mode", "nic-model", "macvtap", "sriov", "hugepages", "isolcpus"]);
  });

  it("prints each page with the guide's numbers", async () => {
    const want: Record<string, RegExp[]> = {
      "cpu-mode": [/host-passthrough \(default/, /host-model/, /SSSE3/],
      "nic-model": [/net_virtio/, /net_ixgbe_vf/, /vsrx3\s+virtio\s+ixgbevf, iavf/],
      macvtap: [/bridge \(default\)/, /CANNOT reach its own host/, /vepa/, /private/, /passthrough/],
      sriov: [/64 VLANs shared/, /untrusted VF gets 16/, /9710/],
      hugepages: [/1G \(default/, /2M/, /RLIMIT_MEMLOCK/],
      isolcpus: [/1-8,37-44/, /nohz_full/],
    };
    for (const topic of Object.keys(PAGES)) {
      const r = await runCli(["explain", topic]);
      expect(r.code, topic).toBe(0);
      for (const re of want[topic]!) expect(r.stdout, topic).toMatch(re);
      const j = await runCli(["explain", topic, "--json"]);
      expect(JSON.parse(j.stdout)).toMatchObject({ topic, title: PAGES[topic]!.title });
    }
  });

  it("refuses an unknown topic with a suggestion, exit 2", async () => {
    const r = await runCli(["explain", "hugepage"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("did you mean `hugepages`?");
  });
});
