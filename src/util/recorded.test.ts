import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Virsh } from "../libvirt/virsh.js";
import { NfvError } from "./errors.js";
import { currentRunner, run, spawnRunner, withRunner, type RunResult, type Runner } from "./exec.js";
import { RecordingRunner, ReplayRunner } from "./recorded.js";

/** A pretend virsh that knows one domain and counts how often it was asked. */
class FakeVirshProgram implements Runner {
  count = 0;
  async run(command: string, args: readonly string[]): Promise<RunResult> {
    this.count++;
    const a = args.slice(2).join(" ");
    const ok = (stdout: string) => ({ command, args: [...args], code: 0, stdout, stderr: "" });
    if (a === "list --all") return ok(" Id   Name   State\n----\n 1    r1     running\n");
    if (a.startsWith("define ")) return ok("Domain 'r1' defined\n");
    if (a === "domstate r1") return ok("running\n");
    return { command, args: [...args], code: 1, stdout: "", stderr: `error: unknown ${a}\n` };
  }
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("injectable runner", () => {
  it("routes run() through the injected runner across awaits, and only inside withRunner", async () => {
    const fake = new FakeVirshProgram();
    const r = await withRunner(fake, async () => {
      await new Promise((res) => setTimeout(res, 5));
      return run("virsh", ["--connect", "x", "domstate", "r1"]);
    });
    expect(r.stdout).toBe("running\n");
    expect(fake.count).toBe(1);
    expect(currentRunner()).toBe(spawnRunner);
  });

  it("keeps two injected runners apart when their calls interleave", async () => {
    const a = new FakeVirshProgram();
    const b = new FakeVirshProgram();
    await Promise.all([
      withRunner(a, () =>
        Promise.all([run("virsh", ["-c", "x", "list", "--all"]), run("virsh", ["-c", "x", "list", "--all"])]),
      ),
      withRunner(b, () => run("virsh", ["-c", "x", "list", "--all"])),
    ]);
    expect([a.count, b.count]).toEqual([2, 1]);
  });
});

describe("recorded sessions", () => {
  it("records virsh calls with the files they were given, and replays them without the program", async () => {
    const state = await mkdtemp(join(tmpdir(), "nfvhost-rec-"));
    dirs.push(state);
    const fake = new FakeVirshProgram();
    const rec = new RecordingRunner({ $STATE: state }, fake);
    const virsh = new Virsh("test:///recorded");
    const xml = `<domain><name>r1</name><description>${state}/console/r1.log</description></domain>`;
    await withRunner(rec, async () => {
      expect((await virsh.listDomains()).map((d) => d.name)).toEqual(["r1"]);
      await virsh.define("r1", xml);
    });
    const session = rec.session();
    expect(session.calls.map((c) => c.args.slice(2).join(" "))).toEqual([
      "list --all",
      "define $TMP/object.xml",
    ]);
    expect(session.calls[1]!.files).toEqual({
      "$TMP/object.xml": "<domain><name>r1</name><description>$STATE/console/r1.log</description></domain>",
    });

    // Another run, another state directory: the placeholders map the session onto it.
    const state2 = join(state, "second");
    const replay = new ReplayRunner(JSON.parse(JSON.stringify(session)), { $STATE: state2 });
    await withRunner(replay, async () => {
      expect((await virsh.listDomains()).map((d) => d.name)).toEqual(["r1"]);
      await virsh.define("r1", xml.replace(state, state2));
    });
    expect(fake.count).toBe(2); // the replay ran nothing
    expect(replay.asked[1]!.files!["$TMP/object.xml"]).toContain("$STATE/console/r1.log");
  });

  it("names a call the session does not hold, with the fix", async () => {
    const replay = new ReplayRunner({ schema: 1, calls: [] });
    const err = await withRunner(replay, () => new Virsh("test:///recorded").domState("r9")).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NfvError);
    expect((err as NfvError).code).toBe("NFV-TEST-REPLAY");
    expect((err as NfvError).message).toContain("virsh --connect test:///recorded domstate r9");
    expect((err as NfvError).message).toContain("record the session again");
  });

  it("answers a polled call with its recordings in order, then the last one", async () => {
    const call = (stdout: string) => ({
      command: "virsh",
      args: ["--connect", "u", "domstate", "r1"],
      code: 0,
      stdout,
      stderr: "",
    });
    const replay = new ReplayRunner({ schema: 1, calls: [call("running\n"), call("shut off\n")] });
    const v = new Virsh("u");
    const seen = await withRunner(replay, async () => [
      await v.domState("r1"),
      await v.domState("r1"),
      await v.domState("r1"),
    ]);
    expect(seen).toEqual(["running", "shut off", "shut off"]);
  });
});
