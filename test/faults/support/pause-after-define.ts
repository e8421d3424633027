/**
 * Runs applyTopology in its own process and stops it right after `virsh define` of VNF succeeded:
 * it prints "DEFINED <vnf>" and waits for a line on stdin, so the test can stop libvirtd between
 * the define and the start of the same step. Then the apply goes on against the stopped daemon.
 * Arguments: TOPOLOGY STATE_DIR VNF URI. Prints "DONE" on success, the error on stderr otherwise.
 */
import { applyTopology } from "../../../src/apply/index.js";
import { Virsh } from "../../../src/libvirt/virsh.js";
import { labApplyOptions } from "../../support/apply-options.js";

const [file, stateDir, vnf, uri] = process.argv.slice(2);

class PausingVirsh extends Virsh {
  override async define(name: string, xml: string): Promise<void> {
    await super.define(name, xml);
    if (name !== vnf) return;
    process.stdout.write(`DEFINED ${name}\n`);
    await new Promise((resolve) => process.stdin.once("data", resolve));
    process.stdin.pause();
  }
}

try {
  await applyTopology(
    labApplyOptions(file!, stateDir!, process.env, { connect: uri!, virsh: new PausingVirsh(uri!) }),
  );
  process.stdout.write("DONE\n");
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
