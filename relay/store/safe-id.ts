/** Job ids become folder names in the file store: only what the relay's own UUIDs use. */
export const SAFE_ID = /^[A-Za-z0-9-]{1,100}$/
