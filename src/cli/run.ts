// Entry point for running the CLI from source (`node --import tsx src/cli/run.ts ...`); bin/nfvhost.js
// runs the compiled equivalent.
import { runAsProcess } from "./process.js";

await runAsProcess(process.argv);
