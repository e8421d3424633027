/**
 * render: plan -> every file the seed's engineer typed or edited by hand. renderArtifacts is pure
 * (the environment it reads secrets from is passed in); writeArtifacts and the ISO build are the
 * only I/O. Layout of the output directory: see README.txt it writes, and docs/render.md.
 */
import { dirname } from "node:path";
import { DEFAULT_STATE_DIR, day0IsoPath } from "../host/paths.js";
import type { HostFacts } from "../facts/types.js";
import type { Plan } from "../plan/types.js";
import { assertAbsolutePath, assertDomainName } from "../util/names.js";
import { renderDay0, day0IsoName } from "./day0/index.js";
import { hugepagesStep, thpStep } from "./host/hugepages.js";
import { kernelArgsStep } from "./host/kernel-args.js";
import { bootLoaderFor } from "./host/boot.js";
import { bootArgs, GRUB_DROPIN, grubDropIn, langStep } from "./host/settings.js";
import { localRepo } from "./host/local-repo.js";
import { securityStep } from "./host/security.js";
import { brNetfilterFile, needsBrNetfilter, sysctlFile, sysctlStep } from "./host/sysctl.js";
import { libvirtState, type LibvirtContext } from "./libvirt/desired.js";
import { keyfileName, renderKeyfile } from "./nm/keyfile.js";
import { buildConnections } from "./nm/model.js";
import { applyScript, readme } from "./readme.js";
import { stepScript, type ShellStep } from "./script.js";
import { day0Step, domainsStep, libvirtNetworksStep, networkManagerStep } from "./steps.js";
import { MODE_FILE, MODE_SECRET, type IsoSpec, type RenderOptions, type RenderedFile } from "./types.js";

export type { IsoSpec, RenderOptions, RenderedFile } from "./types.js";
export { writeArtifacts } from "./write.js";

/** nfvhost's own directory: libvirt relabels the image for QEMU when the domain starts. */
export const DEFAULT_DAY0_DIR = "/var/lib/nfvhost/day0";

/**
 * Every file for one plan, in the order README.txt lists them. ISO images are entries with `iso`
 * set and no content: writeArtifacts builds them from the day-0 files.
 */
export function renderArtifacts(
  plan: Plan,
  facts: HostFacts,
  opts: RenderOptions,
  /** What the pipeline read of the host (UUIDs of existing domains, preflight): apply's values. */
  host: Omit<LibvirtContext, "day0" | "day0Dir"> = {},
): RenderedFile[] {
  // Apply keeps the ISOs under its --state directory: render says the same path unless told otherwise.
  const day0Dir = opts.day0Dir ?? dirname(day0IsoPath(host.stateDir ?? DEFAULT_STATE_DIR, "x"));
  assertAbsolutePath(day0Dir, "day-0 image directory");
  const files: RenderedFile[] = [];
  const steps: { step: ShellStep; script: string }[] = [];
  const addStep = (step: ShellStep, script: string) => {
    steps.push({ step, script });
    files.push(stepScript(script, step, plan.topology));
  };

  // Host (seed (2), (3)): security, sysctl, local repo, kernel arguments, hugepages, THP.
  const security = securityStep(plan, facts);
  if (security) addStep(security, "host/selinux-firewalld.sh");
  if (Object.keys(plan.host.sysctl).length > 0) {
    files.push({
      path: "host/sysctl.d/90-nfvhost.conf",
      content: sysctlFile(plan),
      mode: MODE_FILE,
      description: "kernel parameters (/etc/sysctl.d/90-nfvhost.conf)",
    });
    if (needsBrNetfilter(plan)) {
      files.push({
        path: "host/modules-load.d/br_netfilter.conf",
        content: brNetfilterFile(),
        mode: MODE_FILE,
        description: "loads br_netfilter at boot, so the net.bridge.* keys apply",
      });
    }
    addStep(sysctlStep(plan, facts), "host/sysctl.sh");
  }
  const repo = localRepo(plan, facts);
  if (repo) {
    files.push(...repo.files);
    addStep(repo.step, "host/local-repo/setup.sh");
  }
  if (bootLoaderFor(facts.os).kind === "update-grub") {
    const { set, remove } = bootArgs(plan);
    files.push({
      path: "host/grub.d/nfvhost.cfg",
      content: grubDropIn(plan.topology, set, remove),
      mode: MODE_FILE,
      description: `kernel arguments for update-grub (${GRUB_DROPIN}): replaces the ones nfvhost manages`,
    });
  }
  const lang = langStep(plan, facts);
  if (lang) addStep(lang, "host/lang.sh");
  addStep(kernelArgsStep(plan, facts), "host/kernel-args.sh");
  addStep(hugepagesStep(plan, facts), "host/hugepages.sh");
  const thp = thpStep(plan, facts);
  if (thp) {
    files.push({
      path: "host/tmpfiles.d/nfvhost-thp.conf",
      content: thp.tmpfiles,
      mode: MODE_FILE,
      description: "transparent hugepages setting at boot (systemd-tmpfiles)",
    });
    addStep(thp.step, "host/thp.sh");
  }

  // NetworkManager: one model per connection, two renderings.
  const conns = buildConnections(plan);
  for (const c of conns) {
    files.push({
      path: `network-manager/system-connections/${keyfileName(c)}`,
      content: renderKeyfile(c),
      mode: MODE_SECRET,
      description: `NetworkManager keyfile: ${c.summary}`,
    });
  }
  if (conns.length > 0) addStep(networkManagerStep(conns, plan, facts), "network-manager/nmcli.sh");

  // libvirt: the same domain and network XML apply defines (one builder, render/libvirt/desired.ts).
  const day0ByVnf = new Map(plan.vnfs.map((v) => [v.name, renderDay0(v, opts.env, opts.saltSeed)]));
  const libvirt = libvirtState(plan, {
    ...host,
    day0Dir,
    day0: new Set([...day0ByVnf].filter(([, d]) => d !== null).map(([n]) => n)),
  });
  for (const net of plan.networks) {
    files.push({
      path: `libvirt/networks/${net.name}.xml`,
      content: libvirt.networks.find((n) => n.name === net.name)!.xml,
      mode: MODE_FILE,
      description: `libvirt network ${net.name} (${net.type})`,
    });
  }
  if (plan.networks.length > 0) addStep(libvirtNetworksStep(plan), "libvirt/networks.sh");

  // Day-0 and domains.
  const hostIsos: { local: string; host: string; vnf: string }[] = [];
  const notes: string[] = [];
  for (const vnf of plan.vnfs) {
    assertDomainName(vnf.name, `vnfs.${vnf.name}`);
    const day0 = day0ByVnf.get(vnf.name) ?? null;
    if (day0) {
      files.push(...day0.files);
      files.push(isoFile(day0.iso));
      notes.push(...day0.notes);
      hostIsos.push({ local: day0.iso.path, host: `${day0Dir}/${day0IsoName(vnf.name)}`, vnf: vnf.name });
    }
    files.push({
      path: `libvirt/domains/${vnf.name}.xml`,
      content: libvirt.domains.find((d) => d.name === vnf.name)!.xml,
      mode: MODE_FILE,
      description: `libvirt domain ${vnf.name}`,
    });
  }
  if (hostIsos.length > 0) addStep(day0Step(hostIsos), "day0/install.sh");
  if (plan.vnfs.length > 0) addStep(domainsStep(plan, libvirt.domains), "libvirt/domains.sh");

  files.push(
    applyScript(
      plan,
      steps.map((s) => s.step),
    ),
  );
  files.unshift(readme(plan, files, steps, notes));
  return files;
}

function isoFile(spec: IsoSpec): RenderedFile {
  return {
    path: spec.path,
    content: "",
    mode: MODE_SECRET,
    description: spec.description,
    iso: { volumeLabel: spec.volumeLabel, from: spec.files, root: spec.root, dirs: spec.dirs },
  };
}
