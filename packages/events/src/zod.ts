// Reflex's zod: the functional `zod/mini` API, with English messages.
//
// zod's classic API (`import { z } from 'zod'`) puts every method on every schema and cannot be tree-shaken:
// it was ~190 KiB of a 250 KiB function bundle and ~60 ms of a ~110 ms cold start above bare Node. `zod/mini`
// builds the same schemas (same checks, same issues) from functions a bundle keeps only when used.
// Schemas anywhere in Reflex's runtime code use this module: `import * as z from '@reflex/events/zod'`.
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini loads no locale (every message would read "Invalid input"); the classic API loads English itself.
// This call is why package.json lists this file under `sideEffects`: a bundler would drop it otherwise, and
// with it every message that names what is wrong.
config(en());

export * from 'zod/mini';
