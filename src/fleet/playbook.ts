/**
 * The Ansible playbook that deploys a rendered fleet: per host it checks nfvhost is installed at
 * this version, copies the host's bundle, runs `nfvhost apply --json` on the host (each host keeps
 * its own lock, journal and rollback), then `nfvhost verify --json`, and fetches both reports.
 * Built as data and serialized with the YAML library; readable and usable without nfvhost
 * (ansible-playbook -i INVENTORY site.yml, AWX, cron, an own site.yml importing it).
 */
import { stringify } from "yaml";

export const PLAYBOOK = "site.yml";
export const REPORTS = "reports";

/** The argv that runs nfvhost on the host: nfvhost_command as a path or a list. */
const NFV =
  "(([nfvhost_command] if nfvhost_command is string else nfvhost_command) if nfvhost_command is defined else ['nfvhost'])";
/** Snapshot-root hosts: nfvhost works under nfvhost_root, its state inside it. */
const ROOT_ARGS = "(['--root', nfvhost_root] if nfvhost_root is defined else [])";

type Task = Record<string, unknown>;

function command(name: string, argv: string, extra: Task = {}): Task {
  return { name, "ansible.builtin.command": { argv: `{{ ${argv} }}` }, ...extra };
}

/**
 * Report tasks: the command's JSON (stdout) and its messages (stderr: never a secret) written on
 * the host as BASE.json and BASE.log, then fetched to REPORTS/<host>/.
 */
function keepReport(register: string, base: string, when: string): Task[] {
  const files = [
    { file: `${base}.json`, text: `{{ ${register}.stdout | default('') }}` },
    { file: `${base}.log`, text: `{{ ${register}.stderr | default('') }}` },
  ];
  return [
    {
      name: `keep the ${base} report on the host`,
      "ansible.builtin.copy": {
        content: "{{ item.text }}",
        dest: "{{ nfvhost_bundle }}/{{ item.file }}",
        mode: "0600",
      },
      loop: files,
      loop_control: { label: "{{ item.file }}" },
      check_mode: false,
      // Bookkeeping of nfvhost's own reports: a host is "changed" only when apply changed it.
      changed_when: false,
      when,
    },
    {
      name: `bring the ${base} report back`,
      "ansible.builtin.fetch": {
        src: "{{ nfvhost_bundle }}/{{ item }}",
        dest: "{{ nfvhost_reports_dir }}/{{ inventory_hostname }}/{{ item }}",
        flat: true,
      },
      loop: files.map((f) => f.file),
      check_mode: false,
      // Bookkeeping of nfvhost's own reports: a host is "changed" only when apply changed it.
      changed_when: false,
      when,
    },
  ];
}

export function buildPlaybook(fleet: string, hosts: readonly string[], version: string): unknown[] {
  const secretsEnv = "{{ nfvhost_secrets | default({}) }}";
  const noLog = "{{ nfvhost_secrets is defined }}";
  const topo = "nfvhost_bundle ~ '/topology.yaml'";
  const common = `['--json', '--state', nfvhost_state] + ${ROOT_ARGS}`;
  return [
    {
      name: `nfvhost fleet ${fleet}`,
      hosts: hosts.join(","),
      gather_facts: false,
      vars: {
        nfvhost_fleet: fleet,
        nfvhost_version: version,
        // Play vars outrank inventory vars: the inventory's own names (nfvhost_state_dir, nfvhost_root) are read, never shadowed.
        nfvhost_state:
          "{{ nfvhost_state_dir if nfvhost_state_dir is defined else ((nfvhost_root ~ '/var/lib/nfvhost') if nfvhost_root is defined else '/var/lib/nfvhost') }}",
        nfvhost_bundle: "{{ nfvhost_state }}/bundles/{{ nfvhost_fleet }}",
        nfvhost_reports_dir: `{{ playbook_dir }}/${REPORTS}`,
      },
      tasks: [
        command("nfvhost version on the host", `${NFV} + ['--version']`, {
          register: "nfvhost_installed",
          changed_when: false,
          check_mode: false,
          tags: ["always"],
        }),
        {
          name: "nfvhost on the host is this version",
          "ansible.builtin.assert": {
            that: ["nfvhost_installed.stdout | trim == nfvhost_version"],
            fail_msg:
              "nfvhost {{ nfvhost_installed.stdout | trim }} on {{ inventory_hostname }}, {{ nfvhost_version }} rendered this bundle: install nfvhost {{ nfvhost_version }} there (or set nfvhost_command)",
            quiet: true,
          },
          tags: ["always"],
        },
        {
          name: "bundle directory",
          "ansible.builtin.file": { path: "{{ nfvhost_bundle }}", state: "directory", mode: "0700" },
          check_mode: false,
          tags: ["apply", "verify"],
        },
        {
          // The bundle nfvhost apply runs: the host's topology and the plan it was rendered with
          // (the rendered files beside them are for review; apply renders the same on the host).
          name: "copy this host's bundle",
          "ansible.builtin.copy": {
            src: "{{ playbook_dir }}/{{ inventory_hostname }}/{{ item }}",
            dest: "{{ nfvhost_bundle }}/{{ item }}",
            mode: "0600",
          },
          loop: ["topology.yaml", "plan.json"],
          // The bundle is nfvhost's input, not host configuration: --check needs it for apply --dry-run.
          check_mode: false,
          tags: ["apply", "verify"],
        },
        {
          name: "apply and verify",
          tags: ["apply"],
          block: [
            command(
              "nfvhost apply",
              `${NFV} + ['apply', ${topo}] + ${common} + (['--dry-run'] if ansible_check_mode else []) + (nfvhost_apply_args | default([]))`,
              {
                register: "nfvhost_apply",
                environment: secretsEnv,
                no_log: noLog,
                check_mode: false,
                changed_when:
                  "nfvhost_apply.rc == 0 and not ansible_check_mode and ((nfvhost_apply.stdout | from_json).applied | default(0)) > 0",
                failed_when: "nfvhost_apply.rc != 0",
              },
            ),
            command("nfvhost verify", `${NFV} + ['verify', ${topo}] + ${common}`, {
              register: "nfvhost_verify",
              environment: secretsEnv,
              no_log: noLog,
              changed_when: false,
              failed_when: "nfvhost_verify.rc != 0",
              // A snapshot root is verified against what apply wrote under it (sysfs, keyfiles).
              when: "not ansible_check_mode",
            }),
          ],
          always: [
            ...keepReport("nfvhost_apply", "apply", "nfvhost_apply.stdout is defined"),
            ...keepReport("nfvhost_verify", "verify", "nfvhost_verify.stdout is defined"),
          ],
        },
        {
          name: "verify only",
          tags: ["never", "verify"],
          block: [
            command("nfvhost verify", `${NFV} + ['verify', ${topo}] + ${common}`, {
              register: "nfvhost_verify_only",
              environment: secretsEnv,
              no_log: noLog,
              changed_when: false,
              check_mode: false,
              failed_when: "nfvhost_verify_only.rc != 0",
            }),
          ],
          always: keepReport("nfvhost_verify_only", "verify", "nfvhost_verify_only.stdout is defined"),
        },
      ],
    },
  ];
}

export function playbookText(fleet: string, hosts: readonly string[], version: string): string {
  const head = [
    `# Generated by nfvhost ${version} for fleet ${fleet}: deploys each host's bundle (./<host>/)`,
    "# with nfvhost on the host. Run it through `nfvhost fleet apply`, or on its own:",
    "#   ansible-playbook -i INVENTORY site.yml [--limit HOSTS] [--check] [--forks N] [--ask-vault-pass]",
    "# Router secrets: nfvhost_secrets (a mapping of environment variable -> value, e.g. vaulted in",
    "# group_vars) reaches nfvhost as its environment only; it is never written on the host (no_log).",
    "# Tags: apply (default), verify (read-only check of every host: --tags verify).",
    "",
  ].join("\n");
  return head + stringify(buildPlaybook(fleet, hosts, version), { lineWidth: 0 });
}
