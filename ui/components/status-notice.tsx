export interface StatusNoticeProps {
  text: string | undefined
}

/** A problem the designer should read, announced to screen readers; nothing when there is none. */
export function StatusNotice({ text }: StatusNoticeProps) {
  if (text === undefined) return null
  return (
    <p class="status danger" role="status">
      {text}
    </p>
  )
}
