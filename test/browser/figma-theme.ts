/**
 * The Figma theme variables the panel uses, as Figma injects them into a plugin iframe when
 * showUI is called with themeColors: true (values from Figma's UI3 light and dark themes).
 */
const LIGHT: Record<string, string> = {
  bg: '#ffffff',
  'bg-secondary': '#f5f5f5',
  'bg-hover': '#f5f5f5',
  'bg-brand': '#0d99ff',
  'bg-brand-hover': '#007be5',
  text: '#1e1e1e',
  'text-secondary': '#757575',
  'text-tertiary': '#b3b3b3',
  'text-onbrand': '#ffffff',
  'text-danger': '#dc3412',
  'text-success': '#008043',
  'text-brand': '#007be5',
  border: '#e6e6e6',
  'border-strong': '#2c2c2c',
  'border-selected': '#0d99ff',
  'border-danger': '#f24822',
  'border-success': '#14ae5c',
  icon: '#1e1e1e'
}

const DARK: Record<string, string> = {
  bg: '#2c2c2c',
  'bg-secondary': '#383838',
  'bg-hover': '#383838',
  'bg-brand': '#0c8ce9',
  'bg-brand-hover': '#0a6dc2',
  text: '#ffffff',
  'text-secondary': '#b3b3b3',
  'text-tertiary': '#757575',
  'text-onbrand': '#ffffff',
  'text-danger': '#fca397',
  'text-success': '#79d297',
  'text-brand': '#7cc4f8',
  border: '#444444',
  'border-strong': '#b3b3b3',
  'border-selected': '#0c8ce9',
  'border-danger': '#e03e1a',
  'border-success': '#198f51',
  icon: '#ffffff'
}

export type FigmaTheme = 'light' | 'dark'

export function figmaThemeStyle(theme: FigmaTheme): string {
  const variables = Object.entries(theme === 'light' ? LIGHT : DARK)
    .map(([name, value]) => `--figma-color-${name}: ${value};`)
    .join(' ')
  return `<style>:root { ${variables} }</style>`
}
