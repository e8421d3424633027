import { readFileSync } from "node:fs";

/** nfvhost's version as `nfvhost --version` prints it: the playbook requires it on every host. */
export function nfvhostVersion(): string {
  // src/fleet and dist/fleet are both two levels below the package root.
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}
