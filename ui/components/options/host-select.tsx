import { ProviderId } from '../../../shared/models'
import type { OptionsPanelProps } from '../options-panel'

/** Shown only when the relay offers more than one host. */
export function HostSelect({ choice, disabled, onChange }: OptionsPanelProps) {
  if (choice.hosts.length <= 1) return null
  return (
    <>
      <label for="opt-host">Image host</label>
      <select
        id="opt-host"
        disabled={disabled}
        value={choice.host}
        onChange={(event) => onChange({ provider: ProviderId.parse(event.currentTarget.value) })}
      >
        {choice.hosts.map((host) => (
          <option key={host.id} value={host.id}>
            {host.name}
          </option>
        ))}
      </select>
    </>
  )
}
