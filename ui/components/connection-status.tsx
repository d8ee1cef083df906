import { PROVIDERS } from '../../shared/models'
import { formatUsd } from '../format/format-usd'
import type { Connection } from '../state/panel-state'

export function ConnectionStatus({ connection }: { connection: Connection }) {
  switch (connection.kind) {
    case 'unknown':
      return null
    case 'checking':
      return (
        <p class="status muted" role="status">
          Checking the relay…
        </p>
      )
    case 'error':
      return (
        <p class="status danger" role="status">
          {connection.error.message}
        </p>
      )
    case 'ok': {
      const { health } = connection
      const ready = health.providers.filter((provider) => provider.configured)
      if (health.auth !== 'valid') {
        return (
          <p class="status danger" role="status">
            The relay is running, but {health.auth === 'missing' ? 'no access token is set' : 'it does not accept this access token'}.
          </p>
        )
      }
      if (ready.length === 0) {
        return (
          <p class="status danger" role="status">
            Connected, but the relay has no image host key. Whoever runs it must set{' '}
            {Object.values(PROVIDERS)
              .map((spec) => spec.apiKeyVariable)
              .join(' or ')}
            .
          </p>
        )
      }
      const usage = connection.usage
      return (
        <>
          <p class="status success" role="status">
            Connected · {ready.map((provider) => provider.name).join(', ')}
          </p>
          {usage !== undefined && (
            <p class="status muted">
              Today: {usage.edits} edit{usage.edits === 1 ? '' : 's'} · {formatUsd(usage.spentUsd)} spent
              {usage.dailyBudgetUsd === null ? '' : ` of a ${formatUsd(usage.dailyBudgetUsd)} daily budget`}
            </p>
          )}
        </>
      )
    }
  }
}
