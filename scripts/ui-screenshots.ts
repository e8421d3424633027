/**
 * Regenerates the dashboard screenshots in docs/img/ (linked from the README):
 *   node --import tsx scripts/ui-screenshots.ts
 * The AMD host is built from src/facts/shapes.ts as a sysfs tree, so discovery reads it for real.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { AMD_EPYC_NPS4, buildHostFacts } from "../src/facts/shapes.js";
import { writeSnapshotTree } from "../src/facts/write-tree.js";
import { startUi } from "../src/ui/server.js";
import { createSources } from "../src/ui/sources.js";

const shots = [
  {
    out: "docs/img/ui-seed-c240m5.png",
    root: "examples/hosts/seed-c240m5",
    topology: "examples/topologies/seed-csr1kv.yaml",
    width: 1440,
  },
  {
    out: "docs/img/ui-amd-epyc-nps4.png",
    root: "",
    topology: "examples/topologies/amd-epyc-routers.yaml",
    width: 1600,
  },
];

const amdRoot = mkdtempSync(join(tmpdir(), "nfvhost-amd-"));
writeSnapshotTree(buildHostFacts(AMD_EPYC_NPS4), amdRoot);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});
try {
  for (const s of shots) {
    const ui = await startUi(
      createSources({ root: s.root || amdRoot, topology: s.topology, connect: null }),
      {
        host: "127.0.0.1",
        port: 0,
      },
    );
    const page = await browser.newPage({ viewport: { width: s.width, height: 900 } });
    await page.goto(ui.url);
    await page.waitForSelector("[data-cpu]");
    await page.screenshot({ path: s.out, fullPage: true });
    process.stdout.write(`wrote ${s.out}\n`);
    await page.close();
    await ui.close();
  }
} finally {
  await browser.close();
  rmSync(amdRoot, { recursive: true, force: true });
}
