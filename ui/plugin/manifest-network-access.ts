import manifest from '../../manifest.json'
import type { NetworkAccess } from '../../shared/relay-access'

/**
 * The origins this build of the plugin may reach, read from manifest.json when the panel is
 * built (scripts/build.mjs writes RELAY_ORIGIN into the manifest before it bundles the panel).
 */
export const MANIFEST_NETWORK_ACCESS: NetworkAccess = manifest.networkAccess
