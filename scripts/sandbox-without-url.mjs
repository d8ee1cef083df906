// An esbuild plugin for the sandbox bundle (dist/code.js) only. Figma's main thread is "a minimal
// JavaScript environment and does not expose browser APIs" (developers.figma.com/docs/plugins/
// how-plugins-run): there is no `URL`. zod bundles its URL checks whole (canParseURL and
// parseURLObject in zod/v4/core/schemas.js call `new URL`), reachable from every z.string(). In
// Figma they would silently call every URL invalid; here they throw instead, so a `.url()` that
// reaches the sandbox fails loudly in test/build/sandbox-realm.test.ts, and the bundle holds no
// `new URL(` for Figma's environment to trip on. Parse URLs with shared/parse-http-origin.ts.
import { readFile } from 'node:fs/promises'

const GUARDED = ['canParseURL(input)', 'parseURLObject(trimmed, def)']
const GUARD = `throw new Error("zod's URL checks need the URL API, which Figma's sandbox does not have: parse with shared/parse-http-origin.ts");`

export const sandboxWithoutUrlPlugin = {
  name: 'sandbox-without-url',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]core[\\/]schemas\.js$/ }, async (args) => {
      let contents = await readFile(args.path, 'utf8')
      for (const signature of GUARDED) {
        const head = `export function ${signature} {`
        // Fail the build rather than ship URL code when a zod update renames these.
        if (!contents.includes(head))
          throw new Error(`sandbox-without-url: zod no longer has "${head}"; update scripts/sandbox-without-url.mjs`)
        contents = contents.replace(head, `${head}\n    ${GUARD}`)
      }
      return { contents, loader: 'js' }
    })
  }
}
