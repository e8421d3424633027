/**
 * The CLI as an operating-system process: bin/nfvhost.js (compiled) and src/cli/run.ts (from
 * source) both start here, tests call main() directly.
 */
import { main } from "./main.js";

/**
 * A reader that goes away (`nfvhost render ... | head`) must not abort the command half-way: a
 * render or an apply finishes its work and keeps its exit code; only what it would still print is
 * dropped. Node reports the closed pipe as an 'error' event (EPIPE, then "stream destroyed" for
 * later writes), which would otherwise crash the process with a stack trace.
 */
export function tolerateClosedPipes(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") return;
      throw err;
    });
  }
}

export async function runAsProcess(argv: string[]): Promise<void> {
  tolerateClosedPipes();
  // NFVHOST_RECORD=FILE keeps every virsh call of this run and its answer in FILE: a session the
  // unit tests replay instead of a daemon (src/util/recorded.ts).
  const record = process.env.NFVHOST_RECORD;
  if (!record) {
    process.exitCode = await main(argv);
    return;
  }
  const { RecordingRunner } = await import("../util/recorded.js");
  const { withRunner } = await import("../util/exec.js");
  const recorder = new RecordingRunner();
  try {
    process.exitCode = await withRunner(recorder, () => main(argv));
  } finally {
    recorder.save(record);
  }
}
