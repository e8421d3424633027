/**
 * One decision for every coloured line nfvhost prints. picocolors' own default also colours
 * whenever a `CI` variable is set, even into a pipe; output that scripts, logs and tests read must
 * not change with the environment, so colour follows the stream itself: NO_COLOR turns it off,
 * FORCE_COLOR (other than "0") turns it on, otherwise only a terminal gets it.
 */
import pc from "picocolors";

export type Colours = ReturnType<typeof pc.createColors>;

export function wantsColour(stream: { isTTY?: boolean } = process.stdout, env = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0";
  return stream.isTTY === true && env.TERM !== "dumb";
}

export function colours(enabled: boolean): Colours {
  return pc.createColors(enabled);
}
