import type { ProviderId } from '../../shared/models'
import { startBflForRelayAsync } from './bfl-server'
import { startComfyuiForRelayAsync } from './comfyui-server'
import type { FakeHostHandle, FakeHostOptions } from './fake-http'
import { startFalForRelayAsync } from './fal-server'
import { startReplicateForRelayAsync } from './replicate-server'
import { startRunflowForRelayAsync } from './runflow-server'
import { startRunwareForRelayAsync } from './runware-server'

/**
 * Every host's fake, started for the relay: the one registry the cross-host tests and benches
 * (every-host, faults, fuzz, capabilities, polling benches) read. A host missing here is a type
 * error, since the catalogue's ProviderId lists it.
 */
export const FAKE_HOSTS: Readonly<Record<ProviderId, (options?: FakeHostOptions) => Promise<FakeHostHandle>>> = {
  runware: startRunwareForRelayAsync,
  runflow: startRunflowForRelayAsync,
  bfl: startBflForRelayAsync,
  fal: startFalForRelayAsync,
  replicate: startReplicateForRelayAsync,
  comfyui: startComfyuiForRelayAsync
}
