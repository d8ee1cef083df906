import { entryAllows } from './entry-allows'

/** The manifest's networkAccess (developers.figma.com/docs/plugins/manifest, "networkAccess"). */
export interface NetworkAccess {
  allowedDomains: ReadonlyArray<string>
  devAllowedDomains?: ReadonlyArray<string>
}

/** allowed: any build reaches it; dev-only: only while run from its manifest in development; blocked: Figma refuses it. */
export type RelayAccess = 'allowed' | 'dev-only' | 'blocked'

export function relayAccess(origin: string, access: NetworkAccess): RelayAccess {
  if (access.allowedDomains.some((entry) => entryAllows(entry, origin))) return 'allowed'
  // Stryker disable next-line ArrayDeclaration: an entry with spaces in it (the mutant's) allows no origin, as an empty list
  if ((access.devAllowedDomains ?? []).some((entry) => entryAllows(entry, origin))) return 'dev-only'
  return 'blocked'
}
