import { parseReplaceInstruction } from '../../shared/presets'

export interface TypographyHelperProps {
  texts: Array<{ id: string; characters: string }>
  prompt: string
  disabled: boolean
  onPick: (characters: string) => void
  /** A model the relay's host offers that does text better than the chosen one. */
  recommended?: { name: string; onUse: () => void }
}

/** Past this ratio of new to old length, Kontext tends to break the layout, as other Kontext tools' users report. */
const LENGTH_RATIO_WARNING = 1.5

function lengthWarning(oldText: string, newText: string): string | undefined {
  const [oldLength, newLength] = [oldText.length, newText.length]
  if (oldLength === 0 || newLength === 0 || Math.abs(newLength - oldLength) < 4) return undefined
  const ratio = newLength / oldLength
  if (ratio > LENGTH_RATIO_WARNING)
    return `The new text is ${ratio.toFixed(1)}× as long as the old. Kontext may squeeze or wrap it; a shorter text keeps the layout.`
  if (ratio < 1 / LENGTH_RATIO_WARNING)
    return 'The new text is much shorter than the old. Kontext may stretch it or leave a gap; say how it should sit.'
  return undefined
}

/**
 * The text layers in the selection: one click writes the replacement instruction. When the text
 * is a live layer, says that editing it in Figma is lossless and free.
 */
export function TypographyHelper({ texts, prompt, disabled, onPick, recommended }: TypographyHelperProps) {
  if (texts.length === 0) return null
  const replacing = parseReplaceInstruction(prompt)
  const live = replacing !== undefined && texts.some((text) => text.characters.trim() === replacing.oldText.trim())
  const warning = replacing === undefined ? undefined : lengthWarning(replacing.oldText, replacing.newText)
  return (
    <section class="card typography" aria-label="Text in the selection">
      <div class="section-title">Text in the selection</div>
      <ul class="text-list">
        {texts.map((text) => (
          <li key={text.id}>
            <button
              type="button"
              class="text-chip"
              disabled={disabled}
              title={`Replace “${text.characters}”`}
              onClick={() => onPick(text.characters)}
            >
              {text.characters}
            </button>
          </li>
        ))}
      </ul>
      {live && (
        <p class="hint" role="note">
          “{replacing.oldText}” is a live text layer: editing it directly in Figma is lossless and free.
        </p>
      )}
      {recommended !== undefined && (
        <p class="hint" role="note">
          For text changes Black Forest Labs recommends {recommended.name}.{' '}
          <button type="button" class="link" disabled={disabled} onClick={recommended.onUse}>
            Use {recommended.name}
          </button>
        </p>
      )}
      {warning !== undefined && (
        <p class="warning" role="note">
          {warning}
        </p>
      )}
    </section>
  )
}
