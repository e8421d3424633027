// Entry point for running the CLI from source (`node --import tsx src/cli/run.ts ...`); bin/nfvhost.js
// runs the compiled equivalent.
import { main } from "./main.js";

process.exitCode = await main(process.argv);
