/**
 * Secrets come from environment variables that the topology names; a missing one is an error that
 * names the variable and what it is for, never a guess and never an empty password.
 */
import { NfvError } from "../../util/errors.js";
import { assertEnvVarName } from "../../util/names.js";

export type Environment = Readonly<Record<string, string | undefined>>;

export function readSecret(env: Environment, name: string, purpose: string): string {
  assertEnvVarName(name, `environment variable for ${purpose}`);
  const value = env[name];
  if (value === undefined || value === "") {
    throw new NfvError({
      what: `environment variable ${name} (${purpose})`,
      value: value === undefined ? "not set" : "empty",
      expected: "the secret, set in the environment of nfvhost (it is never written in clear)",
      fix: `read -rs ${name} && export ${name}   # then run nfvhost again`,
    });
  }
  return value;
}
