#!/usr/bin/env node
// The compiled CLI; `npm ci` builds it through the `prepare` script.
import { runAsProcess } from "../dist/cli/process.js";

await runAsProcess(process.argv);
