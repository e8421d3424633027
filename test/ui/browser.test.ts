/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core): the reference
 * host with the seed deployment, and a libvirt state change that appears without a reload.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Virsh } from "../../src/libvirt/virsh.js";
import { startUi } from "../../src/ui/server.js";
import { createSources } from "../../src/ui/sources.js";
import { run } from "../../src/util/exec.js";

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

describe("dashboard in a browser", () => {
  it("shows the seed deployment on the reference host: CPUs 1-8 vCPUs, 37-44 emulator, VF0 held", async () => {
    const ui = await startUi(
      createSources({
        root: "examples/hosts/seed-c240m5",
        topology: "examples/topologies/seed-csr1kv.yaml",
        connect: null,
      }),
      { host: "127.0.0.1", port: 0 },
    );
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      await page.goto(ui.url);
      await page.waitForSelector('[data-cpu="44"]');
      for (let i = 0; i < 8; i++) {
        const vcpu = page.locator(`[data-cpu="${1 + i}"]`);
        expect(await vcpu.getAttribute("data-role")).toBe("vcpu");
        expect(await vcpu.getAttribute("data-vnf")).toBe("csr1kv-1");
        expect(await vcpu.getAttribute("data-vcpu")).toBe(String(i));
        const emu = page.locator(`[data-cpu="${37 + i}"]`);
        expect(await emu.getAttribute("data-role")).toBe("emulator");
        expect(await emu.getAttribute("data-vnf")).toBe("csr1kv-1");
      }
      expect(await page.locator('[data-cpu="0"]').getAttribute("data-role")).toBe("housekeeping");
      expect(await page.locator('[data-cpu="9"]').getAttribute("data-role")).toBe("housekeeping");
      expect(await page.locator("[data-cpu]").count()).toBe(72);
      // Siblings side by side: CPU 1 and CPU 37 share one core box.
      const core = page.locator(".core", { has: page.locator('[data-cpu="1"]') });
      expect(
        await core.locator("[data-cpu]").evaluateAll((els) => els.map((e) => e.getAttribute("data-cpu"))),
      ).toEqual(["1", "37"]);
      const vf = page.locator('[data-vf="0000:3b:10.1"]');
      expect(await vf.getAttribute("data-held-by")).toBe("csr1kv-1");
      expect(await page.locator('[data-vf="0000:3b:10.3"]').getAttribute("data-held-by")).toBe("");
      expect(await page.locator("#changes li").allTextContents()).toEqual([
        "csr1kv-1: define and start on node 0",
      ]);
      const row = page.locator('[data-vnf-row="csr1kv-1"]');
      expect(await row.textContent()).toContain("37-44");
      // The 72-CPU host fits a laptop screen: both sockets within 1440 px, no horizontal scroll.
      expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(1440);
    } finally {
      await page.close();
      await ui.close();
    }
  });

  it("sees a domain start without reloading the page", async () => {
    const virsh = new Virsh("qemu:///system");
    await virsh.ping();
    const name = `nfvt-ui-${randomBytes(3).toString("hex")}`;
    const dir = mkdtempSync(join(tmpdir(), "nfvt-ui-"));
    // A diskless TCG domain: enough for libvirt to report running, boots nothing.
    const xml = `<domain type='qemu'><name>${name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>
      <os><type arch='x86_64' machine='pc'>hvm</type></os><devices><serial type='pty'/></devices></domain>`;
    writeFileSync(join(dir, "d.xml"), xml);
    const ui = await startUi(createSources({ root: "/", connect: virsh.uri }), {
      host: "127.0.0.1",
      port: 0,
      pollMs: 200,
    });
    const page = await browser.newPage();
    try {
      expect((await run("virsh", ["-c", virsh.uri, "define", join(dir, "d.xml")])).code).toBe(0);
      await page.goto(ui.url);
      const row = page.locator(`[data-vnf-row="${name}"]`);
      await row.waitFor();
      expect(await row.getAttribute("data-state")).toBe("shut off");
      await page.evaluate("window.notReloaded = true");
      await virsh.start(name);
      await page.waitForSelector(`[data-vnf-row="${name}"][data-state="running"]`, { timeout: 20_000 });
      expect(await page.evaluate<boolean>("window.notReloaded === true")).toBe(true);
      expect(await page.locator("#live").textContent()).toContain("live");
    } finally {
      await page.close();
      await ui.close();
      await run("virsh", ["-c", virsh.uri, "destroy", name]);
      await run("virsh", ["-c", virsh.uri, "undefine", name]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
