#!/usr/bin/env node
// The compiled CLI, bundled (scripts/bundle.mjs); `npm ci` builds it through the `prepare` script.
import { runAsProcess } from "../dist/bundle/nfvhost.js";

await runAsProcess(process.argv);
