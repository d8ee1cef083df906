import { causeText } from './cause-text'

/** An error as one line of text: its name and message, then its causes'. For logs only (see describeError). */
export function errorChainText(error: Error): string {
  const causes = causeText(error)
  return `${error.name}: ${error.message}${causes === undefined ? '' : `: ${causes}`}`
}
