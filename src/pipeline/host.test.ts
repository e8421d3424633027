import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyTopology } from "../apply/index.js";
import { NfvError } from "../util/errors.js";
import { withRunner, type RunResult, type Runner } from "../util/exec.js";
import { verifyTopology } from "../verify/index.js";
import { bindHost, uriKind } from "./host.js";

/** Fails the test if any program is started: a refusal must come before anything runs. */
class NoProgram implements Runner {
  calls: string[] = [];
  async run(command: string, args: readonly string[]): Promise<RunResult> {
    this.calls.push([command, ...args].join(" "));
    return { command, args: [...args], code: 1, stdout: "", stderr: "not expected" };
  }
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("host binding", () => {
  it("tells this host's libvirt from another machine's and from the test driver", () => {
    expect(uriKind("qemu:///system")).toBe("local");
    expect(uriKind("qemu:///system?socket=/run/x/libvirt-sock")).toBe("local");
    expect(uriKind("qemu+unix:///system")).toBe("local");
    expect(uriKind("qemu+ssh://root@localhost/system")).toBe("local");
    expect(uriKind("qemu+ssh://h2.example/system")).toBe("remote");
    expect(uriKind("qemu+tcp://10.0.0.2:16509/system")).toBe("remote");
    expect(uriKind("test:///default")).toBe("test");
    expect(uriKind("not a uri")).toBe("remote");
  });

  it("lets plan and apply --dry-run read another machine only with that machine's facts", () => {
    expect(
      bindHost({ root: "snap", connect: "qemu+ssh://h2/system", purpose: "apply-dry-run" }).hostSteps,
    ).toBe(false);
    expect(() => bindHost({ root: "/", connect: "qemu+ssh://h2/system", purpose: "plan" })).toThrow(
      /--root SNAPSHOT/,
    );
    expect(() => bindHost({ root: "snap", connect: "qemu+ssh://h2/system", purpose: "apply" })).toThrow(
      /--dry-run/,
    );
    expect(bindHost({ root: "/", connect: "qemu:///system", purpose: "apply" }).hostSteps).toBe(true);
  });

  for (const uri of ["test:///default", "qemu+ssh://h2.example/system"]) {
    it(`apply --connect ${uri} is refused before anything runs or is written`, async () => {
      const state = join(await mkdtemp(join(tmpdir(), "nfvhost-bind-")), "state");
      dirs.push(join(state, ".."));
      const none = new NoProgram();
      const err = await withRunner(none, () =>
        applyTopology({
          topologyFile: "examples/topologies/seed-csr1kv.yaml",
          connect: uri,
          stateDir: state,
          root: "/",
          dryRun: false,
          yes: [],
          adopt: false,
          allowUnlocked: false,
          stopTimeoutMs: 0,
          env: {},
          renderer: "silent",
        }),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NfvError);
      expect((err as NfvError).code).toBe("NFV-HOST-CONNECT");
      expect((err as NfvError).message).toContain(uri);
      expect((err as NfvError).message).toMatch(/nothing was changed/);
      expect(none.calls).toEqual([]);
      expect(existsSync(state)).toBe(false);
    });

    it(`verify --connect ${uri} is refused (its evidence is on that host)`, async () => {
      const none = new NoProgram();
      const err = await withRunner(none, () =>
        verifyTopology({
          topologyFile: "examples/topologies/seed-csr1kv.yaml",
          connect: uri,
          stateDir: "/nonexistent",
          root: "/",
          env: {},
          persist: false,
        }),
      ).catch((e: unknown) => e);
      expect((err as NfvError).code).toBe("NFV-HOST-CONNECT");
      expect(none.calls).toEqual([]);
    });
  }
});
