import type { ProviderId } from '../../shared/models'
import { bflHost } from './bfl/bfl-host'
import { comfyuiHost } from './comfyui/comfyui-host'
import { falHost } from './fal/fal-host'
import type { HostDefinition } from './host-definition'
import { replicateHost } from './replicate/replicate-host'
import { runflowHost } from './runflow/runflow-host'
import { runwareHost } from './runware/runware-host'

/**
 * Every host the relay can call, one folder each. Config reads each host's variables from here,
 * `createRelay` builds each enabled host's adapter from here; a host missing from this table is a
 * type error, since the catalogue's ProviderId lists it.
 */
export const HOSTS: Readonly<Record<ProviderId, HostDefinition>> = {
  runware: runwareHost,
  runflow: runflowHost,
  bfl: bflHost,
  fal: falHost,
  replicate: replicateHost,
  comfyui: comfyuiHost
}
