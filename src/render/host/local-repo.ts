/**
 * The seed's optional local yum repository (section (3)): the CentOS "Everything" ISO loop-mounted
 * at boot through /etc/fstab, and a [local] repo pointing at it. The distribution's online repos are
 * moved aside to /etc/yum.repos.d/bak, as the guide does, never deleted. On Debian-likes the same
 * ISO becomes an apt source (the online sources stay: apt takes the newest version of either).
 */
import type { HostFacts } from "../../facts/types.js";
import type { Plan } from "../../plan/types.js";
import { debianLike } from "./boot.js";
import { NfvError } from "../../util/errors.js";
import { assertAbsolutePath } from "../../util/names.js";
import { sh, type ShellStep } from "../script.js";
import { MODE_FILE, type RenderedFile } from "../types.js";

export const YUM_REPO = "/etc/yum.repos.d/local.repo";
export const APT_SOURCES = "/etc/apt/sources.list.d/nfvhost-local.list";

/** A Debian installation image carries dists/stable -> its release: one line fits every release. */
export function aptSources(mountpoint: string): string {
  return `# Local package repository on the installation ISO, written by nfvhost.\ndeb [trusted=yes] file:${mountpoint} stable main\n`;
}

export function localRepo(plan: Plan, facts?: HostFacts): { step: ShellStep; files: RenderedFile[] } | null {
  const repo = plan.host.localRepo;
  if (!repo) return null;
  assertAbsolutePath(repo.iso, "host.localRepo.iso");
  assertAbsolutePath(repo.mountpoint, "host.localRepo.mountpoint");
  for (const [field, path] of [
    ["iso", repo.iso],
    ["mountpoint", repo.mountpoint],
  ] as const) {
    if (/\s/.test(path)) {
      throw new NfvError({
        what: `host.localRepo.${field}`,
        value: path,
        expected: "a path without spaces (/etc/fstab separates its fields with them)",
      });
    }
  }
  const fstab = `${repo.iso} ${repo.mountpoint} iso9660 loop 0 0`;
  if (facts && debianLike(facts.os)) return aptRepo(repo, fstab);
  const files: RenderedFile[] = [
    {
      path: "host/local-repo/local.repo",
      content: [
        "[local]",
        "name=local",
        `baseurl=file://${repo.mountpoint}`,
        "gpgcheck=0",
        "enabled=1",
        "",
      ].join("\n"),
      mode: MODE_FILE,
      description: `yum repository on the ISO mounted at ${repo.mountpoint} (/etc/yum.repos.d/local.repo)`,
    },
    {
      path: "host/local-repo/fstab.line",
      content: `${fstab}\n`,
      mode: MODE_FILE,
      description: "the /etc/fstab line that mounts the repository ISO at boot",
    },
  ];
  const lines = [
    "# Move the online CentOS repositories aside (kept in bak/, as the guide does).",
    "mkdir -p /etc/yum.repos.d/bak",
    "for f in /etc/yum.repos.d/CentOS-*.repo; do",
    '  if [ -e "$f" ]; then mv "$f" /etc/yum.repos.d/bak/; fi',
    "done",
    sh("mkdir", "-p", repo.mountpoint),
    `mountpoint -q ${sh(repo.mountpoint)} || ${sh("mount", "-t", "iso9660", "-o", "loop", repo.iso, repo.mountpoint)}`,
    `grep -qxF ${sh(fstab)} /etc/fstab || cat host/local-repo/fstab.line >>/etc/fstab`,
    "tail -1 /etc/fstab",
    sh("install", "-m", "0644", "host/local-repo/local.repo", "/etc/yum.repos.d/local.repo"),
    "# The tools the guide checks the tuning with (numastat).",
    "yum install -y numactl telnet",
  ];
  return {
    step: {
      id: "local-repo",
      title: "Local yum repository (seed (3), optional)",
      changes: [
        `local yum repository from ${repo.iso} at ${repo.mountpoint} (fstab, /etc/yum.repos.d/local.repo)`,
      ],
      lines,
    },
    files,
  };
}

function aptRepo(
  repo: { iso: string; mountpoint: string },
  fstab: string,
): { step: ShellStep; files: RenderedFile[] } {
  const files: RenderedFile[] = [
    {
      path: "host/local-repo/nfvhost-local.list",
      content: aptSources(repo.mountpoint),
      mode: MODE_FILE,
      description: `apt source on the ISO mounted at ${repo.mountpoint} (${APT_SOURCES})`,
    },
    {
      path: "host/local-repo/fstab.line",
      content: `${fstab}\n`,
      mode: MODE_FILE,
      description: "the /etc/fstab line that mounts the repository ISO at boot",
    },
  ];
  const lines = [
    sh("mkdir", "-p", repo.mountpoint),
    `mountpoint -q ${sh(repo.mountpoint)} || ${sh("mount", "-t", "iso9660", "-o", "loop", repo.iso, repo.mountpoint)}`,
    `grep -qxF ${sh(fstab)} /etc/fstab || cat host/local-repo/fstab.line >>/etc/fstab`,
    sh("install", "-m", "0644", "host/local-repo/nfvhost-local.list", APT_SOURCES),
    "apt-get update",
  ];
  return {
    step: {
      id: "local-repo",
      title: "Local apt repository (seed (3), optional)",
      changes: [`local apt repository from ${repo.iso} at ${repo.mountpoint} (fstab, ${APT_SOURCES})`],
      lines,
    },
    files,
  };
}
