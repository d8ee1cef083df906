/** A setting the relay cannot start with; its message tells the operator what to change. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}
