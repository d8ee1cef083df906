import type { Account } from '../auth/account'
import type { EditHold } from '../jobs/edit-capacity'

/** What the app's middleware puts on a request for the handlers after it. */
export type AppEnv = { Variables: { requestId: string; account: Account; editHold: EditHold } }
